package dev.failover.cli;

import dev.failover.wire.DecisionKind;
import dev.failover.wire.GroupMode;
import dev.failover.wire.Health;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.MemberView;
import dev.failover.wire.Role;
import dev.failover.wire.RoleChange;
import dev.failover.wire.Topics;
import dev.failover.wire.WireSerdes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Virtual agents for the benchmarks that need many groups: groups {@code v0, v1, ...} of two nodes each ({@code a}
 * priority 100, {@code b} 50), obedient (each reports the role and epoch the last decision gave it), heartbeating every
 * {@code intervalMs} with the given lease and failure timeout. One producer sends every heartbeat, spread evenly over
 * the interval in 10 ms slices; one consumer follows every decision. A killed primary stops heartbeating and comes back
 * 10 s later as a new incarnation; the time from its last beat to the failover, minus the timeout, is a detection.
 */
final class VirtualFleet implements AutoCloseable {

    private static final long SLICE_MS = 10;

    private final int intervalMs;
    private final int leaseMs;
    private final int timeoutMs;
    private final KafkaProducer<String, Heartbeat> producer;
    private final Map<String, long[]> groups = new ConcurrentHashMap<>(); // epoch, active node (0 a, 1 b, -1)
    /** Per node key "group/node": incarnation, or -(time of death) while dead. */
    private final Map<String, Long> nodes = new ConcurrentHashMap<>();

    private final Map<String, Long> killedLastSentMs = new ConcurrentHashMap<>();
    /** Per node key, when its last heartbeat was sent. */
    private final Map<String, Long> lastSent = new ConcurrentHashMap<>();

    final List<Double> detections = Collections.synchronizedList(new ArrayList<>());
    final AtomicLong errors = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private volatile List<String> keys = List.of();
    private final Thread sender;
    private final Thread follower;
    private final Random random = new Random(42);

