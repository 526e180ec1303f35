package dev.failover.broker.violations;

import dev.failover.wire.Keys;

/** Breaks the module rule: the local broker, which knows nothing of failover, applying the protocol's key rules. */
public final class UsesTheProtocol {

    public boolean reserved(String key) {
        return Keys.isReserved(key);
    }
}
