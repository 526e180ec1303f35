package dev.failover.coordinator.core;

import dev.failover.wire.Health;
import dev.failover.wire.Role;

/**
 * What recent heartbeats say about one member: when the coordinator last received one, the health counted with
 * rise/fall, what the agent says it holds, and a short window of inter-arrival times for a phi-accrual suspicion
 * level. Volatile by design: never changelogged, rebuilt from fresh beats after a restart.
 *
 * @param lastSeenMs     the coordinator's clock when it received the newest beat
 * @param incarnation    the agent run that sent it, {@code sequence} its number in that run (a decision names it as
 *                       its basis, RoleChange v4), and {@code lastSentAtMs} its send time on the agent's clock
 * @param proven         had {@code rise} healthy beats in a row since it was first seen (or seen again after a silence)
 * @param failed         UNHEALTHY for {@code fall} beats in a row, and not yet {@code rise} healthy beats since
 * @param eligibleSinceMs when it last became healthy-eligible (for failback), or {@code Long.MIN_VALUE}
 * @param intervals      the last inter-arrival times in ms, newest last (at most {@link #WINDOW})
 * @param failsafe       what the newest beat says about failsafe (Heartbeat v3), or {@code null}: the agent runs
 *                       without {@code --failsafe}, or predates it
 */
