package dev.failover.coordinator.core;

import dev.failover.wire.DecisionKind;
import java.util.Optional;

/**
 * The outcome of one look at a group: its next durable state, at most one change to publish, and the reason in one
 * sentence (also when nothing changes, so that the shell can say why it is waiting). It carries everything the shell
 * acts on, so that the shell only stores and forwards: the phase the group was in ({@link #from}), whether the
 * {@link Brake} judges it ({@link #automaticFailover}), and the member convicted by silence, if any
 * ({@link #conviction}).
 *
 * @param from       the group's phase when the decision was taken (set by {@link Decider}; null only inside it)
 * @param conviction the primary (or leaver) convicted by proven silence that this decision replaces, or null
 * @param held       the brake held this decision's change back ({@link Brake#judge}): {@code next} is the input as
 *                   it was, and {@code change} is empty
 * @param defect     the decider refused what a branch decided because it broke a rule ({@link Decider#checked}):
 *                   a bug, which the shell logs at ERROR and counts
 */
public record Decision(
        GroupRecord next,
        Optional<Change> change,
        String reason,
        GroupPhase from,
        Conviction conviction,
        boolean held,
        boolean defect) {

    /** A member convicted by silence: silent for {@code silenceMs} against its failure timeout of {@code timeoutMs}. */
    public record Conviction(String node, long silenceMs, long timeoutMs) {}

    static Decision none(GroupRecord record, String reason) {
        return new Decision(record, Optional.empty(), reason, null, null, false, false);
    }

    static Decision of(GroupRecord next, Change change) {
        return new Decision(next, Optional.of(change), change.reason(), null, null, false, false);
    }

    /** The phase the group moves to. */
    public GroupPhase to(long nowMs) {
        return GroupPhase.of(next, nowMs);
    }

    /**
     * An automatic failover or stand-down that starts one (not an operator's, and not the completion of a handover
     * whose stand-down is already out, which must never be held: the group would have no primary): what the
     * {@link Brake} counts and may hold.
     */
    public boolean automaticFailover() {
        if (from == null) {
            throw new IllegalStateException("a decision that did not leave the decider through its check: " + reason);
        }
        return from != GroupPhase.HANDING_OVER
                && change.filter(c -> c.commandId() == null
                                && (c.kind() == DecisionKind.FAILOVER || c.kind() == DecisionKind.STAND_DOWN))
                        .isPresent();
    }

    Decision withConviction(Conviction convicted) {
        return new Decision(next, change, reason, from, convicted, held, defect);
    }

    Decision from(GroupPhase phase) {
        return new Decision(next, change, reason, phase, conviction, held, defect);
    }

    Decision asDefect() {
        return new Decision(next, change, reason, from, conviction, held, true);
    }

    /** This decision held back: the group stays as {@code input} was, and the reason says why. */
    Decision heldAt(GroupRecord input, String why) {
        return new Decision(input, Optional.empty(), why + ": " + reason, from, null, true, defect);
    }
}
