package dev.failover.cli;

import dev.failover.broker.LocalKafkaCluster;
import dev.failover.testkit.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A group on a three-node cluster (replication 3, min in-sync 2, Kafka's stock broker session of 9 s) through the
 * operations a Kafka shop runs: 20 s steady, a rolling restart (each node in turn stopped with SIGTERM, i.e. a
 * controlled shutdown, restarted, every partition back in sync, then 15 s to settle), and a SIGKILL of one node
 * restarted after 15 s. Two coordinators and two agents at the defaults (200 ms / 2 s; other agent flags with
 * {@code -Dbench.agent.args="--failure-timeout 1s"}); each agent's {@code /role} is polled every 10 ms. Per phase: the
 * hook runs (role changes at the service) and the longest time with no node answering ACTIVE, and whether two ever
 * did. Stock brokers, or {@code -Dbench.broker.set=replica.fetch.backoff.ms=100,...}. With
 * {@code -Dbench.failsafe=10s} the agents run failsafe mode with that maximum, peers of each other. Figures only:
 * {@code ./failover bench rolling}.
 */
class RollingRestartBenchmark {

    @Test
    void aRollingRestartAndACrashOfOneNode() throws Exception {
        BenchmarkReport report = new BenchmarkReport("rolling-restart");
        Path dir = Files.createTempDirectory("bench-rolling-");
        List<String> timing = List.of(System.getProperty("bench.agent.args", "").split(" ")).stream()
                .filter(s -> !s.isBlank())
                .toList();
        java.util.Map<String, String> brokerSettings = new java.util.HashMap<>();
        for (String item : BenchmarkReport.listProperty("bench.broker.set", "")) {
            brokerSettings.put(
                    item.substring(0, item.indexOf('=')).trim(),
                    item.substring(item.indexOf('=') + 1).trim());
        }
        if (!brokerSettings.isEmpty()) {
            report.note("broker settings: " + brokerSettings);
        }
        String failsafe = System.getProperty("bench.failsafe", "");
        java.util.Map<String, List<String>> flags = java.util.Map.of("alpha", List.of(), "beta", List.of());
        if (!failsafe.isBlank()) {
            flags = FailsafeFlags.of(
                    dir, "rolling", List.of("alpha", "beta"), Duration.parse("PT" + failsafe.toUpperCase()));
            report.note("failsafe mode, maximum " + failsafe);
        }
        if (!timing.isEmpty()) {
            report.note("agent flags: " + String.join(" ", timing));
        }
        try (LocalKafkaCluster cluster = LocalKafkaCluster.of(dir.resolve("cluster"), 3, 0, brokerSettings)) {
            cluster.start();
            String bootstrap = cluster.bootstrapServers();
            try (CoordinatorProcess c1 =
                            CoordinatorProcess.launch("coordinator-1", bootstrap, dir.resolve("c1"), List.of());
                    CoordinatorProcess c2 =
                            CoordinatorProcess.launch("coordinator-2", bootstrap, dir.resolve("c2"), List.of());
                    AgentProcess alpha = AgentProcess.launchAtDefaults(
                            bootstrap, "rolling", "alpha", 100, dir, concat(timing, flags.get("alpha")));
                    AgentProcess beta = AgentProcess.launchAtDefaults(
                            bootstrap, "rolling", "beta", 50, dir, concat(timing, flags.get("beta")))) {
                Await.until(
                        Duration.ofSeconds(90),
                        "a primary",
                        () -> alpha.roleStatus() == 200 || beta.roleStatus() == 200);
                Await.hold(Duration.ofSeconds(10), "the group settles");
                try (RolePoller poller = new RolePoller(List.of(alpha, beta));
                        AutoCloseable keep = () -> keepOutputs(dir, c1, c2, alpha, beta)) {
                    phase(
                            report,
                            "steady, 20 s",
                            poller,
                            alpha,
                            beta,
                            () -> Await.hold(Duration.ofSeconds(20), "steady"));
                    phase(report, "rolling restart (SIGTERM, restart, in sync, 15 s)", poller, alpha, beta, () -> {
                        for (int node = 1; node <= cluster.size(); node++) {
                            cluster.node(node).stop();
                            cluster.node(node).start();
                            cluster.awaitFullyReplicated(Await.scaled(Duration.ofSeconds(180)));
                            Await.hold(Duration.ofSeconds(15), "settle after node " + node);
                        }
                    });
                    phase(report, "SIGKILL of node 1, restart after 15 s, in sync, 15 s", poller, alpha, beta, () -> {
                        cluster.node(1).kill();
                        Await.hold(Duration.ofSeconds(15), "node 1 down");
                        cluster.node(1).start();
                        cluster.awaitFullyReplicated(Await.scaled(Duration.ofSeconds(180)));
                        Await.hold(Duration.ofSeconds(15), "settle");
                    });
                }
            }
        }
        report.note("load average at the end: "
                + Files.readString(Path.of("/proc/loadavg")).trim());
        report.finish();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }

    /** Every process's output, kept in the benchmark's directory (the brokers' logs are in cluster/node-N). */
    private static void keepOutputs(
            Path dir, CoordinatorProcess c1, CoordinatorProcess c2, AgentProcess alpha, AgentProcess beta)
            throws java.io.IOException {
        Files.write(dir.resolve("coordinator-1.log"), c1.process.output());
        Files.write(dir.resolve("coordinator-2.log"), c2.process.output());
        Files.write(dir.resolve("agent-alpha.log"), alpha.output());
        Files.write(dir.resolve("agent-beta.log"), beta.output());
        System.out.println("rolling-restart: outputs and broker logs kept in " + dir);
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void phase(
            BenchmarkReport report, String name, RolePoller poller, AgentProcess alpha, AgentProcess beta, Step step)
            throws Exception {
        int hooksBefore = alpha.edges().size() + beta.edges().size();
        poller.reset();
        step.run();
        int hooks = alpha.edges().size() + beta.edges().size() - hooksBefore;
        report.note(String.format(
                "%-55s hook runs %d, longest with no node ACTIVE %d ms, two ACTIVE at once: %s",
                name, hooks, poller.longestGapMs(), poller.twoSeen() ? "YES" : "never"));
    }
}
