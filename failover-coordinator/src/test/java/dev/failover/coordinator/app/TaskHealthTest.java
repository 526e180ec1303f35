package dev.failover.coordinator.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TaskHealthTest {

    private static final long NONE = Long.MIN_VALUE;
    private final TaskHealth health = new TaskHealth(5_000, 60_000);

    @Test
    void tasksThatPunctuateAreHealthy() {
        assertEquals(
                List.of(),
                health.check(
                        false,
                        Set.of(0, 1),
                        Map.of(0, 1_000L, 1, 1_000L),
                        Set.of(),
                        Map.of(),
                        Map.of(),
                        NONE,
                        "",
                        6_000));
    }

    @Test
    void aTaskThatHoldsNoGroupNeedNotPunctuateNorReadMarkersBack() {
        health.check(false, Set.of(0, 1), Map.of(0, 0L, 1, 0L), Set.of(), Map.of(), Map.of(), NONE, "", 0);
        assertEquals(
                List.of(),
                health.check(
                        false,
                        Set.of(0, 1),
                        Map.of(0, 0L, 1, 60_000L),
                        Set.of(0),
                        Map.of(0, 60_000L),
                        Map.of(),
                        NONE,
                        "",
                        60_000),
                "partition 0 is idle");
        assertEquals(
                List.of("the task of partition 0 has not run for 60000 ms: its groups get no decisions"),
                health.check(
                        false, Set.of(0, 1), Map.of(0, 0L, 1, 60_000L), Set.of(), Map.of(), Map.of(), NONE, "", 60_000),
                "the same silence from a task that holds a group");
    }

    @Test
    void aTransactionHeldOpenOnATasksInputIsUnhealthyEvenWhenTheTaskHoldsNoGroup() {
        assertEquals(
                List.of(),
                health.check(false, Set.of(4), Map.of(), Set.of(4), Map.of(), Map.of(4, 5_000L), NONE, "", 0),
                "open for the limit: a slow commit, not yet a stuck input");
        List<String> held = health.check(
                false, Set.of(4), Map.of(), Set.of(4), Map.of(), Map.of(4, 5_001L, 5, 60_000L), NONE, "", 1_000);
        assertEquals(
                List.of("the input of partition 4 has had a transaction open for at least 5001 ms: records behind "
                        + "it are not read (a hanging one is aborted by the healer; see the log)"),
                held,
                "partition 5 is not this instance's");
    }

    @Test
    void aTaskThatNeverRanSinceItWasAssignedIsUnhealthyOnlyPastTheLimit() {
        assertEquals(
                List.of(),
                health.check(false, Set.of(3), Map.of(), Set.of(), Map.of(), Map.of(), NONE, "", 10_000),
                "just assigned");
        assertEquals(
                List.of(),
                health.check(false, Set.of(3), Map.of(), Set.of(), Map.of(), Map.of(), NONE, "", 15_000),
                "at the limit");
        List<String> past = health.check(false, Set.of(3), Map.of(), Set.of(), Map.of(), Map.of(), NONE, "", 15_001);
        assertEquals(List.of("the task of partition 3 has not run for 5001 ms: its groups get no decisions"), past);
    }

    @Test
    void aTaskThatStoppedPunctuatingIsUnhealthyAndHealthyAgainWhenItRuns() {
        health.check(false, Set.of(0), Map.of(0, 0L), Set.of(), Map.of(), Map.of(), NONE, "", 0);
        assertEquals(
                1,
                health.check(false, Set.of(0), Map.of(0, 1_000L), Set.of(), Map.of(), Map.of(), NONE, "", 6_001)
                        .size());
        assertEquals(
                List.of(),
                health.check(false, Set.of(0), Map.of(0, 6_000L), Set.of(), Map.of(), Map.of(), NONE, "", 6_002));
    }

    @Test
    void aReassignedTaskCountsFromItsNewAssignment() {
        health.check(false, Set.of(0), Map.of(), Set.of(), Map.of(), Map.of(), NONE, "", 0);
        health.check(false, Set.of(), Map.of(), Set.of(), Map.of(), Map.of(), NONE, "", 4_000);
        assertEquals(
                List.of(),
                health.check(false, Set.of(0), Map.of(), Set.of(), Map.of(), Map.of(), NONE, "", 8_000),
                "assigned again at 8 000");
    }

    @Test
    void aThreadDeathIsUnhealthyForTheWholeWindow() {
        List<String> reasons = health.check(
                false, Set.of(), Map.of(), Set.of(), Map.of(), Map.of(), 1_000, "IllegalStateException: boom", 60_999);
        assertEquals(1, reasons.size());
        assertTrue(
                reasons.get(0).startsWith("a stream thread died 59999 ms ago (IllegalStateException: boom)"),
                reasons.get(0));
        assertEquals(
                List.of(),
                health.check(
                        false,
                        Set.of(),
                        Map.of(),
                        Set.of(),
                        Map.of(),
                        Map.of(),
                        1_000,
                        "IllegalStateException: boom",
                        61_000));
    }

    @Test
    void rebalancingPastTheLimitIsUnhealthyAndTheCountStartsAgainAfterwards() {
        assertEquals(List.of(), health.check(true, Set.of(), Map.of(), Set.of(), Map.of(), Map.of(), NONE, "", 0));
        assertEquals(
                List.of(),
                health.check(true, Set.of(), Map.of(), Set.of(), Map.of(), Map.of(), NONE, "", 5_000),
                "at the limit");
        List<String> past = health.check(true, Set.of(), Map.of(), Set.of(), Map.of(), Map.of(), NONE, "", 5_001);
        assertTrue(past.size() == 1 && past.get(0).startsWith("rebalancing for 5001 ms"), past.toString());
        assertEquals(List.of(), health.check(false, Set.of(), Map.of(), Set.of(), Map.of(), Map.of(), NONE, "", 5_002));
        assertEquals(
                List.of(),
                health.check(true, Set.of(), Map.of(), Set.of(), Map.of(), Map.of(), NONE, "", 9_000),
                "a new rebalance");
    }

    @Test
    void aTaskThatRunsButReadsNoFenceMarkerBackIsUnhealthy() {
        assertEquals(
                List.of(),
                health.check(
                        false, Set.of(2), Map.of(2, 1_000L), Set.of(), Map.of(2, 5_000L), Map.of(), NONE, "", 1_000));
        List<String> stuck = health.check(
                false, Set.of(2), Map.of(2, 1_000L), Set.of(), Map.of(2, 5_001L), Map.of(), NONE, "", 1_000);
        assertEquals(1, stuck.size());
        assertTrue(
                stuck.get(0).startsWith("the task of partition 2 has read back no fence marker of its own for 5001 ms"),
                stuck.get(0));
    }
}
