package dev.failover.coordinator.core;

import dev.failover.wire.Timing;

/**
 * How the coordinator judges members, the same for every group it decides.
 *
 * @param rise             consecutive healthy beats before a failed or new member is eligible again
 * @param fall             consecutive UNHEALTHY beats before a member counts as failed
 * @param minMarginMs      the least {@code failure timeout - lease} the coordinator accepts from an agent
 * @param failback         whether a recovered higher-priority member takes the primary role back
 * @param failbackAfterMs  how long it must have been eligible first
 * @param minActive        active/active: fewer ACTIVE members than this is said loudly in the reason
 * @param maxMembers       the most members a group may have: a new node beyond it is refused, so a group whose node
 *                         ids churn cannot grow its stored record without bound
 * @param memberRetentionMs a member silent for longer than this is forgotten (a group left with none is deleted)
 * @param electionGraceMs how long a group's election waits after this instance first heard the group, so that a
 *                        higher-priority member starting a little later is not beaten by the first one up (keepalived's
 *                        BACKUP state waits its master-down interval the same way); {@link #GRACE_ONE_TIMEOUT}: the
 *                        longest failure timeout among the group's members; 0: none
 */
public record Policy(
        int rise,
        int fall,
        int minMarginMs,
        Failback failback,
        long failbackAfterMs,
        int minActive,
        int maxMembers,
        long memberRetentionMs,
        long electionGraceMs) {

    /** {@link #electionGraceMs()}: one failure timeout (the longest among the group's members). */
    public static final long GRACE_ONE_TIMEOUT = -1;

    public static final int DEFAULT_MAX_MEMBERS = 64;
    public static final long DEFAULT_MEMBER_RETENTION_MS = 7L * 24 * 3600 * 1000;

    public enum Failback {
        STICKY,
        FAILBACK
    }

    public static Policy defaults() {
        return new Policy(
                2,
                2,
                Timing.DEFAULT_MIN_MARGIN_MS,
                Failback.STICKY,
                30_000,
                1,
                DEFAULT_MAX_MEMBERS,
                DEFAULT_MEMBER_RETENTION_MS,
                GRACE_ONE_TIMEOUT);
    }

    public Policy {
        if (rise < 1 || fall < 1) {
            throw new IllegalArgumentException("rise (" + rise + ") and fall (" + fall + ") must be at least 1");
        }
        if (memberRetentionMs < 1) {
            throw new IllegalArgumentException("the member retention must be positive, not " + memberRetentionMs);
        }
        if (maxMembers < 1) {
            throw new IllegalArgumentException("a group must be allowed at least one member, not " + maxMembers);
        }
        if (electionGraceMs < GRACE_ONE_TIMEOUT) {
            throw new IllegalArgumentException(
                    "the election grace must be 0 or more, or -1 for one failure timeout, not " + electionGraceMs);
        }
        if (minMarginMs < 0) {
            throw new IllegalArgumentException("the minimum margin must not be negative, not " + minMarginMs);
        }
    }

    public Policy withFailback(Failback failback, long afterMs) {
        return new Policy(
                rise, fall, minMarginMs, failback, afterMs, minActive, maxMembers, memberRetentionMs, electionGraceMs);
    }

    public Policy withMinActive(int minActive) {
        return new Policy(
                rise,
                fall,
                minMarginMs,
                failback,
                failbackAfterMs,
                minActive,
                maxMembers,
                memberRetentionMs,
                electionGraceMs);
    }

    public Policy withMemberRetentionMs(long retentionMs) {
        return new Policy(
                rise,
                fall,
                minMarginMs,
                failback,
                failbackAfterMs,
                minActive,
                maxMembers,
                retentionMs,
                electionGraceMs);
    }

    public Policy withElectionGraceMs(long graceMs) {
        return new Policy(
                rise, fall, minMarginMs, failback, failbackAfterMs, minActive, maxMembers, memberRetentionMs, graceMs);
    }

    public Policy withMaxMembers(int maxMembers) {
        return new Policy(
                rise,
                fall,
                minMarginMs,
                failback,
                failbackAfterMs,
                minActive,
                maxMembers,
                memberRetentionMs,
                electionGraceMs);
    }
}
