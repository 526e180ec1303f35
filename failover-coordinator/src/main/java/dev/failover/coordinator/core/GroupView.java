package dev.failover.coordinator.core;

import java.util.Map;

/** Everything the decider looks at for one group: the durable record, each member's liveness, and the watch. */
public record GroupView(GroupRecord record, Map<String, Liveness> liveness, Watch watch) {

    public GroupView withRecord(GroupRecord next) {
        return new GroupView(next, liveness, watch);
    }
}
