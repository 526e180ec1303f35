package dev.failover.coordinator.streams;

/**
 * Spaces the commits a stream thread's tasks ask for while they work through a backlog.
 *
 * <p>A task asks Streams to commit at once after each decision, state change and fence marker: a decision is
 * visible to {@code read_committed} agents only when committed. That is right while the input is current. Under a
 * backlog it is not: many groups joining or electing at once ask for a commit on nearly every record, and Streams
 * halves its batch after every loop that committed. Each loop then handles one record per task and a transaction,
 * and the task falls further behind. (The scale benchmark saw this: 10 000 nodes joining took 75 s to elect, with a
 * lag of 580 000 heartbeats.)
 *
 * <p>So a task whose last input record is older than {@link #BEHIND_MS} asks only if no task of its thread asked
 * within {@link #GAP_MS}. Otherwise it owes the commit and asks at the end of a later record or punctuation. A task
 * that is current always asks at once, so a decision's latency is unchanged when there is no backlog. Under a backlog
 * the decision is late anyway, and at most {@link #GAP_MS} later than before. Safety does not depend on when a
 * decision becomes visible: fencing rests on epochs and leases, not on commit timing.
 *
 * <p>The record's age is read on the wall clock, from its timestamp. A skewed producer clock can only make a task
 * space its commits. The gap itself is measured on the monotonic clock.
 */
final class CommitPacer {

    /** How old a task's latest input record must be for the task to count as working through a backlog. */
    static final long BEHIND_MS = 200;
    /** The least time between two commit requests of one stream thread while its task is behind. */
    static final long GAP_MS = 20;

    /** Per stream thread: when (monotonic ms) one of its tasks last asked. */
    private final ThreadLocal<long[]> lastAskedMs = ThreadLocal.withInitial(() -> new long[] {Long.MIN_VALUE / 2});

    /** Whether a task that is {@code behind} (or not) may ask for a commit at {@code nowMs}; if so, it counts as asked. */
    boolean mayAsk(long nowMs, boolean behind) {
        long[] last = lastAskedMs.get();
        if (behind && nowMs - last[0] < GAP_MS) {
            return false;
        }
        last[0] = nowMs;
        return true;
    }

    /** Whether a record stamped {@code recordWallMs}, read at {@code nowWallMs}, is behind. */
    static boolean behind(long recordWallMs, long nowWallMs) {
        return nowWallMs - recordWallMs > BEHIND_MS;
    }
}
