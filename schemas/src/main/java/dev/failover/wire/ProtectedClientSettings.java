package dev.failover.wire;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Kafka client settings the safety argument relies on, which a pass-through setting ({@code kafka.*} on the
 * coordinator, {@code --kafka} on the agent) may not change. Each is set by failover itself; a user's value would
 * silently take a guarantee away (exactly-once fencing, reading only committed decisions, one partition and so one
 * writer per group, a lease renewed only by a durable heartbeat), so it is refused at start with the reason.
 *
 * <p>Why refuse rather than offer an {@code unsafe.} escape: none of these has a weaker value that keeps "never two
 * primaries" true, and a failover system that can be configured into split brain will be.
 */
public final class ProtectedClientSettings {

    private static final Map<String, String> WHY = Map.ofEntries(
            Map.entry("processing.guarantee", "exactly-once is what fences a stale coordinator's decisions"),
            Map.entry("isolation.level", "only committed decisions and heartbeats may be read (read_committed)"),
            Map.entry(
                    "partitioner.class",
                    "records of a group must land in the partition its key picks, or two "
                            + "coordinator tasks would decide for one group"),
            Map.entry("transactional.id", "Streams names its transactions; another id defeats its fencing"),
            Map.entry("enable.idempotence", "the coordinator's transactions need idempotent producers"),
            Map.entry("acks", "a heartbeat may renew the lease only once every in-sync replica has it (acks=all)"),
            Map.entry("enable.auto.commit", "positions are committed with the decisions, in one transaction"),
            Map.entry("application.id", "set it with the coordinator's own application.id setting"),
            Map.entry("key.serializer", "keys are group ids as UTF-8 strings on every topic"),
            Map.entry("value.serializer", "values are the project's Avro records"),
            Map.entry("key.deserializer", "keys are group ids as UTF-8 strings on every topic"),
            Map.entry("value.deserializer", "values are the project's Avro records"),
            Map.entry("partitioner.ignore.keys", "records of a group must land in the partition its key picks"),
            Map.entry("interceptor.classes", "an interceptor could rewrite or drop decisions and heartbeats"),
            Map.entry(
                    "transaction.timeout.ms",
                    "set it with the coordinator's own transaction.timeout.ms setting, "
                            + "which the hanging-transaction threshold is checked against"),
            Map.entry(
                    "commit.interval.ms",
                    "set it with the coordinator's own commit.interval.ms setting, which is "
                            + "checked against the transaction timeout"),
            Map.entry("processing.exception.handler", "the coordinator dead-letters bad records itself"),
            Map.entry("production.exception.handler", "a decision that cannot be written must fail the transaction"),
            Map.entry("deserialization.exception.handler", "the coordinator dead-letters bad records itself"),
            Map.entry("default.deserialization.exception.handler", "the coordinator dead-letters bad records itself"),
            Map.entry(
                    "default.production.exception.handler",
                    "a decision that cannot be written must fail the " + "transaction"));

    /** Kafka Streams' prefixes for settings of one of its clients only. */
    private static final List<String> CLIENT_PREFIXES =
            List.of("main.consumer.", "restore.consumer.", "global.consumer.", "consumer.", "producer.", "admin.");

    private ProtectedClientSettings() {}

    /**
     * Why a pass-through Kafka setting is refused, or empty when it may be set.
     *
     * @param key  the Kafka setting's name, without the pass-through prefix
     * @param flag how the user wrote it (e.g. {@code kafka.acks} or {@code --kafka acks}), for the message
     */
    public static Optional<String> problem(String key, String flag) {
        String base = key;
        for (String prefix : CLIENT_PREFIXES) {
            if (base.startsWith(prefix)) {
                base = base.substring(prefix.length());
                break;
            }
        }
        String why = WHY.get(base);
        return why == null
                ? Optional.empty()
                : Optional.of(flag + " is refused: failover sets " + base + " itself, because " + why);
    }
}
