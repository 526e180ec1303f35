package dev.failover.coordinator.core;

import dev.failover.wire.DecisionKind;
import dev.failover.wire.GroupMode;
import dev.failover.wire.Health;
import dev.failover.wire.Role;
import dev.failover.wire.Timing;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The coordinator's decisions, as pure functions of a {@link GroupView} and {@code nowMs}: no I/O, no clock.
 * Every branch returns its reason as one sentence.
 *
 * <h2>Active/passive: why no two members are ever ACTIVE</h2>
 * <ul>
 *   <li>A silent primary is convicted only when it has been silent past its failure timeout <b>and</b> the watch is
 *       fenced past {@code lastSeen + lease}: this coordinator has read back a marker it wrote into the heartbeat
 *       partition at that time, so every heartbeat acknowledged before then has been processed. The primary's lease
 *       chain (each acknowledged beat sent within a lease of the previous) therefore ended at most a lease after
 *       {@code lastSeen}. A lagging or restarted coordinator simply is not fenced yet, so it convicts nobody: that is
 *       the self-guard.</li>
 *   <li>A live primary (unhealthy, leaving, switched over) is first told to stand down at a new epoch; the successor
 *       is promoted only when the old primary reports STANDBY at that epoch, or can be convicted as above.</li>
 *   <li>An election (no primary) waits until no member's report of being ACTIVE can still be backed by a lease, and
 *       until the watch is fenced a full failure timeout past its start; its epoch exceeds every epoch reported, so
 *       even a lost store cannot reuse one.</li>
 * </ul>
 * The agent's half: a lapsed lease is sticky (re-activation needs a newer epoch), and a restarted agent activates
 * only on an epoch newer than the one it found at start-up.
 */
public final class Decider {

    /** Reported epochs from this one up are never adopted: far beyond any real history, far from overflow. */
    static final long MAX_ADOPTED_EPOCH = 1L << 53;

    /**
     * The longest failsafe maximum a member may announce (Heartbeat v3): a member announcing more, or none at all, is
     * never promoted (its timing is a problem), and a hold counts at most this long. The agent refuses
     * {@code --failsafe-max} beyond it.
     */
    public static final int MAX_FAILSAFE_MS = 600_000;

    private final Policy policy;

    public Decider(Policy policy) {
        this.policy = Objects.requireNonNull(policy);
    }

    public Policy policy() {
        return policy;
    }

    /**
     * Room for {@code node} in a group that already has {@link Policy#maxMembers()} members: the member silent longest
     * that {@code ctl remove} would accept (silent past its timeout, proven so, not ACTIVE, not in a handover) is
     * forgotten to make room; when none is, the join is refused (the newcomer's heartbeats change nothing).
     *
     * @return empty when {@code node} is a member or there is room; otherwise a MEMBERSHIP decision that makes room,
     *         or {@code Decision.none} whose reason says why {@code node} is refused
     */
    public Optional<Decision> makeRoom(GroupView view, String node, long nowMs) {
        GroupRecord record = view.record();
        if (record.members().containsKey(node) || record.members().size() < policy.maxMembers()) {
            return Optional.empty();
        }
        Facts facts = new Facts(view, nowMs);
        Optional<Member> evict = record.members().values().stream()
                .filter(m -> facts.silent(m) && facts.fenced(m) && m.assigned() != Role.ACTIVE)
                .filter(m -> !inHandover(record, m) && !owesFence(facts, m))
                .filter(m -> holdBy(facts, m, null, false).isEmpty())
                .max(Comparator.comparingLong(facts::silence));
        if (evict.isEmpty()) {
            return Optional.of(checked(
                    record,
                    Decision.none(
                            record,
                            "refusing " + node + " as a member of " + record.group()
                                    + ": the group has " + record.members().size() + " members, the most allowed "
                                    + "(max.members.per.group), and none is silent enough to forget"),
                    nowMs));
        }
        GroupRecord next = record.withoutMembers(java.util.List.of(evict.get().node()));
        return Optional.of(checked(
                record,
                Decision.of(
                        next,
                        new Change(
                                DecisionKind.MEMBERSHIP,
                                record.epoch(),
                                next.roles(),
                                "forgot "
                                        + evict.get().node() + " (silent for " + facts.silence(evict.get())
                                        + " ms) to make room for " + node
                                        + ": the group had " + record.members().size()
                                        + " members (max.members.per.group)",
                                null)),
                nowMs));
    }

    /** The group's durable record after a heartbeat: a new member, or a member's new priority or timing. */
    public GroupRecord join(GroupRecord record, Beat beat) {
        GroupRecord base =
                record.mode() == GroupMode.UNKNOWN && record.members().isEmpty()
                        ? record.withMode(beat.mode())
                        : record;
        // a maximum out of bounds is a problem (below), and counts as the longest one for the hold
        boolean failsafeOutOfBounds = beat.failsafe() != null
                && (beat.failsafe().maxMs() <= 0 || beat.failsafe().maxMs() > MAX_FAILSAFE_MS);
        int failsafeMax = beat.failsafe() == null
                ? 0
                : failsafeOutOfBounds ? MAX_FAILSAFE_MS : beat.failsafe().maxMs();
        Timing timing = new Timing(beat.heartbeatIntervalMs(), beat.leaseMs(), beat.failureTimeoutMs(), failsafeMax);
        String problem = timing.problem(policy.minMarginMs()).orElse(null);
        if (problem == null && beat.mode() != base.mode()) {
            problem = "it runs in " + beat.mode() + " mode but the group is " + base.mode();
        }
        if (problem == null && failsafeOutOfBounds) {
            problem =
                    "its failsafe maximum " + beat.failsafe().maxMs() + " ms is outside 1.." + MAX_FAILSAFE_MS + " ms";
        }
        Member existing = base.members().get(beat.node());
        Role assigned = existing == null ? Role.STANDBY : existing.assigned();
        // a fence it owes is settled by its own stand-down at or after the promotion that named it (an older STANDBY
        // report may have been sent before it activated, and read late), or by leaving: a leaving agent has stood
        // down for good, and never activates again in that run
        boolean stoodDown = beat.role() == Role.STANDBY
                && (existing == null || beat.epoch() >= existing.fenceOwedSince() || beat.health() == Health.LEAVING);
        long owed = existing == null || stoodDown ? Member.NO_FENCE_OWED : existing.fenceOwedSince();
        Member member = new Member(beat.node(), beat.priority(), timing, assigned, problem, owed);
        return member.equals(existing) ? base : base.withMember(member);
    }

