package dev.failover.coordinator.streams;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What the shell remembers of a group beside the decider's record, stored with it in the changelogged store (so the
 * instance that holds the group next remembers it too): the guards against records written again.
 *
 * <ul>
 *   <li>the signed commands answered recently, each until its issue time plus {@code command.max.age.ms} (wall
 *       clock), after which a copy is refused as too old anyway;</li>
 *   <li>in a group that requires authenticated heartbeats, the newest agent run (incarnation) accepted per member.</li>
 * </ul>
 *
 * Not thread-safe: one task's.
 */
final class GroupMemory {

    /** At most this many answered ids per group are kept (the oldest go first): a bound on what a key holder costs. */
    static final int MAX_ANSWERED = 1_000;

    /** Command id → until when (wall clock) a copy is refused as answered; oldest first. */
    private final Map<String, Long> answered = new LinkedHashMap<>();

    private final Map<String, Long> incarnations = new HashMap<>();
    private boolean dirty;

    /** Whether command {@code id} was answered and is still remembered at {@code wallMs}. */
    boolean answered(String id, long wallMs) {
        answered.values().removeIf(until -> until < wallMs);
        return answered.containsKey(id);
    }

    /** Remembers command {@code id} as answered until {@code untilWallMs}. */
    void answer(String id, long untilWallMs) {
        answered.put(id, untilWallMs);
        for (Iterator<String> it = answered.keySet().iterator(); answered.size() > MAX_ANSWERED; ) {
            it.next();
            it.remove();
        }
        dirty = true;
    }

    Map<String, Long> answeredIds() {
        return java.util.Collections.unmodifiableMap(answered);
    }

    /** The newest incarnation of {@code node} accepted, or {@code Long.MIN_VALUE}. */
    long incarnation(String node) {
        return incarnations.getOrDefault(node, Long.MIN_VALUE);
    }

    /** A beat of {@code node} from {@code incarnation} was accepted. */
    void accepted(String node, long incarnation) {
        if (incarnation > incarnation(node)) {
            incarnations.put(node, incarnation);
            dirty = true;
        }
    }

    /** Members no longer in the group are forgotten here too. */
    void retain(Set<String> nodes) {
        incarnations.keySet().retainAll(nodes);
    }

    /** Whether something changed since the group was last stored. */
    boolean dirty() {
        return dirty;
    }

    void stored() {
        dirty = false;
    }
}
