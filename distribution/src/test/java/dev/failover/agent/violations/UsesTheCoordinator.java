package dev.failover.agent.violations;

import dev.failover.coordinator.core.Decider;

/** Breaks the module rule: the agent deciding with the coordinator's core. */
public final class UsesTheCoordinator {

    public String decider() {
        return Decider.class.getSimpleName();
    }

    public Object keep(Decider decider) {
        return decider;
    }
}
