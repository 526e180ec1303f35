package dev.failover.agent.shell;

import dev.failover.wire.Health;
import dev.failover.wire.Role;

/**
 * What /role and embedders see.
 *
 * @param reported          what its heartbeats say: ACTIVE, STOPPING (a stand-down not yet done, or failed) or
 *                          STANDBY
 * @param standDownBudgetMs how long its --on-standby has, after a lease lapse, before a successor may start:
 *                          failure timeout - lease
 */
public record AgentSnapshot(
        String group,
        String node,
        Role role,
        long epoch,
        long leaseRemainingMs,
        Health health,
        String healthDetail,
        long staleIgnored,
        boolean connected,
        Role reported,
        long standDownBudgetMs) {}
