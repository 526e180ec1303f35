package dev.failover.coordinator.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.wire.DecisionKind;
import dev.failover.wire.Role;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ActiveActiveDecisionTest {

    @Test
    void everyEligibleMemberIsActiveAndASilentOneIsTakenOutThenBroughtBack() {
        Scenario s = Scenario.activeActive(Policy.defaults().withMinActive(2))
                .member("a", 1)
                .member("b", 1)
                .member("c", 1);
        s.run(1_000);
        assertEquals(Map.of("a", Role.ACTIVE, "b", Role.ACTIVE, "c", Role.ACTIVE), s.record.roles());

        s.mute("c").run(Scenario.TIMEOUT + 300);
        assertEquals(Role.STANDBY, s.record.roles().get("c"));
        Change removal = s.lastChange();
        assertEquals(DecisionKind.FAILOVER, removal.kind());
        assertTrue(removal.reason().startsWith("removed c (silent for"), removal.reason());
        assertTrue(removal.reason().endsWith("; 2 ACTIVE"), removal.reason());

        s.unmute("c").run(600);
        assertEquals(Role.ACTIVE, s.record.roles().get("c"));
        assertEquals(DecisionKind.MEMBERSHIP, s.lastChange().kind());
    }

    @Test
    void fallingBelowTheMinimumIsSaidLoudly() {
        Scenario s = Scenario.activeActive(Policy.defaults().withMinActive(2))
                .member("a", 1)
                .member("b", 1);
        s.run(1_000);
        s.mute("b").run(Scenario.TIMEOUT + 300);
        assertTrue(
                s.lastChange().reason().endsWith("1 ACTIVE, BELOW the minimum of 2"),
                s.lastChange().reason());
    }

    @Test
    void aRestartedCoordinatorTakesNobodyOutBeforeAFullTimeoutOfFreshInput() {
        Scenario s = Scenario.activeActive(Policy.defaults()).member("a", 1).member("b", 1);
        s.run(1_000);
        int changes = s.published.size();
        s.restartCoordinator().run(3 * Scenario.TIMEOUT);
        assertEquals(changes, s.published.size(), "false removal after restart: " + s.lastReason);
    }
}
