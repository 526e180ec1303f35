package dev.failover.coordinator.core;

import dev.failover.wire.CommandType;

/**
 * An operator's command as the core reads it, translated from the wire's {@code Command} by the shell.
 *
 * @param targetNode SWITCHOVER: the node to promote, or {@code null} for the best standby; REMOVE: the member to
 *                   forget, or {@code null} for the whole group; CONFIRM_STOPPED: the node whose service stopped
 * @param pauseForMs PAUSE: how long, or {@code null} until RESUME
 * @param issuedBy   who sent it, or {@code null}
 */
public record Order(String commandId, CommandType type, String targetNode, Long pauseForMs, String issuedBy) {}
