package dev.failover.cli;

import dev.failover.testkit.Await;
import dev.failover.wire.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
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
             VirtualFleet fleet = new VirtualFleet(harness.broker.bootstrapServers(), 1_000, 4_000, TIMEOUT_MS);
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
}
