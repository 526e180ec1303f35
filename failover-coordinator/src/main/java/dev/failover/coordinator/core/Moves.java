package dev.failover.coordinator.core;

import dev.failover.wire.DecisionKind;
import dev.failover.wire.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The guarded moves every phase makes, and their guards: promote (never beside a member whose service may still run,
 * nor within failsafe's hold), stand down, demote, re-confirm, refuse. Promotions name for {@code --fence-peer} every
 * member whose service may still run unseen.
 */
final class Moves {
    private final Policy policy;

    Moves(Policy policy) {
        this.policy = policy;
    }

    /**
     * Failsafe's way back: the primary serves on its peers' grants (its heartbeat says so, at the current epoch), and
     * that heartbeat reached this coordinator, so Kafka works for it again. A decision at a new epoch with the same
     * roles, based on that heartbeat (RoleChange v4's basis is the newest beat read), takes it back onto Kafka's
     * lease without running a hook: its agent accepts it only within a lease of sending that beat, exactly as for an
     * activation, and its peers, applying the new epoch, refuse grants asked by anyone else. Not a failover: the
     * brake does not count it, nobody is fenced, and a paused group takes it too (it changes no role).
     */
    static boolean reconfirmable(Facts facts, Member p) {
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

    Decision reconfirm(Facts facts, Member p, Liveness lp) {
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
    record Hold(long untilMs, String why) {}

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
    Optional<Hold> failsafeHold(Facts facts, String winner, String replaced, String confirmed) {
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
    Optional<Hold> holdBy(Facts facts, Member m, String winner, boolean replaced) {
        GroupRecord record = facts.view.record();
        Liveness l = facts.view.liveness().get(m.node());
        int maxMs = Math.min(
                Decider.MAX_FAILSAFE_MS, Math.max(m.timing().failsafeMaxMs(), l == null ? 0 : l.failsafeMaxMs()));
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
    Optional<String> promotionBlocked(Facts facts, String winner, String replaced, String confirmed) {
        return mayStillServe(facts, winner, confirmed)
                .or(() -> failsafeHold(facts, winner, replaced, confirmed).map(Hold::why));
    }

    /**
     * A member other than {@code winner} whose service may still run and that is not convicted (it reports ACTIVE or
     * STOPPING and is alive, or silent but not yet proven so): nobody may be promoted beside it. {@code except}: the
     * winner, and a node an operator confirmed stopped. Returns why, or empty.
     */
    static Optional<String> mayStillServe(Facts facts, String... except) {
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
    static boolean owesFence(Facts facts, Member m) {
        Liveness l = facts.view.liveness().get(m.node());
        return m.owesFence() || (l != null && mayServe(l.reportedRole()));
    }

    /** {@code promoted}, naming {@code convicted} as the member its promotion replaced on proven silence. */
    static Decision convicting(Facts facts, Member convicted, Decision promoted) {
        return promoted.change().isEmpty()
                ? promoted
                : promoted.withConviction(new Decision.Conviction(
                        convicted.node(),
                        facts.silence(convicted),
                        convicted.timing().failureTimeoutMs()));
    }

    Decision startHandover(Facts facts, Member from, String to, String why, String commandId) {
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

    Decision promote(Facts facts, Member winner, DecisionKind kind, String commandId, String reason) {
        return promote(facts, winner, kind, commandId, reason, null, null);
    }

    Decision promote(Facts facts, Member winner, DecisionKind kind, String commandId, String reason, String replaced) {
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
    Decision promote(
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

    Decision demoteAll(Facts facts, String reason) {
        GroupRecord record = facts.view.record();
        long epoch = facts.nextEpoch();
        SortedMap<String, Role> roles = allStandby(record);
        return Decision.of(
                record.assign(epoch, roles), new Change(DecisionKind.STAND_DOWN, epoch, roles, reason, null));
    }

    static Decision refuse(GroupRecord record, String commandId, String reason) {
        return Decision.of(
                record, new Change(DecisionKind.COMMAND_REFUSED, record.epoch(), record.roles(), reason, commandId));
    }

    static SortedMap<String, Role> allStandby(GroupRecord record) {
        return record.members().keySet().stream()
                .collect(Collectors.toMap(n -> n, n -> Role.STANDBY, (a, b) -> a, TreeMap::new));
    }

    /**
     * {@code deadline}, or the end of failsafe's hold on promoting {@code winner} when that is later: a group whose
     * only obstacle is such a hold waits for its end instead of counting as overdue (which had it write a fence
     * marker at every round trip, for as long as the hold lasts).
     */
    long heldUntil(Facts now, Optional<Member> winner, long deadline) {
        return winner.flatMap(w -> failsafeHold(now, w.node(), null, null))
                .map(h -> Math.max(deadline, h.untilMs()))
                .orElse(deadline);
    }

    static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : sum;
    }

    /** Who takes over once a handover's stand-down is done: its named target if eligible, else the best standby. */
    static Optional<Member> successor(Facts facts, Handover handover) {
        return Optional.ofNullable(handover.to())
                .map(facts.view.record().members()::get)
                .filter(facts::eligible)
                .or(() -> facts.best(handover.from()));
    }

    /** A node reporting this may have a service running: ACTIVE, or a stand-down not finished (or failed). */
    static boolean mayServe(Role reported) {
        return reported == Role.ACTIVE || reported == Role.STOPPING;
    }

    /** Whether {@code m} stands down or takes over in the handover in progress: never forgotten meanwhile. */
    static boolean inHandover(GroupRecord record, Member m) {
        Handover pending = record.pending();
        return pending != null && (m.node().equals(pending.from()) || m.node().equals(pending.to()));
    }
}
