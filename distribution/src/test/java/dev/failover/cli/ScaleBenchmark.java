package dev.failover.cli;

import dev.failover.testkit.Await;
import dev.failover.wire.DecisionKind;
import dev.failover.wire.GroupMode;
import dev.failover.wire.Health;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.MemberView;
import dev.failover.wire.Role;
import dev.failover.wire.RoleChange;
import dev.failover.wire.Topics;
import dev.failover.wire.WireSerdes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Scale: one coordinator instance beside the broker, and a load generator in this JVM simulating many agents
 * (virtual nodes, two per group, obedient: they report the role and epoch they were given) heartbeating at 1 Hz with a
 * 5 s failure timeout. For each step of {@code -Dbench.steps} (1000,10000,50000 nodes) it grows the fleet, waits
 * until every group has a primary, then for {@code -Dbench.stepSeconds} (60) kills {@code -Dbench.killsPerSecond}
 * (2) virtual primaries a second (they stop heartbeating, and come back 10 s later as a new incarnation) and reports:
 * heartbeats per second the coordinator processed, its CPU share and heap, its consumer lag on the heartbeat topic,
 * and the detection overhead of the killed primaries (decision time minus last heartbeat sent minus timeout).
 * {@code ./failover bench scale}.
 */
class ScaleBenchmark {

    private static final int TIMEOUT_MS = 5_000;

