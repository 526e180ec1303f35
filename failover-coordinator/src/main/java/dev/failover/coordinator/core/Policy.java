package dev.failover.coordinator.core;

/**
 * How the coordinator judges members, the same for every group it decides.
 *
 * @param rise             consecutive healthy beats before a failed or new member is eligible again
 * @param fall             consecutive UNHEALTHY beats before a member counts as failed
 * @param minMarginMs      the least {@code failure timeout - lease} the coordinator accepts from an agent
 * @param failback         whether a recovered higher-priority member takes the primary role back
 * @param failbackAfterMs  how long it must have been eligible first
 * @param minActive        active/active: fewer ACTIVE members than this is said loudly in the reason
 */
public record Policy(int rise, int fall, int minMarginMs, Failback failback, long failbackAfterMs, int minActive) {

    public enum Failback { STICKY, FAILBACK }

    public static Policy defaults() {
        return new Policy(2, 2, 100, Failback.STICKY, 30_000, 1);
    }

    public Policy {
        if (rise < 1 || fall < 1) {
            throw new IllegalArgumentException("rise (" + rise + ") and fall (" + fall + ") must be at least 1");
        }
        if (minMarginMs < 0) {
            throw new IllegalArgumentException("the minimum margin must not be negative, not " + minMarginMs);
        }
    }

    public Policy withFailback(Failback failback, long afterMs) {
        return new Policy(rise, fall, minMarginMs, failback, afterMs, minActive);
    }

    public Policy withMinActive(int minActive) {
        return new Policy(rise, fall, minMarginMs, failback, failbackAfterMs, minActive);
    }
}
