package dev.failover.coordinator.core;

import dev.failover.wire.DecisionKind;
import dev.failover.wire.GroupMode;
import dev.failover.wire.Role;
import java.util.Optional;

/** An operator's commands ({@code failover ctl}): each acknowledged or refused, in any phase. */
final class Commands {
    private final Moves moves;

    Commands(Moves moves) {
        this.moves = moves;
    }

    /** Ten years: a longer pause is an indefinite one. */
    static final long MAX_PAUSE_MS = 10L * 365 * 24 * 3600 * 1000;

    Decision decide(Facts facts, Order command) {
        GroupRecord record = facts.view.record();
        long nowMs = facts.nowMs;
        String id = command.commandId();
        String by = command.issuedBy() == null ? "" : " by " + command.issuedBy();
        switch (command.type()) {
            case PAUSE -> {
                Long forMs = command.pauseForMs();
                if (forMs != null && forMs <= 0) {
                    return Moves.refuse(record, id, "pause for " + forMs + " ms: the duration must be positive");
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
                return switchover(facts, command.targetNode(), id, by);
            }
            case REMOVE -> {
                return remove(facts, command.targetNode(), id, by);
            }
            case CONFIRM_STOPPED -> {
                return confirmStopped(facts, command.targetNode(), id, by);
            }
            default -> {
                return Moves.refuse(record, id, "unknown command type " + command.type());
            }
        }
    }

    Decision switchover(Facts facts, String target, String id, String by) {
        GroupRecord record = facts.view.record();
        if (record.mode() != GroupMode.ACTIVE_PASSIVE) {
            return Moves.refuse(
                    record,
                    id,
                    "switchover refused: group " + record.group() + " is " + record.mode() + ", not active/passive");
        }
        if (record.pending() != null) {
            return Moves.refuse(
                    record,
                    id,
                    "switchover refused: a handover from " + record.pending().from() + " is already in progress");
        }
        Optional<Member> primary = record.primary();
        if (primary.isEmpty()) {
            return Moves.refuse(record, id, "switchover refused: the group has no primary to switch from");
        }
        Member to;
        if (target != null) {
            to = record.members().get(target);
            if (to == null) {
                return Moves.refuse(
                        record, id, "switchover refused: " + target + " is not a member of " + record.group());
            }
            if (to.node().equals(primary.get().node())) {
                return Moves.refuse(record, id, "switchover refused: " + target + " is already the primary");
            }
            if (!facts.eligible(to)) {
                return Moves.refuse(
                        record, id, "switchover refused: " + target + " is not eligible (" + facts.describe(to) + ")");
            }
        } else {
            Optional<Member> best = facts.best(primary.get().node());
            if (best.isEmpty()) {
                return Moves.refuse(record, id, "switchover refused: no eligible standby");
            }
            to = best.get();
        }
        return moves.startHandover(
                facts, primary.get(), to.node(), "switchover to " + to.node() + " requested" + by, id);
    }

    /**
     * An operator's {@code ctl remove}: forgets a member (or every member, so the shell deletes the group), refused
     * while any of them is live (heard within its failure timeout), is ACTIVE without its lease proven over (what a
     * conviction needs), or takes part in a handover.
     */
    Decision remove(Facts facts, String node, String id, String by) {
        GroupRecord record = facts.view.record();
        java.util.List<Member> targets = node == null
                ? java.util.List.copyOf(record.members().values())
                : record.members().containsKey(node)
                        ? java.util.List.of(record.members().get(node))
                        : java.util.List.of();
        if (targets.isEmpty()) {
            return Moves.refuse(
                    record,
                    id,
                    "remove refused: "
                            + (node == null
                                    ? "the group has no members"
                                    : node + " is not a member of " + record.group()));
        }
        for (Member m : targets) {
            if (facts.silent(m) && !facts.fenced(m)) {
                return Moves.refuse(
                        record,
                        id,
                        "remove refused: " + m.node() + " is silent but the heartbeat log is not yet "
                                + "read past its last beat + lease; try again in a moment");
            }
            if (!facts.silent(m)) {
                return Moves.refuse(
                        record,
                        id,
                        "remove refused: " + m.node() + " is live (heard " + facts.silence(m)
                                + " ms ago, within its timeout of " + m.timing().failureTimeoutMs()
                                + " ms); stop its agent first");
            }
            if (m.assigned() == Role.ACTIVE && !facts.fenced(m)) {
                return Moves.refuse(
                        record,
                        id,
                        "remove refused: " + m.node() + " is ACTIVE and its lease is not yet proven "
                                + "over (the heartbeat log is not read past its last beat + lease); try again in a moment");
            }
            if (Moves.inHandover(record, m)) {
                return Moves.refuse(
                        record, id, "remove refused: " + m.node() + " takes part in a handover in progress");
            }
            Optional<Moves.Hold> hold = moves.holdBy(facts, m, null, false);
            if (hold.isPresent()) {
                return Moves.refuse(record, id, "remove refused: " + hold.get().why() + "; try again then");
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
    Decision confirmStopped(Facts facts, String node, String id, String by) {
        GroupRecord record = facts.view.record();
        Handover pending = record.pending();
        if (node == null) {
            return Moves.refuse(record, id, "confirm-stopped refused: name the node whose service is stopped");
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
            return Moves.refuse(
                    record,
                    id,
                    "confirm-stopped refused: no handover of " + record.group() + " is waiting for "
                            + node + " to stand down, and it is named for no fence"
                            + (pending == null ? "" : " (it waits for " + pending.from() + ")"));
        }
        Optional<Member> successor = Moves.successor(facts, pending);
        if (successor.isEmpty()) {
            return Moves.refuse(
                    record,
                    id,
                    "confirm-stopped refused: no eligible member to promote in " + node + "'s place"
                            + facts.whyNoneEligible(node));
        }
        Optional<String> blocked = moves.promotionBlocked(facts, successor.get().node(), null, node);
        if (blocked.isPresent()) {
            return Moves.refuse(record, id, "confirm-stopped refused for now: " + blocked.get());
        }
        GroupRecord done = record.withPending(null);
        return moves.promote(
                facts.withRecord(done),
                successor.get(),
                pending.commandId() != null ? DecisionKind.SWITCHOVER : DecisionKind.FAILOVER,
                id,
                "promoted "
                        + successor.get().node() + ": " + node + "'s service confirmed stopped" + by + " ("
                        + pending.why() + "; its own stand-down was not acknowledged)",
                null,
                node);
    }
}
