package dev.failover.coordinator.core;

import dev.failover.wire.DecisionKind;
import dev.failover.wire.GroupMode;
import dev.failover.wire.Health;
import dev.failover.wire.Role;
import dev.failover.wire.Timing;
import java.util.Comparator;
import java.util.Objects;
import java.util.Optional;

/**
 * The coordinator's decisions, as pure functions of a {@link GroupView} and {@code nowMs}: no I/O, no clock.
 * Every branch returns its reason as one sentence. The decider reads the group's {@link GroupPhase} and runs that
 * phase's rules only ({@link Electing}, {@link Steady}, {@link HandingOver}, {@link Paused}; operator commands in
 * {@link Commands}), each making its moves through {@link Moves}, where the guards of every promotion live; every
 * decision leaves through {@link #checked}, which holds it to the phase table.
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

    private final Moves moves;
    private final Electing electing;
    private final Steady steady;
    private final HandingOver handingOver;
    private final Paused paused;
    private final Commands commands;

    public Decider(Policy policy) {
        this.policy = Objects.requireNonNull(policy);
        this.moves = new Moves(policy);
        this.electing = new Electing(policy, moves);
        this.steady = new Steady(policy, moves);
        this.handingOver = new HandingOver(moves);
        this.paused = new Paused(moves);
        this.commands = new Commands(moves);
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
        Facts facts = new Facts(policy, view, nowMs);
        Optional<Member> evict = record.members().values().stream()
                .filter(m -> facts.silent(m) && facts.fenced(m) && m.assigned() != Role.ACTIVE)
                .filter(m -> !Moves.inHandover(record, m) && !Moves.owesFence(facts, m))
                .filter(m -> moves.holdBy(facts, m, null, false).isEmpty())
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

    Decision inPhase(GroupView view, long nowMs) {
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
        Facts facts = new Facts(policy, view, nowMs);
        return switch (GroupPhase.of(record, nowMs)) {
            case EMPTY -> Decision.none(record, "no members");
            case HANDING_OVER -> handingOver.decide(facts, record.pending());
            case PAUSED -> paused.decide(facts);
            case ELECTING -> electing.decide(facts);
            case STEADY ->
                record.mode() == GroupMode.ACTIVE_ACTIVE
                        ? steady.decideActiveActive(facts)
                        : steady.decide(facts, record.primary().orElseThrow());
        };
    }

    /**
     * The last check of every decision before it leaves the core ({@link #violation}). One that breaks a rule is a
     * defect, and is refused with the group left as it was (changing nothing can start no second primary); the reason
     * says so loudly and {@link Decision#defect()} is set, so the shell logs it at ERROR and counts it. A command's
     * answer that breaks a rule becomes a refusal of that command (the operator hears back at once).
     */
    Decision checked(GroupRecord before, Decision decision, long nowMs) {
        GroupPhase from = GroupPhase.of(before, nowMs);
        Optional<String> violation = violation(before, decision, nowMs);
        if (violation.isEmpty()) {
            return decision.from(from);
        }
        String why = "DEFECT: refused a decision for " + before.group() + ": " + violation.get()
                + "; the group is left as it was. The refused decision: " + decision.reason();
        String commandId = decision.change().map(Change::commandId).orElse(null);
        Decision refused = commandId != null ? Moves.refuse(before, commandId, why) : Decision.none(before, why);
        return refused.from(from).asDefect();
    }

    /**
     * What is wrong with {@code decision} taken on {@code before}, or empty: the move between phases must be one
     * {@link GroupPhase#allows}; a handover ends only in a promotion; an active/passive group never has two members
     * assigned ACTIVE; and a member's assigned role changes only at a new, higher epoch.
     */
    static Optional<String> violation(GroupRecord before, Decision decision, long nowMs) {
        GroupRecord next = decision.next();
        GroupPhase from = GroupPhase.of(before, nowMs);
        GroupPhase to = decision.to(nowMs);
        if (!from.allows(to)) {
            return Optional.of("a move from " + from + " to " + to + " is not a legal phase transition");
        }
        if (from == GroupPhase.HANDING_OVER
                && to != GroupPhase.HANDING_OVER
                && next.primary().isEmpty()) {
            return Optional.of("a handover ended without promoting anyone");
        }
        long active = next.members().values().stream()
                .filter(m -> m.assigned() == Role.ACTIVE)
                .count();
        if (next.mode() != GroupMode.ACTIVE_ACTIVE && active > 1) {
            return Optional.of(active + " members assigned ACTIVE in an active/passive group");
        }
        boolean rolesChanged = next.members().values().stream().anyMatch(m -> {
            Member was = before.members().get(m.node());
            return was != null && was.assigned() != m.assigned();
        });
        if (rolesChanged && next.epoch() <= before.epoch()) {
            return Optional.of("roles changed without a new epoch (" + before.epoch() + " to " + next.epoch() + ")");
        }
        return Optional.empty();
    }

    /**
     * Members silent for longer than {@link Policy#memberRetentionMs()} and their failure timeout (and proven so: the
     * watch is fenced past their lease) are forgotten, unless a handover in progress names them, or they are the
     * primary and another member is eligible (that is a failover, which the brake may hold); a group left with none is
     * for the shell to delete. The epoch stays: nobody's role changes, and a forgotten primary's lease ran out long ago.
     */
    Optional<Decision> forgetLongSilent(GroupView view, long nowMs) {
        GroupRecord record = view.record();
        Facts facts = new Facts(policy, view, nowMs);
        boolean anyEligible = record.members().values().stream().anyMatch(facts::eligible);
        java.util.List<String> gone = record.members().values().stream()
                .filter(m -> facts.silence(m) > policy.memberRetentionMs() && facts.silent(m) && facts.fenced(m))
                // (one that still owes a fence is forgotten too, after the retention: state must stay bounded; the
                // obligation to fence it lasts as long as the member does)
                .filter(m -> !Moves.inHandover(record, m))
                // a primary with an eligible successor is failed over (or held by the brake), never forgotten
                .filter(m -> m.assigned() != Role.ACTIVE || !anyEligible)
                // nor while it may serve on its peers' grants: forgotten, it would hold nobody's promotion
                .filter(m -> moves.holdBy(facts, m, null, false).isEmpty())
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

    /** An operator command: acknowledged or refused, always with a record carrying its id. */
    public Decision command(GroupView view, Order command, long nowMs) {
        return checked(view.record(), commands.decide(new Facts(policy, view, nowMs), command), nowMs);
    }

    /** A command refused before it reached the decider (the shell's operator-key check): the group unchanged. */
    public Decision refusal(GroupRecord record, String commandId, String reason, long nowMs) {
        return checked(record, Moves.refuse(record, commandId, reason), nowMs);
    }

    /**
     * A command for a group this coordinator holds no record of: refused, with an empty record (epoch 0) that the
     * shell publishes the refusal with and does not store.
     */
    public Decision unknownGroup(String group, Order command, long nowMs) {
        GroupRecord unknown = GroupRecord.empty(group, GroupMode.UNKNOWN);
        return checked(
                unknown,
                Moves.refuse(
                        unknown,
                        command.commandId(),
                        command.type() + " refused: group " + group + " is unknown to the coordinator"),
                nowMs);
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
        Facts now = new Facts(policy, view, nowMs);
        for (Member m : record.members().values()) {
            long forgetAt = Moves.saturatedAdd(now.lastSeen(m), policy.memberRetentionMs() + 1);
            next = Math.min(
                    next,
                    forgetAt > nowMs
                            ? forgetAt
                            : moves.holdBy(now, m, null, false)
                                    .map(h -> Math.max(forgetAt, h.untilMs()))
                                    .orElse(forgetAt));
        }
        if (record.pausedUntilMs() != GroupRecord.NOT_PAUSED
                && record.pausedUntilMs() != GroupRecord.PAUSED_INDEFINITELY) {
            next = Math.min(next, record.pausedUntilMs());
        }
        Facts facts = new Facts(policy, view, Long.MIN_VALUE);
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
                            m.node().equals(standingDown) ? Moves.successor(now, record.pending()) : now.best(m.node());
                    deadline = moves.heldUntil(now, winner, deadline);
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
            long electAt = guardEnd <= nowMs && guardRead ? moves.heldUntil(now, now.best(null), guardEnd) : guardEnd;
            next = Math.min(
                    next, Math.max(electAt, electing.graceEnd(view))); // nobody is elected before the grace ends
        }
        return next;
    }
}
