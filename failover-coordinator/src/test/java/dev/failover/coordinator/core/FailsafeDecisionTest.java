package dev.failover.coordinator.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.wire.DecisionKind;
import dev.failover.wire.Health;
import dev.failover.wire.Role;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Failsafe's coordinator half: the peer-set rule (nobody outside a cut-off primary's announced ask set is promoted
 * while it may still serve on grants) and the re-confirmation that takes a primary serving on grants back onto
 * Kafka's lease.
 */
class FailsafeDecisionTest {

    private static final int T = Scenario.TIMEOUT;
    private static final int MAX = 3000;

    /** When a hold by a member last heard at {@code lastSeen} ends: its timeout and maximum, and the margins. */
    private static long holdEnd(long lastSeen, int maxMs) {
        return lastSeen + T + maxMs + maxMs / 1000 + Policy.defaults().minMarginMs();
    }

    /** alpha primary, every member announcing failsafe, alpha asking {@code askSet}. */
    private static Scenario group(String... askSet) {
        Scenario s = Scenario.activePassive()
                .member("alpha", 100)
                .member("beta", 50)
                .member("gamma", 10)
                .failsafe("alpha", MAX, false, askSet)
                .failsafe("beta", MAX, false)
                .failsafe("gamma", MAX, false);
        s.run(T + 2 * Scenario.INTERVAL);
        assertEquals(Optional.of("alpha"), s.activeNode(), s.lastReason);
        return s;
    }

    /** Mutes alpha right after a beat of it; returns when the coordinator last heard it. */
    private static long cutAlphaOff(Scenario s) {
        s.beat("alpha").mute("alpha");
        return s.liveness.get("alpha").lastSeenMs();
    }

    @Test
    void aSuccessorInTheCutOffPrimarysAskSetIsPromotedAtTheUsualTime() {
        Scenario s = group("beta", "gamma");
        cutAlphaOff(s);
        s.run(T + 200);
        assertEquals(Optional.of("beta"), s.activeNode(), s.lastReason);
        assertEquals(DecisionKind.FAILOVER, s.lastChange().kind());
        // beta granted (its activation waits for its promise) or refuses (alpha stands down within a promise)
    }

    @Test
    void aSuccessorOutsideTheAskSetWaitsUntilThePrimarysFailsafeMaximumHasPassed() {
        Scenario s = group("gamma"); // beta (the best standby) joined after alpha last announced its set, say
        long lastSeen = cutAlphaOff(s);
        long holdEnd = holdEnd(lastSeen, MAX);
        s.run(holdEnd - s.now - 10);
        assertEquals(Optional.of("alpha"), s.activeNode(), s.lastReason);
        assertTrue(s.lastReason.contains("not promoting beta yet: alpha may serve on its peers' grants"), s.lastReason);
        assertTrue(s.lastReason.contains("not among the peers it announced"), s.lastReason);
        // not overdue meanwhile (which would have the shell write a fence marker every round trip): it waits for the
        // end
        assertEquals(holdEnd, s.decider.nextCheckAtMs(s.view(), s.now));
        s.run(20);
        assertEquals(Optional.of("beta"), s.activeNode(), s.lastReason);
        assertEquals(List.of("alpha"), s.lastChange().fence(), "alpha's service may have run unseen");
    }

    @Test
    void anAskSetAnnouncedAtAnOlderEpochCoversNobody() {
        Scenario s = group("beta", "gamma");
        // alpha's last beats report an epoch older than the record's (a re-confirmation it never read, say)
        s.beat("alpha", Health.HEALTHY, Role.ACTIVE, s.record.epoch() - 1).mute("alpha");
        long lastSeen = s.liveness.get("alpha").lastSeenMs();
        s.run(T + 500);
        assertEquals(Optional.of("alpha"), s.activeNode(), s.lastReason);
        assertTrue(s.lastReason.contains("failsafe"), s.lastReason);
        s.run(holdEnd(lastSeen, MAX) + 20 - s.now);
        assertEquals(Optional.of("beta"), s.activeNode(), s.lastReason);
    }

