package dev.failover.coordinator.core;

import dev.failover.wire.Role;

/**
 * A durable fact about one member: who it is, how it asked to be judged, and the role it was assigned.
 *
 * @param problem why this member may not be made ACTIVE (inconsistent timing, another mode), or {@code null}
 */
public record Member(String node, int priority, Timing timing, Role assigned, String problem) {

    public Member withAssigned(Role role) {
        return role == assigned ? this : new Member(node, priority, timing, role, problem);
    }
}
