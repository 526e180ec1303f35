package dev.failover.coordinator.core;

import dev.failover.wire.Role;
import dev.failover.wire.Timing;

/**
 * A durable fact about one member: who it is, how it asked to be judged, and the role it was assigned.
 *
 * @param problem        why this member may not be made ACTIVE (inconsistent timing, another mode), or {@code null}
 * @param fenceOwedSince the epoch of the newest promotion that named it for {@code --fence-peer} while it has not
 *                       stood down since (reported STANDBY at that epoch or later, or left) nor been confirmed
 *                       stopped; every promotion names it again. {@link #NO_FENCE_OWED} when it owes nothing.
 */
public record Member(String node, int priority, Timing timing, Role assigned, String problem, long fenceOwedSince) {

    public static final long NO_FENCE_OWED = 0;

    public Member(String node, int priority, Timing timing, Role assigned, String problem) {
        this(node, priority, timing, assigned, problem, NO_FENCE_OWED);
    }

    public Member withAssigned(Role role) {
        return role == assigned ? this : new Member(node, priority, timing, role, problem, fenceOwedSince);
    }

    /**
     * Named for fencing by the promotion at {@code epoch}: owed until it stands down at that epoch or later. The
     * newest naming counts, not the first: it may have been promoted and activated in between (a STANDBY report at
     * the first naming's epoch, delayed, would otherwise settle what it owes for that later activation).
     */
    public Member owingFenceSince(long epoch) {
        return fenceOwedSince >= epoch ? this : new Member(node, priority, timing, assigned, problem, epoch);
    }

    /** It stood down, or an operator confirmed its service stopped: nothing owed. */
    public Member fenceSettled() {
        return owesFence() ? new Member(node, priority, timing, assigned, problem, NO_FENCE_OWED) : this;
    }

    public boolean owesFence() {
        return fenceOwedSince != NO_FENCE_OWED;
    }
}
