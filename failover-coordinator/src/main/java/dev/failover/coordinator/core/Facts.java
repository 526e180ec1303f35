package dev.failover.coordinator.core;

import dev.failover.wire.Role;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Collectors;

/** The judgements every phase shares about one group, at one {@code nowMs}: silence, fencing, eligibility. */
final class Facts {

    final GroupView view;
    final long nowMs;
    private final Policy policy;

    Facts(Policy policy, GroupView view, long nowMs) {
        this.policy = policy;
        this.view = view;
        this.nowMs = nowMs;
    }

    /** The same judgements on {@code next} (the same liveness and watch), at the same time. */
    Facts withRecord(GroupRecord next) {
        return new Facts(policy, view.withRecord(next), nowMs);
    }

    /** The newest beat in its name, authentic or not (one that failed authentication is no silence either). */
    long lastSeen(Member m) {
        Liveness l = view.liveness().get(m.node());
        return Math.max(
                Math.max(view.watch().sinceMs(), l == null ? Long.MIN_VALUE : l.lastSeenMs()),
                view.unverifiedMs().getOrDefault(m.node(), Long.MIN_VALUE));
    }

    long silence(Member m) {
        return nowMs - lastSeen(m);
    }

    /** Silent for longer than its failure timeout: at the timeout it is not yet, 1 ms past it is. */
    boolean silent(Member m) {
        return silence(m) > m.timing().failureTimeoutMs();
    }

    /** Every heartbeat acknowledged before {@code lastSeen + lease} has been read. */
    boolean fenced(Member m) {
        return view.watch().fencedUpToMs() >= lastSeen(m) + m.timing().leaseMs();
    }

    /**
     * {@code m} reports STANDBY at {@code atEpoch} or later: its {@code --on-standby} hook has succeeded (an agent
     * reports STOPPING until then; a reader that predates STOPPING sees UNKNOWN, which is no acknowledgement
     * either).
     */
    boolean reportsStoodDown(Member m, long atEpoch) {
        Liveness l = view.liveness().get(m.node());
        return l != null && l.reportedRole() == Role.STANDBY && l.reportedEpoch() >= atEpoch;
    }

    boolean eligible(Member m) {
        Liveness l = view.liveness().get(m.node());
        return l != null && !silent(m) && l.healthyEnough() && m.problem() == null && !view.unverifiedNewest(m.node());
    }

    String describe(Member m) {
        Liveness l = view.liveness().get(m.node());
        if (m.problem() != null) {
            return m.problem();
        }
        if (view.unverifiedNewest(m.node())) {
            return "its heartbeats fail authentication";
        }
        if (l == null) {
            return "no heartbeat since the coordinator started";
        }
        if (silent(m)) {
            return "silent for " + silence(m) + " ms > timeout " + m.timing().failureTimeoutMs() + " ms";
        }

        if (l.leaving()) {
            return "leaving";
        }
        if (l.failed()) {
            return "unhealthy for " + l.unhealthyStreak() + " beats";
        }
        if (!l.proven()) {
            return "healthy for " + l.healthyStreak() + " of " + policy.rise() + " beats needed";
        }
        return "healthy";
    }

    /** Why no member but {@code except} may be promoted, e.g. " (beta: healthy for 1 of 2 beats needed)". */
    String whyNoneEligible(String except) {
        String why = view.record().members().values().stream()
                .filter(m -> !m.node().equals(except))
                .map(m -> m.node() + ": " + describe(m))
                .collect(Collectors.joining("; "));
        return why.isEmpty() ? " (no other member)" : " (" + why + ")";
    }

    /** The best eligible member other than {@code except}: priority, then replication position, then node id. */
    Optional<Member> best(String except) {
        return view.record().members().values().stream()
                .filter(m -> !m.node().equals(except))
                .filter(this::eligible)
                .min(Comparator.comparingInt((Member m) -> -m.priority())
                        .thenComparing(
                                m -> view.liveness().get(m.node()).replicationPosition(),
                                Comparator.nullsLast(Comparator.reverseOrder()))
                        .thenComparing(Member::node));
    }

    /**
     * Above the stored epoch and above every epoch a member reports, so an epoch is never reused even by a
     * coordinator whose store lost a write the agents saw; reports from {@link Decider#MAX_ADOPTED_EPOCH} up are
     * ignored (the shell counts reports above the stored epoch), so no heartbeat can push the epoch to overflow.
     */
    long nextEpoch() {
        long reported = view.liveness().values().stream()
                .mapToLong(Liveness::reportedEpoch)
                .filter(e -> e >= 0 && e < Decider.MAX_ADOPTED_EPOCH)
                .max()
                .orElse(0);
        return Math.max(view.record().epoch(), reported) + 1;
    }
}
