package dev.failover.coordinator.core;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * The global brake: when more than a share of the groups this coordinator decides for would fail over within one
 * window, something bigger than a node is wrong (a network partition, the coordinator's own view), and failing them
 * all over would do more harm than good. While engaged, automatic failovers and stand-downs are held; elections,
 * operator commands and steady groups are not affected.
 *
 * <p>Groups held by the brake keep asking on every look, so they stay in the window: the brake releases by itself
 * once fewer groups want to fail over (members came back), not while the mass event lasts.
 *
 * @param maxShare     the share of known groups that may fail over within the window
 * @param minFailovers this many failovers within the window are always allowed, whatever the share (small fleets)
 */
public final class Brake {

    private final double maxShare;
    private final int minFailovers;
    private final long windowMs;
    private final Map<String, Long> lastAttempt = new HashMap<>();
    private final Deque<Map.Entry<String, Long>> attempts = new ArrayDeque<>();
    private final Map<String, Boolean> allowed = new HashMap<>();

    public Brake(double maxShare, int minFailovers, long windowMs) {
        if (maxShare <= 0 || maxShare > 1) {
            throw new IllegalArgumentException("the brake's share must be in (0, 1], not " + maxShare);
        }
        this.maxShare = maxShare;
        this.minFailovers = minFailovers;
        this.windowMs = windowMs;
    }

    /**
     * The decision as the brake lets it through: an {@link Decision#automaticFailover} of {@code group} is counted,
     * and beyond the limit held (the group stays as {@code input} was, and the decision says it was held); every other
     * decision passes untouched and uncounted.
     *
     * @param input the record the decision was taken on
     */
    public Decision judge(String group, GroupRecord input, Decision decision, long nowMs, long knownGroups) {
        if (!decision.automaticFailover()) {
            return decision;
        }
        return allow(group, nowMs, knownGroups) ? decision : decision.heldAt(input, "held by the brake");
    }

    /**
     * Records that {@code group} would fail over now and says whether it may. A group let through once stays let
     * through for the window (its two-phase handover must be able to finish).
     */
    public boolean allow(String group, long nowMs, long knownGroups) {
        expire(nowMs);
        lastAttempt.put(group, nowMs);
        attempts.addLast(Map.entry(group, nowMs));
        if (allowed.containsKey(group)) {
            return true;
        }
        if (allowed.size() < limit(knownGroups)) {
            allowed.put(group, Boolean.TRUE);
            return true;
        }
        return false;
    }

    /** How many distinct groups want to fail over within the window. */
    public int wanting(long nowMs) {
        expire(nowMs);
        return lastAttempt.size();
    }

    public boolean engaged(long nowMs, long knownGroups) {
        return wanting(nowMs) > limit(knownGroups);
    }

    public long limit(long knownGroups) {
        return Math.max(minFailovers, (long) Math.floor(maxShare * knownGroups));
    }

    public long windowMs() {
        return windowMs;
    }

    private void expire(long nowMs) {
        while (!attempts.isEmpty() && attempts.peekFirst().getValue() <= nowMs - windowMs) {
            Map.Entry<String, Long> old = attempts.removeFirst();
            if (lastAttempt.get(old.getKey()) == old.getValue().longValue()) {
                lastAttempt.remove(old.getKey());
                allowed.remove(old.getKey());
            }
        }
    }
}
