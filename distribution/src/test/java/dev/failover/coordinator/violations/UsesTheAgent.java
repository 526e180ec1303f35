package dev.failover.coordinator.violations;

import dev.failover.agent.core.RoleMachine;

/** Breaks the module rule: the coordinator building on the agent's role machine. */
public final class UsesTheAgent {

    public String machine() {
        return RoleMachine.class.getSimpleName();
    }

    public Object keep(RoleMachine machine) {
        return machine;
    }
}
