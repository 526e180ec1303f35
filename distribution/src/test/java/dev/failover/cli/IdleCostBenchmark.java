package dev.failover.cli;

import dev.failover.testkit.Await;
import dev.failover.testkit.LocalKafkaBroker;
import dev.failover.wire.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * What an idle coordinator costs its Kafka cluster: one broker alone, then with one coordinator at the default
 * settings (6 partitions) and no agent and no group, each measured over {@code -Dbench.duration} (30 s) after a 10 s
 * warm-up: the CPU share of one core of the broker and the coordinator (utime + stime from /proc/PID/stat), and how
 * fast the heartbeat topic grows (with no agent, only the coordinator's fence markers and their transaction markers
 * land there). {@code ./failover bench idle}.
 */
class IdleCostBenchmark {

    @Test
    void oneIdleCoordinatorWithNoGroups() throws Exception {
        Duration duration = Duration.ofSeconds(Long.getLong("bench.duration", 30));
        BenchmarkReport report = new BenchmarkReport("idle-cost");
        Path dir = Files.createTempDirectory("bench-idle-");
        try (LocalKafkaBroker broker = LocalKafkaBroker.builder().dataDir(dir.resolve("broker")).build()) {
            broker.start();
            long brokerPid = broker.pid().orElseThrow();
            Await.hold(Duration.ofSeconds(10), "the broker settles");
            double alone = cpuShare(brokerPid, duration);
            report.note(String.format("broker alone: %.1f %% of one core over %d s", alone, duration.toSeconds()));
            try (CoordinatorProcess coordinator = CoordinatorProcess.launch("coordinator", broker.bootstrapServers(),
                    dir.resolve("coordinator"), List.of());
                 Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                         broker.bootstrapServers()))) {
                Await.until(Duration.ofSeconds(60), "the coordinator healthy", coordinator::healthy);
                Await.hold(Duration.ofSeconds(10), "warm-up");
                long coordinatorPid = coordinator.process.pid();
                long startRecords = heartbeatTopicEnd(admin);
                long startBroker = AgentFootprintBenchmark.cpuTicks(brokerPid);
                long startCoordinator = AgentFootprintBenchmark.cpuTicks(coordinatorPid);
                long startNs = System.nanoTime();
                Await.hold(duration, "the measurement");
                double seconds = (System.nanoTime() - startNs) / 1e9;
                double brokerShare = 100.0 * (AgentFootprintBenchmark.cpuTicks(brokerPid) - startBroker) / 100 / seconds;
                double coordinatorShare = 100.0 * (AgentFootprintBenchmark.cpuTicks(coordinatorPid) - startCoordinator)
                        / 100 / seconds;
                double recordsPerSecond = (heartbeatTopicEnd(admin) - startRecords) / seconds;
                report.note(String.format("with one idle coordinator (no group): broker %.1f %% (+%.1f), coordinator "
                        + "%.1f %% of one core; heartbeat topic +%.1f offsets/s (fence markers and their transaction "
                        + "markers) over %.0f s", brokerShare, brokerShare - alone, coordinatorShare, recordsPerSecond,
                        seconds));
            }
        }
        report.note("load average at the end: " + Files.readString(Path.of("/proc/loadavg")).trim());
        report.finish();
    }

    private static double cpuShare(long pid, Duration duration) throws Exception {
        long start = AgentFootprintBenchmark.cpuTicks(pid);
        long startNs = System.nanoTime();
        Await.hold(duration, "the measurement");
        double seconds = (System.nanoTime() - startNs) / 1e9;
        return 100.0 * (AgentFootprintBenchmark.cpuTicks(pid) - start) / 100 / seconds;
    }

    private static long heartbeatTopicEnd(Admin admin) throws Exception {
        int partitions = admin.describeTopics(List.of(Topics.HEARTBEATS)).allTopicNames().get().get(Topics.HEARTBEATS)
                .partitions().size();
        Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
        for (int p = 0; p < partitions; p++) {
            latest.put(new TopicPartition(Topics.HEARTBEATS, p), OffsetSpec.latest());
        }
        return admin.listOffsets(latest).all().get().values().stream().mapToLong(r -> r.offset()).sum();
    }
}
