package dev.failover.coordinator.app;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Why this instance cannot decide for every group it holds right now, beyond a stalled thread ({@link StallWatch}):
 * a stream thread died and was replaced within the window (a crash loop re-reads the same input and dies again, with
 * the instance RUNNING in between); or an assigned task that holds a group has not punctuated for longer than the
 * limit (it never started, or its thread is busy elsewhere) or has not read back a fence marker of its own for longer
 * (its input is stuck); or a transaction has been seen open on a task's input for longer than the limit (a task with
 * no group too: a new group's first beats wait behind it); or the instance has been rebalancing for longer than the
 * limit (a task that cannot start, e.g. waiting on unstable offsets, keeps it rebalancing). Pure: the caller hands in
 * what it read and a monotonic time in milliseconds.
 */
final class TaskHealth {

    private final long taskLimitMs;
    private final long deathWindowMs;
    private final Map<Integer, Long> assignedSinceMs = new HashMap<>();
    private long rebalancingSinceMs = Long.MIN_VALUE;

    TaskHealth(long taskLimitMs, long deathWindowMs) {
        this.taskLimitMs = taskLimitMs;
        this.deathWindowMs = deathWindowMs;
    }

    /**
     * @param rebalancing      whether the instance is rebalancing (tasks being assigned, initialised or restored: a
     *                         task that cannot start, e.g. waiting on unstable offsets, keeps it so)
     * @param assigned         the partitions whose active task this instance holds
     * @param lastPunctuatedMs per partition, when its task last punctuated (absent: never since it was assigned)
     * @param idle             the partitions whose task runs and holds no group: it does not punctuate (nobody to
     *                         judge), so neither its punctuations nor its fence markers are expected
     * @param fenceLagMs       per partition, how old the newest fence marker its task read back was at its last count
     *                         (from no earlier than when it began to hold a group):
     *                         a task whose input is stuck (behind an open transaction) runs its timer but convicts
     *                         nobody
     * @param inputHeldMs      per partition, how long a transaction has been seen open on its task's input (by the
     *                         hanging-transaction healer's last scan): records behind it, a new group's first beats
     *                         among them, are not read, whether or not the task holds a group
     * @param lastDeathMs      when a stream thread last died, or {@code Long.MIN_VALUE} if none did
     * @param lastDeath        what it died of
     * @return the reasons, empty when every assigned task decides
     */
    List<String> check(
            boolean rebalancing,
            Set<Integer> assigned,
            Map<Integer, Long> lastPunctuatedMs,
            Set<Integer> idle,
            Map<Integer, Long> fenceLagMs,
            Map<Integer, Long> inputHeldMs,
            long lastDeathMs,
            String lastDeath,
            long nowMs) {
        List<String> reasons = new ArrayList<>();
        if (!rebalancing) {
            rebalancingSinceMs = Long.MIN_VALUE;
        } else if (rebalancingSinceMs == Long.MIN_VALUE) {
            rebalancingSinceMs = nowMs;
        }
        if (rebalancing && nowMs - rebalancingSinceMs > taskLimitMs) {
            reasons.add("rebalancing for " + (nowMs - rebalancingSinceMs) + " ms: tasks not yet running get no "
                    + "decisions (see the log for what they wait on, e.g. unstable offsets)");
        }
        if (lastDeathMs != Long.MIN_VALUE && nowMs - lastDeathMs < deathWindowMs) {
            reasons.add("a stream thread died " + (nowMs - lastDeathMs) + " ms ago (" + lastDeath + ") and was "
                    + "replaced; healthy again " + deathWindowMs + " ms after the last death");
        }
        assignedSinceMs.keySet().retainAll(assigned);
        for (int partition : new java.util.TreeSet<>(assigned)) {
            long since = assignedSinceMs.computeIfAbsent(partition, p -> nowMs);
            if (inputHeldMs.getOrDefault(partition, 0L) > taskLimitMs) {
                reasons.add("the input of partition " + partition + " has had a transaction open for at least "
                        + inputHeldMs.get(partition) + " ms: records behind it are not read (a hanging one is aborted "
                        + "by the healer; see the log)");
                continue;
            }
            if (idle.contains(partition)) {
                continue;
            }
            long last = Math.max(since, lastPunctuatedMs.getOrDefault(partition, Long.MIN_VALUE));
            if (nowMs - last > taskLimitMs) {
                reasons.add("the task of partition " + partition + " has not run for " + (nowMs - last)
                        + " ms: its groups get no decisions");
            } else if (fenceLagMs.getOrDefault(partition, 0L) > taskLimitMs) {
                reasons.add("the task of partition " + partition + " has read back no fence marker of its own for "
                        + fenceLagMs.get(partition) + " ms: its input is stuck (e.g. behind an open transaction), so "
                        + "it convicts nobody");
            }
        }
        return reasons;
    }
}