    @Test
    void withoutFailsafeTheSameSilenceIsAFailoverAtTheTimeout() {
        Scenario s = Scenario.groupWithPrimaryAndTwoStandbys();
        cutAlphaOff(s);
        s.run(T + 200);
        assertEquals(Optional.of("beta"), s.activeNode(), s.lastReason);
    }

    @Test
    void aRestartedCoordinatorHoldsAPromotionForTheMaximumTheUnheardPrimaryAnnouncedBefore() {
        // alpha announced 6 s; its standbys run without failsafe, so nobody heard since the restart says anything
        Scenario s = Scenario.activePassive()
                .member("alpha", 100)
                .member("beta", 50)
                .member("gamma", 10)
                .failsafe("alpha", 2 * MAX, false, "beta", "gamma");
        s.run(T + 2 * Scenario.INTERVAL);
        assertEquals(Optional.of("alpha"), s.activeNode(), s.lastReason);
        assertEquals(2 * MAX, s.record.members().get("alpha").timing().failsafeMaxMs(), "kept in the durable record");
        s.mute("alpha").restartCoordinator();
        long since = s.watch.sinceMs();
        s.run(T + 500);
        assertEquals(Optional.of("alpha"), s.activeNode(), s.lastReason);
        assertTrue(
                s.lastReason.contains("alpha has not been heard since this instance started and may serve on "
                        + "its peers' grants (failsafe) until the maximum of 6000 ms it announced"),
                s.lastReason);
        assertEquals(holdEnd(since, 2 * MAX), s.decider.nextCheckAtMs(s.view(), s.now));
        s.run(holdEnd(since, 2 * MAX) - 10 - s.now);
        assertEquals(Optional.of("alpha"), s.activeNode(), s.lastReason);
        s.run(20);
        assertEquals(Optional.of("beta"), s.activeNode(), s.lastReason);
    }

    @Test
    void aRestartedCoordinatorCompletingAHandoverHoldsItForTheStandingDownPrimarysMaximum() {
        Scenario s = group("beta", "gamma");
        s.command(dev.failover.wire.CommandType.SWITCHOVER, "beta", null);
        assertEquals(DecisionKind.SWITCHOVER, s.lastChange().kind(), s.lastReason);
        // alpha, cut off, never reads the stand-down and serves on its grants; the coordinator restarts
        s.mute("alpha").restartCoordinator();
        long since = s.watch.sinceMs();
        s.run(T + 500);
        assertEquals(Optional.empty(), s.activeNode(), s.lastReason + " " + s.published + " since " + since);
        assertTrue(
                s.lastReason.contains(
                        "not promoting beta yet: alpha has not been heard since this instance " + "started"),
                s.lastReason);
        s.run(holdEnd(since, MAX) + 20 - s.now);
        assertEquals(Optional.of("beta"), s.activeNode(), s.lastReason);
        assertEquals(List.of("alpha"), s.lastChange().fence());
    }

    @Test
    void aMemberThatMayServeOnGrantsIsNeitherRemovedNorForgottenBeforeItsMaximumHasPassed() {
        Scenario s = group("beta", "gamma");
        long lastSeen = cutAlphaOff(s);
        s.run(T + 200);
        assertEquals(Optional.of("beta"), s.activeNode(), "beta was asked: promoted at once");
        Decision refused = s.command(dev.failover.wire.CommandType.REMOVE, "alpha", null);
        assertEquals(
                DecisionKind.COMMAND_REFUSED, refused.change().orElseThrow().kind());
        assertTrue(refused.reason().contains("remove refused: alpha may serve on its peers' grants"), refused.reason());
        s.run(holdEnd(lastSeen, MAX) + 10 - s.now);
        Decision removed = s.command(dev.failover.wire.CommandType.REMOVE, "alpha", null);
        assertEquals(DecisionKind.MEMBERSHIP, removed.change().orElseThrow().kind(), removed.reason());
        assertTrue(!s.record.members().containsKey("alpha"));
    }

