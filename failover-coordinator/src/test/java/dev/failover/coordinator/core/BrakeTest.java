package dev.failover.coordinator.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.wire.DecisionKind;
import dev.failover.wire.Health;
import dev.failover.wire.Role;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BrakeTest {

    @Test
    void letsAShareOfTheGroupsFailOverWithinTheWindowAndHoldsTheRest() {
        Brake brake = new Brake(0.5, 3, 10_000);
        assertTrue(brake.allow("g1", 0, 10));
        assertTrue(brake.allow("g2", 1, 10));
        assertTrue(brake.allow("g3", 2, 10));
        assertTrue(brake.allow("g4", 3, 10));
        assertTrue(brake.allow("g5", 4, 10));
        assertFalse(brake.engaged(4, 10), "5 of 10 is exactly the share");
        assertFalse(brake.allow("g6", 5, 10), "the sixth of ten is one past the share");
        assertTrue(brake.engaged(5, 10));
        assertTrue(brake.allow("g1", 6, 10), "a group let through stays let through to finish its handover");
    }

    @Test
    void alwaysAllowsTheMinimumInASmallFleet() {
        Brake brake = new Brake(0.5, 3, 10_000);
        assertTrue(brake.allow("a", 0, 2));
        assertTrue(brake.allow("b", 0, 2));
        assertEquals(3, brake.limit(2));
    }

    @Test
    void releasesOnceTheWindowHasPassedWithoutNewAttempts() {
        Brake brake = new Brake(0.5, 1, 10_000);
        brake.allow("a", 0, 2);
        assertFalse(brake.allow("b", 0, 2));
        assertTrue(brake.engaged(9_999, 2), "one millisecond before the window ends");
        assertFalse(brake.engaged(10_000, 2), "at the end of the window");
        assertTrue(brake.allow("b", 10_000, 2));
    }

    @Test
    void aHeldGroupThatKeepsAskingKeepsTheBrakeEngaged() {
        Brake brake = new Brake(0.5, 1, 1_000);
        for (long t = 0; t < 5_000; t += 100) {
            assertTrue(brake.allow("a", t, 2), "a was let through first, at " + t);
            assertFalse(brake.allow("b", t, 2), "b is held, at " + t);
            assertTrue(brake.engaged(t, 2), "engaged at " + t);
        }
    }

    @Test
    void theBrakeHoldsTheDecisionInTheCoreAndTheHeldGroupKeepsItsPrimary() {
        Brake brake = new Brake(0.5, 1, 10_000);
        Scenario first = Scenario.groupWithPrimaryAndTwoStandbys().braked(brake, "first", 2);
        Scenario second = Scenario.groupWithPrimaryAndTwoStandbys().braked(brake, "second", 2);
        first.mute("alpha").run(Scenario.TIMEOUT + 300);
        assertEquals(java.util.Optional.of("beta"), first.activeNode(), "the first failover is within the limit");

        second.mute("alpha").run(Scenario.TIMEOUT + 300);
        Decision held = second.decide();
        assertTrue(held.held(), held.reason());
        assertTrue(held.reason().startsWith("held by the brake: promoted beta"), held.reason());
        assertEquals(java.util.Optional.of("alpha"), second.activeNode(), "held: the record stays as it was");
        assertTrue(held.change().isEmpty());
        assertTrue(brake.engaged(second.now, 2));
    }

    @Test
    void aHandoverWhoseStandDownIsOutIsNeverHeldEvenWhenTheBrakeIsEngaged() {
        Brake brake = new Brake(0.5, 1, 1_000); // of 3 groups, 1 may fail over within a second
        Scenario first = Scenario.groupWithPrimaryAndTwoStandbys().braked(brake, "first", 3);
        Scenario second = Scenario.groupWithPrimaryAndTwoStandbys().braked(brake, "second", 3);
        Scenario third = Scenario.groupWithPrimaryAndTwoStandbys().braked(brake, "third", 3);
        // first's primary turns unhealthy and keeps beating ACTIVE at its old epoch: it acknowledges nothing yet
        long oldEpoch = first.record.epoch();
        first.mute("alpha");
        Decision standDown = null;
        for (int step = 0; standDown == null && step < 300; step++) {
            if (step % 20 == 0) {
                first.beat("alpha", Health.UNHEALTHY, Role.ACTIVE, oldEpoch);
            }
            first.run(10);
            second.run(10);
            third.run(10);
            if (first.lastChanging.change().orElseThrow().kind() == DecisionKind.STAND_DOWN) {
                standDown = first.lastChanging;
            }
        }
        assertTrue(standDown != null, "the stand-down was let through: " + first.lastReason);
        // the other two primaries die: one failover is let through once first's window ran out, the other is held
        second.mute("alpha");
        third.mute("alpha");
        long standDownAt = first.now;
        for (int step = 0; first.now < standDownAt + 1_800; step++) {
            if (step % 20 == 0) {
                first.beat("alpha", Health.UNHEALTHY, Role.ACTIVE, oldEpoch);
            }
            first.run(10);
            second.run(10);
            third.run(10);
        }
        assertTrue(brake.engaged(first.now, 3), "the brake is engaged");
        assertEquals(
                1,
                (second.activeNode().equals(Optional.of("alpha")) ? 0 : 1)
                        + (third.activeNode().equals(Optional.of("alpha")) ? 0 : 1),
                "one of the two failed over, the other is held");
        assertTrue(first.now - standDownAt > brake.windowMs(), "first is no longer let through by the window");

        first.unmute("alpha"); // it obeys now: it stands down at the handover's epoch
        Decision completion = null;
        for (int step = 0; completion == null && step < 100; step++) {
            first.run(10);
            second.run(10);
            third.run(10);
            if (first.lastChanging.from() == GroupPhase.HANDING_OVER) {
                completion = first.lastChanging;
            }
        }
        assertTrue(completion != null, "first's handover completed: " + first.lastReason);
        assertFalse(completion.held(), completion.reason());
        assertEquals(DecisionKind.FAILOVER, completion.change().orElseThrow().kind());
        assertEquals(Optional.of("beta"), first.activeNode(), "never held: a handover held here leaves no primary");
        assertTrue(brake.engaged(first.now, 3), "while the brake was engaged");
    }
}