    /**
     * Looks at the group at {@code nowMs} and decides whether any role must change: an ended pause and long-silent
     * members first (in any phase), then the rules of the group's {@link GroupPhase} only.
     */
    public Decision decide(GroupView view, long nowMs) {
        return checked(view.record(), inPhase(view, nowMs), nowMs);
    }

    private Decision inPhase(GroupView view, long nowMs) {
        GroupRecord record = view.record();
        if (record.pausedUntilMs() != GroupRecord.NOT_PAUSED && nowMs >= record.pausedUntilMs()) {
            GroupRecord next = record.withPausedUntil(GroupRecord.NOT_PAUSED);
            return Decision.of(
                    next,
                    new Change(
                            DecisionKind.RESUMED,
                            record.epoch(),
                            record.roles(),
                            "resumed automatic failover: the pause ended",
                            null));
        }
        Optional<Decision> forget = forgetLongSilent(view, nowMs);
        if (forget.isPresent()) {
            return forget.get();
        }
        Facts facts = new Facts(view, nowMs);
        return switch (GroupPhase.of(record, nowMs)) {
            case EMPTY -> Decision.none(record, "no members");
            case HANDING_OVER -> continueHandover(facts, record.pending());
            case PAUSED -> paused(facts);
            case ELECTING -> elect(facts);
            case STEADY ->
                record.mode() == GroupMode.ACTIVE_ACTIVE
                        ? decideActiveActive(facts)
                        : steady(facts, record.primary().orElseThrow());
        };
    }

    /**
     * The last check of every decision before it leaves the core: the move from the group's phase to the next
     * record's must be one {@link GroupPhase#allows}. One that is not is a defect, and is refused with the group left
     * as it was (changing nothing can start no second primary); the reason says so loudly.
     */
    Decision checked(GroupRecord before, Decision decision, long nowMs) {
        GroupPhase from = GroupPhase.of(before, nowMs);
        GroupPhase to = decision.to(nowMs);
        if (from.allows(to)) {
            return decision.from(from);
        }
        return Decision.none(
                        before,
                        "DEFECT: refused to move " + before.group() + " from " + from + " to " + to
                                + " (not a legal phase transition); the group is left as it was. The refused decision: "
                                + decision.reason())
                .from(from);
    }

    /**
     * Members silent for longer than {@link Policy#memberRetentionMs()} and their failure timeout (and proven so: the
     * watch is fenced past their lease) are forgotten, unless a handover in progress names them, or they are the
     * primary and another member is eligible (that is a failover, which the brake may hold); a group left with none is
     * for the shell to delete. The epoch stays: nobody's role changes, and a forgotten primary's lease ran out long ago.
     */
    private Optional<Decision> forgetLongSilent(GroupView view, long nowMs) {
        GroupRecord record = view.record();
        Facts facts = new Facts(view, nowMs);
        boolean anyEligible = record.members().values().stream().anyMatch(facts::eligible);
        java.util.List<String> gone = record.members().values().stream()
                .filter(m -> facts.silence(m) > policy.memberRetentionMs() && facts.silent(m) && facts.fenced(m))
                // (one that still owes a fence is forgotten too, after the retention: state must stay bounded; the
                // obligation to fence it lasts as long as the member does)
                .filter(m -> !inHandover(record, m))
                // a primary with an eligible successor is failed over (or held by the brake), never forgotten
                .filter(m -> m.assigned() != Role.ACTIVE || !anyEligible)
                // nor while it may serve on its peers' grants: forgotten, it would hold nobody's promotion
                .filter(m -> holdBy(facts, m, null, false).isEmpty())
                .map(Member::node)
                .toList();
        if (gone.isEmpty()) {
            return Optional.empty();
        }
        GroupRecord next = record.withoutMembers(gone);
        String reason = "forgot " + String.join(", ", gone) + ": silent for more than " + policy.memberRetentionMs()
                + " ms (member.retention.ms)" + (next.members().isEmpty() ? "; the group has no members left" : "");
        return Optional.of(
                Decision.of(next, new Change(DecisionKind.MEMBERSHIP, record.epoch(), next.roles(), reason, null)));
    }

    /**
     * PAUSED: no automatic role change. Only a primary serving on its peers' grants is re-confirmed (it changes no
     * role; see {@link #reconfirmable}); operator commands still apply ({@link #command}).
     */
    private Decision paused(Facts facts) {
        GroupRecord record = facts.view.record();
        if (record.mode() == GroupMode.ACTIVE_ACTIVE) {
            return Decision.none(record, "paused: no automatic changes");
        }
        Optional<Member> primary = record.primary();
        if (primary.isPresent() && reconfirmable(facts, primary.get())) {
            return reconfirm(
                    facts,
                    primary.get(),
                    facts.view.liveness().get(primary.get().node()));
        }
        return Decision.none(record, "paused: no automatic failover");
    }

