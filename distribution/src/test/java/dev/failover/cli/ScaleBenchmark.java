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
 * 5 s failure timeout. For each step of {@code -Dbench.steps} (1000,10000,50000,100000 nodes) it grows the fleet,
 * waits until every group has a primary, then for {@code -Dbench.stepSeconds} (60) kills {@code -Dbench.killsPerSecond}
 * (2) virtual primaries a second (they stop heartbeating, and come back 10 s later as a new incarnation) and reports:
 * heartbeats per second the coordinator processed against those offered, its CPU share (also per 1 000 heartbeats/s),
 * its live heap after a full GC (also per 1 000 nodes) and RSS, its longest GC pause, its consumer lag on the heartbeat
 * topic, the load generator's own CPU, and the detection overhead of the killed primaries (decision time minus last
 * heartbeat sent minus timeout). The coordinator runs with {@code -Dbench.coordinatorOpts} ({@code -Xmx1g
 * -XX:+UseSerialGC}) plus a GC log, and {@code -Dbench.coordinatorSet} (settings as {@code --set} takes them,
 * comma-separated) over {@code kafka.max.poll.records=2000}. A chart of the detection overhead and the CPU against the fleet size goes to
 * {@code target/benchmarks/scale.png}. {@code ./failover bench scale}.
 */
class ScaleBenchmark {

    private static final int TIMEOUT_MS = 5_000;
    private static final Pattern GC_PAUSE = Pattern.compile("Pause .* ([0-9.]+)ms$");

    /** One step's figures. */
    record Step(
            int nodes,
            double beats,
            double cpu,
            double liveMb,
            double rssMb,
            double maxPauseMs,
            long maxLag,
            double generatorCpu,
            double p50,
            double p99,
            int kills,
            long undecided) {}