    @Test
    void virtualNodesAtOneHertz() throws Exception {
        List<Integer> steps = new ArrayList<>();
        for (String s : System.getProperty("bench.steps", "1000,10000,50000").split(",")) {
            steps.add(Integer.parseInt(s.trim()));
        }
        long stepSeconds = Long.getLong("bench.stepSeconds", 60);
        int killsPerSecond = Integer.getInteger("bench.killsPerSecond", 2);
        BenchmarkReport report = new BenchmarkReport("scale");
        Path dir = Files.createTempDirectory("bench-scale-");
        try (FaultHarness harness = new FaultHarness(dir, 1, List.of("kafka.max.poll.records=2000"), Map.of());
             Fleet fleet = new Fleet(harness.broker.bootstrapServers());
             Admin admin = Admin.create(Map.of("bootstrap.servers", harness.broker.bootstrapServers()))) {
            CoordinatorProcess coordinator = harness.coordinators().get(0);
            for (int nodes : steps) {
                long growAt = System.nanoTime();
                fleet.grow(nodes / 2);
                Await.until(Duration.ofMinutes(10), "every virtual group elected", () -> fleet.elected() >= nodes / 2);
                report.note(String.format("%d nodes: all %d groups elected %.1f s after growing", nodes, nodes / 2,
                        (System.nanoTime() - growAt) / 1e9));
                fleet.detections.clear();
                double beatsBefore = metric(coordinator, "failover_heartbeats_total");
                long ticksBefore = AgentFootprintBenchmark.cpuTicks(coordinator.process.pid());
                long start = System.nanoTime();
                long maxLag = 0;
                while (System.nanoTime() - start < Duration.ofSeconds(stepSeconds).toNanos()) {
                    fleet.killSome(killsPerSecond);
                    Await.hold(Duration.ofSeconds(1), "a second of load");
                    maxLag = Math.max(maxLag, lag(admin));
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                double beats = (metric(coordinator, "failover_heartbeats_total") - beatsBefore) / seconds;
                double cpu = 100.0 * (AgentFootprintBenchmark.cpuTicks(coordinator.process.pid()) - ticksBefore) / 100
                        / seconds;
                double heapMb = metricSum(coordinator, "jvm_memory_used_bytes{area=\"heap\"") / 1024 / 1024;
                double rssMb = AgentFootprintBenchmark.rssKb(coordinator.process.pid()) / 1024.0;
                Await.hold(Duration.ofSeconds(TIMEOUT_MS / 1000 + 3), "the last kills are decided");
                List<Double> overhead = new ArrayList<>(fleet.detections);
                report.note(String.format("%7d nodes: %8.0f heartbeats/s processed (offered %d/s), coordinator CPU %5.1f %%"
                        + " of one core, heap %5.0f MB, RSS %5.0f MB, max lag %d records, detection overhead above the "
                        + "%d ms timeout p50 %s ms p99 %s ms over %d kills (%d kills undecided)", nodes, beats, nodes, cpu,
                        heapMb, rssMb, maxLag, TIMEOUT_MS, overhead.isEmpty() ? "-" : Math.round(
                                BenchmarkReport.percentile(overhead, 0.5)), overhead.isEmpty() ? "-" : Math.round(
                                BenchmarkReport.percentile(overhead, 0.99)), overhead.size(), fleet.undecided()));
                overhead.forEach(v -> report.add(nodes + " nodes: detection overhead above timeout (ms)", v));
            }
            report.note("producer errors in the load generator: " + fleet.errors.get());
        }
        report.finish();
    }

    private static double metric(CoordinatorProcess c, String name) {
        FaultHarness.Reply r = FaultHarness.get(c.http, "/metrics", Duration.ofSeconds(5));
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\S+)$").matcher(r == null ? "" : r.body());
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    private static double metricSum(CoordinatorProcess c, String prefix) {
        FaultHarness.Reply r = FaultHarness.get(c.http, "/metrics", Duration.ofSeconds(5));
        double sum = 0;
        for (String line : (r == null ? "" : r.body()).split("\n")) {
            if (line.startsWith(prefix)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static long lag(Admin admin) throws Exception {
        Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committed = admin
                .listConsumerGroupOffsets("failover-coordinator").partitionsToOffsetAndMetadata().get();
        Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
        committed.keySet().stream().filter(p -> p.topic().equals(Topics.HEARTBEATS))
                .forEach(p -> latest.put(p, OffsetSpec.latest()));
        var ends = admin.listOffsets(latest).all().get();
        long lag = 0;
        for (var p : latest.keySet()) {
            lag += ends.get(p).offset() - committed.get(p).offset();
        }
        return lag;
    }

    /** The virtual agents: one producer for every heartbeat, one consumer following every decision. */
    static final class Fleet implements AutoCloseable {
        private final KafkaProducer<String, Heartbeat> producer;
        private final Map<String, long[]> groups = new ConcurrentHashMap<>(); // epoch, active node (0 a, 1 b, -1)
        /** Per node key "group/node": incarnation, or -(time of death) while dead. */
        private final Map<String, Long> nodes = new ConcurrentHashMap<>();
        private final Map<String, Long> killedLastSentMs = new ConcurrentHashMap<>();
        /** Per node key, when its last heartbeat was sent. */
        private final Map<String, Long> lastSent = new ConcurrentHashMap<>();
        final List<Double> detections = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicLong errors = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private volatile List<String> keys = List.of();
        private final Thread sender;
        private final Thread follower;
        private final java.util.Random random = new java.util.Random(42);

        Fleet(String bootstrap) {
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

        long elected() {
            return groups.values().stream().filter(s -> s[1] >= 0).count();
        }

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

        /** Every live node once a second, spread over the second in 10 ms slices. */
        private void send() {
            long slice = 0;
            while (running.get()) {
                long began = System.nanoTime();
                List<String> all = keys;
                int n = all.size();
                int from = (int) (n * (slice % 100) / 100);
                int to = (int) (n * (slice % 100 + 1) / 100);
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
                    Heartbeat beat = Heartbeat.newBuilder().setGroup(group).setNode(node).setSequence(now / 1000)
                            .setIncarnation(incarnation).setSentAtMs(now).setHealth(Health.HEALTHY)
                            .setRole(active ? Role.ACTIVE : Role.STANDBY).setEpoch(s[0]).setMode(GroupMode.ACTIVE_PASSIVE)
                            .setPriority(node.equals("a") ? 100 : 50).setHeartbeatIntervalMs(1000).setLeaseMs(4000)
                            .setFailureTimeoutMs(TIMEOUT_MS).build();
                    producer.send(new ProducerRecord<>(Topics.HEARTBEATS, group, beat), (m, e) -> {
                        if (e != null) {
                            errors.incrementAndGet();
                        }
                    });
                    lastSent.put(key, now);
                }
                slice++;
                LockSupport.parkNanos(Math.max(0, 10_000_000 - (System.nanoTime() - began)));
            }
        }

        private void follow(String bootstrap) {
            try (KafkaConsumer<String, RoleChange> consumer = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.GROUP_ID_CONFIG,
                    "fleet-" + java.util.UUID.randomUUID(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                    "5000"), new StringDeserializer(), WireSerdes.roleChange())) {
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
                                detections.add((double) (c.getDecidedAtMs() - lastSentMs - TIMEOUT_MS));
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
}
