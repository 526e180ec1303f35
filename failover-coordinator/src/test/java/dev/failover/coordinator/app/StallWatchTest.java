package dev.failover.coordinator.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.Test;

class StallWatchTest {

    private final StallWatch watch = new StallWatch(15_000);

    @Test
    void threadsThatPollAreNotStalled() {
        assertFalse(watch.check(State.RUNNING, Map.of("t-1", 0L, "t-2", 15_000L), 1_000)
                .stalled());
    }

    @Test
    void aThreadThatHasNotPolledPastTheLimitIsStalledUntilItPollsAgain() {
        StallWatch.Verdict v = watch.check(State.RUNNING, Map.of("t-1", 0L, "t-2", 15_001L), 1_000);
        assertTrue(v.stalled());
        assertEquals(
                "stream thread t-2 has not polled Kafka for 15001 ms", v.stall().orElseThrow());
        assertEquals(1_000, v.sinceMs());
        assertEquals(
                1_000,
                watch.check(State.RUNNING, Map.of("t-2", 16_001L), 2_000).sinceMs(),
                "stalled since the first sight");
        assertFalse(watch.check(State.RUNNING, Map.of("t-2", 0L), 3_000).stalled());
        assertEquals(
                4_000, watch.check(State.RUNNING, Map.of("t-2", 20_000L), 4_000).sinceMs(), "a new stall, a new start");
    }

    @Test
    void rebalancingPastTheLimitIsStalled() {
        assertFalse(watch.check(State.REBALANCING, Map.of("t-1", 0L), 0).stalled());
        assertFalse(watch.check(State.REBALANCING, Map.of("t-1", 0L), 15_000).stalled());
        StallWatch.Verdict v = watch.check(State.REBALANCING, Map.of("t-1", 0L), 15_001);
        assertEquals("rebalancing for 15001 ms", v.stall().orElseThrow());
        assertFalse(watch.check(State.RUNNING, Map.of("t-1", 0L), 15_002).stalled());
        assertFalse(watch.check(State.REBALANCING, Map.of("t-1", 0L), 20_000).stalled(), "the count starts again");
    }

    @Test
    void anInstanceThatIsNotRunningIsNotCalledStalled() {
        // /health is 503 for these states already; the watch only speaks for an instance that claims to work
        assertFalse(watch.check(State.PENDING_SHUTDOWN, Map.of("t-1", 60_000L), 1_000)
                .stalled());
        assertFalse(watch.check(State.ERROR, Map.of("t-1", 60_000L), 1_000).stalled());
    }
}
