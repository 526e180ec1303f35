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
 * a full timeout of fresh input; "blind time" below is the takeover minus the failure timeout and minus the normal
 * overhead (the median takeover with both coordinators alive, measured in the same run). Run side by side for the
 * classic consumer-group protocol (6 s session) and the Streams protocol of KIP-1071 (3 s session on the broker).
 * {@code -Dbench.trials} (10) per protocol; {@code ./failover bench coordinator}.
 */
class CoordinatorFailoverBenchmark {

    @Test
    void killTheOwningCoordinatorWithThePrimary() throws Exception {
        int trials = Integer.getInteger("bench.trials", 10);
        BenchmarkReport report = new BenchmarkReport("coordinator-failover");
        Map<String, List<String>> protocols = Map.of("classic", List.of(),
                "streams", List.of("kafka.group.protocol=streams"));
        for (String protocol : List.of("classic", "streams")) {
            try (FaultHarness harness = new FaultHarness(Files.createTempDirectory("bench-coordinator-"), 2,
                    protocols.get(protocol), Map.of("group.streams.session.timeout.ms", "3000",
                            "group.streams.heartbeat.interval.ms", "500"))) {
                Group g = harness.group("owned-" + protocol, true).node("alpha", 100, null).node("beta", 50, null).start();
                java.util.List<Double> normal = new java.util.ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    normal.add(g.killPrimaryUntilTakeover("SIGKILL primary, coordinators alive", Duration.ofSeconds(3),
                            Duration.ofSeconds(20)).ms());
                }
                double normalP50 = BenchmarkReport.percentile(normal, 0.5);
                for (int i = 0; i < trials; i++) {
                    Node primary = g.primary();
                    Node standby = g.other(primary);
                    long at = System.nanoTime();
                    try (Window w = g.fault("SIGKILL owning coordinator + primary (" + protocol + ")", primary,
                            Expect.TAKEOVER, Duration.ofSeconds(20))) {
                        harness.killOwnerOf(g.name);
                        primary.kill();
                        g.await(Duration.ofSeconds(40), "takeover", () -> standby.answersActive() && standby.becameActiveNs > at);
                        double takeover = (standby.becameActiveNs - at) / 1e6;
                        report.add(protocol + ": kill -> standby /role 200 (ms)", takeover);
                        report.add(protocol + ": blind time (takeover - normal p50) (ms)", takeover - normalP50);
                        harness.replaceCoordinators();
                        primary.launch();
                        g.settle();
                    }
                    System.out.printf("trial %d/%d (%s): %.0f ms%n", i + 1, trials, protocol,
                            (standby.becameActiveNs - at) / 1e6);
                }
                report.note(protocol + ": normal takeover (coordinators alive) p50 " + Math.round(normalP50) + " ms over "
                        + normal.size());
                g.retire();
                var verdict = harness.report();
                report.note(protocol + ": split-brain checker: " + (verdict.ok() ? "no violations"
                        : String.join("; ", verdict.messages())));
                assertTrue(verdict.ok(), String.join("\n", verdict.messages()));
            }
        }
        report.finish();
    }
}
