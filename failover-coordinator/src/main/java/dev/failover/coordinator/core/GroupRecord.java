package dev.failover.coordinator.core;

import dev.failover.wire.GroupMode;
import dev.failover.wire.Role;
import java.util.Collections;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The durable facts of one group, the only per-group state that must survive a coordinator restart: membership,
 * assigned roles, the epoch, a handover in progress and a pause. Liveness is deliberately not here (see
 * {@link Liveness}): it is rebuilt from fresh heartbeats after a restart, which is what the self-guard needs anyway.
 *
 * @param pausedUntilMs {@link #NOT_PAUSED}, {@link #PAUSED_INDEFINITELY}, or when an operator's pause ends
 */
public record GroupRecord(
        String group,
        GroupMode mode,
        long epoch,
        SortedMap<String, Member> members,
        Handover pending,
        long pausedUntilMs) {

    public static final long NOT_PAUSED = Long.MIN_VALUE;
    public static final long PAUSED_INDEFINITELY = Long.MAX_VALUE;

    public GroupRecord {
        members = Collections.unmodifiableSortedMap(new TreeMap<>(members));
    }

    public static GroupRecord empty(String group, GroupMode mode) {
        return new GroupRecord(group, mode, 0, new TreeMap<>(), null, NOT_PAUSED);
    }

    public Optional<Member> primary() {
        return members.values().stream()
                .filter(m -> m.assigned() == Role.ACTIVE)
                .findFirst();
    }

    public boolean paused(long nowMs) {
        return pausedUntilMs != NOT_PAUSED && nowMs < pausedUntilMs;
    }

    public GroupRecord withMember(Member member) {
        TreeMap<String, Member> next = new TreeMap<>(members);
        next.put(member.node(), member);
        return new GroupRecord(group, mode, epoch, next, pending, pausedUntilMs);
    }

    public GroupRecord withoutMembers(java.util.Collection<String> nodes) {
        TreeMap<String, Member> next = new TreeMap<>(members);
        next.keySet().removeAll(nodes);
        return new GroupRecord(group, mode, epoch, next, pending, pausedUntilMs);
    }

    public GroupRecord withMode(GroupMode newMode) {
        return new GroupRecord(group, newMode, epoch, members, pending, pausedUntilMs);
    }

    public GroupRecord withPending(Handover handover) {
        return new GroupRecord(group, mode, epoch, members, handover, pausedUntilMs);
    }

    public GroupRecord withPausedUntil(long until) {
        return new GroupRecord(group, mode, epoch, members, pending, until);
    }

    /** A new epoch with these roles (members not named keep theirs). */
    public GroupRecord assign(long newEpoch, SortedMap<String, Role> roles) {
        TreeMap<String, Member> next = new TreeMap<>();
        members.forEach((node, m) -> next.put(node, m.withAssigned(roles.getOrDefault(node, m.assigned()))));
        return new GroupRecord(group, mode, newEpoch, next, pending, pausedUntilMs);
    }

    public SortedMap<String, Role> roles() {
        TreeMap<String, Role> roles = new TreeMap<>();
        members.forEach((node, m) -> roles.put(node, m.assigned()));
        return roles;
    }
}
