package dev.failover.coordinator.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.wire.CommandType;
import dev.failover.wire.DecisionKind;
import dev.failover.wire.Health;
import dev.failover.wire.Role;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CommandDecisionTest {

    @Test
    void aSwitchoverToANamedNodeIsTwoPhaseAndCarriesTheCommandId() {
        Scenario s = Scenario.groupWithPrimaryAndTwoStandbys();
        long epoch = s.record.epoch();
        Change standDown =
                s.command(CommandType.SWITCHOVER, "gamma", null).change().orElseThrow();
        assertEquals(DecisionKind.SWITCHOVER, standDown.kind());
        assertEquals(epoch + 1, standDown.epoch());
        assertFalse(standDown.roles().containsValue(Role.ACTIVE));
        String id = standDown.commandId();

        s.advance(20).beat("alpha", Health.HEALTHY, Role.STANDBY, epoch + 1);
        Change promoted = s.decide().change().orElseThrow();
        assertEquals(DecisionKind.SWITCHOVER, promoted.kind());
        assertEquals(id, promoted.commandId());
        assertEquals(Role.ACTIVE, promoted.roles().get("gamma"));
        assertEquals(epoch + 2, promoted.epoch());
    }

    @Test
    void aSwitchoverPromotesNobodyWhileTheOldPrimaryIsStillStoppingItsService() {
        Scenario s = Scenario.groupWithPrimaryAndTwoStandbys();
        s.command(CommandType.SWITCHOVER, "gamma", null);
        long standDownEpoch = s.record.epoch();
        for (int i = 0; i < 10; i++) { // its --on-standby hook runs for 2 s: STOPPING at the new epoch meanwhile
            s.advance(200)
                    .beat("alpha", Health.HEALTHY, Role.STOPPING, standDownEpoch)
                    .beat("beta")
                    .beat("gamma")
                    .fence();
            Decision d = s.decide();
            assertTrue(d.change().isEmpty(), "promoted while alpha's service may still run: " + d.reason());
            assertTrue(d.reason().contains("it is stopping its service"), d.reason());
        }
        s.advance(200).beat("alpha", Health.HEALTHY, Role.STANDBY, standDownEpoch);
        assertEquals(Role.ACTIVE, s.decide().change().orElseThrow().roles().get("gamma"), "the hook succeeded");
    }

    @Test
    void aFailedStandDownIsNeverFollowedByAPromotionWhileItsNodeIsAliveOnlyAfterItFallsSilent() {
        Scenario s = Scenario.groupWithPrimaryAndTwoStandbys();
        s.command(CommandType.SWITCHOVER, "gamma", null);
        long standDownEpoch = s.record.epoch();
        for (int i = 0; i < 50; i++) { // 10 s of a node saying its stop failed
            s.advance(200)
                    .beat("alpha", Health.UNHEALTHY, Role.STOPPING, standDownEpoch)
                    .beat("beta")
                    .beat("gamma")
                    .fence();
            Decision d = s.decide();
            assertTrue(d.change().isEmpty(), "promoted over a failed stand-down: " + d.reason());
        }
        assertTrue(s.lastReason.contains("stand-down hook FAILED"), s.lastReason);
        // its agent dies (the contract: a node silent past its timeout is treated as gone)
        s.mute("alpha").run(Scenario.TIMEOUT + 300);
        assertEquals(Optional.of("gamma"), s.activeNode());
    }

    @Test
    void aLeavingPrimaryIsReplacedOnceItsStandDownHookIsDoneEvenIfItNeverHeardTheHandoverEpoch() {
        Scenario s = Scenario.groupWithPrimaryAndTwoStandbys();
        long held = s.record.epoch();
        s.advance(20).beat("alpha", Health.LEAVING, Role.STOPPING, held).fence();
        s.decide();
        assertEquals(Optional.empty(), s.activeNode(), "alpha is told to stand down; nobody is promoted yet");
        for (int i = 0; i < 5; i++) {
            s.advance(100)
                    .beat("alpha", Health.LEAVING, Role.STOPPING, held)
                    .beat("beta")
                    .beat("gamma")
                    .fence();
            assertTrue(s.decide().change().isEmpty(), "promoted while alpha's stand-down hook runs: " + s.lastReason);
        }
        // its hook is done; it sends its last beat and exits before the handover's epoch reached it
        s.advance(100).beat("alpha", Health.LEAVING, Role.STANDBY, held);
        s.decide();
        assertEquals(Optional.of("beta"), s.activeNode(), s.lastReason);
        assertTrue(s.lastReason.contains("alpha left and stood down"), s.lastReason);
    }

    @Test
    void anOperatorConfirmingTheStoppedServiceOfTheNodeAHandoverWaitsForLetsItGoOnAndNothingElse() {
        Scenario s = Scenario.groupWithPrimaryAndTwoStandbys();
        long before = s.record.epoch();
        Change refusedIdle =
                s.command(CommandType.CONFIRM_STOPPED, "alpha", null).change().orElseThrow();
        assertEquals(DecisionKind.COMMAND_REFUSED, refusedIdle.kind(), "no handover waits for anybody");
        assertEquals(before, s.record.epoch());
        s.command(CommandType.SWITCHOVER, "gamma", null);
        long standDownEpoch = s.record.epoch();
        s.advance(200)
                .beat("alpha", Health.UNHEALTHY, Role.STOPPING, standDownEpoch)
                .beat("beta")
                .beat("gamma")
                .fence();
        s.decide();
        Change wrongNode =
                s.command(CommandType.CONFIRM_STOPPED, "beta", null).change().orElseThrow();
        assertEquals(DecisionKind.COMMAND_REFUSED, wrongNode.kind());
        assertTrue(wrongNode.reason().contains("it waits for alpha"), wrongNode.reason());
        assertEquals(Optional.empty(), s.activeNode());
        Change confirmed =
                s.command(CommandType.CONFIRM_STOPPED, "alpha", null).change().orElseThrow();
        assertEquals(DecisionKind.SWITCHOVER, confirmed.kind());
        assertEquals(Role.ACTIVE, confirmed.roles().get("gamma"));
        assertEquals("cmd-" + (s.published.size() - 1), confirmed.commandId(), "the confirmation's own id");
        assertTrue(confirmed.reason().contains("alpha's service confirmed stopped by test"), confirmed.reason());
    }

    @Test
    void aReportNoAcknowledgementCanBeMadeOfIsNotAStandDown() {
        Scenario s = Scenario.groupWithPrimaryAndTwoStandbys();
        s.command(CommandType.SWITCHOVER, "gamma", null);
        long standDownEpoch = s.record.epoch();
        // a symbol this coordinator does not know arrives as UNKNOWN: no acknowledgement either
        s.advance(20)
                .beat("alpha", Health.HEALTHY, Role.UNKNOWN, standDownEpoch)
                .fence();
        assertTrue(s.decide().change().isEmpty());
    }

    @Test
    void aSwitchoverWithoutATargetPicksTheBestStandby() {
        Scenario s = Scenario.groupWithPrimaryAndTwoStandbys();
        s.command(CommandType.SWITCHOVER, null, null);
        s.advance(20).beat("alpha", Health.HEALTHY, Role.STANDBY, s.record.epoch());
        s.decide();
        assertEquals(Optional.of("beta"), s.activeNode());
    }

    @Test
    void switchoversThatCannotBeDoneAreRefusedWithTheReasonAndNoNewEpoch() {
        Scenario s = Scenario.groupWithPrimaryAndTwoStandbys();
        long epoch = s.record.epoch();
        assertRefused(s, "nobody", "nobody is not a member of orders");
        assertRefused(s, "alpha", "alpha is already the primary");
        s.beat("gamma", Health.UNHEALTHY).advance(10).beat("gamma", Health.UNHEALTHY);
        assertRefused(s, "gamma", "gamma is not eligible (unhealthy for 2 beats)");
        s.command(CommandType.SWITCHOVER, "beta", null);
        assertRefused(s, "beta", "a handover from alpha is already in progress");
        assertEquals(epoch + 1, s.record.epoch());
    }

    @Test
    void aSwitchoverIsRefusedInAnActiveActiveGroup() {
        Scenario s = Scenario.activeActive(Policy.defaults()).member("a", 1).member("b", 1);
        s.run(1_000);
        assertRefused(s, "b", "group orders is ACTIVE_ACTIVE, not active/passive");
    }

    @Test
    void aPauseStopsAutomaticFailoverUntilResumed() {
        Scenario s = Scenario.groupWithPrimaryAndTwoStandbys();
        Change paused = s.command(CommandType.PAUSE, null, null).change().orElseThrow();
        assertEquals(DecisionKind.PAUSED, paused.kind());
        assertEquals(s.record.epoch(), paused.epoch(), "a pause changes no role, so no new epoch");
        s.mute("alpha").run(5 * Scenario.TIMEOUT);
        assertEquals(Optional.of("alpha"), s.activeNode(), s.lastReason);
        assertEquals("paused: no automatic failover", s.lastReason);

        assertEquals(
                DecisionKind.RESUMED,
                s.command(CommandType.RESUME, null, null).change().orElseThrow().kind());
        s.run(20);
        assertEquals(Optional.of("beta"), s.activeNode(), s.lastReason);
    }

    @Test
    void aTimedPauseEndsExactlyAtItsDeadline() {
        Scenario s = Scenario.groupWithPrimaryAndTwoStandbys();
        s.command(CommandType.PAUSE, null, 30_000L);
        long until = s.now + 30_000;
        assertEquals(until, s.decider.nextCheckAtMs(s.view(), s.now) > until ? -1 : until);
        s.advance(30_000 - 1);
        assertTrue(s.record.paused(s.now));
        assertEquals("paused: no automatic failover", s.decide().reason());
        s.advance(1);
        Change resumed = s.decide().change().orElseThrow();
        assertEquals(DecisionKind.RESUMED, resumed.kind());
        assertEquals("resumed automatic failover: the pause ended", resumed.reason());
    }

    @Test
    void aPauseOfNoDurationIsRefused() {
        Scenario s = Scenario.groupWithPrimaryAndTwoStandbys();
        Change refused = s.command(CommandType.PAUSE, null, 0L).change().orElseThrow();
        assertEquals(DecisionKind.COMMAND_REFUSED, refused.kind());
        assertFalse(s.record.paused(s.now));
    }

    private static void assertRefused(Scenario s, String target, String why) {
        Change refused =
                s.command(CommandType.SWITCHOVER, target, null).change().orElseThrow();
        assertEquals(DecisionKind.COMMAND_REFUSED, refused.kind());
        assertEquals("switchover refused: " + why, refused.reason());
        assertTrue(refused.commandId() != null);
    }

    @Test
    void removeForgetsASilentStandbyAndIsRefusedForALiveOne() {
        Scenario s = Scenario.groupWithPrimaryAndTwoStandbys();
        Decision live = s.command(CommandType.REMOVE, "gamma", null);
        assertEquals(DecisionKind.COMMAND_REFUSED, live.change().orElseThrow().kind());
        assertTrue(live.change().orElseThrow().reason().startsWith("remove refused: gamma is live"), live.reason());
        s.mute("gamma").run(2 * Scenario.TIMEOUT);
        Decision removed = s.command(CommandType.REMOVE, "gamma", null);
        assertEquals(DecisionKind.MEMBERSHIP, removed.change().orElseThrow().kind());
        assertTrue(removed.change().orElseThrow().reason().startsWith("removed gamma by test"), removed.reason());
        assertFalse(s.record.members().containsKey("gamma"));
        assertEquals(Optional.of("alpha"), s.activeNode());
    }

    @Test
    void removingAWholeDeadGroupLeavesItEmptyAndAnUnknownNodeIsRefused() {
        Scenario s = Scenario.groupWithPrimaryAndTwoStandbys();
        assertTrue(s.command(CommandType.REMOVE, "nobody", null)
                .change()
                .orElseThrow()
                .reason()
                .contains("nobody is not a member"));
        s.mute("alpha").mute("beta").mute("gamma").run(2 * Scenario.TIMEOUT);
        Decision removed = s.command(CommandType.REMOVE, null, null);
        assertTrue(removed.change().orElseThrow().reason().endsWith("the group has no members left"), removed.reason());
        assertTrue(s.record.members().isEmpty());
    }
}
