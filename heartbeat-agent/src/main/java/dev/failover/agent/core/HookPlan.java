package dev.failover.agent.core;

/**
 * Which hooks a node has beyond {@code --on-activate} and {@code --on-standby}, and how hard it tries to stand down.
 *
 * @param stopAttempts     how often a failing stand-down hook is run in all before the service is fenced
 * @param stopBackoffNanos the wait before the second attempt; it doubles for each later one
 * @param fence            {@code --on-fence} is set: run after the last failed stand-down; its success acknowledges
 * @param fencePeer        {@code --fence-peer} is set: run before an activation that replaced a silent primary
 */
public record HookPlan(int stopAttempts, long stopBackoffNanos, boolean fence, boolean fencePeer) {

    /** Three attempts, 1 s then 2 s apart; no fencing hooks. */
    public static final HookPlan DEFAULT = new HookPlan(3, 1_000_000_000L, false, false);

    public HookPlan {
        if (stopAttempts < 1 || stopBackoffNanos < 0) {
            throw new IllegalArgumentException("at least one stand-down attempt and a backoff of 0 or more");
        }
    }

    public HookPlan withFencing(boolean fence, boolean fencePeer) {
        return new HookPlan(stopAttempts, stopBackoffNanos, fence, fencePeer);
    }

    /** The wait after failed attempt {@code attempt} (1-based) before the next. */
    long backoffAfter(int attempt) {
        return stopBackoffNanos << Math.min(20, attempt - 1);
    }

    /** The longest all stand-down steps of one edge can take: every attempt, the waits between them, the fence. */
    public long worstStandDownNanos(long hookTimeoutNanos) {
        long total = 0;
        for (int attempt = 1; attempt <= stopAttempts; attempt++) {
            total += hookTimeoutNanos + (attempt < stopAttempts ? backoffAfter(attempt) : 0);
        }
        return total + (fence ? hookTimeoutNanos : 0);
    }
}
