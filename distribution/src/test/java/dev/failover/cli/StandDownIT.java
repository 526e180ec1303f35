package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.broker.KafkaBroker;
import dev.failover.testkit.Await;
import dev.failover.testkit.WithKafka;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The service, not the flag: agents as real processes whose hooks take seconds or fail, and a ledger of when each
 * hook run started and ended (one file, both agents, stamped by the same machine clock). A successor's
 * {@code --on-activate} may start only after its predecessor's {@code --on-standby} ended with 0 or its
 * {@code --on-fence} did; a stand-down that failed promotes nobody while its node is alive.
 */
@WithKafka
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StandDownIT extends BesideACoordinator {

    StandDownIT(KafkaBroker broker) throws Exception {
        super(broker, "stand-down-it-");
    }

    /** One line of the ledger: a hook run of {@code node} began ({@code end} false) or ended with {@code code}. */
    record Run(long atNs, boolean end, String role, long epoch, String node, int code) {}

    /**
     * Hooks that write START and END lines to {@code ledger}; the STANDBY run does {@code standDown} in between (a
     * shell snippet: {@code sleep 2}, {@code false}), whose status is the hook's.
     */
    private static String hook(Path ledger, String standDown) {
        return "sh -c 'echo $(date +%s%N) START $FAILOVER_ROLE $FAILOVER_EPOCH $FAILOVER_NODE >> " + ledger
                + "; rc=0; if [ $FAILOVER_ROLE = STANDBY ]; then " + standDown + "; rc=$?; fi; "
                + "echo $(date +%s%N) END $FAILOVER_ROLE $FAILOVER_EPOCH $FAILOVER_NODE $rc >> " + ledger
                + "; exit $rc'";
    }

    /** A stand-down that succeeds at start-up (epoch 0, nothing served yet) and fails once the node has served. */
    private static final String FAILS_ONCE_SERVED = "[ $FAILOVER_EPOCH -eq 0 ]";

    private static List<Run> ledger(Path ledger) {
        List<Run> runs = new ArrayList<>();
        if (!Files.exists(ledger)) {
            return runs;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(ledger);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        for (String line : lines) {
            String[] f = line.trim().split(" ");
            if (f.length >= 5) {
                boolean end = f[1].equals("END");
                runs.add(new Run(
                        Long.parseLong(f[0]),
                        end,
                        f[2],
                        Long.parseLong(f[3]),
                        f[4],
                        end && f.length > 5 ? Integer.parseInt(f[5]) : -1));
            }
        }
        return runs;
    }

    private static Optional<Run> last(List<Run> runs, String node, String role, boolean end) {
        Optional<Run> found = Optional.empty();
        for (Run r : runs) {
            if (r.node().equals(node) && r.role().equals(role) && r.end() == end) {
                found = Optional.of(r);
            }
        }
        return found;
    }

    /**
     * The judge: every ACTIVE start of one node must come after the last STANDBY (or FENCE) end with status 0 of
     * every other node that was ACTIVE before it, and no two ACTIVE runs of different nodes may overlap a running
     * or failed stand-down. Returns the successor's activation start minus the predecessor's stand-down end, in ms.
     */
    private static long assertHandedOverAfterTheStandDown(List<Run> runs, String from, String to) {
        Run down = standDownEnd(runs, from)
                .orElseThrow(() -> new AssertionError(from + " never finished a stand-down after serving: " + runs));
        Run up =
                last(runs, to, "ACTIVE", false).orElseThrow(() -> new AssertionError(to + " never activated: " + runs));
        assertEquals(0, down.code(), from + "'s stand-down failed, yet " + to + " activated: " + runs);
        assertTrue(
                up.atNs() > down.atNs(),
                to + "'s --on-activate started " + (down.atNs() - up.atNs()) / 1_000_000 + " ms BEFORE " + from
                        + "'s --on-standby ended: " + runs);
        return (up.atNs() - down.atNs()) / 1_000_000;
    }

    /** The end of {@code node}'s stand-down after its last activation (not its start-up stand-down). */
    private static Optional<Run> standDownEnd(List<Run> runs, String node) {
        long activated = last(runs, node, "ACTIVE", false).map(Run::atNs).orElse(Long.MAX_VALUE);
        return last(runs, node, "STANDBY", true).filter(r -> r.atNs() > activated);
    }

    /** The judge on alpha's hand-over to beta, and how long neither served (the figure for the notes). */
    private static void judgeHandOverAndPrint(String what, Path ledger) {
        List<Run> runs = ledger(ledger);
        long gap = assertHandedOverAfterTheStandDown(runs, "alpha", "beta");
        Run downStart = last(runs, "alpha", "STANDBY", false).orElseThrow(); // after its end: not the start-up one
        Run upEnd = last(runs, "beta", "ACTIVE", true).orElseThrow();
        System.out.printf(
                "%s with a 2 s stand-down hook: no service for %d ms (alpha's --on-standby start to beta's "
                        + "--on-activate end); beta's activation began %d ms after alpha's stand-down ended%n",
                what, (upEnd.atNs() - downStart.atNs()) / 1_000_000, gap);
    }

    private static long wallClockNanos() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** Two agents of {@code group}, both as real processes, closed together. */
    record Pair(AgentProcess alpha, AgentProcess beta) implements AutoCloseable {
        @Override
        public void close() {
            alpha.close();
            beta.close();
        }
    }

    /** alpha (priority 100, ACTIVE once this returns) and beta (50, an eligible standby by then). */
    private Pair pair(String group, Path ledger, String alphaHook, List<String> alphaArgs, String betaHook) {
        return pair(group, ledger, alphaHook, alphaArgs, betaHook, List.of());
    }

    private Pair pair(
            String group,
            Path ledger,
            String alphaHook,
            List<String> alphaArgs,
            String betaHook,
            List<String> betaArgs) {
        Pair pair = new Pair(
                AgentProcess.start(broker.bootstrapServers(), group, "alpha", 100, alphaHook, alphaArgs, ledger),
                AgentProcess.start(broker.bootstrapServers(), group, "beta", 50, betaHook, betaArgs, ledger));
        try {
            Await.until(
                    Duration.ofSeconds(30), "alpha ACTIVE", () -> pair.alpha().roleStatus() == 200);
            awaitEligible(group, pair.beta());
            return pair;
        } catch (RuntimeException | AssertionError e) {
            pair.close();
            throw e;
        }
    }

    private void awaitEligible(String group, AgentProcess standby) {
        Await.until(
                Duration.ofSeconds(30),
                standby.node + " to be a member of " + group,
                () -> AgentProcessIT.groupView(coordinator, group).contains("\"" + standby.node + "\""));
        Await.hold(Duration.ofMillis(3 * 200), "rise (2) more heartbeats, so " + standby.node + " is eligible");
    }

    @Test
    void aSwitchoverStartsTheNewPrimaryOnlyAfterTheOldOnesTwoSecondStandDownEnded() throws Exception {
        Path ledger = dir.resolve("switchover.ledger");
        String hook = hook(ledger, "sleep 2");
        try (Pair pair = pair("sd1", ledger, hook, List.of(), hook)) {
            AgentProcess alpha = pair.alpha();
            AgentProcess beta = pair.beta();
            CtlIT.Run switchover = CtlIT.run(
                    broker.bootstrapServers(), "switchover", "--group", "sd1", "--to", "beta", "--timeout", "30s");
            assertEquals(0, switchover.exit(), switchover.both());
            Await.until(Duration.ofSeconds(10), "beta's /role 200", () -> beta.roleStatus() == 200);
            Await.until(
                    Duration.ofSeconds(10),
                    "alpha's stand-down to end",
                    () -> standDownEnd(ledger(ledger), "alpha").isPresent());
            judgeHandOverAndPrint("switchover", ledger);
        }
    }

    @Test
    void sigtermStandsDownCompletelyBeforeTheSuccessorStarts() throws Exception {
        Path ledger = dir.resolve("sigterm.ledger");
        String hook = hook(ledger, "sleep 2");
        try (Pair pair = pair("sd2", ledger, hook, List.of(), hook)) {
            AgentProcess alpha = pair.alpha();
            AgentProcess beta = pair.beta();
            alpha.signal("TERM");
            Await.until(Duration.ofSeconds(20), "beta's /role 200", () -> beta.roleStatus() == 200);
            Await.until(Duration.ofSeconds(10), "alpha to exit", () -> !alpha.process.isAlive());
            judgeHandOverAndPrint("SIGTERM", ledger);
            List<String> reasons = AgentProcessIT.reasons(broker.bootstrapServers(), "sd2");
            assertTrue(
                    reasons.stream().anyMatch(r -> r.contains("alpha is leaving")),
                    "a leave, not a timeout: " + reasons);
        }
    }

    @Test
    void aFailingStandDownPromotesNobodyWhileItsNodeLivesUntilTheOperatorConfirmsItsServiceStopped() throws Exception {
        Path ledger = dir.resolve("failing.ledger");
        String failing = hook(ledger, FAILS_ONCE_SERVED);
        String fine = hook(ledger, "true");
        try (Pair pair = pair("sd3", ledger, failing, List.of(), fine)) {
            AgentProcess alpha = pair.alpha();
            AgentProcess beta = pair.beta();
            CtlIT.Run switchover = CtlIT.run(
                    broker.bootstrapServers(), "switchover", "--group", "sd3", "--to", "beta", "--timeout", "8s");
            assertNotEquals(
                    0, switchover.exit(), "a switchover whose stand-down fails is not done: " + switchover.both());
            Await.until(
                    Duration.ofSeconds(10),
                    "alpha's three stand-down attempts",
                    () -> ledger(ledger).stream()
                                    .filter(r -> r.node().equals("alpha")
                                            && r.role().equals("STANDBY")
                                            && r.end()
                                            && r.epoch() > 0)
                                    .count()
                            >= 3);
            Await.hold(Duration.ofSeconds(3), "time in which a wrong coordinator would promote beta");
            assertTrue(
                    last(ledger(ledger), "beta", "ACTIVE", false).isEmpty(),
                    "beta activated over alpha's failed " + "stand-down: " + ledger(ledger));
            assertEquals(503, beta.roleStatus());
            assertEquals(503, alpha.roleStatus(), "alpha stopped serving at once all the same");
            Await.until(
                    Duration.ofSeconds(10),
                    "ctl status to say why nobody is promoted",
                    () -> CtlIT.run(broker.bootstrapServers(), "status", "--group", "sd3")
                            .out()
                            .contains("stand-down hook FAILED"));

            // the operator stops alpha's service by hand and says so, as with Pacemaker's stonith_admin --confirm
            CtlIT.Run wrong = CtlIT.run(
                    broker.bootstrapServers(),
                    "confirm-stopped",
                    "--group",
                    "sd3",
                    "--node",
                    "beta",
                    "--timeout",
                    "20s");
            assertEquals(3, wrong.exit(), "beta is not what the hand-over waits for: " + wrong.both());
            assertTrue(last(ledger(ledger), "beta", "ACTIVE", false).isEmpty(), "a refused confirmation promoted beta");
            long confirmedAt = wallClockNanos(); // the ledger's clock (date +%s%N)
            CtlIT.Run confirm = CtlIT.run(
                    broker.bootstrapServers(),
                    "confirm-stopped",
                    "--group",
                    "sd3",
                    "--node",
                    "alpha",
                    "--timeout",
                    "20s");
            assertEquals(0, confirm.exit(), confirm.both());
            assertTrue(confirm.out().contains("beta=ACTIVE"), confirm.both());
            Await.until(
                    Duration.ofSeconds(10),
                    "beta ACTIVE once alpha's stop is confirmed",
                    () -> beta.roleStatus() == 200);
            Run up = last(ledger(ledger), "beta", "ACTIVE", false).orElseThrow();
            assertTrue(up.atNs() > confirmedAt, "beta started before the operator confirmed alpha's stop");
            assertTrue(alpha.process.isAlive(), "alpha's agent is still there, still STOPPING");
            System.out.printf(
                    "a failing stand-down: beta activated %d ms after the operator's confirm-stopped%n",
                    (up.atNs() - confirmedAt) / 1_000_000);
        }
    }

    @Test
    void aStandDownThatFailsEveryAttemptIsFencedAndOnlyThenIsTheSuccessorStarted() throws Exception {
        Path ledger = dir.resolve("fenced.ledger");
        String failing = hook(ledger, FAILS_ONCE_SERVED);
        String fence = "sh -c 'echo $(date +%s%N) START FENCE $FAILOVER_EPOCH $FAILOVER_NODE >> " + ledger
                + "; sleep 1; echo $(date +%s%N) END FENCE $FAILOVER_EPOCH $FAILOVER_NODE 0 >> " + ledger + "'";
        try (Pair pair = pair("sd4", ledger, failing, List.of("--on-fence", fence), hook(ledger, "true"))) {
            AgentProcess alpha = pair.alpha();
            AgentProcess beta = pair.beta();
            CtlIT.Run switchover = CtlIT.run(
                    broker.bootstrapServers(), "switchover", "--group", "sd4", "--to", "beta", "--timeout", "30s");
            assertEquals(0, switchover.exit(), switchover.both());
            Await.until(Duration.ofSeconds(10), "beta's /role 200", () -> beta.roleStatus() == 200);
            List<Run> runs = ledger(ledger);
            Run fenced = last(runs, "alpha", "FENCE", true).orElseThrow(() -> new AssertionError("no fence: " + runs));
            Run up = last(runs, "beta", "ACTIVE", false).orElseThrow();
            assertTrue(up.atNs() > fenced.atNs(), "beta started before alpha's service was fenced: " + runs);
            assertEquals(
                    3,
                    runs.stream()
                            .filter(r ->
                                    r.node().equals("alpha") && r.role().equals("STANDBY") && r.end() && r.epoch() > 0)
                            .count(),
                    "three attempts, then the fence: " + runs);
        }
    }

    /** A --fence-peer hook that writes FENCE_PEER lines naming the fenced node, then exits with {@code code}. */
    private static String fencePeer(Path ledger, int code) {
        return "sh -c 'echo $(date +%s%N) START FENCE_PEER $FAILOVER_EPOCH $FAILOVER_FENCED_NODE >> " + ledger
                + "; sleep 1; echo $(date +%s%N) END FENCE_PEER $FAILOVER_EPOCH $FAILOVER_FENCED_NODE " + code + " >> "
                + ledger + "; exit " + code + "'";
    }

    @Test
    void aPrimaryWhoseAgentDiedWhileItsServiceLivesIsFencedByItsSuccessorBeforeTheSuccessorStarts() throws Exception {
        Path ledger = dir.resolve("fence-peer.ledger");
        String hook = hook(ledger, "true");
        try (Pair pair = pair("sd5", ledger, hook, List.of(), hook, List.of("--fence-peer", fencePeer(ledger, 0)))) {
            AgentProcess alpha = pair.alpha();
            AgentProcess beta = pair.beta();
            // only the agent dies: alpha's service (its last --on-activate) has no stand-down after it
            alpha.signal("KILL");
            Await.until(Duration.ofSeconds(20), "beta's /role 200", () -> beta.roleStatus() == 200);
            List<Run> runs = ledger(ledger);
            assertTrue(
                    standDownEnd(runs, "alpha").isEmpty(), "alpha's agent was killed before any stand-down: " + runs);
            Run fenced = last(runs, "alpha", "FENCE_PEER", true)
                    .orElseThrow(() -> new AssertionError("beta activated without fencing alpha: " + runs));
            assertEquals(0, fenced.code());
            Run up = last(runs, "beta", "ACTIVE", false).orElseThrow();
            assertTrue(up.atNs() > fenced.atNs(), "beta's --on-activate started before alpha was fenced: " + runs);
            System.out.printf(
                    "fence-peer: beta activated %d ms after fencing alpha%n", (up.atNs() - fenced.atNs()) / 1_000_000);
        }
    }

    @Test
    void aSuccessorWhoseFenceOfTheOldPrimaryFailsDoesNotActivateAndSaysWhy() throws Exception {
        Path ledger = dir.resolve("fence-peer-fails.ledger");
        String hook = hook(ledger, "true");
        try (Pair pair = pair("sd6", ledger, hook, List.of(), hook, List.of("--fence-peer", fencePeer(ledger, 1)))) {
            AgentProcess alpha = pair.alpha();
            AgentProcess beta = pair.beta();
            alpha.signal("KILL");
            Await.until(
                    Duration.ofSeconds(20),
                    "beta's attempt to fence alpha",
                    () -> last(ledger(ledger), "alpha", "FENCE_PEER", true).isPresent());
            Await.until(Duration.ofSeconds(10), "beta to say why it does not serve", () -> {
                try {
                    return beta.roleBody().contains("could not fence alpha");
                } catch (Exception e) {
                    return false;
                }
            });
            Await.hold(Duration.ofSeconds(2), "time in which a wrong agent would activate");
            assertTrue(
                    last(ledger(ledger), "beta", "ACTIVE", false).isEmpty(),
                    "beta activated beside an unfenced " + "alpha: " + ledger(ledger));
            assertEquals(503, beta.roleStatus());
        }
    }
}