    /**
     * STEADY (active/passive): a primary is assigned. A proven-silent one is convicted and replaced; a live one that
     * must go (leaving, unhealthy, deaf to its assignment, failback) is told to stand down first (HANDING_OVER).
     */
    private Decision steady(Facts facts, Member p) {
        GroupView view = facts.view;
        GroupRecord record = view.record();
        long nowMs = facts.nowMs;
        if (reconfirmable(facts, p)) {
            return reconfirm(facts, p, view.liveness().get(p.node()));
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
            return convicting(
                    facts,
                    p,
                    promote(
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
                    return demoteAll(
                            facts, name + " left and no eligible standby can take over" + facts.whyNoneEligible(name));
                }
                return promote(
                        facts,
                        successor.get(),
                        DecisionKind.FAILOVER,
                        null,
                        "promoted " + successor.get().node() + ": " + name + " is leaving and has stood down");
            }
            return startHandover(facts, p, null, name + " is leaving", null);
        }
        if (lp != null && lp.failed()) {
            Optional<Member> successor = facts.best(name);
            if (successor.isEmpty()) {
                return Decision.none(
                        record,
                        name + " unhealthy for " + lp.unhealthyStreak() + " beats, but no eligible standby: keeping it"
                                + facts.whyNoneEligible(name));
            }
            return startHandover(
                    facts, p, successor.get().node(), name + " unhealthy for " + lp.unhealthyStreak() + " beats", null);
        }
        if (lp != null && facts.reportsStoodDown(p, record.epoch()) && facts.eligible(p)) {
            return promote(
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
            return startHandover(facts, p, successor.get().node(), why, null);
        }
        if (policy.failback() == Policy.Failback.FAILBACK) {
            Optional<Member> preferred = facts.best(name)
                    .filter(b -> b.priority() > p.priority()
                            && nowMs - view.liveness().get(b.node()).eligibleSinceMs() >= policy.failbackAfterMs());
            if (preferred.isPresent()) {
                return startHandover(
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

    /**
     * Failsafe's way back: the primary serves on its peers' grants (its heartbeat says so, at the current epoch), and
     * that heartbeat reached this coordinator, so Kafka works for it again. A decision at a new epoch with the same
     * roles, based on that heartbeat (RoleChange v4's basis is the newest beat read), takes it back onto Kafka's
     * lease without running a hook: its agent accepts it only within a lease of sending that beat, exactly as for an
     * activation, and its peers, applying the new epoch, refuse grants asked by anyone else. Not a failover: the
     * brake does not count it, nobody is fenced, and a paused group takes it too (it changes no role).
     */
    private static boolean reconfirmable(Facts facts, Member p) {
        Liveness lp = facts.view.liveness().get(p.node());
        // heard (not silent), not leaving (it stands down on its own), serving on grants at the current epoch. An
        // unhealthy one too: with nobody to take over it is kept, and otherwise it is handed over at the next decision
        return lp != null
                && !facts.silent(p)
                && !lp.leaving()
                && p.problem() == null
                && lp.onGrants()
                && lp.reportedRole() == Role.ACTIVE
                && lp.reportedEpoch() == facts.view.record().epoch();
    }

    private Decision reconfirm(Facts facts, Member p, Liveness lp) {
        GroupRecord record = facts.view.record();
        long epoch = facts.nextEpoch();
        SortedMap<String, Role> roles = record.roles();
        return Decision.of(
                record.assign(epoch, roles),
                new Change(
                        DecisionKind.RECONFIRMED,
                        epoch,
                        roles,
                        "re-confirmed " + p.node()
                                + " as primary: it serves on its peers' grants (failsafe) and its heartbeat "
                                + lp.sequence() + " reached Kafka, which renews its lease again from that heartbeat",
                        null));
    }

    /** A member holds a promotion until {@code untilMs}, for the reason {@code why}. */
    private record Hold(long untilMs, String why) {}

    /**
     * Failsafe's peer-set rule. A member whose service may run on its peers' grants (it announces a failsafe maximum,
     * and it last reported ACTIVE or is the assigned primary) may serve until {@code maxMs} past the end of its lease
     * through Kafka, so up to {@code lastSeen + failure timeout + maxMs} here (plus a margin for the two clocks' rates),
     * asking only the peers of its ask set. {@code winner} is safe beside it only if it is in that set, as announced at
     * the current epoch: then the winner either refuses (having read this promotion) and the member stands down within
     * a promise, or granted and holds its own activation until the promise ends. Anyone else waits for the member's
     * maximum to pass. A member unheard since this instance started (its ask set unknown) holds every promotion for the
     * maximum it announced before (kept in the group's record) when it is assigned ACTIVE, standing down
     * ({@code replaced}, or in a handover), or owes a fence.
     *
     * @return the latest such hold that is still running at {@code facts.nowMs}, or empty
     */
    private Optional<Hold> failsafeHold(Facts facts, String winner, String replaced, String confirmed) {
        Hold latest = null;
        for (Member m : facts.view.record().members().values()) {
            if (m.node().equals(winner) || m.node().equals(confirmed)) {
                continue;
            }
            Optional<Hold> hold = holdBy(facts, m, winner, m.node().equals(replaced));
            if (hold.isPresent() && (latest == null || hold.get().untilMs() > latest.untilMs())) {
                latest = hold.get();
            }
        }
        return Optional.ofNullable(latest);
    }

    /**
     * How long {@code m} may still serve on its peers' grants beside {@code winner} (null: beside anyone, for
     * {@code ctl remove} and forgetting), if it may at {@code facts.nowMs}; see {@link #failsafeHold}.
     */
    private Optional<Hold> holdBy(Facts facts, Member m, String winner, boolean replaced) {
        GroupRecord record = facts.view.record();
        Liveness l = facts.view.liveness().get(m.node());
        int maxMs = Math.min(MAX_FAILSAFE_MS, Math.max(m.timing().failsafeMaxMs(), l == null ? 0 : l.failsafeMaxMs()));
        if (maxMs <= 0) {
            return Optional.empty();
        }
        String why;
        if (l != null) {
            if (l.reportedRole() != Role.ACTIVE && m.assigned() != Role.ACTIVE) {
                return Optional.empty();
            }
            if (winner != null
                    && l.failsafe() != null
                    && l.reportedRole() == Role.ACTIVE
                    && l.reportedEpoch() == record.epoch()
                    && l.failsafe().askSet().contains(winner)) {
                return Optional.empty();
            }
            why = m.node() + " may serve on its peers' grants (failsafe) until its maximum of " + maxMs
                    + " ms has passed, and "
                    + (winner == null
                            ? "nobody may take its place before"
                            : winner + " is not among the peers it announced asking at epoch " + record.epoch());
        } else {
            if (m.assigned() != Role.ACTIVE && !m.owesFence() && !inHandover(record, m) && !replaced) {
                return Optional.empty();
            }
            why = m.node() + " has not been heard since this instance started and may serve on its peers' grants "
                    + "(failsafe) until the maximum of " + maxMs + " ms it announced has passed";
        }
        // the member counts its maximum on its own clock: a margin for the two clocks' rates (1000 ppm) and the
        // coordinator's least margin, as between a lease and a failure timeout
        long until = saturatedAdd(
                facts.lastSeen(m), (long) m.timing().failureTimeoutMs() + maxMs + maxMs / 1000 + policy.minMarginMs());
        if (facts.nowMs >= until) {
            return Optional.empty();
        }
        return Optional.of(
                new Hold(until, why + " (held until " + until + ", " + (until - facts.nowMs) + " ms from now)"));
    }

    /** Why {@code winner} may not be promoted now: {@link #mayStillServe}, then failsafe's {@link #failsafeHold}. */
    private Optional<String> promotionBlocked(Facts facts, String winner, String replaced, String confirmed) {
        return mayStillServe(facts, winner, confirmed)
                .or(() -> failsafeHold(facts, winner, replaced, confirmed).map(Hold::why));
    }

    /**
     * A member other than {@code winner} whose service may still run and that is not convicted (it reports ACTIVE or
     * STOPPING and is alive, or silent but not yet proven so): nobody may be promoted beside it. {@code except}: the
     * winner, and a node an operator confirmed stopped. Returns why, or empty.
     */
    private static Optional<String> mayStillServe(Facts facts, String... except) {
        java.util.Set<String> excepted = new java.util.HashSet<>(java.util.Arrays.asList(except));
        for (Member m : facts.view.record().members().values()) {
            Liveness l = facts.view.liveness().get(m.node());
            if (!excepted.contains(m.node())
                    && l != null
                    && mayServe(l.reportedRole())
                    && !(facts.silent(m) && facts.fenced(m))) {
                return Optional.of(m.node() + " reports " + l.reportedRole() + " at epoch " + l.reportedEpoch()
                        + (l.reportedRole() == Role.ACTIVE
                                ? ": waiting until its lease cannot be valid"
                                : ": its stand-down has not finished, so its service may still run"));
            }
            // Unheard since this instance started, silent, but not yet proven so by a fence marker: a promotion now
            // could not name it for --fence-peer (promote names it once fenced), so it waits for the proof instead
            // of leaving it out. Markers are written on demand, so the proof may take up to a keepalive interval.
            if (!excepted.contains(m.node()) && l == null && facts.silent(m) && !facts.fenced(m)) {
                return Optional.of(m.node() + " has not been heard since this instance started: waiting until a fence "
                        + "marker proves its silence, so that the promotion names it for --fence-peer");
            }
        }
        return Optional.empty();
    }

    /** A member named for fencing that has not stood down since, or a silent member whose last report says its service may run: promotions name it for --fence-peer. */
    private static boolean owesFence(Facts facts, Member m) {
        Liveness l = facts.view.liveness().get(m.node());
        return m.owesFence() || (l != null && mayServe(l.reportedRole()));
    }

    private Decision elect(Facts facts) {
        GroupRecord record = facts.view.record();
        Optional<String> blocked = mayStillServe(facts);
        if (blocked.isPresent()) {
            return Decision.none(record, "no primary, but " + blocked.get());
        }
        long guardUntil = facts.view.watch().sinceMs()
                + record.members().values().stream()
                        .mapToLong(m -> m.timing().failureTimeoutMs())
                        .max()
                        .orElse(0);
        if (facts.view.watch().fencedUpToMs() < guardUntil) {
            return Decision.none(
                    record,
                    "no primary; collecting a full failure timeout of fresh heartbeats before "
                            + "electing (read up to " + facts.view.watch().fencedUpToMs() + ", need " + guardUntil
                            + ")");
        }
        Optional<Member> best = facts.best(null);
        if (best.isEmpty()) {
            return Decision.none(record, "no primary and no eligible member to elect");
        }
        long graceEnd = graceEnd(facts.view);
        if (facts.nowMs < graceEnd) {
            return Decision.none(
                    record,
                    "no primary; " + best.get().node() + " (priority "
                            + best.get().priority() + ") is the best "
                            + "eligible member, but the election waits " + (graceEnd - facts.nowMs)
                            + " ms more (election.grace.ms: " + grace(record) + " ms since the group was first heard) "
                            + "for a member of higher priority to show up");
        }
        return promote(
                facts,
                best.get(),
                DecisionKind.ELECTION,
                null,
                "elected " + best.get().node() + ": no primary, and it is the best eligible member (priority "
                        + best.get().priority() + ")");
    }

    /** The election grace of {@code record}'s group in ms: the policy's, or its members' longest failure timeout. */
    private long grace(GroupRecord record) {
        return policy.electionGraceMs() != Policy.GRACE_ONE_TIMEOUT
                ? policy.electionGraceMs()
                : record.members().values().stream()
                        .mapToLong(m -> m.timing().failureTimeoutMs())
                        .max()
                        .orElse(0);
    }

    /** When the election grace ends: {@link #grace} after this instance first heard the group. */
    private long graceEnd(GroupView view) {
        return saturatedAdd(view.heardSince(), grace(view.record()));
    }

    private Decision continueHandover(Facts facts, Handover handover) {
        GroupRecord record = facts.view.record();
        Member from = record.members().get(handover.from());
        Liveness leaver = from == null ? null : facts.view.liveness().get(from.node());
        // a node that leaves stands down for good on its own, at the epoch it held: LEAVING with STANDBY means its
        // stand-down hook is done, whether or not it heard this handover's epoch before it went
        boolean left = leaver != null && leaver.leaving() && leaver.reportedRole() == Role.STANDBY;
        boolean acknowledged = from == null || facts.reportsStoodDown(from, handover.standDownEpoch()) || left;
        boolean convicted = from != null && facts.silent(from) && facts.fenced(from);
        if (!acknowledged && !convicted) {
            boolean stopping = leaver != null
                    && leaver.reportedRole() == Role.STOPPING
                    && leaver.reportedEpoch() >= handover.standDownEpoch();
            String state = !stopping
                    ? ""
                    : leaver.failed()
                            ? "; its stand-down hook FAILED, so its service may still run: nobody is promoted while it is alive "
                                    + "(stop the service by hand, then failover ctl confirm-stopped --node "
                                    + handover.from()
                                    + ", or restart its agent, or let its --on-fence succeed)"
                            : "; it is stopping its service (its --on-standby hook runs)";
            return Decision.none(
                    record,
                    "waiting for " + handover.from() + " to stand down at epoch " + handover.standDownEpoch() + " ("
                            + handover.why() + ")" + state);
        }
        String how = left
                ? handover.from() + " left and stood down"
                : acknowledged
                        ? handover.from() + " stood down at epoch " + handover.standDownEpoch()
                        : handover.from() + " silent for " + facts.silence(from) + " ms after being told to stand down";
        Optional<Member> successor = successor(facts, handover);
        if (successor.isEmpty() && from != null && handover.commandId() != null && facts.eligible(from)) {
            successor = Optional.of(from); // a switchover whose target failed: the old primary is still fine
        }
        // checked here, where the handover is still pending (a hold may wait for the leaver's failsafe maximum): a
        // promotion refused further down would return the record with the handover already cleared
        Optional<String> blocked =
                successor.flatMap(s -> promotionBlocked(facts, s.node(), acknowledged ? null : handover.from(), null));
        if (blocked.isPresent()) {
            return Decision.none(
                    record, how + "; not promoting " + successor.get().node() + " yet: " + blocked.get());
        }
        GroupRecord done = record.withPending(null);
        if (successor.isEmpty()) {
            // the handover stays pending: when a member becomes eligible, it is promoted from here, and a silent
            // node is still named for --fence-peer (elect would not know it was the one that may still serve)
            return Decision.none(record, how + "; no eligible member to promote yet");
        }
        DecisionKind kind = handover.commandId() != null ? DecisionKind.SWITCHOVER : DecisionKind.FAILOVER;
        Decision promoted = promote(
                new Facts(facts.view.withRecord(done), facts.nowMs),
                successor.get(),
                kind,
                handover.commandId(),
                "promoted " + successor.get().node() + ": " + how + " (" + handover.why() + ")",
                acknowledged ? null : handover.from());
        return acknowledged ? promoted : convicting(facts, from, promoted);
    }

    /** {@code promoted}, naming {@code convicted} as the member its promotion replaced on proven silence. */
    private static Decision convicting(Facts facts, Member convicted, Decision promoted) {
        return promoted.change().isEmpty()
                ? promoted
                : promoted.withConviction(new Decision.Conviction(
                        convicted.node(),
                        facts.silence(convicted),
                        convicted.timing().failureTimeoutMs()));
    }

    private Decision startHandover(Facts facts, Member from, String to, String why, String commandId) {
        GroupRecord record = facts.view.record();
        long epoch = facts.nextEpoch();
        SortedMap<String, Role> roles = allStandby(record);
        GroupRecord next = record.assign(epoch, roles)
                .withPending(new Handover(from.node(), to, epoch, why, commandId, facts.nowMs));
        String reason = "standing down " + from.node() + " (" + why + "); " + (to == null ? "the best standby" : to)
                + " is promoted once it acknowledges or has been silent for "
                + from.timing().failureTimeoutMs() + " ms";
        DecisionKind kind = commandId != null ? DecisionKind.SWITCHOVER : DecisionKind.STAND_DOWN;
        return Decision.of(next, new Change(kind, epoch, roles, reason, commandId));
    }

    private Decision promote(Facts facts, Member winner, DecisionKind kind, String commandId, String reason) {
        return promote(facts, winner, kind, commandId, reason, null, null);
    }

    private Decision promote(
            Facts facts, Member winner, DecisionKind kind, String commandId, String reason, String replaced) {
        return promote(facts, winner, kind, commandId, reason, replaced, null);
    }

    /**
     * {@code replaced}: the primary replaced without an acknowledged stand-down, or null. The promotion names for the
     * winner's {@code --fence-peer} every member whose service may still run though nobody saw it stop: that primary,
     * and any member convicted by silence whose last report was ACTIVE or STOPPING, or of which this instance has seen
     * nothing since it started (Pacemaker's startup-fencing). The obligation so outlives a successor whose own fence
     * failed: the next promotion names the same node again, until it comes back and stands down. A node an operator
     * confirmed stopped ({@code confirmed}) is not named.
     */
    private Decision promote(
            Facts facts,
            Member winner,
            DecisionKind kind,
            String commandId,
            String reason,
            String replaced,
            String confirmed) {
        GroupRecord record = facts.view.record();
        // the last guard of every promotion: never beside a member whose service may still run and is not convicted
        // (a node alive and STOPPING after a failed stop, while another's handover completes, say)
        Optional<String> blocked = promotionBlocked(facts, winner.node(), replaced, confirmed);
        if (blocked.isPresent()) {
            return Decision.none(record, "not promoting " + winner.node() + " yet: " + blocked.get());
        }
        long epoch = facts.nextEpoch();
        SortedMap<String, Role> roles = allStandby(record);
        roles.put(winner.node(), Role.ACTIVE);
        List<String> fence = new ArrayList<>();
        if (replaced != null && !replaced.equals(winner.node())) {
            fence.add(replaced);
        }
        for (Member m : record.members().values()) {
            Liveness l = facts.view.liveness().get(m.node());
            if (!m.node().equals(winner.node())
                    && !m.node().equals(confirmed)
                    && !fence.contains(m.node())
                    && (m.owesFence()
                            || (facts.silent(m) && facts.fenced(m) && (l == null || mayServe(l.reportedRole()))))) {
                fence.add(m.node());
            }
        }
        // each named member stays named by every promotion until it stands down itself: a successor told to fence it
        // may never activate (and fence), and its last report read may say STANDBY though it activated after it
        GroupRecord next = record.assign(epoch, roles);
        for (String node : fence) {
            next = next.withMember(next.members().get(node).owingFenceSince(epoch));
        }
        if (confirmed != null && next.members().containsKey(confirmed)) {
            next = next.withMember(next.members().get(confirmed).fenceSettled());
        }
        return Decision.of(next, new Change(kind, epoch, roles, reason, commandId, fence));
    }

    private Decision demoteAll(Facts facts, String reason) {
        GroupRecord record = facts.view.record();
        long epoch = facts.nextEpoch();
        SortedMap<String, Role> roles = allStandby(record);
        return Decision.of(
                record.assign(epoch, roles), new Change(DecisionKind.STAND_DOWN, epoch, roles, reason, null));
    }

    /** STEADY (active/active): every eligible member serves, and one out of service is taken out. */
    private Decision decideActiveActive(Facts facts) {
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
        return Decision.of(
                record.assign(epoch, roles),
                new Change(
                        removed ? DecisionKind.FAILOVER : DecisionKind.MEMBERSHIP, epoch, roles, why.toString(), null));
    }

    /** Ten years: a longer pause is an indefinite one. */
    static final long MAX_PAUSE_MS = 10L * 365 * 24 * 3600 * 1000;

    /** An operator command: acknowledged or refused, always with a record carrying its id. */
    public Decision command(GroupView view, Order command, long nowMs) {
        return checked(view.record(), commandInPhase(view, command, nowMs), nowMs);
    }

    private Decision commandInPhase(GroupView view, Order command, long nowMs) {
        GroupRecord record = view.record();
        String id = command.commandId();
        String by = command.issuedBy() == null ? "" : " by " + command.issuedBy();
        switch (command.type()) {
            case PAUSE -> {
                Long forMs = command.pauseForMs();
                if (forMs != null && forMs <= 0) {
                    return refuse(record, id, "pause for " + forMs + " ms: the duration must be positive");
                }
                // a pause beyond any clock's reach is an indefinite one (and cannot overflow)
                long until = forMs == null || forMs > MAX_PAUSE_MS ? GroupRecord.PAUSED_INDEFINITELY : nowMs + forMs;
                return Decision.of(
                        record.withPausedUntil(until),
                        new Change(
                                DecisionKind.PAUSED,
                                record.epoch(),
                                record.roles(),
                                "paused automatic failover" + by
                                        + (forMs == null ? " until resumed" : " for " + forMs + " ms"),
                                id));
            }
            case RESUME -> {
                return Decision.of(
                        record.withPausedUntil(GroupRecord.NOT_PAUSED),
                        new Change(
                                DecisionKind.RESUMED,
                                record.epoch(),
                                record.roles(),
                                record.paused(nowMs)
                                        ? "resumed automatic failover" + by
                                        : "resume" + by + ": the group was not paused",
                                id));
            }
            case SWITCHOVER -> {
                return switchover(new Facts(view, nowMs), command.targetNode(), id, by);
            }
            case REMOVE -> {
                return remove(new Facts(view, nowMs), command.targetNode(), id, by);
            }
            case CONFIRM_STOPPED -> {
                return confirmStopped(new Facts(view, nowMs), command.targetNode(), id, by);
            }
            default -> {
                return refuse(record, id, "unknown command type " + command.type());
            }
        }
    }

    private Decision switchover(Facts facts, String target, String id, String by) {
        GroupRecord record = facts.view.record();
        if (record.mode() != GroupMode.ACTIVE_PASSIVE) {
            return refuse(
                    record,
                    id,
                    "switchover refused: group " + record.group() + " is " + record.mode() + ", not active/passive");
        }
        if (record.pending() != null) {
            return refuse(
                    record,
                    id,
                    "switchover refused: a handover from " + record.pending().from() + " is already in progress");
        }
        Optional<Member> primary = record.primary();
        if (primary.isEmpty()) {
            return refuse(record, id, "switchover refused: the group has no primary to switch from");
        }
        Member to;
        if (target != null) {
            to = record.members().get(target);
            if (to == null) {
                return refuse(record, id, "switchover refused: " + target + " is not a member of " + record.group());
            }
            if (to.node().equals(primary.get().node())) {
                return refuse(record, id, "switchover refused: " + target + " is already the primary");
            }
            if (!facts.eligible(to)) {
                return refuse(
                        record, id, "switchover refused: " + target + " is not eligible (" + facts.describe(to) + ")");
            }
        } else {
            Optional<Member> best = facts.best(primary.get().node());
            if (best.isEmpty()) {
                return refuse(record, id, "switchover refused: no eligible standby");
            }
            to = best.get();
        }
        return startHandover(facts, primary.get(), to.node(), "switchover to " + to.node() + " requested" + by, id);
    }

    /** A command refused before it reached the decider (the shell's operator-key check): the group unchanged. */
    public Decision refusal(GroupRecord record, String commandId, String reason, long nowMs) {
        return checked(record, refuse(record, commandId, reason), nowMs);
    }

    /**
     * A command for a group this coordinator holds no record of: refused, with an empty record (epoch 0) that the
     * shell publishes the refusal with and does not store.
     */
    public Decision unknownGroup(String group, Order command, long nowMs) {
        GroupRecord unknown = GroupRecord.empty(group, GroupMode.UNKNOWN);
        return checked(
                unknown,
                refuse(
                        unknown,
                        command.commandId(),
                        command.type() + " refused: group " + group + " is unknown to the coordinator"),
                nowMs);
    }

    private static Decision refuse(GroupRecord record, String commandId, String reason) {
        return Decision.of(
                record, new Change(DecisionKind.COMMAND_REFUSED, record.epoch(), record.roles(), reason, commandId));
    }

    private static SortedMap<String, Role> allStandby(GroupRecord record) {
        return record.members().keySet().stream()
                .collect(Collectors.toMap(n -> n, n -> Role.STANDBY, (a, b) -> a, TreeMap::new));
    }

    /**
     * The earliest time at which the passing of time alone could change a decision for this group, or
     * {@code Long.MAX_VALUE}: the silence deadline of each member whose silence matters (the primary or the member
     * standing down in active/passive, every ACTIVE member in active/active), the end of the election guard when
     * there is no primary, and the end of a pause. The shell indexes groups by it, so that a punctuation touches only
     * the groups whose time has come; a standby's silence is judged when a decision needs it.
     */
    public long nextCheckAtMs(GroupView view, long nowMs) {
        GroupRecord record = view.record();
        long next = Long.MAX_VALUE;
        Facts now = new Facts(view, nowMs);
        for (Member m : record.members().values()) {
            long forgetAt = saturatedAdd(now.lastSeen(m), policy.memberRetentionMs() + 1);
            next = Math.min(
                    next,
                    forgetAt > nowMs
                            ? forgetAt
                            : holdBy(now, m, null, false)
                                    .map(h -> Math.max(forgetAt, h.untilMs()))
                                    .orElse(forgetAt));
        }
        if (record.pausedUntilMs() != GroupRecord.NOT_PAUSED
                && record.pausedUntilMs() != GroupRecord.PAUSED_INDEFINITELY) {
            next = Math.min(next, record.pausedUntilMs());
        }
        Facts facts = new Facts(view, Long.MIN_VALUE);
        boolean activePassive = record.mode() != GroupMode.ACTIVE_ACTIVE;
        String standingDown = record.pending() == null ? null : record.pending().from();
        // A silent primary with nobody eligible to succeed it, or an election with nobody eligible: only a heartbeat
        // (or a
        // command) can change that, and both reschedule the group, so no deadline keeps it overdue meanwhile. Time
        // alone only ever takes eligibility away.
        boolean nobodyElseEligible = activePassive
                && record.members().values().stream()
                        .noneMatch(
                                m -> m.assigned() != Role.ACTIVE && !m.node().equals(standingDown) && now.eligible(m));
        boolean nobodyEligible = standingDown == null && nobodyElseEligible;
        for (Member m : record.members().values()) {
            // likewise a handover whose leaver went silent with nobody to promote: it stays pending (so a later
            // promotion still names the leaver for --fence-peer), but no deadline keeps it overdue; that had its task
            // write and commit a fence marker every punctuation for as long as the group stayed so
            boolean deadEnd = now.silent(m)
                    && ((m.assigned() == Role.ACTIVE && activePassive && nobodyEligible)
                            || (m.node().equals(standingDown) && nobodyElseEligible));
            if ((m.assigned() == Role.ACTIVE || m.node().equals(standingDown)) && !deadEnd) {
                long deadline = facts.lastSeen(m) + m.timing().failureTimeoutMs() + 1;
                if (activePassive && deadline <= nowMs && now.fenced(m)) {
                    // convictable now; only failsafe's peer-set rule may still hold its successor, until a known time
                    Optional<Member> winner =
                            m.node().equals(standingDown) ? successor(now, record.pending()) : now.best(m.node());
                    deadline = heldUntil(now, winner, deadline);
                }
                next = Math.min(next, deadline);
            }
        }
        if (activePassive
                && record.primary().isEmpty()
                && standingDown == null
                && !record.members().isEmpty()
                && record.members().values().stream().anyMatch(now::eligible)) {
            long guardEnd = view.watch().sinceMs()
                    + record.members().values().stream()
                            .mapToLong(m -> m.timing().failureTimeoutMs())
                            .max()
                            .orElse(0);
            boolean guardRead = view.watch().fencedUpToMs() >= guardEnd; // else a marker is what it waits for
            long electAt = guardEnd <= nowMs && guardRead ? heldUntil(now, now.best(null), guardEnd) : guardEnd;
            next = Math.min(next, Math.max(electAt, graceEnd(view))); // nobody is elected before the grace ends
        }
        return next;
    }

    /**
     * {@code deadline}, or the end of failsafe's hold on promoting {@code winner} when that is later: a group whose
     * only obstacle is such a hold waits for its end instead of counting as overdue (which had it write a fence
     * marker at every round trip, for as long as the hold lasts).
     */
    private long heldUntil(Facts now, Optional<Member> winner, long deadline) {
        return winner.flatMap(w -> failsafeHold(now, w.node(), null, null))
                .map(h -> Math.max(deadline, h.untilMs()))
                .orElse(deadline);
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : sum;
    }

    /**
     * An operator's {@code ctl remove}: forgets a member (or every member, so the shell deletes the group), refused
     * while any of them is live (heard within its failure timeout), is ACTIVE without its lease proven over (what a
     * conviction needs), or takes part in a handover.
     */
    private Decision remove(Facts facts, String node, String id, String by) {
        GroupRecord record = facts.view.record();
        java.util.List<Member> targets = node == null
                ? java.util.List.copyOf(record.members().values())
                : record.members().containsKey(node)
                        ? java.util.List.of(record.members().get(node))
                        : java.util.List.of();
        if (targets.isEmpty()) {
            return refuse(
                    record,
                    id,
                    "remove refused: "
                            + (node == null
                                    ? "the group has no members"
                                    : node + " is not a member of " + record.group()));
        }
        for (Member m : targets) {
            if (facts.silent(m) && !facts.fenced(m)) {
                return refuse(
                        record,
                        id,
                        "remove refused: " + m.node() + " is silent but the heartbeat log is not yet "
                                + "read past its last beat + lease; try again in a moment");
            }
            if (!facts.silent(m)) {
                return refuse(
                        record,
                        id,
                        "remove refused: " + m.node() + " is live (heard " + facts.silence(m)
                                + " ms ago, within its timeout of " + m.timing().failureTimeoutMs()
                                + " ms); stop its agent first");
            }
            if (m.assigned() == Role.ACTIVE && !facts.fenced(m)) {
                return refuse(
                        record,
                        id,
                        "remove refused: " + m.node() + " is ACTIVE and its lease is not yet proven "
                                + "over (the heartbeat log is not read past its last beat + lease); try again in a moment");
            }
            if (inHandover(record, m)) {
                return refuse(record, id, "remove refused: " + m.node() + " takes part in a handover in progress");
            }
            Optional<Hold> hold = holdBy(facts, m, null, false);
            if (hold.isPresent()) {
                return refuse(record, id, "remove refused: " + hold.get().why() + "; try again then");
            }
        }
        java.util.List<String> gone = targets.stream().map(Member::node).toList();
        GroupRecord next = record.withoutMembers(gone);
        return Decision.of(
                next,
                new Change(
                        DecisionKind.MEMBERSHIP,
                        record.epoch(),
                        next.roles(),
                        "removed " + String.join(", ", gone) + by
                                + (next.members().isEmpty() ? "; the group has no members left" : ""),
                        id));
    }

    /**
     * The operator confirms that {@code node}'s service is stopped (Pacemaker's {@code stonith_admin --confirm}):
     * the handover waiting for its stand-down (a failed or hung {@code --on-standby}) goes on as if it had been
     * acknowledged, and the promotion carries the confirmation's command id. A silent node that promotions still name
     * for {@code --fence-peer} (it may have served unseen) is named no more. Anything else is refused and changes
     * nothing.
     */
    private Decision confirmStopped(Facts facts, String node, String id, String by) {
        GroupRecord record = facts.view.record();
        Handover pending = record.pending();
        if (node == null) {
            return refuse(record, id, "confirm-stopped refused: name the node whose service is stopped");
        }
        Member owing = record.members().get(node);
        if ((pending == null || !pending.from().equals(node))
                && owing != null
                && owing.owesFence()
                && facts.silent(owing)) {
            GroupRecord settled = record.withMember(owing.fenceSettled());
            return Decision.of(
                    settled,
                    new Change(
                            DecisionKind.MEMBERSHIP,
                            record.epoch(),
                            record.roles(),
                            node + "'s service confirmed stopped" + by
                                    + ": promotions no longer name it for --fence-peer",
                            id));
        }
        if (pending == null || !pending.from().equals(node)) {
            return refuse(
                    record,
                    id,
                    "confirm-stopped refused: no handover of " + record.group() + " is waiting for "
                            + node + " to stand down, and it is named for no fence"
                            + (pending == null ? "" : " (it waits for " + pending.from() + ")"));
        }
        Optional<Member> successor = successor(facts, pending);
        if (successor.isEmpty()) {
            return refuse(
                    record,
                    id,
                    "confirm-stopped refused: no eligible member to promote in " + node + "'s place"
                            + facts.whyNoneEligible(node));
        }
        Optional<String> blocked = promotionBlocked(facts, successor.get().node(), null, node);
        if (blocked.isPresent()) {
            return refuse(record, id, "confirm-stopped refused for now: " + blocked.get());
        }
        GroupRecord done = record.withPending(null);
        return promote(
                new Facts(facts.view.withRecord(done), facts.nowMs),
                successor.get(),
                pending.commandId() != null ? DecisionKind.SWITCHOVER : DecisionKind.FAILOVER,
                id,
                "promoted "
                        + successor.get().node() + ": " + node + "'s service confirmed stopped" + by + " ("
                        + pending.why() + "; its own stand-down was not acknowledged)",
                null,
                node);
    }

    /** Who takes over once a handover's stand-down is done: its named target if eligible, else the best standby. */
    private static Optional<Member> successor(Facts facts, Handover handover) {
        return Optional.ofNullable(handover.to())
                .map(facts.view.record().members()::get)
                .filter(facts::eligible)
                .or(() -> facts.best(handover.from()));
    }

    /** A node reporting this may have a service running: ACTIVE, or a stand-down not finished (or failed). */
    private static boolean mayServe(Role reported) {
        return reported == Role.ACTIVE || reported == Role.STOPPING;
    }

    /** Whether {@code m} stands down or takes over in the handover in progress: never forgotten meanwhile. */
    private static boolean inHandover(GroupRecord record, Member m) {
        Handover pending = record.pending();
        return pending != null && (m.node().equals(pending.from()) || m.node().equals(pending.to()));
    }

    /** The judgements every branch shares, at one {@code nowMs}. */
    private final class Facts {
        final GroupView view;
        final long nowMs;

        Facts(GroupView view, long nowMs) {
            this.view = view;
            this.nowMs = nowMs;
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
            return l != null
                    && !silent(m)
                    && l.healthyEnough()
                    && m.problem() == null
                    && !view.unverifiedNewest(m.node());
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
                return "silent for " + silence(m) + " ms > timeout "
                        + m.timing().failureTimeoutMs() + " ms";
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
         * coordinator whose store lost a write the agents saw; reports from {@link #MAX_ADOPTED_EPOCH} up are
         * ignored (the shell counts reports above the stored epoch), so no heartbeat can push the epoch to overflow.
         */
        long nextEpoch() {
            long reported = view.liveness().values().stream()
                    .mapToLong(Liveness::reportedEpoch)
                    .filter(e -> e >= 0 && e < MAX_ADOPTED_EPOCH)
                    .max()
                    .orElse(0);
            return Math.max(view.record().epoch(), reported) + 1;
        }
    }
}
