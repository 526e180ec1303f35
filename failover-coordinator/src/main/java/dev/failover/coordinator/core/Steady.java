package dev.failover.coordinator.core;

import dev.failover.wire.DecisionKind;
import dev.failover.wire.Role;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * {@link GroupPhase#STEADY}: an active/passive group with a primary (convict a proven-silent one, hand over from a live
 * one that must go, or keep it), or an active/active group (every eligible member serves).
 */
final class Steady {
    private final Policy policy;
    private final Moves moves;

    Steady(Policy policy, Moves moves) {
        this.policy = policy;
        this.moves = moves;
    }

    /**
     * STEADY (active/passive): a primary is assigned. A proven-silent one is convicted and replaced; a live one that
     * must go (leaving, unhealthy, deaf to its assignment, failback) is told to stand down first (HANDING_OVER).
     */
    Decision decide(Facts facts, Member p) {
        GroupView view = facts.view;
        GroupRecord record = view.record();
        long nowMs = facts.nowMs;
        if (Moves.reconfirmable(facts, p)) {
            return moves.reconfirm(facts, p, view.liveness().get(p.node()));
        }
        String name = p.node();
        if (facts.silent(p)) {
            if (!facts.fenced(p)) {
                return Decision.none(
                        record,
                        name + " silent for " + facts.silence(p) + " ms > timeout "
                                + p.timing().failureTimeoutMs()
                                + " ms; not convicting until the heartbeat log is read past "
                                + (facts.lastSeen(p) + p.timing().leaseMs()));
            }
            Optional<Member> successor = facts.best(name);
            if (successor.isEmpty()) {
                return Decision.none(
                        record,
                        name + " silent for " + facts.silence(p) + " ms > timeout "
                                + p.timing().failureTimeoutMs() + " ms, but no eligible standby to promote"
                                + facts.whyNoneEligible(name));
            }
            return Moves.convicting(
                    facts,
                    p,
                    moves.promote(
                            facts,
                            successor.get(),
                            DecisionKind.FAILOVER,
                            null,
                            "promoted " + successor.get().node()
                                    + ": " + name + " silent for " + facts.silence(p) + " ms > timeout "
                                    + p.timing().failureTimeoutMs() + " ms",
                            name));
        }
        Liveness lp = view.liveness().get(name);
        if (view.unverifiedNewest(name)) {
            // it may be alive and renewing its lease through Kafka: neither convicted nor told anything on the word
            // of a beat nobody can vouch for
            return Decision.none(
                    record,
                    name + "'s heartbeats fail authentication: holding every decision about it "
                            + "while they arrive (fix its heartbeat key: agent --heartbeat-key, heartbeat.key.dir)");
        }
        if (lp != null && lp.leaving()) {
            if (facts.reportsStoodDown(p, record.epoch())) {
                Optional<Member> successor = facts.best(name);
                if (successor.isEmpty()) {
                    return moves.demoteAll(
                            facts, name + " left and no eligible standby can take over" + facts.whyNoneEligible(name));
                }
                return moves.promote(
                        facts,
                        successor.get(),
                        DecisionKind.FAILOVER,
                        null,
                        "promoted " + successor.get().node() + ": " + name + " is leaving and has stood down");
            }
            return moves.startHandover(facts, p, null, name + " is leaving", null);
        }
        if (lp != null && lp.failed()) {
            Optional<Member> successor = facts.best(name);
            if (successor.isEmpty()) {
                return Decision.none(
                        record,
                        name + " unhealthy for " + lp.unhealthyStreak() + " beats, but no eligible standby: keeping it"
                                + facts.whyNoneEligible(name));
            }
            return moves.startHandover(
                    facts, p, successor.get().node(), name + " unhealthy for " + lp.unhealthyStreak() + " beats", null);
        }
        if (lp != null && facts.reportsStoodDown(p, record.epoch()) && facts.eligible(p)) {
            return moves.promote(
                    facts,
                    p,
                    DecisionKind.ELECTION,
                    null,
                    "re-activated " + name + ": it reports " + lp.reportedRole() + " at epoch " + lp.reportedEpoch()
                            + " (restarted or its lease lapsed)");
        }
        long waited = nowMs - view.assignmentSinceMs();
        // the heartbeat log must have been read (fence) past a full timeout after the assignment: a coordinator that
        // lags reads reports sent before the primary applied it, and must not take them for deafness
        if (lp != null
                && lp.reportedRole() == Role.STANDBY
                && lp.reportedEpoch() < record.epoch()
                && waited > p.timing().failureTimeoutMs()
                && view.watch().fencedUpToMs()
                        > view.assignmentSinceMs() + p.timing().failureTimeoutMs()) {
            // alive but deaf to its assignment (a RoleChange version it cannot read, a feed that does not reach it).
            // Its report may be stale, or it may still read the assignment and activate, so like any live primary it
            // is told to stand down first and the successor waits for its acknowledgement or its proven silence
            String why = name + " has not applied its assignment: it still reports STANDBY at epoch "
                    + lp.reportedEpoch() + ", " + waited + " ms after epoch " + record.epoch() + " made it ACTIVE "
                    + "(failure timeout " + p.timing().failureTimeoutMs() + " ms)";
            Optional<Member> successor = facts.best(name);
            if (successor.isEmpty()) {
                return Decision.none(record, why + "; no eligible standby to promote" + facts.whyNoneEligible(name));
            }
            return moves.startHandover(facts, p, successor.get().node(), why, null);
        }
        if (policy.failback() == Policy.Failback.FAILBACK) {
            Optional<Member> preferred = facts.best(name)
                    .filter(b -> b.priority() > p.priority()
                            && nowMs - view.liveness().get(b.node()).eligibleSinceMs() >= policy.failbackAfterMs());
            if (preferred.isPresent()) {
                return moves.startHandover(
                        facts,
                        p,
                        preferred.get().node(),
                        "failing back to " + preferred.get().node()
                                + " (priority " + preferred.get().priority() + " > " + p.priority() + ", eligible for "
                                + policy.failbackAfterMs() + " ms)",
                        null);
            }
        }
        return Decision.none(record, "steady: " + name + " is ACTIVE at epoch " + record.epoch());
    }

