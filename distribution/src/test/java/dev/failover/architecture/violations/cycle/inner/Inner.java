package dev.failover.architecture.violations.cycle.inner;

import dev.failover.architecture.violations.cycle.Outer;

/** The other half of the cycle: reads the outer package's nested record. */
public final class Inner {

    public String role() {
        return "ACTIVE";
    }

    public String describe(Outer.Snapshot snapshot) {
        return snapshot.role();
    }
}
