package dev.failover.cli;

import dev.failover.testkit.Await;
import dev.failover.testkit.JavaProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Agent footprint: one ACTIVE agent heartbeating at 1 Hz (timeout 5 s) beside a real broker and coordinator, started as
 * the {@code failover} launcher starts agents (its JVM options, read from the script, its class path and entry point),
 * sampled every 5 s for
 * {@code -Dbench.duration} (300 s) after a 30 s warm-up: resident set size from /proc/PID/status and the CPU share of
 * one core from utime + stime in /proc/PID/stat. {@code ./failover bench footprint}.
 */
class AgentFootprintBenchmark {

    private static final Pattern AGENT_OPTS = Pattern.compile("agent\\) default_opts=\"([^\"]+)\"");

    @Test
    void oneAgentAtOneHeartbeatPerSecond() throws Exception {
        Duration duration = Duration.ofSeconds(Long.getLong("bench.duration", 300));
        String opts = System.getProperty("bench.opts"); // an A/B of JVM options against the launcher's
        List<String> jvmOptions = opts == null
                ? launcherAgentOptions()
                : Arrays.asList(opts.trim().split(" +"));
        BenchmarkReport report = new BenchmarkReport("agent-footprint");
        Path dir = Files.createTempDirectory("bench-footprint-");
        try (FaultHarness harness = new FaultHarness(dir, 1, List.of(), java.util.Map.of());
                JavaProcess agent = startAgent(
                        jvmOptions,
                        List.of(
                                "--bootstrap-servers",
                                harness.broker.bootstrapServers(),
                                "--group",
                                "footprint",
                                "--node",
                                "alpha",
                                "--heartbeat-interval",
                                "1s",
                                "--failure-timeout",
                                "5s",
                                "--http-port",
                                "0"))) {
            Matcher ready = agent.awaitLine(Pattern.compile("/role on http://(\\S+)/role"), Duration.ofSeconds(60));
            String http = ready.group(1);
            Await.until(Duration.ofSeconds(60), "the agent ACTIVE", () -> {
                FaultHarness.Reply r = FaultHarness.get(http, "/role", Duration.ofSeconds(1));
                return r != null && r.status() == 200;
            });
            Await.hold(Duration.ofSeconds(30), "warm-up");
            long pid = agent.pid();
            long ticksPerSecond = 100; // USER_HZ on Linux
            long startTicks = cpuTicks(pid);
            java.util.Map<String, Long> startByThread = threadTicks(pid);
            long startNs = System.nanoTime();
            List<Double> rss = new ArrayList<>();
            while (System.nanoTime() - startNs < duration.toNanos()) {
                Await.hold(Duration.ofSeconds(5), "the next sample");
                double mb = rssKb(pid) / 1024.0;
                rss.add(mb);
                report.add("RSS (MB)", mb);
            }
            double seconds = (System.nanoTime() - startNs) / 1e9;
            double cpu = 100.0 * (cpuTicks(pid) - startTicks) / ticksPerSecond / seconds;
            report.note(String.format("CPU: %.2f %% of one core over %.0f s (target 0.5 %%)", cpu, seconds));
            java.util.Map<String, Long> byThread = threadTicks(pid);
            byThread.replaceAll((thread, ticks) -> ticks - startByThread.getOrDefault(thread, 0L));
            report.note("CPU by thread (% of one core): "
                    + byThread.entrySet().stream()
                            .filter(e -> e.getValue() > 0)
                            .sorted(java.util.Map.Entry.<String, Long>comparingByValue()
                                    .reversed())
                            .limit(8)
                            .map(e -> String.format(
                                    "%s %.2f", e.getKey(), 100.0 * e.getValue() / ticksPerSecond / seconds))
                            .collect(java.util.stream.Collectors.joining(", ")));
            report.note(String.format(
                    "RSS: last %.1f MB, max %.1f MB (target 64 MB)",
                    rss.get(rss.size() - 1),
                    rss.stream().mapToDouble(Double::doubleValue).max().orElse(0)));
            report.note("JVM options" + (opts == null ? " (the launcher's): " : " (-Dbench.opts): ")
                    + String.join(" ", jvmOptions) + (environment().isEmpty() ? "" : ", environment " + environment()));
            report.note("entry: "
                    + ("full".equals(System.getProperty("bench.entry"))
                            ? "FailoverCli on target/lib (before)"
                            : "AgentMain on target/agent-lib (the launcher's)"));
            report.finish();
        }
    }

    /**
     * The agent as the launcher starts it, or with {@code -Dbench.entry=full} as it did before its own entry point: the
     * whole launcher's class path ({@code target/lib}, coordinator and broker included) through {@code FailoverCli}.
     */
    private static JavaProcess startAgent(List<String> jvmOptions, List<String> args) {
        if ("full".equals(System.getProperty("bench.entry"))) {
            List<String> withCommand = new ArrayList<>(List.of("agent"));
            withCommand.addAll(args);
            return JavaProcess.start(
                    "agent",
                    environment(),
                    jvmOptions,
                    AgentProcess.launcherClassPath("lib"),
                    FailoverCli.class.getName(),
                    withCommand);
        }
        return JavaProcess.start(
                "agent",
                environment(),
                jvmOptions,
                AgentProcess.LAUNCHER_AGENT_CLASS_PATH,
                AgentMain.class.getName(),
                args);
    }

    /** {@code -Dbench.env="NAME=VALUE ..."}: variables for an A/B of the C library's settings (none by default). */
    private static java.util.Map<String, String> environment() {
        java.util.Map<String, String> env = new java.util.TreeMap<>();
        for (String pair : System.getProperty("bench.env", "").trim().split(" +")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                env.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        return env;
    }

    static List<String> launcherAgentOptions() throws IOException {
        Path script = Path.of("..", "failover");
        Matcher m = AGENT_OPTS.matcher(Files.readString(script));
        if (!m.find()) {
            throw new AssertionError("no agent) default_opts=\"...\" line in " + script.toAbsolutePath());
        }
        return Arrays.asList(m.group(1).split(" "));
    }

    static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    /** utime + stime of each thread by its name (threads of one name summed), from /proc/PID/task. */
    static java.util.Map<String, Long> threadTicks(long pid) throws IOException {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String name = Files.readString(task.resolve("comm")).strip();
                    out.merge(name, cpuTicks(task.resolve("stat")), Long::sum);
                } catch (IOException gone) {
                    // the thread ended between the listing and the read
                }
            }
        }
        return out;
    }

    static long cpuTicks(long pid) throws IOException {
        return cpuTicks(Path.of("/proc", Long.toString(pid), "stat"));
    }

    /** utime + stime of the process, in clock ticks (fields 14 and 15 of /proc/PID/stat). */
    static long cpuTicks(Path statFile) throws IOException {
        String stat = Files.readString(statFile);
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
}