    VirtualFleet(String bootstrap, int intervalMs, int leaseMs, int timeoutMs) {
        if (intervalMs < SLICE_MS || intervalMs % SLICE_MS != 0) {
            throw new IllegalArgumentException("intervalMs must be a multiple of " + SLICE_MS + ": " + intervalMs);
        }
        this.intervalMs = intervalMs;
        this.leaseMs = leaseMs;
        this.timeoutMs = timeoutMs;
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
        p.put(ProducerConfig.ACKS_CONFIG, "1");
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(128L << 20));
        producer = new KafkaProducer<>(p, new StringSerializer(), WireSerdes.heartbeat());
        sender = new Thread(this::send, "fleet-sender");
        follower = new Thread(() -> follow(bootstrap), "fleet-follower");
        sender.setDaemon(true);
        follower.setDaemon(true);
        sender.start();
        follower.start();
    }

    int timeoutMs() {
        return timeoutMs;
    }

    /** Grows the fleet to {@code groupCount} groups. */
    void grow(int groupCount) {
        List<String> more = new ArrayList<>(keys);
        for (int g = groups.size(); g < groupCount; g++) {
            String group = "v" + g;
            groups.put(group, new long[] {0, -1});
            for (String node : List.of("a", "b")) {
                nodes.put(group + "/" + node, 1L);
                more.add(group + "/" + node);
            }
        }
        keys = more;
    }

    /** How many groups have a primary. */
    long elected() {
        return groups.values().stream().filter(s -> s[1] >= 0).count();
    }

    /** Killed primaries whose failover has not been seen yet. */
    long undecided() {
        return killedLastSentMs.size();
    }

    /** Stops the heartbeats of {@code count} random primaries; each comes back 10 s later as a new incarnation. */
    void killSome(int count) {
        long now = System.currentTimeMillis();
        nodes.forEach((k, v) -> {
            if (v < 0 && now + v > 10_000 && !killedLastSentMs.containsKey(k.substring(0, k.indexOf('/')))) {
                nodes.put(k, now); // back as a new incarnation, once its group has failed over
            }
        });
        List<String> names = new ArrayList<>(groups.keySet());
        for (int i = 0; i < count; i++) {
            String group = names.get(random.nextInt(names.size()));
            long[] s = groups.get(group);
            if (s[1] < 0) {
                continue;
            }
            String key = group + "/" + (s[1] == 0 ? "a" : "b");
            if (nodes.get(key) > 0) {
                nodes.put(key, -now);
                killedLastSentMs.put(group, lastSent.getOrDefault(key, now));
            }
        }
    }

    /** Every live node once an interval, spread over it in 10 ms slices. */
    private void send() {
        long slices = intervalMs / SLICE_MS;
        long slice = 0;
        while (running.get()) {
            long began = System.nanoTime();
            List<String> all = keys;
            int n = all.size();
            int from = (int) (n * (slice % slices) / slices);
            int to = (int) (n * (slice % slices + 1) / slices);
            long now = System.currentTimeMillis();
            for (int i = from; i < to; i++) {
                String key = all.get(i);
                Long incarnation = nodes.get(key);
                if (incarnation == null || incarnation < 0) {
                    continue;
                }
                int slash = key.indexOf('/');
                String group = key.substring(0, slash);
                String node = key.substring(slash + 1);
                long[] s = groups.get(group);
                boolean active = s[1] == (node.equals("a") ? 0 : 1);
                // numbered as an agent numbers its beats (strictly increasing within a run): the coordinator reads
                // a beat numbered at or below the newest it has read as a copy
                Heartbeat beat = Heartbeat.newBuilder()
                        .setGroup(group)
                        .setNode(node)
                        .setSequence(System.nanoTime())
                        .setIncarnation(incarnation)
                        .setSentAtMs(now)
                        .setHealth(Health.HEALTHY)
                        .setRole(active ? Role.ACTIVE : Role.STANDBY)
                        .setEpoch(s[0])
                        .setMode(GroupMode.ACTIVE_PASSIVE)
                        .setPriority(node.equals("a") ? 100 : 50)
                        .setHeartbeatIntervalMs(intervalMs)
                        .setLeaseMs(leaseMs)
                        .setFailureTimeoutMs(timeoutMs)
                        .build();
                producer.send(new ProducerRecord<>(Topics.HEARTBEATS, group, beat), (m, e) -> {
                    if (e != null) {
                        errors.incrementAndGet();
                    }
                });
                lastSent.put(key, now);
            }
            slice++;
            LockSupport.parkNanos(Math.max(0, SLICE_MS * 1_000_000 - (System.nanoTime() - began)));
        }
    }

    private void follow(String bootstrap) {
        try (KafkaConsumer<String, RoleChange> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.GROUP_ID_CONFIG,
                        "fleet-" + UUID.randomUUID(),
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest",
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                        "5000"),
                new StringDeserializer(),
                WireSerdes.roleChange())) {
            consumer.subscribe(List.of(Topics.ROLE_CHANGES));
            while (running.get()) {
                for (var r : consumer.poll(Duration.ofMillis(100))) {
                    RoleChange c = r.value();
                    long[] s = groups.get(c.getGroup());
                    if (s == null || c.getEpoch() < s[0]) {
                        continue;
                    }
                    s[0] = c.getEpoch();
                    s[1] = -1;
                    for (MemberView m : c.getMembers()) {
                        if (m.getRole() == Role.ACTIVE) {
                            s[1] = m.getNode().equals("a") ? 0 : 1;
                        }
                    }
                    if (c.getKind() == DecisionKind.FAILOVER) {
                        Long lastSentMs = killedLastSentMs.remove(c.getGroup());
                        if (lastSentMs != null) {
                            detections.add((double) (c.getDecidedAtMs() - lastSentMs - timeoutMs));
                        }
                    }
                }
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        sender.join(5_000);
        follower.join(5_000);
        producer.close();
    }
}
