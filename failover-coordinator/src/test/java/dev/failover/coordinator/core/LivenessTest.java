package dev.failover.coordinator.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.wire.GroupMode;
import dev.failover.wire.Health;
import dev.failover.wire.Role;
import org.junit.jupiter.api.Test;

/** One member's liveness, beat by beat. */
class LivenessTest {

    private final Policy policy = Policy.defaults(); // rise 2, fall 2

    private static Beat beat(long sequence, Health health, Role role, long epoch, long sentAtMs) {
        return new Beat(
                "alpha",
                7,
                sequence,
                sentAtMs,
                health,
                role,
                epoch,
                GroupMode.ACTIVE_PASSIVE,
                1,
                200,
                800,
                1_000,
                null,
                null);
    }

    @Test
    void aCopyOfABeatAlreadyReadCountsOnceTowardsFallAndOnlyMovesTheSilenceClock() {
        Liveness l = Liveness.first(beat(1, Health.HEALTHY, Role.ACTIVE, 3, 10_000), 50_000, policy);
        l = l.next(beat(2, Health.HEALTHY, Role.ACTIVE, 3, 10_200), 50_200, policy);
        assertTrue(l.proven());
        Beat failing = beat(3, Health.UNHEALTHY, Role.ACTIVE, 3, 10_400);
        l = l.next(failing, 50_400, policy);
        // the producer retried a request the broker had already appended: the same beat, read again 300 ms later
        Liveness copy = l.next(failing, 50_700, policy);
        assertFalse(copy.failed(), "one failing probe, read twice, is not two");
        assertEquals(1, copy.unhealthyStreak());
        assertEquals(50_700, copy.lastSeenMs(), "it did reach Kafka: the silence clock starts again from it");
        assertEquals(3, copy.sequence());
        assertTrue(
                copy.next(beat(4, Health.UNHEALTHY, Role.ACTIVE, 3, 10_600), 50_800, policy)
                        .failed(),
                "the second failing probe fails it");
    }

    @Test
    void aBeatOvertakenByANewerOneChangesNoRoleOrEpoch() {
        Liveness l = Liveness.first(beat(1, Health.HEALTHY, Role.STANDBY, 3, 10_000), 50_000, policy);
        l = l.next(beat(5, Health.HEALTHY, Role.ACTIVE, 4, 10_800), 50_800, policy);
        Liveness late = l.next(beat(4, Health.HEALTHY, Role.STANDBY, 3, 10_600), 50_900, policy);
        assertEquals(Role.ACTIVE, late.reportedRole(), "a late, older beat does not roll the reported role back");
        assertEquals(4, late.reportedEpoch());
        assertEquals(5, late.sequence());
        assertEquals(10_800, late.lastSentAtMs());
    }
}
