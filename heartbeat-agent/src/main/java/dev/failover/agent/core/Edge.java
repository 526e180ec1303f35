package dev.failover.agent.core;

import dev.failover.wire.Role;

/** A role edge the agent takes: the hook for {@code to} runs once, with this epoch and reason. */
public record Edge(Role to, long epoch, String reason) {
}
