package dev.failover.coordinator.core;

/**
 * A two-phase handover in progress: {@code from} was told to stand down at {@code standDownEpoch}; the successor is
 * promoted once {@code from} reports STANDBY at that epoch, or has been silent past its failure timeout.
 *
 * @param to        the node asked for, or {@code null} for the best eligible standby at promotion time
 * @param commandId the operator command behind it, or {@code null}
 */
public record Handover(String from, String to, long standDownEpoch, String why, String commandId, long sinceMs) {}