    /** STEADY (active/active): every eligible member serves, and one out of service is taken out. */
    Decision decideActiveActive(Facts facts) {
        GroupView view = facts.view;
        GroupRecord record = view.record();
        SortedMap<String, Role> roles = new TreeMap<>();
        StringBuilder why = new StringBuilder();
        for (Member m : record.members().values()) {
            Liveness l = view.liveness().get(m.node());
            // silence removes a member only once fenced, like a conviction: a restarted or lagging coordinator
            // must not empty the group
            boolean out = (facts.silent(m) && facts.fenced(m))
                    || (l != null && (l.failed() || l.leaving()))
                    || m.problem() != null;
            Role role = m.assigned() == Role.ACTIVE
                    ? (out ? Role.STANDBY : Role.ACTIVE)
                    : (facts.eligible(m) ? Role.ACTIVE : Role.STANDBY);
            roles.put(m.node(), role);
            if (role != m.assigned()) {
                why.append(why.length() == 0 ? "" : "; ")
                        .append(role == Role.ACTIVE ? "added " : "removed ")
                        .append(m.node())
                        .append(" (")
                        .append(facts.describe(m))
                        .append(")");
            }
        }
        long active = roles.values().stream().filter(r -> r == Role.ACTIVE).count();
        if (roles.equals(record.roles())) {
            return Decision.none(record, "steady: " + active + " ACTIVE");
        }
        why.append("; ").append(active).append(" ACTIVE");
        if (active < policy.minActive()) {
            why.append(", BELOW the minimum of ").append(policy.minActive());
        }
        long epoch = facts.nextEpoch();
        boolean removed = roles.entrySet().stream()
                .anyMatch(e -> e.getValue() == Role.STANDBY
                        && record.members().get(e.getKey()).assigned() == Role.ACTIVE);
        Decision decided = Decision.of(
                record.assign(epoch, roles),
                new Change(
                        removed ? DecisionKind.FAILOVER : DecisionKind.MEMBERSHIP, epoch, roles, why.toString(), null));
        // the longest-silent member taken out on proven silence is the one this decision convicted
        return record.members().values().stream()
                .filter(m -> m.assigned() == Role.ACTIVE && roles.get(m.node()) == Role.STANDBY)
                .filter(m -> facts.silent(m) && facts.fenced(m))
                .max(java.util.Comparator.comparingLong(facts::silence))
                .map(m -> Moves.convicting(facts, m, decided))
                .orElse(decided);
    }
}
