package dev.failover.cli;

import dev.failover.testkit.JavaProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * An agent as its own OS process through the real CLI, with hooks that append
 * {@code <wall-clock ns> <role> <epoch> <group> <node>} to a ledger file, and its /role endpoint.
 */
final class AgentProcess implements AutoCloseable {

    private static final Pattern READY = Pattern.compile("/role on http://(\\S+)/role");

    final String node;
    final JavaProcess java;
    final Process process;
    final Path ledger;
    final String http;

    private AgentProcess(String node, JavaProcess java, Path ledger) {
        this.node = node;
        this.java = java;
        this.process = java.process();
        this.ledger = ledger;
        this.http = java.awaitLine(READY, Duration.ofSeconds(60)).group(1);
    }

    static AgentProcess launch(String bootstrap, String group, String node, int priority, Path dir) throws IOException {
        return launch(bootstrap, group, node, priority, dir, List.of());
    }

    /** As {@link #launch(String, String, String, int, Path)}, with {@code extraArgs} after the usual ones. */
    static AgentProcess launch(
            String bootstrap, String group, String node, int priority, Path dir, List<String> extraArgs)
            throws IOException {
        return launch(bootstrap, group, node, priority, dir, extraArgs, true);
    }

    /**
     * As {@link #launch(String, String, String, int, Path, List)}, at the product's defaults for whatever
     * {@code extraArgs} does not set, instead of {@link #TEST_TIMING}.
     */
    static AgentProcess launchAtDefaults(
            String bootstrap, String group, String node, int priority, Path dir, List<String> extraArgs)
            throws IOException {
        return launch(bootstrap, group, node, priority, dir, extraArgs, false);
    }

    private static AgentProcess launch(
            String bootstrap,
            String group,
            String node,
            int priority,
            Path dir,
            List<String> extraArgs,
            boolean testTiming)
            throws IOException {
        Path ledger = dir.resolve(group + "-" + node + ".ledger");
        Files.createDirectories(dir);
        String hook = "sh -c 'echo $(date +%s%N) $FAILOVER_ROLE $FAILOVER_EPOCH $FAILOVER_GROUP $FAILOVER_NODE >> "
                + ledger + "'";
        return start(bootstrap, group, node, priority, hook, extraArgs, ledger, testTiming);
    }

    /**
     * The timing the process tests were written for and their bounds are computed from: 200 ms beats and a 1 s failure
     * timeout (an 800 ms lease) on one broker, where no leader moves. Used unless a test names its own; the product's
     * default timeout is 2 s, which a rolling restart of a cluster needs (issue 13; {@code launchAtDefaults}).
     */
    static final List<String> TEST_TIMING = List.of("--heartbeat-interval", "200ms", "--failure-timeout", "1s");

    /**
     * The class path the launcher starts agents on (the packaged jar and {@code target/agent-lib}: the agent's own
     * dependencies only), so every agent process test also proves that it lacks nothing the agent needs.
     */
    static final String LAUNCHER_AGENT_CLASS_PATH = launcherClassPath("agent-lib");

    /** The packaged jar and every jar in {@code target/LIB}, as the launcher puts them on a class path. */
    static String launcherClassPath(String lib) {
        return Path.of("target", "failover.jar").toAbsolutePath() + System.getProperty("path.separator")
                + Path.of("target", lib).toAbsolutePath() + "/*";
    }

    /** An agent whose hooks are {@code hook}, with {@code extraArgs} after the usual ones, at {@link #TEST_TIMING}. */
    static AgentProcess start(
            String bootstrap,
            String group,
            String node,
            int priority,
            String hook,
            List<String> extraArgs,
            Path ledger) {
        return start(bootstrap, group, node, priority, hook, extraArgs, ledger, true);
    }

    private static AgentProcess start(
            String bootstrap,
            String group,
            String node,
            int priority,
            String hook,
            List<String> extraArgs,
            Path ledger,
            boolean testTiming) {
        List<String> args = new java.util.ArrayList<>(List.of(
                "--bootstrap-servers",
                bootstrap,
                "--group",
                group,
                "--node",
                node,
                "--priority",
                Integer.toString(priority),
                "--on-activate",
                hook,
                "--on-standby",
                hook));
        if (!extraArgs.contains("--http-port")) {
            args.addAll(List.of("--http-port", "0"));
        }
        for (int i = 0; testTiming && i < TEST_TIMING.size(); i += 2) {
            String flag = TEST_TIMING.get(i);
            if (extraArgs.stream().noneMatch(a -> a.equals(flag) || a.startsWith(flag + "="))) {
                args.addAll(TEST_TIMING.subList(i, i + 2));
            }
        }
        args.addAll(extraArgs);
        JavaProcess java = JavaProcess.start(
                group + "-" + node,
                List.of("-Xmx64m", "-XX:+UseSerialGC"),
                LAUNCHER_AGENT_CLASS_PATH,
                AgentMain.class.getName(),
                args);
        return new AgentProcess(node, java, ledger);
    }

    List<String> output() {
        return java.output();
    }

    /** Ledger lines as {@code role epoch group node}, in order, without the timestamp. */
    List<String> edges() {
        return ledgerLines().stream().map(l -> l.substring(l.indexOf(' ') + 1)).toList();
    }

    List<String> ledgerLines() {
        try {
            return Files.exists(ledger) ? Files.readAllLines(ledger) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The /role status code, or -1 when the agent does not answer (stopped, gone). */
    int roleStatus() {
        return RoleEndpoint.status(HttpClient.newHttpClient(), http, Duration.ofMillis(500));
    }

    /** The agent's {@code /metrics} (Prometheus text), or "" when it does not answer. */
    String metrics() {
        FaultHarness.Reply r = FaultHarness.get(http, "/metrics", Duration.ofSeconds(2));
        return r == null ? "" : r.body();
    }

    String roleBody() throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://" + http + "/role"))
                                .timeout(Duration.ofSeconds(2))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    void signal(String signal) {
        java.signal(signal);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
