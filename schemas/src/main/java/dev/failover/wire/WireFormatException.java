package dev.failover.wire;

import org.apache.kafka.common.errors.SerializationException;

/**
 * The one exception for bytes that are not a record we can read or write. It names the topic, the record type
 * expected and what was wrong, so a dead-letter entry or a log line is enough to act on.
 *
 * <p>It extends Kafka's {@link SerializationException}, so Kafka clients and Streams' deserialization handlers
 * treat it as a bad record rather than as a bug.
 */
public final class WireFormatException extends SerializationException {

    /** What was wrong with the bytes. */
    public enum Problem {
        TOO_LARGE,
        TRUNCATED,
        NOT_SINGLE_OBJECT_ENCODING,
        UNKNOWN_SCHEMA,
        WRONG_RECORD_TYPE,
        BAD_BODY,
        CANNOT_ENCODE
    }

    private final String topic;
    private final String expectedType;
    private final Problem problem;
    private final String detail;

    WireFormatException(String topic, String expectedType, Problem problem, String detail, Throwable cause) {
        super(message(topic, expectedType, problem, detail), cause);
        this.topic = topic;
        this.expectedType = expectedType;
        this.problem = problem;
        this.detail = detail;
    }

    private static String message(String topic, String expectedType, Problem problem, String detail) {
        String verb = problem == Problem.CANNOT_ENCODE
                ? "cannot encode " + expectedType + " for"
                : "cannot decode " + expectedType + " from";
        return verb + " topic '" + topic + "': " + detail;
    }

    public String topic() {
        return topic;
    }

    public String expectedType() {
        return expectedType;
    }

    public Problem problem() {
        return problem;
    }

    /** What was wrong, without the topic and type around it. */
    public String detail() {
        return detail;
    }
}
