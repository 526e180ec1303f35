package dev.failover.coordinator.core;

import dev.failover.wire.GroupMode;
import java.util.Optional;

/** {@link GroupPhase#PAUSED}: an operator's pause runs; no automatic role change. */
final class Paused {
    private final Moves moves;

    Paused(Moves moves) {
        this.moves = moves;
    }

    /**
     * PAUSED: no automatic role change. Only a primary serving on its peers' grants is re-confirmed (it changes no
     * role; see {@link Moves#reconfirmable}); operator commands still apply ({@link Commands}).
     */
    Decision decide(Facts facts) {
        GroupRecord record = facts.view.record();
        if (record.mode() == GroupMode.ACTIVE_ACTIVE) {
            return Decision.none(record, "paused: no automatic changes");
        }
        Optional<Member> primary = record.primary();
        if (primary.isPresent() && Moves.reconfirmable(facts, primary.get())) {
            return moves.reconfirm(
                    facts,
                    primary.get(),
                    facts.view.liveness().get(primary.get().node()));
        }
        return Decision.none(record, "paused: no automatic failover");
    }
}
