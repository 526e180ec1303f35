package dev.failover.wire;

import java.util.List;

/** One filled-in record of each wire type, for round trips. */
final class WireSamples {
    private WireSamples() {}

    static Heartbeat heartbeat() {
        return Heartbeat.newBuilder()
                .setGroup("orders-db")
                .setNode("alpha")
                .setSequence(42)
                .setIncarnation(1_764_000_000_000L)
                .setSentAtMs(1_764_000_000_123L)
                .setHealth(Health.HEALTHY)
                .setHealthDetail("HTTP 200 in 3 ms")
                .setRole(Role.ACTIVE)
                .setEpoch(7)
                .setMode(GroupMode.ACTIVE_PASSIVE)
                .setPriority(100)
                .setHeartbeatIntervalMs(200)
                .setLeaseMs(800)
                .setFailureTimeoutMs(1000)
                .setReplicationPosition(123_456L)
                .setReplicationLagMs(null)
                .build();
    }

    static MemberView member(String node, Role role) {
        return MemberView.newBuilder()
                .setNode(node)
                .setRole(role)
                .setHealth(Health.HEALTHY)
                .setPriority(10)
                .setLastSeenAgeMs(150L)
                .setSuspicion(0.4)
                .setReplicationPosition(null)
                .build();
    }

    static RoleChange roleChange() {
        return RoleChange.newBuilder()
                .setGroup("orders-db")
                .setEpoch(8)
                .setMode(GroupMode.ACTIVE_PASSIVE)
                .setDecidedAtMs(1_764_000_001_000L)
                .setKind(DecisionKind.FAILOVER)
                .setMembers(List.of(member("alpha", Role.STANDBY), member("beta", Role.ACTIVE)))
                .setReason("promoted beta: alpha silent for 1012 ms > timeout 1000 ms")
                .setCommandId(null)
                .build();
    }

    static GroupState groupState() {
        return GroupState.newBuilder()
                .setGroup("orders-db")
                .setEpoch(8)
                .setMode(GroupMode.ACTIVE_PASSIVE)
                .setMembers(List.of(member("beta", Role.ACTIVE)))
                .setPaused(true)
                .setPausedUntilMs(1_764_000_900_000L)
                .setUpdatedAtMs(1_764_000_001_000L)
                .setLastReason("paused by operator")
                .build();
    }

    static Command command() {
        return Command.newBuilder()
                .setGroup("orders-db")
                .setCommandId("c-1")
                .setIssuedAtMs(1_764_000_000_500L)
                .setType(CommandType.SWITCHOVER)
                .setTargetNode("beta")
                .setPauseForMs(null)
                .setIssuedBy("ops")
                .build();
    }

    static Fence fence() {
        return FenceMarker.body("coordinator-7f3a", 12, 1_764_000_000_000L, 1_764_000_004_250L);
    }
}