    @Test
    void aPrimaryServingOnGrantsWhoseBeatReachesKafkaIsReconfirmedWithoutAFailover() {
        Scenario s = group("beta", "gamma");
        long epoch = s.record.epoch();
        int before = s.published.size();
        s.failsafe("alpha", MAX, true, "beta", "gamma").advance(10).beat("alpha");
        Decision d = s.decide();
        Change c = d.change().orElseThrow(() -> new AssertionError(d.reason()));
        assertEquals(DecisionKind.RECONFIRMED, c.kind());
        assertEquals(epoch + 1, c.epoch(), "a new epoch: peers that apply it refuse grants asked by anyone else");
        assertEquals(Role.ACTIVE, c.roles().get("alpha"));
        assertEquals(Role.STANDBY, c.roles().get("beta"));
        assertEquals(List.of(), c.fence());
        assertTrue(c.reason().startsWith("re-confirmed alpha as primary"), c.reason());
        assertEquals(before + 1, s.published.size());
        // until alpha applies it, its beats still say on grants at the old epoch: not re-confirmed again
        s.advance(10).beat("alpha", Health.HEALTHY, Role.ACTIVE, epoch);
        assertTrue(s.decide().change().isEmpty(), s.lastReason);
        // applied: back on Kafka's lease, steady
        s.failsafe("alpha", MAX, false, "beta", "gamma").run(1000);
        assertEquals(before + 1, s.published.size(), s.lastReason);
        assertEquals(epoch + 1, s.record.epoch());
    }

    @Test
    void aPausedGroupStillReconfirmsItsPrimary() {
        Scenario s = group("beta", "gamma");
        s.command(dev.failover.wire.CommandType.PAUSE, null, null);
        long epoch = s.record.epoch();
        s.failsafe("alpha", MAX, true, "beta", "gamma").advance(10).beat("alpha");
        assertEquals(
                DecisionKind.RECONFIRMED,
                s.decide()
                        .change()
                        .orElseThrow(() -> new AssertionError(s.lastReason))
                        .kind(),
                "it changes no role: a pause does not stop it");
        assertEquals(epoch + 1, s.record.epoch());
    }

    @Test
    void aPrimaryServingOnGrantsThatReportsAStaleEpochIsNotReconfirmed() {
        Scenario s = group("beta", "gamma");
        long epoch = s.record.epoch();
        s.failsafe("alpha", MAX, true, "beta", "gamma")
                .advance(10)
                .beat("alpha", Health.HEALTHY, Role.ACTIVE, epoch - 1);
        assertTrue(s.decide().change().isEmpty(), s.lastReason);
    }

    @Test
    void aFailsafeMaximumOutsideTheBoundsIsAProblemThatKeepsTheMemberFromBeingPromoted() {
        Scenario s = Scenario.activePassive()
                .member("alpha", 100)
                .member("beta", 50)
                .failsafe("alpha", Decider.MAX_FAILSAFE_MS + 1, false)
                .failsafe("beta", 0, false);
        s.beat("alpha").beat("beta");
        assertNotNull(s.record.members().get("alpha").problem());
        assertTrue(
                s.record.members().get("alpha").problem().contains("failsafe maximum 600001 ms is outside"),
                s.record.members().get("alpha").problem());
        assertTrue(
                s.record.members().get("beta").problem().contains("failsafe maximum 0 ms"),
                s.record.members().get("beta").problem());
        s.failsafe("beta", MAX, false).beat("beta");
        assertNull(s.record.members().get("beta").problem());
        s.failsafe("beta", 1, false).beat("beta");
        assertNull(s.record.members().get("beta").problem(), "1 ms is within the bounds");
        s.failsafe("beta", Decider.MAX_FAILSAFE_MS, false).beat("beta");
        assertNull(s.record.members().get("beta").problem(), "so is the largest maximum");
        assertEquals(
                Decider.MAX_FAILSAFE_MS,
                s.record.members().get("alpha").timing().failsafeMaxMs(),
                "beyond the bounds it counts as the largest for a hold");
        s.run(T + 2 * Scenario.INTERVAL);
        assertEquals(Optional.of("beta"), s.activeNode(), s.lastReason);
    }
}
