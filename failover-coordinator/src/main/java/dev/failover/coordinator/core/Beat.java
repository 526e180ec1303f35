package dev.failover.coordinator.core;

import dev.failover.wire.GroupMode;
import dev.failover.wire.Health;
import dev.failover.wire.Role;
import java.util.List;

/**
 * One heartbeat as the core reads it: what a member says about itself. The shell translates the wire's
 * {@code Heartbeat} into it ({@code streams.Translate}), so the core depends on no record format.
 *
 * @param replicationPosition how far the member's service has replicated, or {@code null} when it does not say
 * @param failsafe            what a member started with failsafe says about it, or {@code null} without
 */
public record Beat(
        String node,
        long incarnation,
        long sequence,
        long sentAtMs,
        Health health,
        Role role,
        long epoch,
        GroupMode mode,
        int priority,
        int heartbeatIntervalMs,
        int leaseMs,
        int failureTimeoutMs,
        Long replicationPosition,
        Failsafe failsafe) {

    /**
     * A failsafe member's claim (Heartbeat v3).
     *
     * @param maxMs    how long past its last lease through Kafka a primary may serve on its peers' grants alone
     * @param askSet   a primary's peers it asks for grants at the epoch it reports; empty from a standby
     * @param onGrants it serves on its peers' grants: Kafka no longer renews its lease
     */
    public record Failsafe(int maxMs, List<String> askSet, boolean onGrants) {
        public Failsafe {
            askSet = List.copyOf(askSet);
        }
    }
}
