package dev.failover.coordinator.core;

import java.util.Optional;

/**
 * The outcome of one look at a group: its next durable state, at most one change to publish, and the reason in one
 * sentence (also when nothing changes, so that the shell can say why it is waiting).
 */
public record Decision(GroupRecord next, Optional<Change> change, String reason) {

    static Decision none(GroupRecord record, String reason) {
        return new Decision(record, Optional.empty(), reason);
    }

    static Decision of(GroupRecord next, Change change) {
        return new Decision(next, Optional.of(change), change.reason());
    }
}
