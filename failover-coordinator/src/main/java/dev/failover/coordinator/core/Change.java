package dev.failover.coordinator.core;

import dev.failover.wire.DecisionKind;
import dev.failover.wire.Role;
import java.util.List;
import java.util.SortedMap;

/**
 * A decision to publish on the role-change topic: every member's role after it, the epoch, and the reason.
 * Decisions that change a role carry a new, higher epoch; acknowledgements that change none (pause, resume,
 * refusal) repeat the current one, so agents never act on them.
 *
 * @param fence for a promotion, the members whose service may still run though nobody saw it stop (convicted by
 *              silence), which a successor with {@code --fence-peer} fences before activating; empty when none
 */
public record Change(
        DecisionKind kind,
        long epoch,
        SortedMap<String, Role> roles,
        String reason,
        String commandId,
        List<String> fence) {

    public Change {
        fence = List.copyOf(fence);
    }

    public Change(DecisionKind kind, long epoch, SortedMap<String, Role> roles, String reason, String commandId) {
        this(kind, epoch, roles, reason, commandId, List.of());
    }
}
