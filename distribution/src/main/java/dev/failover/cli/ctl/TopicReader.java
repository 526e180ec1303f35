package dev.failover.cli.ctl;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads failover topics the way an operator's tool should: no consumer group (nothing to clean up, no lag to
 * confuse anyone), committed records only, every partition, and a clear {@link CtlException} when the broker
 * cannot be reached or the topic does not exist.
 */
public final class TopicReader implements AutoCloseable {

    private final KafkaConsumer<String, byte[]> consumer;
    private final String bootstrapServers;
    private final Duration timeout;
    /** Checks role change and state records against --trust-key, or null: every record is shown. */
    private final dev.failover.wire.sign.RecordVerifier verifier;

    private final dev.failover.wire.TopicNames topics;

    public TopicReader(String bootstrapServers, Map<String, String> kafka, Duration timeout) {
        this(bootstrapServers, kafka, timeout, null, dev.failover.wire.TopicNames.defaults());
    }

    public TopicReader(
            String bootstrapServers,
            Map<String, String> kafka,
            Duration timeout,
            dev.failover.wire.sign.RecordVerifier verifier,
            dev.failover.wire.TopicNames topics) {
        this.verifier = verifier;
        this.topics = topics;
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "failover-ctl");
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(timeout.toMillis()));
        props.putAll(kafka);
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false"); // ctl never creates the project's topics
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        this.bootstrapServers = bootstrapServers;
        this.timeout = timeout;
    }

    /** The topics' names, as the coordinator was given them. */
    public dev.failover.wire.TopicNames topics() {
        return topics;
    }

    /** The check of signatures (--trust-key), or null. */
    public dev.failover.wire.sign.RecordVerifier verifier() {
        return verifier;
    }

    /** Every partition of {@code topic}; fails clearly if Kafka is unreachable or the topic is missing. */
    public List<TopicPartition> partitions(String topic) {
        List<PartitionInfo> infos;
        try {
            infos = consumer.partitionsFor(topic, timeout);
        } catch (TimeoutException e) {
            throw new CtlException(
                    CtlException.FAILED,
                    "cannot reach Kafka at " + bootstrapServers + " within " + timeout.toSeconds()
                            + " s (is the broker up? --bootstrap-servers)");
        } catch (KafkaException e) {
            throw new CtlException(CtlException.FAILED, "Kafka at " + bootstrapServers + " refused: " + e.getMessage());
        }
        if (infos == null || infos.isEmpty()) {
            throw new CtlException(
                    CtlException.NOTHING,
                    "topic " + topic + " does not exist on " + bootstrapServers
                            + ": has a coordinator ever run against this cluster?");
        }
        return infos.stream()
                .map(p -> new TopicPartition(p.topic(), p.partition()))
                .toList();
    }

    public Map<TopicPartition, Long> endOffsets(String topic) {
        return consumer.endOffsets(partitions(topic), timeout);
    }

    /** Offsets of the first records at or after {@code epochMs} in each partition (the end where there is none). */
    public Map<TopicPartition, Long> offsetsAt(String topic, long epochMs) {
        List<TopicPartition> parts = partitions(topic);
        Map<TopicPartition, Long> query = new HashMap<>();
        parts.forEach(p -> query.put(p, epochMs));
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, timeout);
        Map<TopicPartition, Long> ends = consumer.endOffsets(parts, timeout);
        Map<TopicPartition, Long> out = new HashMap<>();
        for (TopicPartition p : parts) {
            OffsetAndTimestamp o = found.get(p);
            out.put(p, o == null ? ends.get(p) : o.offset());
        }
        return out;
    }

    /** Every committed record from {@code from} up to the end offsets as of now, in partition order then offset. */
    public List<ConsumerRecord<String, byte[]>> readToEnd(String topic, Function<TopicPartition, Long> from) {
        Map<TopicPartition, Long> ends = endOffsets(topic);
        consumer.assign(ends.keySet());
        ends.keySet().forEach(p -> {
            Long start = from.apply(p);
            if (start == null) {
                consumer.seekToBeginning(List.of(p));
            } else {
                consumer.seek(p, start);
            }
        });
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey(), timeout) < e.getValue())) {
            if (System.nanoTime() - deadline > 0) {
                throw new CtlException(
                        CtlException.FAILED,
                        "reading " + topic + " did not reach its end within " + timeout.toSeconds() + " s");
            }
            consumer.poll(Duration.ofMillis(100)).forEach(out::add);
        }
        return out;
    }

    /**
     * Follows {@code topic} from {@code from} (per partition; null = the beginning) and hands each record to
     * {@code handler} until it returns false or {@code until} (an instant of {@code clock}, null = never) passes.
     * Returns true if the handler ended it.
     */
    public boolean follow(
            String topic,
            Map<TopicPartition, Long> from,
            Predicate<ConsumerRecord<String, byte[]>> handler,
            Clock clock,
            Long untilMs) {
        consumer.assign(from.keySet());
        from.forEach((p, offset) -> {
            if (offset == null) {
                consumer.seekToBeginning(List.of(p));
            } else {
                consumer.seek(p, offset);
            }
        });
        while (untilMs == null || clock.millis() < untilMs) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                if (!handler.test(r)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public void close() {
        consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(1)));
    }
}
