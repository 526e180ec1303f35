package dev.failover.coordinator.streams;

/**
 * The time of one event in the coordinator's shell, read once: {@code monoMs} from this instance's monotonic clock,
 * which every judgement of silence, fencing and deadlines runs on (a step of the host's wall clock changes none of
 * them), and {@code wallMs}, which only records carry (their timestamps, decision times, a pause's end in the store,
 * where other instances read them).
 */
record Now(long monoMs, long wallMs) {

    /** A monotonic instant as this instance's wall clock reads it now. */
    long toWall(long mono) {
        return mono + (wallMs - monoMs);
    }

    /** A wall-clock instant (from the store) on this instance's monotonic clock. */
    long toMono(long wall) {
        return wall - (wallMs - monoMs);
    }
}
