package dev.failover.coordinator.app;

import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Decides whether the coordinator has stopped making progress although its process is alive: a stream thread that
 * has not polled Kafka for longer than the limit (stuck in a call that does not return), or an instance that has been
 * rebalancing for longer than the limit. Such an instance still holds its tasks in the consumer group, so nobody else
 * decides for its groups; it must say so on {@code /health} and in its log. Pure: the caller hands in the state, each
 * thread's time since its last poll and the time.
 */
final class StallWatch {

    /** Why the instance is stalled, or empty when it is not. */
    record Verdict(Optional<String> stall, long sinceMs) {
        static final Verdict OK = new Verdict(Optional.empty(), -1);

        boolean stalled() {
            return stall.isPresent();
        }
    }

    private final long limitMs;
    private long rebalancingSinceMs = -1;
    private long stalledSinceMs = -1;

    StallWatch(long limitMs) {
        this.limitMs = limitMs;
    }

    /**
     * @param msSinceLastPoll per stream thread, the time since its main consumer last polled
     */
    Verdict check(KafkaStreams.State state, Map<String, Long> msSinceLastPoll, long nowMs) {
        if (state != KafkaStreams.State.REBALANCING) {
            rebalancingSinceMs = -1;
        } else if (rebalancingSinceMs < 0) {
            rebalancingSinceMs = nowMs;
        }
        Optional<String> stall = Optional.empty();
        if (state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING) {
            stall = msSinceLastPoll.entrySet().stream()
                    .filter(e -> e.getValue() > limitMs)
                    .max(Map.Entry.comparingByValue())
                    .map(e -> "stream thread " + e.getKey() + " has not polled Kafka for " + e.getValue() + " ms");
            if (stall.isEmpty() && rebalancingSinceMs >= 0 && nowMs - rebalancingSinceMs > limitMs) {
                stall = Optional.of("rebalancing for " + (nowMs - rebalancingSinceMs) + " ms");
            }
        }
        if (stall.isEmpty()) {
            stalledSinceMs = -1;
            return Verdict.OK;
        }
        if (stalledSinceMs < 0) {
            stalledSinceMs = nowMs;
        }
        return new Verdict(stall, stalledSinceMs);
    }
}
