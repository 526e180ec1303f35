package dev.failover.agent.core;

import dev.failover.wire.Role;

/**
 * A role edge the agent takes: the hook for {@code to} runs once, with this epoch and reason; {@code number} counts
 * the machine's edges and is what the hook's outcome reports back ({@link RoleMachine#onHookDone}).
 */
public record Edge(Role to, long epoch, String reason, long number) {
}
