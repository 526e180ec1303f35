package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.cli.FaultHarness.Group;
import dev.failover.cli.FaultHarness.Node;
import dev.failover.cli.FaultHarness.Window;
import dev.failover.testkit.check.Observations.Expect;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Coordinator failover: two coordinators; the one hosting the group and the group's primary agent are SIGKILLed at
 * the same moment. The takeover then waits for the surviving coordinator to own the partition, restore it, and read
 * a full timeout of fresh input; "blind time" below is the takeover minus the normal takeover (the median takeover
 * with both coordinators alive, measured in the same run). Run side by side for the defaults (the Streams protocol of
 * KIP-1071, chosen by {@code group.protocol=auto}, with its 3 s session set on the group through the Admin API: the
 * broker keeps its stock 45 s {@code group.streams.session.timeout.ms}) and for the classic consumer-group protocol
 * at the former default 6 s session; {@code txn3s} is the default with a 3 s transaction timeout. {@code
 * -Dbench.trials} (10) per protocol, {@code -Dbench.protocols} ({@code default,classic}); {@code ./failover bench
 * coordinator}.
 */
class CoordinatorFailoverBenchmark {

    @Test
    void killTheOwningCoordinatorWithThePrimary() throws Exception {
        int trials = Integer.getInteger("bench.trials", 10);
        BenchmarkReport report = new BenchmarkReport("coordinator-failover");
        Map<String, List<String>> protocols = Map.of(
                "default",
                List.of(),
                "classic",
                List.of("group.protocol=classic", "session.timeout.ms=6000"),
                // a coordinator killed with a transaction open holds its partitions until the broker aborts it
                "txn3s",
                List.of("transaction.timeout.ms=3000"));
        for (String protocol :
                System.getProperty("bench.protocols", "default,classic").split(",")) {
            if (!protocols.containsKey(protocol)) {
                throw new IllegalArgumentException(
                        "bench.protocols: unknown " + protocol + " (default, classic, txn3s)");
            }
            try (FaultHarness harness = new FaultHarness(
                    Files.createTempDirectory("bench-coordinator-"), 2, protocols.get(protocol), Map.of())) {
                Group g = harness.group("owned-" + protocol, true)
                        .node("alpha", 100, null)
                        .node("beta", 50, null)
                        .start();
                java.util.List<Double> normal = new java.util.ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    normal.add(g.killPrimaryUntilTakeover(
                                    "SIGKILL primary, coordinators alive",
                                    Duration.ofSeconds(3),
                                    Duration.ofSeconds(20))
                            .ms());
                }
                double normalP50 = BenchmarkReport.percentile(normal, 0.5);
                for (int i = 0; i < trials; i++) {
                    Node primary = g.primary();
                    Node standby = g.other(primary);
                    long at = System.nanoTime();
                    try (Window w = g.fault(
                            "SIGKILL owning coordinator + primary (" + protocol + ")",
                            primary,
                            Expect.TAKEOVER,
                            Duration.ofSeconds(20))) {
                        harness.killOwnerOf(g.name);
                        primary.kill();
                        g.await(
                                Duration.ofSeconds(40),
                                "takeover",
                                () -> standby.answersActive() && standby.becameActiveNs > at);
                        double takeover = (standby.becameActiveNs - at) / 1e6;
                        report.add(protocol + ": kill -> standby /role 200 (ms)", takeover);
                        report.add(protocol + ": blind time (takeover - normal p50) (ms)", takeover - normalP50);
                        harness.replaceCoordinators();
                        primary.launch();
                        g.settle();
                    }
                    System.out.printf(
                            "trial %d/%d (%s): %.0f ms%n",
                            i + 1, trials, protocol, (standby.becameActiveNs - at) / 1e6);
                }
                report.note(protocol + ": normal takeover (coordinators alive) p50 " + Math.round(normalP50)
                        + " ms over " + normal.size());
                g.retire();
                var verdict = harness.report();
                report.note(protocol + ": split-brain checker: "
                        + (verdict.ok() ? "no violations" : String.join("; ", verdict.messages())));
                assertTrue(verdict.ok(), String.join("\n", verdict.messages()));
            }
        }
        report.finish();
    }
}