    @Test
    void virtualNodesAtOneHertz() throws Exception {
        List<Integer> steps = BenchmarkReport.listProperty("bench.steps", "1000,10000,50000,100000").stream()
                .map(Integer::valueOf)
                .toList();
        long stepSeconds = Long.getLong("bench.stepSeconds", 60);
        int killsPerSecond = Integer.getInteger("bench.killsPerSecond", 2);
        BenchmarkReport report = new BenchmarkReport("scale");
        Path dir = Files.createTempDirectory("bench-scale-");
        Path gcLog = dir.resolve("coordinator-gc.log");
        List<String> jvmOptions =
                new ArrayList<>(List.of(System.getProperty("bench.coordinatorOpts", "-Xmx1g -XX:+UseSerialGC")
                        .trim()
                        .split(" +")));
        jvmOptions.add("-Xlog:gc:file=" + gcLog);
        report.note("coordinator JVM options: " + String.join(" ", jvmOptions));
        List<Step> results = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        List<String> settings = new ArrayList<>(List.of("kafka.max.poll.records=2000"));
        settings.addAll(BenchmarkReport.listProperty("bench.coordinatorSet", ""));
        report.note("coordinator settings: " + String.join(" ", settings));
        try (FaultHarness harness = new FaultHarness(dir, 1, settings, Map.of(), jvmOptions);
                VirtualFleet fleet = new VirtualFleet(harness.broker.bootstrapServers(), 1_000, 4_000, TIMEOUT_MS);
                Admin admin = Admin.create(Map.of("bootstrap.servers", harness.broker.bootstrapServers()))) {
            CoordinatorProcess coordinator = harness.coordinators().get(0);
            long pid = coordinator.process.pid();
            for (int nodes : steps) {
                long growAt = System.nanoTime();
                fleet.grow(nodes / 2);
                Await.until(Duration.ofMinutes(10), "every virtual group elected", () -> fleet.elected() >= nodes / 2);
                report.note(String.format(
                        "%d nodes: all %d groups elected %.1f s after growing",
                        nodes, nodes / 2, (System.nanoTime() - growAt) / 1e9));
                fleet.detections.clear();
                int gcLinesBefore = gcLines(gcLog).size();
                double beatsBefore = metric(coordinator, "failover_heartbeats_total");
                long ticksBefore = AgentFootprintBenchmark.cpuTicks(pid);
                long selfBefore = AgentFootprintBenchmark.cpuTicks(self);
                long start = System.nanoTime();
                long maxLag = 0;
                while (System.nanoTime() - start
                        < Duration.ofSeconds(stepSeconds).toNanos()) {
                    fleet.killSome(killsPerSecond);
                    Await.hold(Duration.ofSeconds(1), "a second of load");
                    maxLag = Math.max(maxLag, lag(admin));
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                double beats = (metric(coordinator, "failover_heartbeats_total") - beatsBefore) / seconds;
                double cpu = (AgentFootprintBenchmark.cpuTicks(pid) - ticksBefore) / seconds; // ticks are 1/100 s
                double generatorCpu = (AgentFootprintBenchmark.cpuTicks(self) - selfBefore) / seconds;
                double rssMb = AgentFootprintBenchmark.rssKb(pid) / 1024.0;
                double maxPause = gcLines(gcLog).stream()
                        .skip(gcLinesBefore)
                        .map(GC_PAUSE::matcher)
                        .filter(Matcher::find)
                        .mapToDouble(m -> Double.parseDouble(m.group(1)))
                        .max()
                        .orElse(0);
                Await.hold(Duration.ofSeconds(TIMEOUT_MS / 1000 + 3), "the last kills are decided");
                List<Double> overhead = new ArrayList<>(fleet.detections);
                double liveMb = liveHeapMb(coordinator);
                Step step = new Step(
                        nodes,
                        beats,
                        cpu,
                        liveMb,
                        rssMb,
                        maxPause,
                        maxLag,
                        generatorCpu,
                        overhead.isEmpty() ? Double.NaN : BenchmarkReport.percentile(overhead, 0.5),
                        overhead.isEmpty() ? Double.NaN : BenchmarkReport.percentile(overhead, 0.99),
                        overhead.size(),
                        fleet.undecided());
                results.add(step);
                System.out.println("scale step: " + step);
                overhead.forEach(v -> report.add(nodes + " nodes: detection overhead above timeout (ms)", v));
            }
            report.note("producer errors in the load generator: " + fleet.errors.get());
        }
        report.note(String.format(
                "%8s %10s %9s %7s %16s %9s %14s %8s %8s %12s %10s %8s %8s %7s",
                "nodes",
                "beats/s",
                "offered",
                "CPU %",
                "CPU %/1k beat/s",
                "live MB",
                "live MB/1k nod",
                "RSS MB",
                "GC max",
                "max lag rec",
                "gen CPU %",
                "p50 ms",
                "p99 ms",
                "kills"));
        for (Step s : results) {
            report.note(String.format(
                    "%8d %10.0f %9d %7.1f %16.2f %9.0f %14.2f %8.0f %8.0f %12d %10.1f %8.0f %8.0f %7s",
                    s.nodes(),
                    s.beats(),
                    s.nodes(),
                    s.cpu(),
                    s.cpu() / (s.beats() / 1000),
                    s.liveMb(),
                    s.liveMb() / (s.nodes() / 1000.0),
                    s.rssMb(),
                    s.maxPauseMs(),
                    s.maxLag(),
                    s.generatorCpu(),
                    s.p50(),
                    s.p99(),
                    s.kills() + (s.undecided() > 0 ? "+" + s.undecided() + "?" : "")));
        }
        report.note("detection overhead above the " + TIMEOUT_MS + " ms timeout; CPU in % of one core; GC max = "
                + "longest GC pause in the step (ms); live heap after a full GC at the end of the step; kills "
                + "+N? = N kills not decided");
        report.note("chart: "
                + ScaleChart.draw(results, Path.of("target", "benchmarks", "scale.png"))
                        .toAbsolutePath());
        report.finish();
    }

    private static List<String> gcLines(Path gcLog) throws java.io.IOException {
        return Files.exists(gcLog) ? Files.readAllLines(gcLog) : List.of();
    }

    /** The coordinator's heap in use right after a full GC ({@code jcmd GC.run}), in MB. */
    private static double liveHeapMb(CoordinatorProcess c) throws Exception {
        Process gc = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                        Long.toString(c.process.pid()),
                        "GC.run")
                .redirectErrorStream(true)
                .start();
        gc.getInputStream().readAllBytes();
        gc.waitFor();
        return metricSum(c, "jvm_memory_used_bytes{area=\"heap\"") / 1024 / 1024;
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
        Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets("failover-coordinator")
                        .partitionsToOffsetAndMetadata()
                        .get();
        Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
        committed.keySet().stream()
                .filter(p -> p.topic().equals(Topics.HEARTBEATS))
                .forEach(p -> latest.put(p, OffsetSpec.latest()));
        var ends = admin.listOffsets(latest).all().get();
        long lag = 0;
        for (var p : latest.keySet()) {
            lag += ends.get(p).offset() - committed.get(p).offset();
        }
        return lag;
    }
}
