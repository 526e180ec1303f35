package dev.failover.coordinator.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.failover.coordinator.core.Beat;
import dev.failover.coordinator.core.Order;
import dev.failover.wire.Command;
import dev.failover.wire.CommandType;
import dev.failover.wire.FailsafeReport;
import dev.failover.wire.GroupMode;
import dev.failover.wire.Health;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.Role;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every field of the wire's records reaches the core's, each in its place (a distinct value in every field). */
class TranslateTest {

    @Test
    void everyFieldOfAHeartbeatReachesTheBeat() {
        Heartbeat wire = Heartbeat.newBuilder()
                .setGroup("orders")
                .setNode("alpha")
                .setIncarnation(11)
                .setSequence(12)
                .setSentAtMs(13)
                .setHealth(Health.UNHEALTHY)
                .setRole(Role.STOPPING)
                .setEpoch(14)
                .setMode(GroupMode.ACTIVE_ACTIVE)
                .setPriority(15)
                .setHeartbeatIntervalMs(16)
                .setLeaseMs(17)
                .setFailureTimeoutMs(18)
                .setReplicationPosition(19L)
                .setFailsafe(FailsafeReport.newBuilder()
                        .setMaxMs(20)
                        .setAskSet(List.of("beta", "gamma"))
                        .setOnGrants(true)
                        .build())
                .build();
        assertEquals(
                new Beat(
                        "alpha",
                        11,
                        12,
                        13,
                        Health.UNHEALTHY,
                        Role.STOPPING,
                        14,
                        GroupMode.ACTIVE_ACTIVE,
                        15,
                        16,
                        17,
                        18,
                        19L,
                        new Beat.Failsafe(20, List.of("beta", "gamma"), true)),
                Translate.beat(wire));
        Beat plain = Translate.beat(Heartbeat.newBuilder(wire)
                .setFailsafe(null)
                .setReplicationPosition(null)
                .build());
        assertNull(plain.failsafe());
        assertNull(plain.replicationPosition());
    }

    @Test
    void everyFieldOfACommandReachesTheOrder() {
        Command wire = Command.newBuilder()
                .setGroup("orders")
                .setCommandId("c-1")
                .setType(CommandType.PAUSE)
                .setTargetNode("beta")
                .setPauseForMs(30_000L)
                .setIssuedBy("ops@host")
                .setIssuedAtMs(1)
                .build();
        assertEquals(new Order("c-1", CommandType.PAUSE, "beta", 30_000L, "ops@host"), Translate.order(wire));
    }
}
