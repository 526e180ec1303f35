package dev.failover.wire.tools;

import static dev.failover.wire.tools.JsonText.quote;

import dev.failover.wire.AvroSerde;
import dev.failover.wire.WireFormatException;
import dev.failover.wire.WireType;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.MessageFormatter;

/**
 * Prints any failover record as one JSON line for Kafka's own console consumer:
 * {@code kafka-console-consumer --formatter dev.failover.wire.tools.FailoverRecordFormatter ...} with the schemas jar on
 * the tool's class path. The record type is recognised from the schema fingerprint in the value, so one formatter
 * reads every topic. A record that cannot be decoded is printed with an {@code error} naming what is wrong; the
 * consumer goes on.
 */
public final class FailoverRecordFormatter implements MessageFormatter {

    private final List<AvroSerde<?>> serdes =
            WireType.all().stream().<AvroSerde<?>>map(AvroSerde::new).toList();

    @Override
    public void writeTo(ConsumerRecord<byte[], byte[]> record, PrintStream output) {
        StringBuilder line = new StringBuilder("{\"topic\":")
                .append(quote(record.topic()))
                .append(",\"partition\":")
                .append(record.partition())
                .append(",\"offset\":")
                .append(record.offset())
                .append(",\"timestamp\":")
                .append(record.timestamp())
                .append(",\"key\":")
                .append(record.key() == null ? "null" : quote(new String(record.key(), StandardCharsets.UTF_8)));
        if (record.value() == null) {
            line.append(",\"value\":null");
        } else {
            decode(record.topic(), record.value(), line);
        }
        output.println(line.append('}'));
    }

    private void decode(String topic, byte[] value, StringBuilder line) {
        for (AvroSerde<?> serde : serdes) {
            try {
                Object decoded = serde.deserialize(topic, value);
                line.append(",\"type\":")
                        .append(quote(serde.type().name()))
                        .append(",\"value\":")
                        .append(decoded.toString().replace('\n', ' '));
                return;
            } catch (WireFormatException e) {
                if (e.problem() != WireFormatException.Problem.WRONG_RECORD_TYPE
                        && e.problem() != WireFormatException.Problem.UNKNOWN_SCHEMA) {
                    // broken in a way no other type would read differently (not Avro, truncated, bad body)
                    String message = e.problem() == WireFormatException.Problem.BAD_BODY
                            ? e.getMessage()
                            : "cannot decode from topic '" + topic + "': " + e.detail();
                    line.append(",\"error\":").append(quote(message));
                    return;
                }
            }
        }
        line.append(",\"error\":")
                .append(quote("cannot decode from topic '" + topic + "': its schema fingerprint is "
                        + "no released version of any failover record"));
    }
}
