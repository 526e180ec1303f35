package dev.failover.wire;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/**
 * Record keys and where they land, the same for the coordinator, the agent and {@code ctl}. A record's key is its
 * group id as UTF-8, so all records of a group land in one partition (Kafka's default partitioner: murmur2 of the
 * key bytes). Keys starting with {@value #RESERVED_PREFIX} are reserved: no valid group id starts with it
 * ({@link Ids}); the coordinator's fence markers ({@link FenceMarker}) use them.
 */
public final class Keys {

    /** The prefix no group may start with. */
    public static final String RESERVED_PREFIX = "__";

    private Keys() {}

    /** Whether {@code key} is reserved (a fence marker or anything else no group can be). */
    public static boolean isReserved(String key) {
        return key != null && key.startsWith(RESERVED_PREFIX);
    }

    /** The partition of {@code group}'s records among {@code partitions} (Kafka's default partitioner on its name). */
    public static int partitionOf(String group, int partitions) {
        return Utils.toPositive(Utils.murmur2(group.getBytes(StandardCharsets.UTF_8))) % partitions;
    }
}
