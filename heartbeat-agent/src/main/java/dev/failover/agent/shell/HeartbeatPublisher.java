package dev.failover.agent.shell;

import dev.failover.agent.config.AgentSettings;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.WireSerdes;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's heartbeat publishing: one producer that retries each beat within its lease (a beat acknowledged after
 * its lease could not renew it anyway), one request at a time so that beats arrive in the order they were built, and
 * reports each acknowledgement with the moment the beat was first sent, which is what the lease counts from.
 */
public final class HeartbeatPublisher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HeartbeatPublisher.class);

    private final AgentSettings settings;
    private final AgentMetrics metrics;
    private final LongSupplier nanos;
    private final KafkaProducer<String, byte[]> producer;
    private volatile boolean reportedUnreachable;

    public HeartbeatPublisher(AgentSettings settings, AgentMetrics metrics, LongSupplier nanos) {
        this.settings = settings;
        this.metrics = metrics;
        this.nanos = nanos;
        this.producer = new KafkaProducer<>(
                producerSettings(settings),
                new StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer());
    }

    /**
     * Sends {@code beat}, built at {@code sentAtNanos}; {@code acknowledged} gets that moment once the broker has
     * it. A failure is counted and logged once until beats are acknowledged again.
     */
    public Future<?> publish(Heartbeat beat, long sentAtNanos, LongConsumer acknowledged) {
        metrics.heartbeatSent();
        byte[] value = WireSerdes.heartbeat().serialize(settings.heartbeatTopic(), beat);
        org.apache.kafka.common.header.Headers headers = new org.apache.kafka.common.header.internals.RecordHeaders();
        if (settings.heartbeatKey() != null) {
            settings.heartbeatKey().get().sign(settings.group(), value, headers);
        }
        return producer.send(
                new ProducerRecord<>(settings.heartbeatTopic(), null, settings.group(), value, headers),
                (meta, error) -> {
                    if (error == null) {
                        metrics.heartbeatAcknowledged();
                        if (reportedUnreachable) {
                            reportedUnreachable = false;
                            log.info("heartbeats acknowledged again by {}", settings.bootstrapServers());
                        }
                        acknowledged.accept(sentAtNanos);
                        return;
                    }
                    metrics.heartbeatFailed();
                    if (!reportedUnreachable) {
                        reportedUnreachable = true;
                        log.warn(
                                "heartbeat not acknowledged ({}); the broker at {} may be unreachable: retrying, and an "
                                        + "ACTIVE node stands down when its lease runs out",
                                error.toString(),
                                settings.bootstrapServers());
                    }
                });
    }

    /** The moment a beat built now is sent, on the injected clock. */
    public long now() {
        return nanos.getAsLong();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(2));
    }

    static Map<String, Object> producerSettings(AgentSettings settings) {
        Map<String, Object> p = passedThrough(settings);
        long lease = settings.leaseMs();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 1 << 20);
        // A beat is retried until its lease would be over (the lease counts from its first send, and a beat
        // acknowledged after the lease ran out finds the node lapsed, RoleMachine.onHeartbeatAcknowledged). A request
        // gets half the lease, so that one sent to a broker that stopped answering leaves time for a retry to the
        // partition's new leader: measured in a rolling restart at the defaults, a beat dropped on its first
        // NOT_LEADER_OR_FOLLOWER left the next acknowledgement 900 ms after the last, past the 800 ms lease.
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(1, lease / 2));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) lease);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, settings.heartbeatInterval().toMillis());
        // One request at a time, so beats are normally appended in the order they were built. A request the client
        // gave up on may still be appended by the broker, after its retry or even after a newer beat: the
        // coordinator reads every beat numbered at or below the newest it has read as a copy (Liveness.next: it
        // only restarts the silence clock), so copies count once and a late old beat rolls nothing back.
        // Idempotence would also need a producer id from the cluster.
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        p.put(ProducerConfig.RETRIES_CONFIG, Integer.MAX_VALUE);
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
        p.putAll(leaderMoveBackoff(settings));
        return p;
    }

    /**
     * An agent client's settings from {@code --kafka} and {@code --kafka-config}, with Kafka's own client metrics kept
     * off JMX unless those say otherwise ({@code metric.reporters}): the agent's {@code /metrics} says what it needs,
     * and the MBeans cost an idle agent memory.
     */
    static Map<String, Object> passedThrough(AgentSettings settings) {
        Map<String, Object> c = new HashMap<>(settings.kafka());
        c.putIfAbsent(org.apache.kafka.clients.CommonClientConfigs.METRIC_REPORTER_CLASSES_CONFIG, "");
        return c;
    }

    /**
     * How soon a client looks again for a partition's leader after being told it asked the wrong broker. Kafka backs
     * off exponentially from {@code retry.backoff.ms} (100 ms) to {@code retry.backoff.max.ms} (1 s); measured on a
     * three-node cluster, a leader move in a rolling restart left the primary's beats failing with
     * NOT_LEADER_OR_FOLLOWER for 2 s, longer than its lease. A short, capped backoff costs a few more metadata
     * requests, and only while something is wrong.
     */
    static Map<String, Object> leaderMoveBackoff(AgentSettings settings) {
        long cap = Math.max(20, Math.min(100, settings.leaseMs() / 8));
        return Map.of(
                org.apache.kafka.clients.CommonClientConfigs.RETRY_BACKOFF_MS_CONFIG,
                20L,
                org.apache.kafka.clients.CommonClientConfigs.RETRY_BACKOFF_MAX_MS_CONFIG,
                cap);
    }
}
