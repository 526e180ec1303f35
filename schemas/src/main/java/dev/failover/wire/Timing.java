package dev.failover.wire;

import java.util.Optional;

/**
 * The timing an agent advertises in its heartbeats, and the one place its rules live: the agent checks its own
 * settings with them at start-up, the coordinator every heartbeat. The safety argument needs
 * {@code heartbeat interval < lease} and {@code lease + margin <= failure timeout}: the agent stops being ACTIVE
 * at most a lease after the send time of its last acknowledged beat, and the coordinator convicts only a failure
 * timeout after receiving the last one, so the old primary has stood down before anyone is promoted.
 * {@code failsafeMaxMs}: how long past its lease through Kafka it may serve on its peers' grants (Heartbeat v3's
 * failsafe maximum, 0 without failsafe); durable (StoredGroup v4), so that a restarted coordinator knows it.
 */
public record Timing(int heartbeatIntervalMs, int leaseMs, int failureTimeoutMs, int failsafeMaxMs) {

    /** The least {@code failure timeout - lease} a coordinator accepts unless configured otherwise (min.margin.ms). */
    public static final int DEFAULT_MIN_MARGIN_MS = 100;
    /** The shortest heartbeat interval an agent may advertise. */
    public static final int MIN_HEARTBEAT_INTERVAL_MS = 10;

    /**
     * The lease an agent takes for a failure timeout: four fifths of it, so that the default margin holds from a
     * 500 ms timeout up, and a longer timeout leaves its stand-down hook more time (timeout - lease).
     */
    public static long leaseMs(long failureTimeoutMs) {
        return failureTimeoutMs * 4 / 5;
    }

    /** What an agent with these settings advertises: its lease derived from the failure timeout. */
    public static Timing ofAgent(long heartbeatIntervalMs, long failureTimeoutMs, long failsafeMaxMs) {
        return new Timing(
                saturated(heartbeatIntervalMs),
                saturated(leaseMs(failureTimeoutMs)),
                saturated(failureTimeoutMs),
                saturated(failsafeMaxMs));
    }

    private static int saturated(long ms) {
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, ms));
    }

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
