package dev.failover.coordinator.core;

/**
 * What this coordinator instance knows about its own view of a group's heartbeat partition.
 *
 * @param sinceMs     when it started watching (task start or restore); nobody's silence counts from before this
 * @param fencedUpToMs the send time of the newest fence marker this instance wrote into the partition and has read
 *                    back, or {@code Long.MIN_VALUE}: every heartbeat appended before that moment has been processed.
 */
public record Watch(long sinceMs, long fencedUpToMs) {

    public static Watch startedAt(long sinceMs) {
        return new Watch(sinceMs, Long.MIN_VALUE);
    }

    public Watch fencedAt(long markerSentAtMs) {
        return markerSentAtMs > fencedUpToMs ? new Watch(sinceMs, markerSentAtMs) : this;
    }
}
