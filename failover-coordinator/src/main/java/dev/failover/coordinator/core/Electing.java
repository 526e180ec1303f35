package dev.failover.coordinator.core;

import dev.failover.wire.DecisionKind;
import java.util.Optional;

/**
 * {@link GroupPhase#ELECTING}: active/passive with nobody assigned ACTIVE. Elects the best eligible member once no
 * member's service may still run, the watch is fenced a full failure timeout past its start, and the election grace
 * since the group was first heard has passed.
 */
final class Electing {
    private final Policy policy;
    private final Moves moves;

    Electing(Policy policy, Moves moves) {
        this.policy = policy;
        this.moves = moves;
    }

    Decision decide(Facts facts) {
        GroupRecord record = facts.view.record();
        Optional<String> blocked = Moves.mayStillServe(facts);
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
                            + " ms more (election.grace.ms: " + grace(record) + " ms since the group was first heard, "
                            + "for its first election) for a member of higher priority to show up");
        }
        return moves.promote(
                facts,
                best.get(),
                DecisionKind.ELECTION,
                null,
                "elected " + best.get().node() + ": no primary, and it is the best eligible member (priority "
                        + best.get().priority() + ")");
    }

    /** The election grace of {@code record}'s group in ms: the policy's, or its members' longest failure timeout. */
    long grace(GroupRecord record) {
        return policy.electionGraceMs() != Policy.GRACE_ONE_TIMEOUT
                ? policy.electionGraceMs()
                : record.members().values().stream()
                        .mapToLong(m -> m.timing().failureTimeoutMs())
                        .max()
                        .orElse(0);
    }

    /**
     * When the election grace ends: {@link #grace} after this instance first heard the group, for the group's first
     * election ever (epoch 0); {@link Long#MIN_VALUE} for any later one. A later election (after a demotion, or a
     * coordinator restart or task move while a group has no primary) never waits for it: the group's members are
     * known by then, and a long grace would hold every leaderless group at each rebalance.
     */
    long graceEnd(GroupView view) {
        return view.record().epoch() != 0
                ? Long.MIN_VALUE
                : Moves.saturatedAdd(view.heardSince(), grace(view.record()));
    }
}
