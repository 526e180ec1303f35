package dev.failover.wire.violations;

import dev.failover.coordinator.core.Policy;

/** Breaks the module rule: the protocol module reaching up into the coordinator. */
public final class UsesTheCoordinator {

    public int margin() {
        return Policy.defaults().minMarginMs();
    }
}
