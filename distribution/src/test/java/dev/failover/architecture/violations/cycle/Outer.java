package dev.failover.architecture.violations.cycle;

import dev.failover.architecture.violations.cycle.inner.Inner;

/** With {@link Inner}, breaks the no-cycle rule (as {@code Agent} and its shell once did through a nested type). */
public final class Outer {

    public record Snapshot(String role) {}

    public Snapshot snapshot(Inner inner) {
        return new Snapshot(inner.role());
    }
}
