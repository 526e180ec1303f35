package dev.failover.agent.core;

import dev.failover.wire.Role;
import java.util.List;

/**
 * A role edge the agent takes: the hooks for {@code to} run once, with this epoch and reason; {@code number} counts
 * the machine's edges and is what the hooks' outcomes report back ({@link RoleMachine#onHookDone}).
 *
 * @param fencePeers for an activation: the nodes whose service may still run though the coordinator did not see it
 *                   stop (convicted by silence), which {@code --fence-peer} fences first, one by one; empty when none
 */
public record Edge(Role to, long epoch, String reason, long number, List<String> fencePeers) {

    public Edge {
        fencePeers = List.copyOf(fencePeers);
    }

    public Edge(Role to, long epoch, String reason, long number) {
        this(to, epoch, reason, number, List.of());
    }
}
