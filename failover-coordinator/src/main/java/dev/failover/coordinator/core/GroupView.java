package dev.failover.coordinator.core;

import java.util.Map;

/**
 * Everything the decider looks at for one group: the durable record, each member's liveness, the watch, and when
 * this instance saw the record's current epoch assigned ({@code assignedAtMs}, on its monotonic clock;
 * {@link Long#MIN_VALUE} when it did not see it, for example after a restart: then the watch's start counts).
 *
 * @param unverifiedMs per member, when this instance last received a beat in its name that failed authentication
 *                     (heartbeat keys), for the members whose service may run: such a beat is not silence (Kafka
 *                     acknowledged it, so the node may be alive and renewing its lease), and nothing in it is believed
 * @param heardSinceMs when this instance first heard a member of the group (its monotonic clock), or
 *                     {@link Long#MIN_VALUE} when unknown: then the watch's start counts. The election grace runs from
 *                     it ({@link Policy#electionGraceMs()}).
 */
public record GroupView(
        GroupRecord record,
        Map<String, Liveness> liveness,
        Watch watch,
        long assignedAtMs,
        Map<String, Long> unverifiedMs,
        long heardSinceMs) {

    public GroupView(
            GroupRecord record,
            Map<String, Liveness> liveness,
            Watch watch,
            long assignedAtMs,
            Map<String, Long> unverifiedMs) {
        this(record, liveness, watch, assignedAtMs, unverifiedMs, Long.MIN_VALUE);
    }

    public GroupView(GroupRecord record, Map<String, Liveness> liveness, Watch watch) {
        this(record, liveness, watch, Long.MIN_VALUE);
    }

    public GroupView(GroupRecord record, Map<String, Liveness> liveness, Watch watch, long assignedAtMs) {
        this(record, liveness, watch, assignedAtMs, Map.of());
    }

    public GroupView withRecord(GroupRecord next) {
        return new GroupView(
                next,
                liveness,
                watch,
                next.epoch() == record.epoch() ? assignedAtMs : Long.MIN_VALUE,
                unverifiedMs,
                heardSinceMs);
    }

    /** The newest beat in {@code node}'s name failed authentication (an authentic one at the same time wins). */
    public boolean unverifiedNewest(String node) {
        Long unverified = unverifiedMs.get(node);
        Liveness l = liveness.get(node);
        return unverified != null && (l == null || unverified > l.lastSeenMs());
    }

    /** Since when this instance has heard the group, as far as it can tell: never before its watch started. */
    public long heardSince() {
        return Math.max(heardSinceMs, watch.sinceMs());
    }

    /** Since when the current assignment can have been known to its members, as far as this instance can tell. */
    public long assignmentSinceMs() {
        return Math.max(assignedAtMs, watch.sinceMs());
    }
}
