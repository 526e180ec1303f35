package dev.failover.coordinator.core;

import dev.failover.wire.GroupMode;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Where a group stands, read from its durable record: the one place that names the phases and the moves between them.
 * The decider asks for the phase first and runs the rules of that phase only ({@link Decider#decide}); every decision
 * it returns is checked against {@link #allows} before it leaves the core.
 *
 * <table>
 *   <caption>Phases (checked in this order)</caption>
 *   <tr><th>phase</th><th>when</th><th>what the decider does</th></tr>
 *   <tr><td>{@link #EMPTY}</td><td>no members (a new group, or one whose last member was forgotten)</td>
 *       <td>nothing: the first heartbeat makes a member</td></tr>
 *   <tr><td>{@link #HANDING_OVER}</td><td>a stand-down is out ({@code pending}); also while paused: a handover
 *       started must finish, else the group has no primary</td>
 *       <td>waits for the old primary's acknowledged stand-down or proven silence, then promotes</td></tr>
 *   <tr><td>{@link #PAUSED}</td><td>an operator's pause runs</td>
 *       <td>only re-confirms a primary serving on failsafe grants (no role changes); commands still apply</td></tr>
 *   <tr><td>{@link #ELECTING}</td><td>active/passive, nobody assigned ACTIVE</td>
 *       <td>elects the best eligible member once nothing may still serve, the watch is fenced a failure timeout
 *       past its start, and the election grace since the group was first heard has passed</td></tr>
 *   <tr><td>{@link #STEADY}</td><td>active/passive with a primary; every active/active group</td>
 *       <td>convicts a proven-silent primary, starts a handover from a live one that must go (unhealthy, leaving,
 *       deaf, failback), or keeps it</td></tr>
 * </table>
 */
public enum GroupPhase {
    EMPTY,
    ELECTING,
    STEADY,
    HANDING_OVER,
    PAUSED;

    /**
     * The legal moves, and the only ones: a decision whose record would move a group otherwise is refused by
     * {@link Decider#checked}. Staying in a phase is always legal. Notably absent: ELECTING to HANDING_OVER (there
     * is no primary to stand down), HANDING_OVER to ELECTING (a handover ends in a promotion, never in an empty role:
     * the leaver may still serve, and only a promotion names it for fencing), and EMPTY to anything but itself by a
     * decision (members arrive by heartbeats, which are not decisions).
     */
    private static final Map<GroupPhase, Set<GroupPhase>> MOVES = Map.of(
            EMPTY, EnumSet.of(EMPTY),
            ELECTING, EnumSet.of(ELECTING, STEADY, PAUSED, EMPTY),
            STEADY, EnumSet.of(STEADY, HANDING_OVER, ELECTING, PAUSED, EMPTY),
            HANDING_OVER, EnumSet.of(HANDING_OVER, STEADY, PAUSED),
            PAUSED, EnumSet.of(PAUSED, ELECTING, STEADY, HANDING_OVER, EMPTY));

    /** The phase of {@code record} at {@code nowMs}. */
    public static GroupPhase of(GroupRecord record, long nowMs) {
        if (record.members().isEmpty()) {
            return EMPTY;
        }
        if (record.pending() != null) {
            return HANDING_OVER;
        }
        if (record.paused(nowMs)) {
            return PAUSED;
        }
        if (record.mode() != GroupMode.ACTIVE_ACTIVE && record.primary().isEmpty()) {
            return ELECTING;
        }
        return STEADY;
    }

    /** Whether a decision may move a group from this phase to {@code next}. */
    public boolean allows(GroupPhase next) {
        return MOVES.get(this).contains(next);
    }

    /** The phases a decision may move a group to from this one. */
    public Set<GroupPhase> next() {
        return EnumSet.copyOf(MOVES.get(this));
    }
}
