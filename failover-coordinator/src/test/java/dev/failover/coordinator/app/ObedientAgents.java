package dev.failover.coordinator.app;

import dev.failover.wire.GroupMode;
import dev.failover.wire.Health;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.Role;
import dev.failover.wire.RoleChange;
import dev.failover.wire.WireSerdes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Stand-ins for agents in coordinator tests: each node heartbeats every interval and reports the role and epoch of the
 * newest role change it read (read_committed), as an obedient agent would. Not the real agent: no lease, no hooks.
 */
public final class ObedientAgents implements AutoCloseable {

    final String group;
    private final String heartbeatTopic;
    private final KafkaProducer<String, Heartbeat> producer;
    private final KafkaConsumer<String, RoleChange> consumer;
    private final ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor();
    private final Thread reader;
    private final Set<String> beating = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> priorities = new ConcurrentHashMap<>();
    private final Map<String, Long> lastSentAt = new ConcurrentHashMap<>();
    private final Map<String, Heartbeat> lastSent = new ConcurrentHashMap<>();
    public final List<RoleChange> seen = new CopyOnWriteArrayList<>();
    public final Map<RoleChange, Long> seenAtMs = new ConcurrentHashMap<>();
    private volatile RoleChange latest;
    private volatile boolean running = true;
    private long sequence;

    public ObedientAgents(String bootstrap, String group, String heartbeatTopic, String roleChangeTopic) {
        this.group = group;
        this.heartbeatTopic = heartbeatTopic;
        this.producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ProducerConfig.LINGER_MS_CONFIG,
                        0,
                        ProducerConfig.ACKS_CONFIG,
                        "all"),
                new StringSerializer(),
                WireSerdes.heartbeat());
        this.consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest",
                        ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG,
                        false),
                new StringDeserializer(),
                WireSerdes.roleChange());
        // Every partition assigned directly, read from the start, before the first beat: as the real agent's feed does.
        // A consumer group made the stand-ins deaf for as long as its join took: in CI (81db6dd, a loaded machine)
        // the group coordinator was still loading, alpha was elected, went on reporting STANDBY at epoch 0 for
        // 1163 ms, and the coordinator rightly stood it down as a node that does not apply its assignment.
        // (a coordinator in its own process may not have created the topics yet: wait for them, create nothing)
        List<TopicPartition> partitions = dev.failover.testkit.Await.value(
                Duration.ofSeconds(60), roleChangeTopic + " created by the coordinator", () -> {
                    var found = consumer.partitionsFor(roleChangeTopic, Duration.ofSeconds(5));
                    return found.isEmpty()
                            ? null
                            : found.stream()
                                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                                    .toList();
                });
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        partitions.forEach(p -> consumer.position(p, Duration.ofSeconds(30)));
        this.reader = new Thread(this::read, "obedient-reader");
        reader.setDaemon(true);
        reader.start();
        beats.scheduleAtFixedRate(this::beatAll, 0, 200, TimeUnit.MILLISECONDS);
    }

    public ObedientAgents node(String node, int priority) {
        priorities.put(node, priority);
        beating.add(node);
        return this;
    }

    public void silence(String node) {
        beating.remove(node);
    }

    public long lastSentAt(String node) {
        return lastSentAt.get(node);
    }

    /** Whether {@code node}'s newest heartbeat sent reports {@code role} at {@code epoch}: it applied that decision. */
    public boolean reported(String node, Role role, long epoch) {
        Heartbeat last = lastSent.get(node);
        return last != null && last.getRole() == role && last.getEpoch() == epoch;
    }

    private void read() {
        while (running) {
            for (var record : consumer.poll(Duration.ofMillis(20))) {
                if (group.equals(record.key())) {
                    long now = System.currentTimeMillis();
                    seenAtMs.put(record.value(), now);
                    seen.add(record.value());
                    latest = record.value();
                }
            }
        }
        consumer.close();
    }

    private synchronized void beatAll() {
        for (String node : beating) {
            RoleChange told = latest;
            Role role = told == null
                    ? Role.STANDBY
                    : told.getMembers().stream()
                            .filter(m -> m.getNode().equals(node))
                            .map(m -> m.getRole())
                            .findFirst()
                            .orElse(Role.STANDBY);
            long now = System.currentTimeMillis();
            Heartbeat beat = Heartbeat.newBuilder()
                    .setGroup(group)
                    .setNode(node)
                    .setSequence(sequence++)
                    .setIncarnation(1)
                    .setSentAtMs(now)
                    .setHealth(Health.HEALTHY)
                    .setRole(role)
                    .setEpoch(told == null ? 0 : told.getEpoch())
                    .setMode(GroupMode.ACTIVE_PASSIVE)
                    .setPriority(priorities.get(node))
                    .setHeartbeatIntervalMs(200)
                    .setLeaseMs(800)
                    .setFailureTimeoutMs(1000)
                    .build();
            lastSentAt.put(node, now);
            lastSent.put(node, beat);
            producer.send(new ProducerRecord<>(heartbeatTopic, group, beat));
        }
    }

    @Override
    public void close() {
        running = false;
        beats.shutdownNow();
        producer.close(Duration.ofSeconds(5));
        try {
            reader.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
