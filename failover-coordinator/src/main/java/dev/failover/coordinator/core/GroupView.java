package dev.failover.coordinator.core;

import java.util.Map;

/**
 * Everything the decider looks at for one group: the durable record, each member's liveness, the watch, and when
 * this instance saw the record's current epoch assigned ({@code assignedAtMs}, on its monotonic clock;
 * {@link Long#MIN_VALUE} when it did not see it, for example after a restart: then the watch's start counts).
 */
public record GroupView(GroupRecord record, Map<String, Liveness> liveness, Watch watch, long assignedAtMs) {

    public GroupView(GroupRecord record, Map<String, Liveness> liveness, Watch watch) {
        this(record, liveness, watch, Long.MIN_VALUE);
    }

    public GroupView withRecord(GroupRecord next) {
        return new GroupView(next, liveness, watch, next.epoch() == record.epoch() ? assignedAtMs : Long.MIN_VALUE);
    }

    /** Since when the current assignment can have been known to its members, as far as this instance can tell. */
    public long assignmentSinceMs() {
        return Math.max(assignedAtMs, watch.sinceMs());
    }
}
