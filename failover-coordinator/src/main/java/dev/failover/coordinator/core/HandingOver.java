package dev.failover.coordinator.core;

import dev.failover.wire.DecisionKind;
import dev.failover.wire.Role;
import java.util.Optional;

/**
 * {@link GroupPhase#HANDING_OVER}: a stand-down is out. The successor is promoted once the old primary acknowledges
 * it, leaves, or is proven silent, and never while a member's service may still run.
 */
final class HandingOver {
    private final Moves moves;

    HandingOver(Moves moves) {
        this.moves = moves;
    }

    Decision decide(Facts facts, Handover handover) {
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
        Optional<Member> successor = Moves.successor(facts, handover);
        if (successor.isEmpty() && from != null && handover.commandId() != null && facts.eligible(from)) {
            successor = Optional.of(from); // a switchover whose target failed: the old primary is still fine
        }
        // checked here, where the handover is still pending (a hold may wait for the leaver's failsafe maximum): a
        // promotion refused further down would return the record with the handover already cleared
        Optional<String> blocked = successor.flatMap(
                s -> moves.promotionBlocked(facts, s.node(), acknowledged ? null : handover.from(), null));
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
        Decision promoted = moves.promote(
                facts.withRecord(done),
                successor.get(),
                kind,
                handover.commandId(),
                "promoted " + successor.get().node() + ": " + how + " (" + handover.why() + ")",
                acknowledged ? null : handover.from());
        return acknowledged ? promoted : Moves.convicting(facts, from, promoted);
    }
}
