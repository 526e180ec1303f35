package dev.failover.coordinator.core;

import dev.failover.wire.DecisionKind;
import dev.failover.wire.Role;
import java.util.SortedMap;

/**
 * A decision to publish on the role-change topic: every member's role after it, the epoch, and the reason.
 * Decisions that change a role carry a new, higher epoch; acknowledgements that change none (pause, resume,
 * refusal) repeat the current one, so agents never act on them.
 */
public record Change(DecisionKind kind, long epoch, SortedMap<String, Role> roles, String reason, String commandId) {
}
