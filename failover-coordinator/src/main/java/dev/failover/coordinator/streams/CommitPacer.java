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
 * <p>A task is behind when its own latest fence marker came back more than {@link #BEHIND_MS} after it was sent, or
 * the one it sent last has been out longer than that (a marker waits behind the backlog, so the first sign of one is
 * a marker not yet back): both ends on this process's monotonic clock, so no producer's or broker's clock and no wall-clock step can make a
 * task look behind. (A marker's round trip includes its own commit; a three-node cluster's, about 200 ms, stays
 * under the bound.) A task that is behind asks only if no task of its thread asked within {@link #GAP_MS}; otherwise
 * it owes the commit, and asks after a later record or punctuation unless a request of its thread granted since then
 * has covered it (one transaction per stream thread: a commit takes every task of the thread along). A task that is
 * current asks at once, so a decision's latency is unchanged without a backlog. Safety does not depend on when a
 * decision becomes visible: fencing rests on epochs, leases and markers read back, not on commit timing.
 *
 * <p>Where a commit itself takes longer than the gap (three brokers: about 200 ms), every loop still commits, so the
 * pacer saves nothing there; worse, a request refused after a grant in the same loop is covered by that loop's commit
 * but cannot be told from one refused after an earlier loop's, so it is asked again and adds a commit in the next loop
 * while the task is behind. Telling loops apart needs a signal Streams does not give a processor.
 */
final class CommitPacer {

    /** How long a task's fence marker may take to come back before the task counts as working through a backlog. */
    static final long BEHIND_MS = 500;
    /** The least time between two commit requests of one stream thread while its task is behind. */
    static final long GAP_MS = 20;

    /** Per stream thread: when (monotonic ms) one of its tasks last asked, and how many requests it granted. */
    private final ThreadLocal<long[]> thread = ThreadLocal.withInitial(() -> new long[] {Long.MIN_VALUE / 2, 0});

    /** Whether a task that is {@code behind} (or not) may ask for a commit at {@code nowMs}; if so, it counts as asked. */
    boolean mayAsk(long nowMs, boolean behind) {
        long[] t = thread.get();
        if (behind && nowMs - t[0] < GAP_MS) {
            return false;
        }
        t[0] = nowMs;
        t[1]++;
        return true;
    }

    /** How many requests this stream thread has granted: one granted after a task forwarded commits what it forwarded. */
    long granted() {
        return thread.get()[1];
    }

    /** Whether a fence marker sent at {@code sentMs} and read back at {@code readMs} (monotonic) shows a backlog. */
    static boolean behind(long sentMs, long readMs) {
        return readMs - sentMs > BEHIND_MS;
    }
}
