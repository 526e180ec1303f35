package dev.failover.wire;

/**
 * The coordinator's fence marker: a record a coordinator task writes into its own heartbeat partition and reads
 * back, so it knows it has read everything written before (see ARCHITECTURE.md, "The fence"). On the wire it is a
 * {@link Fence} record under the reserved key {@value #KEY_PREFIX}{@code N} (N: the writing task's partition), sealed
 * by the header {@value #SEAL_HEADER}. Coordinators before the {@code Fence} type wrote a {@link Heartbeat} whose group
 * is {@value #GROUP} and whose other fields are zero or UNKNOWN ({@link #legacyBody}); {@link Reader} reads both, so
 * recordings and topics written by them still replay and mix. This class is the one definition of both shapes.
 */
public final class FenceMarker {

    /** A marker's key: this prefix, then the partition of the task that wrote it. */
    public static final String KEY_PREFIX = Keys.RESERVED_PREFIX + "fence/";
    /** The group a marker's body carries. */
    public static final String GROUP = Keys.RESERVED_PREFIX + "fence";
    /** The record header carrying the writer's seal (an HMAC only the writing process can check). */
    public static final String SEAL_HEADER = "failover.fence";

    private FenceMarker() {}

    /** Whether {@code key} is a fence marker's. */
    public static boolean isMarker(String key) {
        return key != null && key.startsWith(KEY_PREFIX);
    }

    /** The key of the marker the task of {@code partition} writes. */
    public static String key(int partition) {
        return KEY_PREFIX + partition;
    }

    /** The partition a marker's key names; throws {@link NumberFormatException} on a malformed one. */
    public static int partition(String key) {
        return Integer.parseInt(key.substring(KEY_PREFIX.length()));
    }

    /**
     * A marker's body: who wrote it ({@code instance}, the writer's process incarnation), its sequence, when its task
     * started watching and when it was sent, both on the writer's own monotonic clock.
     */
    public static Fence body(String instance, long sequence, long watchingSinceMs, long sentAtMs) {
        return Fence.newBuilder()
                .setInstance(instance)
                .setSequence(sequence)
                .setWatchingSinceMs(watchingSinceMs)
                .setSentAtMs(sentAtMs)
                .build();
    }

    /** A marker as coordinators before the {@link Fence} type wrote it: a Heartbeat of zeros, group {@value #GROUP}. */
    public static Heartbeat legacyBody(String instance, long sequence, long watchingSinceMs, long sentAtMs) {
        return Heartbeat.newBuilder()
                .setGroup(GROUP)
                .setNode(instance)
                .setSequence(sequence)
                .setIncarnation(watchingSinceMs)
                .setSentAtMs(sentAtMs)
                .setHealth(Health.UNKNOWN)
                .setRole(Role.UNKNOWN)
                .setEpoch(0)
                .setMode(GroupMode.UNKNOWN)
                .setPriority(0)
                .setHeartbeatIntervalMs(0)
                .setLeaseMs(0)
                .setFailureTimeoutMs(0)
                .build();
    }

    /** Reads a marker's value in either shape; one reader per thread (it holds serdes). */
    public static final class Reader {
        private final AvroSerde<Fence> fences = WireSerdes.fence();
        private final AvroSerde<Heartbeat> legacy = WireSerdes.heartbeat();

        /**
         * The marker in {@code value} (null for a tombstone). A {@link Fence}, or a legacy Heartbeat of group
         * {@value #GROUP} read as one; anything else is refused with the error the {@link Fence} decoder gave, which
         * names what the bytes are.
         */
        public Fence read(String topic, byte[] value) {
            try {
                return fences.deserialize(topic, value);
            } catch (WireFormatException notAFence) {
                Heartbeat old;
                try {
                    old = legacy.deserialize(topic, value);
                } catch (WireFormatException notALegacyMarker) {
                    throw notAFence;
                }
                if (!GROUP.equals(old.getGroup())) {
                    throw notAFence;
                }
                return body(old.getNode(), old.getSequence(), old.getIncarnation(), old.getSentAtMs());
            }
        }
    }
}
