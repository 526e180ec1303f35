package dev.failover.coordinator.streams;

import dev.failover.coordinator.core.Change;
import dev.failover.coordinator.core.GroupRecord;
import dev.failover.coordinator.core.GroupView;
import dev.failover.coordinator.core.Handover;
import dev.failover.coordinator.core.Liveness;
import dev.failover.coordinator.core.Member;
import dev.failover.wire.BeatRef;
import dev.failover.wire.GroupState;
import dev.failover.wire.Health;
import dev.failover.wire.MemberView;
import dev.failover.wire.Role;
import dev.failover.wire.RoleChange;
import dev.failover.wire.tools.JsonText;
import java.util.List;
import java.util.stream.Collectors;

/** Turns a decision and the view behind it into the records users read: what was decided, and on what evidence. */
final class Evidence {

    private Evidence() {}

    static RoleChange roleChange(Change change, GroupView view, Now now) {
        return RoleChange.newBuilder()
                .setGroup(view.record().group())
                .setEpoch(change.epoch())
                .setMode(view.record().mode())
                .setDecidedAtMs(now.wallMs())
                .setKind(change.kind())
                .setMembers(members(view, now.monoMs(), change.roles()::get))
                .setReason(change.reason())
                .setCommandId(change.commandId())
                .setFence(change.fence())
                .setBasis(basis(change, view))
                .build();
    }

    /**
     * For every member the change makes ACTIVE, the newest heartbeat of it read so far (sequence -1 when none since
     * this instance started): the agent activates only within its lease of sending it (RoleChange v4).
     */
    private static List<BeatRef> basis(Change change, GroupView view) {
        return change.roles().entrySet().stream()
                .filter(e -> e.getValue() == Role.ACTIVE)
                .map(e -> e.getKey())
                .map(node -> {
                    Liveness l = view.liveness().get(node);
                    return BeatRef.newBuilder()
                            .setNode(node)
                            .setIncarnation(l == null ? -1 : l.incarnation())
                            .setSequence(l == null ? -1 : l.sequence())
                            .build();
                })
                .toList();
    }

    static GroupState groupState(GroupView view, Now now, String lastReason) {
        GroupRecord record = view.record();
        long nowMs = now.monoMs();
        return GroupState.newBuilder()
                .setGroup(record.group())
                .setEpoch(record.epoch())
                .setMode(record.mode())
                .setMembers(
                        members(view, nowMs, node -> record.members().get(node).assigned()))
                .setPaused(record.paused(nowMs))
                .setPausedUntilMs(
                        record.paused(nowMs) && record.pausedUntilMs() != GroupRecord.PAUSED_INDEFINITELY
                                ? now.toWall(record.pausedUntilMs())
                                : null)
                .setUpdatedAtMs(now.wallMs())
                .setLastReason(lastReason)
                .build();
    }

    /**
     * The group as its task sees it right now, for the status page: the state record ({@link #groupState}) plus, per
     * member, the role and epoch its newest beat reports, its failure timeout and, for an assigned ACTIVE member, the
     * lease left at most (from when this instance read its newest beat, on the monotonic clock: its own clock's lease
     * began no later); and the handover in progress, if any.
     */
    static String live(GroupView view, Now now, String waiting, int task) {
        GroupRecord record = view.record();
        long nowMs = now.monoMs();
        String members = record.members().values().stream()
                .map(m -> {
                    Liveness l = view.liveness().get(m.node());
                    String lease = l == null || m.assigned() != Role.ACTIVE
                            ? "null"
                            : Long.toString(l.lastSeenMs() + m.timing().leaseMs() - nowMs);
                    return JsonText.quote(m.node()) + ":{\"reportedRole\":"
                            + (l == null
                                    ? "null"
                                    : JsonText.quote(l.reportedRole().name()))
                            + ",\"reportedEpoch\":" + (l == null ? "null" : Long.toString(l.reportedEpoch()))
                            + ",\"failureTimeoutMs\":" + m.timing().failureTimeoutMs() + ",\"leaseLeftMs\":" + lease
                            + "}";
                })
                .collect(Collectors.joining(",", "{", "}"));
        Handover h = record.pending();
        String handover = h == null
                ? "null"
                : "{\"from\":" + JsonText.quote(h.from()) + ",\"to\":"
                        + (h.to() == null ? "null" : JsonText.quote(h.to())) + ",\"why\":" + JsonText.quote(h.why())
                        + ",\"forMs\":" + (nowMs - h.sinceMs()) + "}";
        return "{\"state\":" + groupState(view, now, waiting).toString().strip() + ",\"members\":" + members
                + ",\"handover\":" + handover + ",\"task\":" + task + "}";
    }

    private static List<MemberView> members(
            GroupView view, long nowMs, java.util.function.Function<String, Role> role) {
        return view.record().members().values().stream()
                .map(m -> member(m, view.liveness().get(m.node()), nowMs, role.apply(m.node())))
                .toList();
    }

    private static MemberView member(Member m, Liveness l, long nowMs, Role role) {
        return MemberView.newBuilder()
                .setNode(m.node())
                .setRole(role == null ? m.assigned() : role)
                .setHealth(l == null ? Health.UNKNOWN : l.failed() ? Health.UNHEALTHY : l.health())
                .setPriority(m.priority())
                .setLastSeenAgeMs(l == null ? null : nowMs - l.lastSeenMs())
                .setSuspicion(l == null ? null : l.suspicion(nowMs))
                .setReplicationPosition(l == null ? null : l.replicationPosition())
                .build();
    }
}
