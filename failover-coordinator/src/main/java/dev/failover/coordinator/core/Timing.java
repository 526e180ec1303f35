package dev.failover.coordinator.core;

import java.util.Optional;

/**
 * The timing an agent advertises in its heartbeats. The safety argument needs
 * {@code heartbeat interval < lease} and {@code lease + margin <= failure timeout}: the agent stops being ACTIVE
 * at most a lease after the send time of its last acknowledged beat, and the coordinator convicts only a failure
 * timeout after receiving the last one, so the old primary has stood down before anyone is promoted.
 * {@code failsafeMaxMs}: how long past its lease through Kafka it may serve on its peers' grants (Heartbeat v3's
 * failsafe maximum, 0 without failsafe); durable (StoredGroup v4), so that a restarted coordinator knows it.
 */
public record Timing(int heartbeatIntervalMs, int leaseMs, int failureTimeoutMs, int failsafeMaxMs) {

    /** Without failsafe. */
    public Timing(int heartbeatIntervalMs, int leaseMs, int failureTimeoutMs) {
        this(heartbeatIntervalMs, leaseMs, failureTimeoutMs, 0);
    }

    /** Why this timing cannot be trusted, naming both fields; empty when it is consistent. */
    public Optional<String> problem(int minMarginMs) {
        if (heartbeatIntervalMs <= 0) {
            return Optional.of("heartbeat interval " + heartbeatIntervalMs + " ms must be positive");
        }
        if (heartbeatIntervalMs >= leaseMs) {
            return Optional.of("heartbeat interval " + heartbeatIntervalMs + " ms must be shorter than the lease "
                    + leaseMs + " ms");
        }
        if ((long) leaseMs + minMarginMs > failureTimeoutMs) {
            return Optional.of("lease " + leaseMs + " ms + safety margin " + minMarginMs
                    + " ms must not exceed the failure timeout " + failureTimeoutMs + " ms");
        }
        return Optional.empty();
    }
}
