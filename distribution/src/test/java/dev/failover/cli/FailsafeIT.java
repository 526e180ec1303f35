package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.cli.FaultHarness.Group;
import dev.failover.cli.FaultHarness.Node;
import dev.failover.cli.FaultHarness.Window;
import dev.failover.testkit.Await;
import dev.failover.testkit.check.Observations.Expect;
import dev.failover.wire.DecisionKind;
import dev.failover.wire.RoleChange;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Failsafe mode with real processes (issue 13): three agents with {@code --failsafe}, the primary reaching the broker
 * through a proxy that cuts it off while its HTTP to the peers stays up, hooks stamped by the harness's ledger and
 * every {@code /role} polled, judged by the split-brain checker.
 *
 * <p>Timing: 200 ms beats and an 8 s failure timeout, so a lease of 6.4 s, a promise of 6.2 s (lease - interval) and
 * a stand-down budget of 1.6 s; {@code --failsafe-max} 8 s. The long timeout is for the first trial's margin: a cut of
 * 6.6 s outlives every lease the primary could hold through Kafka, and still leaves 1.2 s for its producer to reconnect
 * before the coordinator could convict it.
 */
class FailsafeIT {

    private static final Duration HEARTBEAT = Duration.ofMillis(200);
    private static final Duration TIMEOUT = Duration.ofSeconds(8);
    private static final Duration LEASE = TIMEOUT.multipliedBy(4).dividedBy(5);
    private static final Duration PROMISE = LEASE.minus(HEARTBEAT);
    private static final Duration BUDGET = TIMEOUT.minus(LEASE);
    private static final Duration MAX = Duration.ofSeconds(8);

    @Test
    void aPrimaryCutOffFromKafkaServesOnItsPeersGrantsUntilReconfirmedAndStandsDownBeforeASuccessorWhenTheCutLasts()
            throws Exception {
        try (FaultHarness harness =
                new FaultHarness(Files.createTempDirectory("failsafe-"), 1, List.of(), java.util.Map.of())) {
            Group g = harness.group("failsafe", true)
                    .timing(HEARTBEAT, TIMEOUT)
                    .failsafe(MAX)
                    .node("alpha", 100, harness.relayA)
                    .node("beta", 50, null)
                    .node("gamma", 10, null)
                    .start();
            Node alpha = g.node("alpha");
            assertEquals(alpha, g.primary(), "alpha, the highest priority, is elected");

            // trial 1: a cut longer than any lease through Kafka, shorter than the failure timeout
            int alphaEdges = alpha.edges().size();
            long reconfirmationsBefore = kinds(harness, g, DecisionKind.RECONFIRMED);
            try (Window w =
                    g.fault("primary cut off for longer than its lease", alpha, Expect.NO_CHANGE, Duration.ZERO)) {
                alpha.relay.cut();
                try {
                    Await.hold(LEASE.plusMillis(200), "the cut outlives alpha's lease through Kafka");
                } finally {
                    alpha.relay.restore();
                }
                g.await(
                        Duration.ofSeconds(15),
                        "the coordinator re-confirms alpha",
                        () -> kinds(harness, g, DecisionKind.RECONFIRMED) > reconfirmationsBefore);
                // past the end of what grants alone could give (its last lease through Kafka plus the maximum): only
                // the re-confirmation keeps it serving now
                g.quiet(MAX.plusSeconds(2));
                assertTrue(alpha.lostActiveNs < w.startNs, "alpha's /role answered 200 all along");
            }
            assertEquals(alphaEdges, alpha.edges().size(), "no hook ran on alpha: " + alpha.edges());
            double rounds = counter(alpha, "failover_agent_failsafe_rounds_total");
            double betaGranted = counter(g.node("beta"), "failover_agent_failsafe_granted_total");
            double gammaGranted = counter(g.node("gamma"), "failover_agent_failsafe_granted_total");
            // beta was named by the election, so alpha asks it; gamma may have joined after the election, and then
            // alpha asks it only from the re-confirmation on (which names every member)
            assertTrue(
                    rounds > 0 && betaGranted > 0,
                    "alpha asked its peers " + rounds + " times; beta granted " + betaGranted + ", gamma "
                            + gammaGranted + "\n" + harness.dump(g));
            assertTrue(g.violations().isEmpty(), String.join("\n", g.violations()) + harness.dump(g));

            // trial 2: cut for good. The coordinator convicts alpha after the timeout and promotes beta (alpha asked
            // it); beta, having promised, holds its activation while alpha's grants run out; beta then refuses alpha's
            // rounds, so alpha stands down first
            Duration bound = TIMEOUT.plus(PROMISE).plus(BUDGET).plus(FaultHarness.OVERHEAD);
            try (Window w = g.fault("primary cut off for good", alpha, Expect.TAKEOVER, bound)) {
                alpha.relay.cut();
                try {
                    g.await(
                            bound.plusSeconds(5),
                            "a standby takes over",
                            () -> g.node("beta").answersActive()
                                    || g.node("gamma").answersActive());
                    assertTrue(
                            alpha.edges().size() > alphaEdges
                                    && alpha.edges().get(alphaEdges).startsWith("STANDBY"),
                            "alpha stood down on its own: " + alpha.edges());
                } finally {
                    alpha.relay.restore();
                }
                Await.hold(Duration.ofSeconds(2), "alpha reconnects and heartbeats again");
                g.settle();
            }
            g.retire();
            List<String> violations = g.violations();
            assertTrue(
                    violations.isEmpty(),
                    String.join("\n", violations) + "\nedges: "
                            + g.members.stream()
                                    .map(n -> n.name + "=" + n.edges())
                                    .toList() + harness.dump(g));
        }
    }

    private static long kinds(FaultHarness harness, Group g, DecisionKind kind) {
        return harness.decisions(g.name).stream()
                .map(RoleChange::getKind)
                .filter(kind::equals)
                .count();
    }

    private static double counter(Node node, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*\\})? ([0-9.eE+-]+)$")
                .matcher(node.metrics());
        return m.find() ? Double.parseDouble(m.group(2)) : -1;
    }
}
