package dev.failover.architecture.violations.core;

import dev.failover.wire.Heartbeat;

/** Breaks the own-records rule: a core reading the wire's Avro record instead of its own. */
public final class ReadsAWireRecord {

    public String node(Heartbeat beat) {
        return beat.getNode();
    }
}
