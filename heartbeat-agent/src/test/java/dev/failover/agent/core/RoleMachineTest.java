package dev.failover.agent.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.wire.Role;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class RoleMachineTest {

    private static final long MS = 1_000_000;
    private static final long LEASE = 800 * MS;

    private long now = 5_000 * MS;

    private RoleMachine connectedMachine(BrokerLossPolicy policy, long startupEpoch) {
        RoleMachine m = new RoleMachine(LEASE, policy, startupEpoch);
        confirm(m, now);
        return m;
    }

    /** The first hook of {@code edge} finished. */
    private Optional<HookStep> done(RoleMachine m, Edge edge, boolean ok, String detail) {
        return m.onHookDone(m.firstStep(edge), ok, detail, now);
    }

    private static void confirm(RoleMachine m, long sentAt) {
        m.onHeartbeatAcknowledged(sentAt, sentAt + MS);
        m.onRoleFeedAnswered(sentAt, sentAt + MS);
    }

    @Test
    void startsAsStandbyAndBecomesActiveOnANewerEpochWithAValidLease() {
        RoleMachine m = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        assertEquals(Role.STANDBY, m.role());
        Optional<Edge> edge = m.onRoleChange(3, Role.ACTIVE, "elected alpha", now);
        assertEquals(Optional.of(new Edge(Role.ACTIVE, 3, "elected alpha", 1)), edge);
        assertEquals(Role.STANDBY, m.servingRole(now), "not before its activation hook succeeded");
        assertEquals(Role.ACTIVE, m.reportedRole(), "but it holds the role, and says so");
        done(m, edge.orElseThrow(), true, "exited with 0");
        assertEquals(Role.ACTIVE, m.servingRole(now));
    }

    @Test
    void waitsForItsLeaseBeforeServingAnAssignment() {
        RoleMachine m = new RoleMachine(LEASE, BrokerLossPolicy.STAND_DOWN, 0);
        assertEquals(Optional.empty(), m.onRoleChange(1, Role.ACTIVE, "elected", now));
        m.onHeartbeatAcknowledged(now, now + MS);
        assertEquals(Role.STANDBY, m.role(), "the role feed has not answered yet");
        Optional<Edge> edge = m.onRoleFeedAnswered(now, now + 2 * MS);
        assertEquals(Role.ACTIVE, edge.orElseThrow().to());
    }

    @Test
    void standsDownItselfOneMillisecondPastTheLeaseAndNotAtIt() {
        RoleMachine m = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        m.onRoleChange(1, Role.ACTIVE, "elected", now);
        assertEquals(Optional.empty(), m.tick(now + LEASE - 1));
        assertEquals(Role.ACTIVE, m.role());
        Edge edge = m.tick(now + LEASE).orElseThrow();
        assertEquals(Role.STANDBY, edge.to());
        assertTrue(edge.reason().startsWith("lease expired"), edge.reason());
    }

    @Test
    void onlyAnActiveNodeThatStandsDownOnItsOwnNeedsATickAndAtItsLeaseEnd() {
        RoleMachine m = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        assertEquals(OptionalLong.empty(), m.nextTickNanos(), "a standby: time alone changes nothing");
        m.onRoleChange(1, Role.ACTIVE, "elected", now);
        assertEquals(OptionalLong.of(now + LEASE), m.nextTickNanos());
        confirm(m, now + 200 * MS);
        assertEquals(OptionalLong.of(now + 200 * MS + LEASE), m.nextTickNanos(), "a renewed lease moves the tick");
        m.tick(now + 200 * MS + LEASE);
        assertEquals(Role.STANDBY, m.role());
        assertEquals(OptionalLong.empty(), m.nextTickNanos(), "once stood down, nothing more to tick for");

        RoleMachine keeps = connectedMachine(BrokerLossPolicy.KEEP_SERVING, 0);
        keeps.onRoleChange(1, Role.ACTIVE, "elected", now);
        assertEquals(OptionalLong.empty(), keeps.nextTickNanos(), "KEEP_SERVING never stands down on time");
    }

    @Test
    void theLeaseCountsFromWhenTheHeartbeatWasSentNotWhenItWasAcknowledged() {
        RoleMachine m = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        done(m, m.onRoleChange(1, Role.ACTIVE, "elected", now).orElseThrow(), true, "");
        long sent = now + 100 * MS;
        m.onHeartbeatAcknowledged(sent, sent + 500 * MS);
        m.onRoleFeedAnswered(sent, sent + MS);
        assertEquals(Role.ACTIVE, m.servingRole(sent + LEASE - 1));
        assertEquals(Role.STANDBY, m.servingRole(sent + LEASE));
    }

    @Test
    void aLapseIsStickyUntilANewerEpoch() {
        RoleMachine m = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        m.onRoleChange(1, Role.ACTIVE, "elected", now);
        m.tick(now + LEASE);
        long later = now + 2 * LEASE;
        confirm(m, later);
        assertEquals(Role.STANDBY, m.servingRole(later + MS), "a renewed lease alone must not re-activate it");
        m.onRoleChange(1, Role.ACTIVE, "the same epoch again", later + MS);
        assertEquals(Role.STANDBY, m.role());
        Edge edge =
                m.onRoleChange(2, Role.ACTIVE, "re-activated", later + 2 * MS).orElseThrow();
        assertEquals(Role.ACTIVE, edge.to());
    }

    @Test
    void anAgentThatCanPublishButNotHearItsRoleFeedStandsDown() {
        RoleMachine m = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        m.onRoleChange(1, Role.ACTIVE, "elected", now);
        for (long t = now; t < now + 2 * LEASE; t += 200 * MS) {
            m.onHeartbeatAcknowledged(t, t + MS);
        }
        assertEquals(Role.STANDBY, m.servingRole(now + LEASE));
    }

    @Test
    void afterAPauseTheLeaseIsCheckedBeforeAnythingElse() {
        RoleMachine m = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        m.onRoleChange(1, Role.ACTIVE, "elected", now);
        long woke = now + 5_000 * MS;
        // the first thing after waking is a late acknowledgement of a beat sent before the pause
        Edge edge = m.onHeartbeatAcknowledged(now + 10 * MS, woke).orElseThrow();
        assertEquals(Role.STANDBY, edge.to());
        assertTrue(edge.reason().startsWith("lease expired"), edge.reason());
    }

    @Test
    void aBeatSentBeforeTheLapseButAcknowledgedAfterItBeforeTheTimerFiresLeavesTheNodeStoodDown() {
        RoleMachine m = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        m.onRoleChange(1, Role.ACTIVE, "elected", now);
        m.onRoleFeedAnswered(now + 300 * MS, now + 301 * MS); // the feed half is fine: the heartbeat half binds
        long lapse = now + LEASE;
        // sent 1 ms before the lease ran out, acknowledged 1 ms after it; the lease timer has not fired (no tick)
        Edge edge = m.onHeartbeatAcknowledged(lapse - MS, lapse + MS).orElseThrow();
        assertEquals(Role.STANDBY, edge.to());
        assertTrue(edge.reason().startsWith("lease expired"), edge.reason());
        // the reason says which half ran out, for the operator reading why a primary stood down
        assertTrue(
                edge.reason()
                        .contains("newest acknowledged beat sent 801 ms ago, newest feed check answered sent "
                                + "501 ms ago"),
                edge.reason());
        assertEquals(Role.STANDBY, m.role(), "the late proof extends nothing that had lapsed");
        assertEquals(Role.STANDBY, m.servingRole(lapse + 3 * MS));
        assertEquals(Optional.empty(), m.tick(lapse + 4 * MS));
    }

    @Test
    void aLateFeedAnswerAfterTheLapseLeavesTheNodeStoodDownToo() {
        RoleMachine m = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        m.onRoleChange(1, Role.ACTIVE, "elected", now);
        m.onHeartbeatAcknowledged(now + 400 * MS, now + 401 * MS);
        long lapse = now + LEASE; // the feed half ran out first
        assertEquals(
                Role.STANDBY,
                m.onRoleFeedAnswered(lapse - MS, lapse).orElseThrow().to());
        assertEquals(Role.STANDBY, m.servingRole(lapse + MS));
    }

    @Test
    void olderEpochsAreIgnoredAndCountedAndTheSameEpochChangesNothing() {
        RoleMachine m = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        m.onRoleChange(5, Role.ACTIVE, "elected", now);
        assertEquals(Optional.empty(), m.onRoleChange(4, Role.STANDBY, "stale", now));
        assertEquals(Optional.empty(), m.onRoleChange(5, Role.STANDBY, "paused (same epoch)", now));
        assertEquals(Role.ACTIVE, m.role());
        assertEquals(1, m.staleIgnored());
    }

    @Test
    void aRestartedAgentNeverServesTheAssignmentItFoundAtStartUp() {
        RoleMachine m = connectedMachine(BrokerLossPolicy.STAND_DOWN, 7);
        assertEquals(Optional.empty(), m.onRoleChange(7, Role.ACTIVE, "the old assignment", now));
        assertEquals(Role.STANDBY, m.role());
        assertEquals(7, m.appliedEpoch(), "it reports the epoch it found, so the coordinator re-activates it");
        assertEquals(
                Role.ACTIVE,
                m.onRoleChange(8, Role.ACTIVE, "re-activated", now)
                        .orElseThrow()
                        .to());
    }

    @Test
    void edgesFireOnceEach() {
        RoleMachine m = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        assertTrue(m.onRoleChange(1, Role.ACTIVE, "elected", now).isPresent());
        confirm(m, now + 100 * MS);
        assertEquals(Optional.empty(), m.tick(now + 200 * MS));
        assertEquals(Optional.empty(), m.onRoleFeedAnswered(now + 150 * MS, now + 200 * MS));
        assertTrue(m.onRoleChange(2, Role.STANDBY, "switchover", now + 300 * MS).isPresent());
        assertEquals(Optional.empty(), m.tick(now + 10_000 * MS), "no second STANDBY edge when the lease runs out");
    }

    @Test
    void activeActiveKeepsServingWhenItLosesTheBroker() {
        RoleMachine m = connectedMachine(BrokerLossPolicy.KEEP_SERVING, 0);
        done(m, m.onRoleChange(1, Role.ACTIVE, "added", now).orElseThrow(), true, "");
        assertEquals(Optional.empty(), m.tick(now + 10 * LEASE));
        assertEquals(Role.ACTIVE, m.servingRole(now + 10 * LEASE));
        assertEquals(
                Role.STANDBY,
                m.onRoleChange(2, Role.STANDBY, "removed", now + 10 * LEASE)
                        .orElseThrow()
                        .to());
    }

    @Test
    void activePassiveStandsDownWhenItLosesTheBroker() {
        RoleMachine m = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        m.onRoleChange(1, Role.ACTIVE, "elected", now);
        assertEquals(Role.STANDBY, m.tick(now + 10 * LEASE).orElseThrow().to());
    }

    @Test
    void leavingStandsDownForGood() {
        RoleMachine m = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        m.onRoleChange(1, Role.ACTIVE, "elected", now);
        Edge edge = m.leave(now).orElseThrow();
        assertEquals(new Edge(Role.STANDBY, 1, "shutting down", 2), edge);
        assertEquals(Optional.empty(), m.onRoleChange(2, Role.ACTIVE, "too late", now));
        assertEquals(Role.STANDBY, m.role());
    }

    /** Elected at epoch 1 and activated; returns the machine. */
    private RoleMachine activeMachine() {
        RoleMachine m = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        done(m, m.onRoleChange(1, Role.ACTIVE, "elected", now).orElseThrow(), true, "");
        return m;
    }

    @Test
    void aStandDownIsAcknowledgedOnlyOnceItsHookSucceeded() {
        RoleMachine m = activeMachine();
        Edge down = m.onRoleChange(2, Role.STANDBY, "switchover to beta", now).orElseThrow();
        assertEquals(Role.STOPPING, m.reportedRole(), "told to stand down, its service may still run");
        assertEquals(Role.STANDBY, m.servingRole(now), "it stops serving at once");
        assertEquals(2, m.appliedEpoch(), "it reports the new epoch: the coordinator knows it heard");
        done(m, down, false, "pg_ctl exited with 1");
        assertEquals(Role.STOPPING, m.reportedRole(), "a failed stand-down is no stand-down");
        assertEquals("pg_ctl exited with 1", m.stopFailure());
        done(m, down, true, "exited with 0 when tried again");
        assertEquals(Role.STANDBY, m.reportedRole());
        assertEquals(null, m.stopFailure());
    }

    @Test
    void everyWayOfStandingDownWaitsForItsHook() {
        RoleMachine lapsed = activeMachine();
        lapsed.tick(now + LEASE);
        assertEquals(Role.STOPPING, lapsed.reportedRole(), "a lease lapse");
        RoleMachine leaving = activeMachine();
        Edge out = leaving.leave(now).orElseThrow();
        assertEquals(Role.STOPPING, leaving.reportedRole(), "a shutdown");
        leaving.onRoleChange(2, Role.STANDBY, "leaving: standing down", now);
        assertEquals(
                Role.STOPPING, leaving.reportedRole(), "a newer STANDBY assignment takes no edge and acks nothing");
        done(leaving, out, true, "");
        assertEquals(Role.STANDBY, leaving.reportedRole());
        assertEquals(2, leaving.appliedEpoch());
    }

    @Test
    void aHookOutcomeForAnEdgeThatIsNoLongerTheLatestChangesNothing() {
        RoleMachine m = activeMachine();
        Edge down = m.onRoleChange(2, Role.STANDBY, "switchover", now).orElseThrow();
        Edge up = m.onRoleChange(3, Role.ACTIVE, "switchover target failed: back to alpha", now)
                .orElseThrow();
        done(m, down, true, "");
        assertEquals(Role.STANDBY, m.servingRole(now), "the old stand-down's success does not activate anything");
        assertTrue(!m.isLatest(down.number()) && m.isLatest(up.number()));
        done(m, up, true, "");
        assertEquals(Role.ACTIVE, m.servingRole(now));
        Edge again = m.onRoleChange(4, Role.STANDBY, "switchover", now).orElseThrow();
        done(m, up, true, "a late report of the activation");
        assertEquals(Role.STOPPING, m.reportedRole());
        done(m, again, true, "");
        assertEquals(Role.STANDBY, m.reportedRole());
    }

    @Test
    void aFailedActivationNeverServes() {
        RoleMachine m = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        Edge up = m.onRoleChange(1, Role.ACTIVE, "elected", now).orElseThrow();
        done(m, up, false, "exited with 3");
        assertEquals(Role.STANDBY, m.servingRole(now));
        assertEquals(Role.ACTIVE, m.reportedRole(), "it holds the role; its health says the hook failed");
    }

    @Test
    void aStartingAgentStandsItsServiceDownFirstAndIsNoAcknowledgementUntilThen() {
        RoleMachine m = new RoleMachine(LEASE, BrokerLossPolicy.STAND_DOWN, 7);
        Edge start = m.startUp();
        assertEquals(new Edge(Role.STANDBY, 7, start.reason(), 1), start);
        assertEquals(Role.STOPPING, m.reportedRole(), "a restart is no acknowledgement of a stand-down");
        confirm(m, now);
        assertEquals(Optional.empty(), m.onRoleChange(8, Role.STANDBY, "still standby", now));
        assertEquals(Role.STOPPING, m.reportedRole());
        done(m, start, true, "");
        assertEquals(Role.STANDBY, m.reportedRole());
        assertEquals(8, m.appliedEpoch());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, m::startUp);
    }

    private static final HookPlan FENCING = new HookPlan(3, 1_000 * MS, true, true);

    @Test
    void aFailingStandDownIsTriedAgainAfterABackoffThatDoublesThenFencedAndTheFenceAcknowledges() {
        RoleMachine m = new RoleMachine(LEASE, BrokerLossPolicy.STAND_DOWN, 0, FENCING);
        confirm(m, now);
        m.onHookDone(m.firstStep(m.onRoleChange(1, Role.ACTIVE, "elected", now).orElseThrow()), true, "", now);
        Edge down = m.onRoleChange(2, Role.STANDBY, "switchover", now).orElseThrow();
        HookStep first = m.firstStep(down);
        assertEquals(new HookStep(HookStep.Kind.STAND_DOWN, down, 1, Long.MIN_VALUE), first);
        HookStep second = m.onHookDone(first, false, "exited with 1", now).orElseThrow();
        assertEquals(new HookStep(HookStep.Kind.STAND_DOWN, down, 2, now + 1_000 * MS), second);
        assertEquals(1_000 * MS, second.delayNanos(now));
        HookStep third =
                m.onHookDone(second, false, "exited with 1", now + 1_500 * MS).orElseThrow();
        assertEquals(new HookStep(HookStep.Kind.STAND_DOWN, down, 3, now + 3_500 * MS), third, "2 s after the second");
        HookStep fence =
                m.onHookDone(third, false, "timed out", now + 4_000 * MS).orElseThrow();
        assertEquals(HookStep.Kind.FENCE, fence.kind());
        assertEquals(Role.STOPPING, m.reportedRole(), "no acknowledgement while the fence has not succeeded");
        assertEquals(Optional.empty(), m.onHookDone(fence, true, "", now + 4_100 * MS));
        assertEquals(Role.STANDBY, m.reportedRole(), "a fenced service is a stopped service");
    }

    @Test
    void aStandDownThatFailsEveryAttemptWithoutAFenceStaysStoppingForGood() {
        RoleMachine m = activeMachine();
        Edge down = m.onRoleChange(2, Role.STANDBY, "switchover", now).orElseThrow();
        HookStep step = m.firstStep(down);
        int runs = 0;
        for (Optional<HookStep> next = Optional.of(step); next.isPresent(); runs++) {
            next = m.onHookDone(next.get(), false, "exited with 1", now);
        }
        assertEquals(3, runs);
        assertEquals(Role.STOPPING, m.reportedRole());
        assertEquals("exited with 1", m.stopFailure());
        assertEquals(Role.STANDBY, m.servingRole(now));
    }

    @Test
    void aFailedFenceKeepsTheNodeStoppingAndSaysBothFailures() {
        RoleMachine m = new RoleMachine(LEASE, BrokerLossPolicy.STAND_DOWN, 0, new HookPlan(1, 0, true, false));
        confirm(m, now);
        Edge down = m.startUp();
        HookStep fence = m.onHookDone(m.firstStep(down), false, "pg_ctl exited with 1", now)
                .orElseThrow();
        assertEquals(HookStep.Kind.FENCE, fence.kind());
        m.onHookDone(fence, false, "ipmitool exited with 2", now);
        assertEquals(Role.STOPPING, m.reportedRole());
        assertTrue(
                m.stopFailure().contains("pg_ctl exited with 1")
                        && m.stopFailure().contains("ipmitool exited with 2"),
                m.stopFailure());
    }

    @Test
    void retriesAndFencesOfASupersededEdgeAreNotRunButItsFirstStandDownIs() {
        RoleMachine m = activeMachine();
        Edge down = m.onRoleChange(2, Role.STANDBY, "switchover", now).orElseThrow();
        HookStep first = m.firstStep(down);
        HookStep retry = m.onHookDone(first, false, "exited with 1", now).orElseThrow();
        Edge up = m.onRoleChange(3, Role.ACTIVE, "back to alpha", now).orElseThrow();
        assertTrue(m.shouldRun(first, now), "stopping a service is never unsafe");
        assertTrue(!m.shouldRun(retry, now), "the newer edge decides now");
        assertTrue(m.shouldRun(m.firstStep(up), now));
        Edge again = m.onRoleChange(4, Role.STANDBY, "switchover", now).orElseThrow();
        assertTrue(!m.shouldRun(m.firstStep(up), now), "an activation for an assignment that is over");
        assertTrue(m.shouldRun(m.firstStep(again), now));
    }

    @Test
    void anActivationWhoseTurnComesAfterTheLeaseRanOutIsNotRunEvenBeforeTheLapseIsTaken() {
        // the hook thread wakes from a pause before the lease timer: the queued activation must not start the service
        RoleMachine m = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        Edge up = m.onRoleChange(1, Role.ACTIVE, "elected", now).orElseThrow();
        HookStep activate = m.firstStep(up);
        assertTrue(m.shouldRun(activate, now + LEASE - 1));
        assertTrue(!m.shouldRun(activate, now + LEASE), "the lease ran out while it waited");
        Edge lapse = m.tick(now + LEASE).orElseThrow();
        assertTrue(!m.shouldRun(activate, now + LEASE) && m.shouldRun(m.firstStep(lapse), now + LEASE));
    }

    @Test
    void anActivationThatReplacedASilentPrimaryFencesItFirstWhenFencePeerIsSet() {
        RoleMachine m = new RoleMachine(LEASE, BrokerLossPolicy.STAND_DOWN, 0, FENCING);
        confirm(m, now);
        Edge up = m.onRoleChange(2, Role.ACTIVE, "promoted beta: alpha silent", List.of("alpha", "gamma"), now)
                .orElseThrow();
        assertEquals(List.of("alpha", "gamma"), up.fencePeers());
        HookStep fence = m.firstStep(up);
        assertEquals(HookStep.Kind.FENCE_PEER, fence.kind());
        assertEquals("alpha", fence.peer());
        assertEquals(Role.STANDBY, m.servingRole(now));
        HookStep second = m.onHookDone(fence, true, "", now).orElseThrow();
        assertEquals("gamma", second.peer(), "one peer at a time");
        HookStep activate = m.onHookDone(second, true, "", now).orElseThrow();
        assertEquals(HookStep.Kind.ACTIVATE, activate.kind());
        assertEquals(Role.STANDBY, m.servingRole(now), "fenced, not yet activated");
        m.onHookDone(activate, true, "", now);
        assertEquals(Role.ACTIVE, m.servingRole(now));
    }

    @Test
    void aFailedPeerFenceMeansNoActivationAndSaysWhy() {
        RoleMachine m = new RoleMachine(LEASE, BrokerLossPolicy.STAND_DOWN, 0, FENCING);
        confirm(m, now);
        Edge up = m.onRoleChange(2, Role.ACTIVE, "promoted beta: alpha silent", List.of("alpha"), now)
                .orElseThrow();
        assertEquals(Optional.empty(), m.onHookDone(m.firstStep(up), false, "exited with 1", now));
        assertEquals(Role.STANDBY, m.servingRole(now));
        assertTrue(m.activationFailure().contains("could not fence alpha"), m.activationFailure());
        assertEquals(Role.ACTIVE, m.reportedRole(), "it holds the role; its health says why it does not serve");
    }

    @Test
    void withoutFencePeerOrWithoutAPeerTheActivationRunsAtOnce() {
        RoleMachine plain = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        Edge up = plain.onRoleChange(2, Role.ACTIVE, "promoted beta: alpha silent", List.of("alpha"), now)
                .orElseThrow();
        assertEquals(HookStep.Kind.ACTIVATE, plain.firstStep(up).kind(), "--fence-peer is not set");
        RoleMachine fencing = new RoleMachine(LEASE, BrokerLossPolicy.STAND_DOWN, 0, FENCING);
        confirm(fencing, now);
        Edge elected = fencing.onRoleChange(1, Role.ACTIVE, "elected", now).orElseThrow();
        assertEquals(HookStep.Kind.ACTIVATE, fencing.firstStep(elected).kind(), "nobody to fence");
        Edge down = fencing.onRoleChange(2, Role.STANDBY, "switchover", now).orElseThrow();
        assertEquals(List.of(), down.fencePeers());
    }

    // RoleChange v4: an active/passive node activates only within a lease of the heartbeat the decision was based on

    @Test
    void anAssignmentReadWithinTheLeaseOfItsBasisActivates() {
        RoleMachine m = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        long basisSent = now - 300 * MS;
        Edge up = m.onRoleChange(1, Role.ACTIVE, "elected", List.of(), basisSent + LEASE, now)
                .orElseThrow();
        assertEquals(Role.ACTIVE, up.to());
    }

    @Test
    void anAssignmentReadAfterTheLeaseOfItsBasisDoesNotActivateAndReportsStandbyAtItsEpoch() {
        RoleMachine m = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        long basisSent = now - LEASE; // read exactly a lease after the beat it was based on: too late
        assertEquals(Optional.empty(), m.onRoleChange(1, Role.ACTIVE, "elected", List.of(), basisSent + LEASE, now));
        assertEquals(Role.STANDBY, m.role());
        assertEquals(Role.STANDBY, m.reportedRole(), "what makes the coordinator decide again");
        assertEquals(1, m.appliedEpoch());
        confirm(m, now + 100 * MS);
        assertEquals(Optional.empty(), m.tick(now + 101 * MS), "a fresh lease does not revive the late assignment");
        Edge again = m.onRoleChange(2, Role.ACTIVE, "re-activated", List.of(), now + 50 * MS + LEASE, now + 102 * MS)
                .orElseThrow();
        assertEquals(Role.ACTIVE, again.to(), "a newer decision within its basis's lease does");
    }

    @Test
    void aStandbyCutOffAcrossItsPromotionDoesNotActivateOnALeaseRenewedAfterTheBasisRanOut() {
        // the interleaving the failsafe simulation found: the promotion is read while the lease is out, the lease is
        // renewed with beats the coordinator has not read when it convicts this node, and only then could it activate
        RoleMachine m = new RoleMachine(LEASE, BrokerLossPolicy.STAND_DOWN, 0);
        long basisSent = now;
        m.onHeartbeatAcknowledged(basisSent, basisSent + MS);
        m.onRoleFeedAnswered(now - 500 * MS, now); // the feed's half runs out 300 ms from now
        long read = now + 400 * MS; // within the basis's lease, but this node's lease is out: it waits for one
        assertEquals(Optional.empty(), m.onRoleChange(1, Role.ACTIVE, "promoted", List.of(), basisSent + LEASE, read));
        long renewed = basisSent + LEASE + 40 * MS; // cut off until after the basis's lease
        assertEquals(Optional.empty(), m.onHeartbeatAcknowledged(renewed, renewed + MS));
        assertEquals(Optional.empty(), m.onRoleFeedAnswered(renewed, renewed + 2 * MS));
        assertTrue(m.leaseValid(renewed + 3 * MS), "the lease itself is fresh again");
        assertEquals(Role.STANDBY, m.role(), "without the basis it would have activated here");
    }

    @Test
    void anUnknownBasisNeverActivatesAndNoBasisActivatesAsBefore() {
        RoleMachine unknown = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        assertEquals(Optional.empty(), unknown.onRoleChange(1, Role.ACTIVE, "elected", List.of(), Long.MIN_VALUE, now));
        RoleMachine legacy = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        assertEquals(
                Role.ACTIVE,
                legacy.onRoleChange(1, Role.ACTIVE, "elected", List.of(), Long.MAX_VALUE, now)
                        .orElseThrow()
                        .to(),
                "a coordinator older than v4 names no basis");
    }

    @Test
    void aNodeAlreadyActiveKeepsItsRoleWhateverTheBasisOfANewerDecision() {
        RoleMachine m = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        m.onRoleChange(1, Role.ACTIVE, "elected", now).orElseThrow();
        assertEquals(Optional.empty(), m.onRoleChange(2, Role.ACTIVE, "membership", List.of(), now - MS, now));
        assertEquals(Role.ACTIVE, m.role(), "no activation to bound: its lease bounds it, as always");
    }

    @Test
    void sentBeatsGiveTheLeaseOfAKnownBeatOfThisRunOnly() {
        SentBeats beats = new SentBeats(42);
        beats.sent(7, 1_000 * MS);
        assertEquals(1_000 * MS + LEASE, beats.activateBefore(42, 7, LEASE));
        assertEquals(Long.MIN_VALUE, beats.activateBefore(41, 7, LEASE), "another run's beat");
        assertEquals(Long.MIN_VALUE, beats.activateBefore(42, 8, LEASE), "not sent");
        assertEquals(Long.MIN_VALUE, beats.activateBefore(42, -1, LEASE), "the coordinator read none");
        beats.sent(7 + SentBeats.CAPACITY, 2_000 * MS);
        assertEquals(Long.MIN_VALUE, beats.activateBefore(42, 7, LEASE), "forgotten: refused, never guessed");
    }

    // failsafe's core (issue 13): exercised end to end by FailsafeSimulationTest; the rules one by one here

    private static final FailsafeTerms TERMS = new FailsafeTerms(400 * MS, 200 * MS, 5_000 * MS);

    private RoleMachine failsafeMachine(long startNanos) {
        RoleMachine m = new RoleMachine(LEASE, BrokerLossPolicy.STAND_DOWN, 0, HookPlan.DEFAULT, TERMS, startNanos);
        confirm(m, now);
        return m;
    }

    @Test
    void aPrimaryWhosePeersAllGrantedServesOnTheirGrantsAndKafkaNoLongerRenewsItsLease() {
        RoleMachine m = failsafeMachine(now - 10_000 * MS);
        Edge up = m.onRoleChange(1, Role.ACTIVE, "elected", now).orElseThrow();
        long round = now + LEASE - 100 * MS;
        assertEquals(Optional.empty(), m.onFailsafeGranted(up.number(), round, round + 10 * MS));
        long pastKafka = now + LEASE + 50 * MS;
        assertEquals(Optional.empty(), m.tick(pastKafka), "its lease runs on the grants, from the round's send time");
        assertTrue(m.onFailsafe(pastKafka));
        m.onHeartbeatAcknowledged(pastKafka - MS, pastKafka);
        m.onRoleFeedAnswered(pastKafka - MS, pastKafka);
        assertEquals(
                Role.STANDBY,
                m.tick(round + TERMS.promiseNanos()).orElseThrow().to(),
                "a beat acknowledged meanwhile may have been appended after a conviction: it renews nothing");
    }

    @Test
    void grantsNeverExtendALapsedLeaseAndNeverPastTheMaximum() {
        RoleMachine m = failsafeMachine(now - 10_000 * MS);
        Edge up = m.onRoleChange(1, Role.ACTIVE, "elected", now).orElseThrow();
        long lapse = now + LEASE;
        assertEquals(
                Role.STANDBY,
                m.onFailsafeGranted(up.number(), lapse - MS, lapse + MS)
                        .orElseThrow()
                        .to(),
                "lapsed first");

        RoleMachine n = failsafeMachine(now - 10_000 * MS);
        Edge nUp = n.onRoleChange(1, Role.ACTIVE, "elected", now).orElseThrow();
        long t = now;
        while (t < now + LEASE + TERMS.maxNanos() + 1_000 * MS && n.role() == Role.ACTIVE) {
            t += 200 * MS;
            n.onFailsafeGranted(nUp.number(), t - 10 * MS, t);
        }
        assertTrue(
                t <= now + LEASE + TERMS.maxNanos() + 200 * MS,
                "stood down at most max after Kafka's lease: " + (t - now) / MS + " ms");
    }

    @Test
    void aPeerThatGrantedHoldsItsActivationForThePromiseAndTheBudget() {
        RoleMachine peer = failsafeMachine(now - 10_000 * MS);
        assertTrue(peer.grantPromise(1, now));
        Edge up = peer.onRoleChange(2, Role.ACTIVE, "promoted", now + 10 * MS).orElseThrow();
        HookStep activate = peer.firstStep(up);
        assertTrue(!peer.shouldRun(activate, now + 10 * MS));
        HookStep later = peer.deferred(activate, now + 10 * MS).orElseThrow();
        assertEquals(now + TERMS.holdNanos(), later.notBeforeNanos());
        assertTrue(!peer.grantPromise(1, now + 20 * MS), "it has applied a newer epoch than the primary's: refused");
        confirm(peer, now + TERMS.holdNanos());
        assertTrue(peer.shouldRun(later, now + TERMS.holdNanos()));
    }

    @Test
    void grantsForAnOlderEdgeExtendNothing() {
        RoleMachine m = failsafeMachine(now - 10_000 * MS);
        Edge first = m.onRoleChange(1, Role.ACTIVE, "elected", now).orElseThrow();
        m.onRoleChange(2, Role.STANDBY, "switchover", now + MS).orElseThrow();
        Edge second = m.onRoleChange(3, Role.ACTIVE, "back", now + 2 * MS).orElseThrow();
        long round = now + LEASE - 100 * MS;
        m.onFailsafeGranted(first.number(), round, round + MS);
        assertEquals(Role.STANDBY, m.tick(now + LEASE).orElseThrow().to(), "a late round of the first edge");
        assertTrue(second.number() > first.number());
    }

    /** A primary serving on grants since {@code now + LEASE}: Kafka's lease ran out, its peers' grants run on. */
    private RoleMachine onGrants() {
        RoleMachine m = failsafeMachine(now - 10_000 * MS);
        Edge up = m.onRoleChange(1, Role.ACTIVE, "elected", now).orElseThrow();
        long round = now + LEASE - 100 * MS;
        m.onFailsafeGranted(up.number(), round, round + MS);
        assertTrue(m.onFailsafe(now + LEASE + 50 * MS));
        return m;
    }

    @Test
    void aReconfirmationWithinTheLeaseOfItsBasisPutsAPrimaryOnGrantsBackOnKafkasLeaseWithoutAnEdge() {
        RoleMachine m = onGrants();
        long at = now + LEASE + 50 * MS;
        long basisSent = at - 20 * MS; // a beat sent on grants
        assertEquals(Optional.empty(), m.onReconfirmation(2, basisSent + LEASE, at), "no edge, no hook");
        assertEquals(Role.ACTIVE, m.role());
        assertEquals(2, m.appliedEpoch());
        assertEquals(1, m.reconfirmations());
        assertTrue(!m.onFailsafe(at), "on Kafka's lease again");
        long later = basisSent + LEASE - 100 * MS;
        confirm(m, later);
        assertEquals(
                Optional.empty(),
                m.tick(later + LEASE - MS),
                "Kafka renews it again, past what the grants gave (" + (now + LEASE + 300 * MS) / MS + ")");

        RoleMachine unrenewed = onGrants();
        unrenewed.onReconfirmation(2, basisSent + LEASE, at);
        assertEquals(Optional.empty(), unrenewed.tick(basisSent + LEASE - MS), "the lease runs from the basis's send");
        assertEquals(
                Role.STANDBY,
                unrenewed.tick(basisSent + LEASE).orElseThrow().to(),
                "and no further: not from the decision's arrival, and not past what Kafka renews");
    }

    @Test
    void aReconfirmationAtTheEndOfItsBasisLeaseIsTooLateToRenewAnythingAndThePrimaryServesOnGrantsAtItsEpoch() {
        RoleMachine inTime = onGrants();
        long at = now + LEASE + 50 * MS;
        assertEquals(Optional.empty(), inTime.onReconfirmation(2, at + MS, at), "one millisecond before: taken");
        assertEquals(1, inTime.reconfirmations());
        RoleMachine late = onGrants();
        assertEquals(Optional.empty(), late.onReconfirmation(2, at, at), "no edge: it serves on its grants on");
        assertEquals(0, late.reconfirmations());
        assertEquals(1, late.lateReconfirmations());
        assertEquals(2, late.appliedEpoch(), "its rounds are asked at the new epoch, its beats report it");
        assertEquals(Role.ACTIVE, late.role());
        assertTrue(late.onFailsafe(at + MS), "still on grants: the late decision renewed nothing");
        confirm(late, at + MS);
        long grantsEnd = now + LEASE + 300 * MS; // the last round's promise
        assertEquals(
                Role.STANDBY,
                late.tick(grantsEnd).orElseThrow().to(),
                "Kafka renewed nothing: without a further round or re-confirmation it lapses when its grants end");

        RoleMachine again = onGrants();
        again.onReconfirmation(2, at, at);
        long fresh = at + 100 * MS; // a re-confirmation based on a heartbeat sent on grants at epoch 2
        assertEquals(Optional.empty(), again.onReconfirmation(3, fresh + LEASE - 50 * MS, fresh));
        assertEquals(1, again.reconfirmations());
        assertTrue(!again.onFailsafe(fresh), "back on Kafka's lease");
        assertEquals(Optional.empty(), again.tick(grantsEnd + 100 * MS), "past the grants: Kafka's lease holds it");
    }

    @Test
    void aNodeThatIsNotServingNeverActivatesOnAReconfirmation() {
        RoleMachine standby = failsafeMachine(now - 10_000 * MS);
        standby.onRoleChange(1, Role.STANDBY, "elected another", now);
        assertEquals(Optional.empty(), standby.onReconfirmation(2, now + LEASE, now + MS));
        confirm(standby, now + 2 * MS);
        assertEquals(Optional.empty(), standby.tick(now + 3 * MS));
        assertEquals(Role.STANDBY, standby.role());
        assertEquals(0, standby.reconfirmations());
        // assigned ACTIVE and waiting for its lease: a re-confirmation must not stand in for the promotion's guards
        RoleMachine waiting =
                new RoleMachine(LEASE, BrokerLossPolicy.STAND_DOWN, 0, HookPlan.DEFAULT, TERMS, now - 10_000 * MS);
        assertEquals(Optional.empty(), waiting.onRoleChange(1, Role.ACTIVE, "elected", now));
        assertEquals(Optional.empty(), waiting.onReconfirmation(2, now + LEASE, now + MS));
        assertEquals(0, waiting.reconfirmations());
        confirm(waiting, now + 2 * MS);
        assertEquals(Optional.empty(), waiting.tick(now + 3 * MS), "its lease valid now, it still does not activate");
        RoleMachine lapsed = onGrants();
        long end = now + LEASE + 300 * MS; // the grants' promise from the round
        assertEquals(Role.STANDBY, lapsed.tick(end).orElseThrow().to());
        assertEquals(
                Optional.empty(),
                lapsed.onReconfirmation(2, end + LEASE, end + MS),
                "a lapsed primary is not re-activated by a re-confirmation: only by a promotion and its guards");
        assertEquals(0, lapsed.reconfirmations());
        confirm(lapsed, end + 2 * MS);
        assertEquals(Optional.empty(), lapsed.tick(end + 3 * MS));
        RoleMachine plain = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        plain.onRoleChange(1, Role.ACTIVE, "elected", now).orElseThrow();
        assertEquals(
                Role.STANDBY,
                plain.onReconfirmation(2, now + LEASE, now + MS).orElseThrow().to(),
                "without failsafe nothing serves on grants: a re-confirmation is never taken");
    }

    @Test
    void anActivePeerOrOneAssignedActiveNeverGrantsAndAStartingAgentHoldsActivations() {
        RoleMachine active = failsafeMachine(now - 10_000 * MS);
        active.onRoleChange(3, Role.ACTIVE, "elected", now).orElseThrow();
        assertTrue(!active.grantPromise(3, now));
        RoleMachine waiting = new RoleMachine(
                LEASE,
                BrokerLossPolicy.STAND_DOWN,
                0,
                HookPlan.DEFAULT,
                TERMS,
                now - 10_000 * MS); // no lease: assigned ACTIVE, not yet holding the role
        assertEquals(Optional.empty(), waiting.onRoleChange(3, Role.ACTIVE, "elected", now));
        assertTrue(!waiting.grantPromise(3, now), "assigned ACTIVE: it may activate any moment");
        RoleMachine leaving = failsafeMachine(now - 10_000 * MS);
        leaving.leave(now);
        assertTrue(!leaving.grantPromise(3, now), "a leaving node promises nothing");
        assertTrue(failsafeMachine(now - 10_000 * MS).grantPromise(3, now), "a plain standby grants");
        RoleMachine started = failsafeMachine(now);
        assertEquals(now + TERMS.holdNanos(), started.heldUntilNanos(), "it may have promised before it restarted");
        RoleMachine off = connectedMachine(BrokerLossPolicy.STAND_DOWN, 0);
        assertTrue(!off.grantPromise(0, now), "without failsafe terms nobody grants");
    }
}
