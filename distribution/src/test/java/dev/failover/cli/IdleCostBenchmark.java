package dev.failover.cli;

import dev.failover.testkit.Await;
import dev.failover.testkit.LocalKafkaBroker;
import dev.failover.testkit.LocalKafkaCluster;
import dev.failover.wire.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The bill: what a coordinator costs its Kafka cluster. A cluster of {@code -Dbench.nodes} (3) nodes alone, then with
 * one coordinator at the default settings (6 partitions) and no group, then with {@code -Dbench.groups} (10, 100, 1000)
 * groups of two virtual agents each at the agents' default timing (a beat every 200 ms, lease 800 ms, timeout 1 s;
 * {@link VirtualFleet}, obedient, none failing). Each step is measured over {@code -Dbench.duration} (30 s) after a
 * 10 s warm-up: the CPU share of one core of every broker together and of the coordinator (utime + stime from
 * /proc/PID/stat), and how fast the heartbeat and role-change topics grow (with no group only the coordinator's fence
 * markers and their transaction markers land in the heartbeat topic). {@code ./failover bench idle}.
 */
class IdleCostBenchmark {

    private static final int INTERVAL_MS = 200;
    private static final int LEASE_MS = 800;
    private static final int TIMEOUT_MS = 1_000;

    @Test
    void aCoordinatorWithNoGroupThenWithMore() throws Exception {
        Duration duration = Duration.ofSeconds(Long.getLong("bench.duration", 30));
        int size = Integer.getInteger("bench.nodes", 3);
        List<Integer> steps = new ArrayList<>();
        for (String s : System.getProperty("bench.groups", "10,100,1000").split(",")) {
            if (!s.isBlank()) {
                steps.add(Integer.parseInt(s.trim()));
            }
        }
        BenchmarkReport report = new BenchmarkReport("idle-cost");
        Path dir = Files.createTempDirectory("bench-idle-");
        try (LocalKafkaCluster cluster = LocalKafkaCluster.of(dir.resolve("cluster"), size, 0, Map.of())) {
            cluster.start();
            List<Long> brokerPids = new ArrayList<>();
            for (int node = 1; node <= size; node++) {
                LocalKafkaBroker broker = cluster.node(node);
                brokerPids.add(broker.pid().orElseThrow());
            }
            Await.hold(Duration.ofSeconds(10), "the cluster settles");
            Sample alone = Sample.take(brokerPids, -1, null, duration);
            report.note(String.format("%d node(s) alone: brokers %.1f %% of one core together over %d s", size,
                    alone.brokers, duration.toSeconds()));
            try (CoordinatorProcess coordinator = CoordinatorProcess.launch("coordinator", cluster.bootstrapServers(),
                    dir.resolve("coordinator"), List.of());
                 Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                         cluster.bootstrapServers()));
                 VirtualFleet fleet = new VirtualFleet(cluster.bootstrapServers(), INTERVAL_MS, LEASE_MS, TIMEOUT_MS)) {
                Await.until(Duration.ofSeconds(60), "the coordinator healthy", coordinator::healthy);
                long pid = coordinator.process.pid();
                List<Integer> groupCounts = new ArrayList<>(List.of(0));
                groupCounts.addAll(steps);
                for (int groups : groupCounts) {
                    fleet.grow(groups);
                    Await.until(Duration.ofMinutes(5), groups + " groups elected", () -> fleet.elected() >= groups);
                    Await.hold(Duration.ofSeconds(10), "warm-up");
                    Sample s = Sample.take(brokerPids, pid, admin, duration);
                    report.note(String.format("%4d groups (%5d beats/s offered): brokers %.1f %% of one core together "
                            + "(+%.1f over the cluster alone), coordinator %.1f %%; heartbeat topic +%.1f offsets/s, "
                            + "role changes +%.1f offsets/s", groups, groups * 2 * 1000 / INTERVAL_MS, s.brokers,
                            s.brokers - alone.brokers, s.coordinator, s.heartbeatOffsets, s.roleChangeOffsets));
                }
                report.note("producer errors in the load generator: " + fleet.errors.get());
            }
        }
        report.note("load average at the end: " + Files.readString(Path.of("/proc/loadavg")).trim());
        report.finish();
    }

    /** CPU shares (per cent of one core) and topic growth (offsets a second) over one measurement. */
    private record Sample(double brokers, double coordinator, double heartbeatOffsets, double roleChangeOffsets) {

        /** Measures for {@code duration}; {@code coordinatorPid} -1 and {@code admin} null measure the brokers only. */
        static Sample take(List<Long> brokerPids, long coordinatorPid, Admin admin, Duration duration)
                throws Exception {
            long brokersBefore = ticks(brokerPids);
            long coordinatorBefore = coordinatorPid < 0 ? 0 : AgentFootprintBenchmark.cpuTicks(coordinatorPid);
            long beatsBefore = admin == null ? 0 : end(admin, Topics.HEARTBEATS);
            long changesBefore = admin == null ? 0 : end(admin, Topics.ROLE_CHANGES);
            long startNs = System.nanoTime();
            Await.hold(duration, "the measurement");
            double seconds = (System.nanoTime() - startNs) / 1e9;
            double brokers = (ticks(brokerPids) - brokersBefore) / seconds; // 100 ticks a second: per cent
            double coordinator = coordinatorPid < 0 ? 0
                    : (AgentFootprintBenchmark.cpuTicks(coordinatorPid) - coordinatorBefore) / seconds;
            double beats = admin == null ? 0 : (end(admin, Topics.HEARTBEATS) - beatsBefore) / seconds;
            double changes = admin == null ? 0 : (end(admin, Topics.ROLE_CHANGES) - changesBefore) / seconds;
            return new Sample(brokers, coordinator, beats, changes);
        }

        private static long ticks(List<Long> pids) throws Exception {
            long sum = 0;
            for (long pid : pids) {
                sum += AgentFootprintBenchmark.cpuTicks(pid);
            }
            return sum;
        }

        private static long end(Admin admin, String topic) throws Exception {
            int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            return admin.listOffsets(latest).all().get().values().stream().mapToLong(r -> r.offset()).sum();
        }
    }
}
