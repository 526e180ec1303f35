package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.cli.FaultHarness.Group;
import dev.failover.cli.FaultHarness.Node;
import dev.failover.wire.DecisionKind;
import dev.failover.wire.MemberView;
import dev.failover.wire.RoleChange;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Failover latency with real processes (benchmark, not run by {@code mvn verify}; {@code ./failover bench failover}).
 * SIGKILL of the primary agent, measured from the kill to the standby's {@code /role} answering 200 (its activate
 * hook has run by then), over {@code -Dbench.trials} (50) trials per {@code -Dbench.settings} entry
 * ({@code heartbeat/timeout}, default {@code 200ms/1s}, the bar the issues set; the agent's default timeout is 2s).
 * The time after the kill is broken down as: until the failure deadline (the coordinator's receipt of the last
 * heartbeat + timeout: the part a crash cannot be told from slowness), the decision lag after the deadline
 * (punctuation and fence), delivery of the decision to the agent and its hook (until the hook reports), and the hook
 * report until {@code /role} answers 200.
 * Every trial is also judged by the split-brain checker.
 */
class FailoverLatencyBenchmark {

    @Test
    void sigkillOfThePrimaryToTheStandbyServing() throws Exception {
        int trials = Integer.getInteger("bench.trials", 50);
        String settings = System.getProperty("bench.settings", "200ms/1s");
        BenchmarkReport report = new BenchmarkReport("failover-latency");
        try (FaultHarness harness = new FaultHarness(Files.createTempDirectory("bench-failover-"))) {
            int n = 0;
            for (String setting : settings.split(",")) {
                String[] parts = setting.trim().split("/");
                Duration heartbeat = new Durations().convert(parts[0]);
                Duration timeout = new Durations().convert(parts[1]);
                String label = parts[0] + "/" + parts[1] + " ";
                Group g = harness.group("bench" + n++, true)
                        .timing(heartbeat, timeout)
                        .node("alpha", 100, null)
                        .node("beta", 50, null)
                        .start();
                for (int i = 0; i < trials; i++) {
                    FaultHarness.Takeover t = g.killPrimaryUntilTakeover(
                            "SIGKILL primary " + setting, timeout.plusSeconds(2), timeout.plusSeconds(15));
                    report.add(label + "kill -> standby /role 200 (ms)", t.ms());
                    report.add(label + "  overhead above the timeout (ms)", t.ms() - timeout.toMillis());
                    breakdown(harness, g, t.dead(), t.standby(), t.killedAtNs(), timeout, label, report);
                    System.out.printf("trial %d/%d (%s): %.0f ms%n", i + 1, trials, setting, t.ms());
                }
                g.retire();
            }
            var verdict = harness.report();
            report.note("split-brain checker over all trials: "
                    + (verdict.ok() ? "no violations" : String.join("; ", verdict.messages())));
            report.note(verdict.table());
            report.finish();
            assertTrue(verdict.ok(), String.join("\n", verdict.messages()));
        }
    }

    private static void breakdown(
            FaultHarness harness,
            Group g,
            Node dead,
            Node standby,
            long killedAt,
            Duration timeout,
            String label,
            BenchmarkReport report) {
        long killedWallMs = killedAt / 1_000_000 + harness.wallMinusMonoMs;
        Optional<RoleChange> decision = harness.decisions(g.name).stream()
                .filter(c -> c.getKind() == DecisionKind.FAILOVER && c.getDecidedAtMs() >= killedWallMs)
                .findFirst();
        if (decision.isEmpty()) {
            report.note("no FAILOVER decision read for the trial at " + killedWallMs + " (decision log behind?)");
            return;
        }
        RoleChange c = decision.get();
        Optional<MemberView> convicted = c.getMembers().stream()
                .filter(m -> m.getNode().equals(dead.name))
                .findFirst();
        if (convicted.isEmpty() || convicted.get().getLastSeenAgeMs() == null) {
            return;
        }
        long decidedNs = harness.monotonicNs(c.getDecidedAtMs());
        long deadlineNs = decidedNs - convicted.get().getLastSeenAgeMs() * 1_000_000 + timeout.toNanos();
        long hookNs = standby.lastActivationNs();
        report.add(label + "  kill -> failure deadline (ms)", (deadlineNs - killedAt) / 1e6);
        report.add(label + "  deadline -> decision (ms)", (decidedNs - deadlineNs) / 1e6);
        report.add(label + "  decision -> activate hook reported (ms)", (hookNs - decidedNs) / 1e6);
        report.add(label + "  hook reported -> /role 200 (ms)", (standby.becameActiveNs - hookNs) / 1e6);
    }
}
