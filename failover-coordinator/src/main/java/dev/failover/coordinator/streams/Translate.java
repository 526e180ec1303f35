package dev.failover.coordinator.streams;

import dev.failover.coordinator.core.Beat;
import dev.failover.coordinator.core.Order;
import dev.failover.wire.Command;
import dev.failover.wire.Heartbeat;

/** The wire's records into the core's: the one place the decision core meets the record format. */
public final class Translate {

    private Translate() {}

    public static Beat beat(Heartbeat h) {
        var f = h.getFailsafe();
        return new Beat(
                h.getNode(),
                h.getIncarnation(),
                h.getSequence(),
                h.getSentAtMs(),
                h.getHealth(),
                h.getRole(),
                h.getEpoch(),
                h.getMode(),
                h.getPriority(),
                h.getHeartbeatIntervalMs(),
                h.getLeaseMs(),
                h.getFailureTimeoutMs(),
                h.getReplicationPosition(),
                f == null ? null : new Beat.Failsafe(f.getMaxMs(), f.getAskSet(), f.getOnGrants()));
    }

    public static Order order(Command c) {
        return new Order(c.getCommandId(), c.getType(), c.getTargetNode(), c.getPauseForMs(), c.getIssuedBy());
    }
}
