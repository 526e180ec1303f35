package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.cli.FaultHarness.Group;
import dev.failover.cli.FaultHarness.Node;
import dev.failover.cli.FaultHarness.Window;
import dev.failover.testkit.check.Observations.Expect;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Planned switchover ({@code failover ctl switchover}) and graceful leave (SIGTERM of the primary's agent): the time
 * during which no node answers {@code /role} 200, from the old primary's first non-200 answer to the new one's first
 * 200 (pollers every 10 ms, so ±10 ms). {@code -Dbench.trials} (30) of each; {@code -Dbench.standDownMs} (0): how
 * long each stand-down hook works before it exits, as a service that drains; {@code ./failover bench switchover}.
 */
class SwitchoverBenchmark {

    @Test
    void switchoverAndGracefulLeave() throws Exception {
        int trials = Integer.getInteger("bench.trials", 30);
        long standDownMs = Long.getLong("bench.standDownMs", 0);
        BenchmarkReport report = new BenchmarkReport("switchover");
        report.note("stand-down hook: " + (standDownMs == 0 ? "instant" : standDownMs + " ms of work before it exits"));
        try (FaultHarness harness = new FaultHarness(Files.createTempDirectory("bench-switchover-"))) {
            Group g = harness.group("planned", true)
                    .standDownHook(Duration.ofMillis(standDownMs))
                    .node("alpha", 100, null)
                    .node("beta", 50, null)
                    .start();
            for (int i = 0; i < trials; i++) {
                Node primary = g.primary();
                Node next = g.other(primary);
                long asked = System.nanoTime();
                try (Window w = g.fault("switchover", primary, Expect.TAKEOVER, Duration.ofSeconds(30))) {
                    int exit = ctl(harness, "switchover", "--group", g.name, "--to", next.name, "--timeout", "20s");
                    assertEquals(0, exit, "switchover refused or unanswered");
                    g.await(
                            Duration.ofSeconds(10),
                            next + " serving",
                            () -> next.answersActive() && next.becameActiveNs > asked);
                    report.add(
                            "switchover: no node answering /role 200 (ms)",
                            (next.becameActiveNs - primary.lostActiveNs) / 1e6);
                    report.add(
                            "switchover: command -> new primary /role 200 (ms)", (next.becameActiveNs - asked) / 1e6);
                    g.settle();
                }
            }
            for (int i = 0; i < trials; i++) {
                Node primary = g.primary();
                Node next = g.other(primary);
                long termAt = System.nanoTime();
                try (Window w = g.fault(
                        "SIGTERM leave",
                        primary,
                        Expect.TAKEOVER,
                        Duration.ofSeconds(2).plusMillis(standDownMs))) {
                    primary.term();
                    g.await(
                            Duration.ofSeconds(10),
                            next + " serving",
                            () -> next.answersActive() && next.becameActiveNs > termAt);
                    report.add(
                            "SIGTERM leave: no node answering /role 200 (ms)",
                            (next.becameActiveNs - primary.lostActiveNs) / 1e6);
                    report.add(
                            "SIGTERM leave: SIGTERM -> new primary /role 200 (ms)",
                            (next.becameActiveNs - termAt) / 1e6);
                    primary.launch();
                    g.settle();
                }
            }
            g.retire();
            var verdict = harness.report();
            report.note(
                    "split-brain checker: " + (verdict.ok() ? "no violations" : String.join("; ", verdict.messages())));
            report.finish();
            assertTrue(verdict.ok(), String.join("\n", verdict.messages()));
        }
    }

    private static int ctl(FaultHarness harness, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "ctl";
        all[1] = args[0];
        all[2] = "--bootstrap-servers=" + harness.broker.bootstrapServers();
        System.arraycopy(args, 1, all, 3, args.length - 1);
        CommandLine cli = FailoverCli.newCommandLine(all, Map.of());
        cli.setOut(new PrintWriter(new StringWriter(), true));
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(all);
        if (exit != 0) {
            System.out.println("ctl " + String.join(" ", args) + ": " + err);
        }
        return exit;
    }
}