public record Liveness(
        long lastSeenMs,
        long incarnation,
        long sequence,
        long lastSentAtMs,
        Health health,
        int healthyStreak,
        int unhealthyStreak,
        boolean proven,
        boolean failed,
        boolean leaving,
        Role reportedRole,
        long reportedEpoch,
        Long replicationPosition,
        long eligibleSinceMs,
        int[] intervals,
        Beat.Failsafe failsafe) {

    public static final int WINDOW = 16;

    /** The first beat of a member since this coordinator started watching: not eligible until {@code rise} beats. */
    public static Liveness first(Beat beat, long receivedAtMs, Policy policy) {
        Liveness unseen = new Liveness(
                receivedAtMs,
                beat.incarnation(),
                beat.sequence(),
                beat.sentAtMs(),
                Health.UNKNOWN,
                0,
                0,
                false,
                false,
                false,
                Role.UNKNOWN,
                0,
                null,
                Long.MIN_VALUE,
                new int[0],
                null);
        return unseen.observe(beat, receivedAtMs, policy, false);
    }

    /**
     * This member's liveness after one more beat received at {@code receivedAtMs}. The member starts over (it needs
     * {@code rise} healthy beats again) when it restarted (a new incarnation) or was really away: by its own clock,
     * more than its failure timeout passed between this beat and the previous one received (paused, cut off, beats
     * lost). A long gap in receive times alone is this coordinator reading late, and does not count against it.
     */
    public Liveness next(Beat beat, long receivedAtMs, Policy policy) {
        boolean restarted = beat.incarnation() != incarnation;
        if (!restarted && beat.sequence() <= sequence) {
            // A copy of a beat already read (the agent's producer retried a request the broker had appended), or one
            // overtaken by a newer: it says nothing new about health, role or epoch and must not count twice towards
            // rise or fall. It only shows the node reached Kafka, so the silence clock may restart (later, never
            // earlier: a conviction can only come later for it).
            return new Liveness(
                    Math.max(lastSeenMs, receivedAtMs),
                    incarnation,
                    sequence,
                    lastSentAtMs,
                    health,
                    healthyStreak,
                    unhealthyStreak,
                    proven,
                    failed,
                    leaving,
                    reportedRole,
                    reportedEpoch,
                    replicationPosition,
                    eligibleSinceMs,
                    intervals,
                    failsafe);
        }
        boolean away = beat.sentAtMs() - lastSentAtMs > beat.failureTimeoutMs();
        if (restarted || away) {
            return first(beat, receivedAtMs, policy);
        }
        return observe(beat, receivedAtMs, policy, true);
    }

    private Liveness observe(Beat beat, long receivedAtMs, Policy policy, boolean countInterval) {
        int healthy = healthyStreak;
        int unhealthy = unhealthyStreak;
        boolean nowFailed = failed;
        boolean nowProven = proven;
        switch (beat.health()) {
            case HEALTHY, DEGRADED -> {
                healthy++;
                unhealthy = 0;
                if (healthy >= policy.rise()) {
                    nowFailed = false;
                    nowProven = true;
                }
            }
            case UNHEALTHY -> {
                unhealthy++;
                healthy = 0;
                if (unhealthy >= policy.fall()) {
                    nowFailed = true;
                }
            }
            default -> {
                // LEAVING and UNKNOWN say nothing about the service's health
            }
        }
        boolean nowLeaving = beat.health() == Health.LEAVING;
        boolean eligible = nowProven && !nowFailed && !nowLeaving;
        long eligibleSince =
                eligible ? (eligibleSinceMs == Long.MIN_VALUE ? receivedAtMs : eligibleSinceMs) : Long.MIN_VALUE;
        return new Liveness(
                receivedAtMs,
                beat.incarnation(),
                beat.sequence(),
                beat.sentAtMs(),
                beat.health(),
                healthy,
                unhealthy,
                nowProven,
                nowFailed,
                nowLeaving,
                beat.role(),
                beat.epoch(),
                beat.replicationPosition(),
                eligibleSince,
                countInterval ? append(intervals, receivedAtMs - lastSeenMs) : intervals,
                beat.failsafe());
    }

    private static int[] append(int[] window, long interval) {
        int keep = Math.min(window.length, WINDOW - 1);
        int[] next = new int[keep + 1];
        System.arraycopy(window, window.length - keep, next, 0, keep);
        next[keep] = (int) Math.min(Integer.MAX_VALUE, Math.max(0, interval));
        return next;
    }

    /**
     * How long past the end of its lease through Kafka this member may serve on its peers' grants, by its newest beat;
     * 0 without failsafe.
     */
    public int failsafeMaxMs() {
        return failsafe == null ? 0 : Math.max(0, failsafe.maxMs());
    }

    /** Its newest beat says it serves on its peers' grants (failsafe), Kafka no longer renewing its lease. */
    public boolean onGrants() {
        return failsafe != null && failsafe.onGrants();
    }

    /** Proven, not failed, not leaving: may be made ACTIVE (silence and timing are judged by the decider). */
    public boolean healthyEnough() {
        return proven && !failed && !leaving;
    }

    /** The suspicion level from which a member counts as suspected ({@link #suspected}): near certainty. */
    public static final double SUSPECTED_PHI = 8;

    /**
     * Whether the census counts this member as suspected at {@code nowMs}: silent past its failure timeout, or its
     * beats so late that {@link #suspicion} reaches {@link #SUSPECTED_PHI}. A gauge only: no decision reads it.
     */
    public boolean suspected(long nowMs, long failureTimeoutMs) {
        Double phi = suspicion(nowMs);
        return nowMs - lastSeenMs > failureTimeoutMs || (phi != null && phi >= SUSPECTED_PHI);
    }

    /**
     * Phi-accrual suspicion at {@code nowMs}: {@code -log10} of the probability that a beat arrives later than now,
     * with inter-arrival times taken as normal (mean and deviation of the window). Returns {@code null} with fewer
     * than 3 intervals. About 1 means one chance in ten that the member is merely late; 8 is near certainty.
     */
    public Double suspicion(long nowMs) {
        if (intervals.length < 3) {
            return null;
        }
        double mean = 0;
        for (int i : intervals) {
            mean += i;
        }
        mean /= intervals.length;
        double variance = 0;
        for (int i : intervals) {
            variance += (i - mean) * (i - mean);
        }
        // a floor on the deviation so that a perfectly regular sender is not declared dead 1 ms after its mean
        double deviation = Math.max(Math.sqrt(variance / intervals.length), Math.max(10.0, mean / 10));
        double y = (nowMs - lastSeenMs - mean) / deviation;
        // logistic approximation of the normal tail probability P(X > y)
        double tail = 1.0 / (1.0 + Math.exp(y * (1.5976 + 0.070566 * y * y)));
        return -Math.log10(Math.max(tail, 1e-300));
    }
}
