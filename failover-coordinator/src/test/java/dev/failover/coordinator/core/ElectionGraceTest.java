package dev.failover.coordinator.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.wire.Health;
import dev.failover.wire.Role;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A group's first election waits the election grace after this instance first heard the group, so that a member of
 * higher priority that starts a moment later is elected rather than the first one up (on a 3-broker cluster the
 * priority-5 node used to win over the priority-10 one whose first beat came a few seconds later).
 */
class ElectionGraceTest {

    private static final int T = Scenario.TIMEOUT;

    /** A coordinator that has watched for a long time (its own start guard long over); beta (5) starts first. */
    private static Scenario betaFirst(Policy policy) {
        Scenario s = Scenario.activePassive(policy)
                .member("beta", 5)
                .member("alpha", 10)
                .mute("alpha");
        s.advance(10L * T).fence();
        return s;
    }

    @Test
    void aHigherPriorityMemberStartingWithinTheGraceIsElectedRatherThanTheFirstOneUp() {
        Scenario s = betaFirst(Policy.defaults());
        s.run(600);
        assertEquals(Optional.empty(), s.activeNode(), "beta is eligible, but the grace runs: " + s.lastReason);
        assertTrue(s.lastReason.contains("the election waits"), s.lastReason);
        assertTrue(s.lastReason.contains("election.grace.ms: " + T + " ms"), "one timeout by default: " + s.lastReason);
        assertEquals(
                s.heardSinceMs + T,
                s.decider.nextCheckAtMs(s.view(), s.now),
                "the shell looks at the group again exactly when the grace ends");

        s.unmute("alpha").run(T);
        assertEquals(Optional.of("alpha"), s.activeNode(), s.lastReason);
        assertEquals(1, s.published.size(), "one decision, the election, and beta was never ACTIVE: " + s.published);
        assertEquals(dev.failover.wire.DecisionKind.ELECTION, s.published.get(0).kind());
    }

    @Test
    void nobodyIsElectedBeforeTheGraceEndsAndTheBestIsElectedAsSoonAsItDoes() {
        Scenario s = betaFirst(Policy.defaults());
        s.run(10); // no beat yet: beats come on whole intervals
        while (s.heardSinceMs == Long.MIN_VALUE) {
            s.run(10);
        }
        long graceEnd = s.heardSinceMs + T;
        while (s.now < graceEnd - 10) {
            s.run(10);
            assertEquals(Optional.empty(), s.activeNode(), "at " + (s.now - s.heardSinceMs) + " ms: " + s.lastReason);
        }
        s.run(20);
        assertEquals(Optional.of("beta"), s.activeNode(), "alpha never came: beta is the best there is");
    }

    @Test
    void aGraceOfZeroElectsTheFirstEligibleMemberAndStickyKeepsIt() {
        Scenario s = betaFirst(Policy.defaults().withElectionGraceMs(0));
        s.run(600);
        assertEquals(Optional.of("beta"), s.activeNode(), s.lastReason);
        s.unmute("alpha").run(3L * T);
        assertEquals(Optional.of("beta"), s.activeNode(), "sticky: a later higher priority does not take over");
    }

    @Test
    void aConfiguredGraceIsWaitedInFullAndOnlyForTheGroupsFirstElection() {
        Scenario s = betaFirst(Policy.defaults().withElectionGraceMs(3 * T));
        s.run(2L * T);
        assertEquals(Optional.empty(), s.activeNode(), s.lastReason);
        s.run(s.heardSinceMs + 3L * T - 10 - s.now);
        assertEquals(Optional.empty(), s.activeNode(), "10 ms before the grace ends: " + s.lastReason);
        assertTrue(s.lastReason.contains("election.grace.ms: " + 3 * T + " ms"), s.lastReason);
        s.run(20);
        assertEquals(Optional.of("beta"), s.activeNode(), s.lastReason);

        // beta leaves with nobody to succeed it (alpha still down): the group is ELECTING again, long after the grace
        Decision demoted =
                s.beat("beta", Health.LEAVING, Role.STANDBY, s.record.epoch()).decide();
        assertEquals(GroupPhase.ELECTING, demoted.to(s.now), demoted.reason());
        s.mute("beta").unmute("alpha").run(3L * Scenario.INTERVAL);
        assertEquals(Optional.of("alpha"), s.activeNode(), "no second grace: " + s.lastReason);
    }

    @Test
    void aGroupThatHadAPrimaryIsElectedAfterACoordinatorRestartWithoutTheGrace() {
        Scenario s = betaFirst(Policy.defaults().withElectionGraceMs(10L * T));
        s.run(10L * T + 400);
        assertEquals(Optional.of("beta"), s.activeNode(), s.lastReason);
        // beta leaves with nobody to succeed it: no primary, at epoch > 0; then the coordinator restarts
        s.beat("beta", Health.LEAVING, Role.STANDBY, s.record.epoch()).decide();
        s.mute("beta").restartCoordinator().unmute("alpha");
        s.run(T + 400); // the watch's own full-timeout guard, and no 10 s grace
        assertEquals(Optional.of("alpha"), s.activeNode(), "only a group's first election waits: " + s.lastReason);
    }
}
