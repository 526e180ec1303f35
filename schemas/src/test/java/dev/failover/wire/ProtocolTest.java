package dev.failover.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

/** The protocol's key rules and the fence marker's shape: what the coordinator, the agent and ctl share. */
class ProtocolTest {

    @Test
    void aGroupLandsWhereKafkasProducerPutsItsKey() {
        Random random = new Random(17);
        for (int i = 0; i < 2000; i++) {
            String group = "g" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36);
            int partitions = 1 + random.nextInt(64);
            assertEquals(BuiltInPartitioner.partitionForKey(group.getBytes(StandardCharsets.UTF_8), partitions),
                    Keys.partitionOf(group, partitions), group + " in " + partitions);
        }
        // pinned: a change here moves every group of a running cluster to another partition
        assertEquals(4, Keys.partitionOf("alpha", 6));
        assertEquals(8, Keys.partitionOf("payments", 12));
    }

    @Test
    void noValidGroupIdIsReserved() {
        assertTrue(Ids.problem("group", Keys.RESERVED_PREFIX + "x").isPresent());
        assertTrue(Ids.problem("group", FenceMarker.GROUP).isPresent());
        assertTrue(Keys.isReserved(FenceMarker.key(3)));
        assertFalse(Keys.isReserved("alpha"));
        assertFalse(Keys.isReserved(null));
    }

    @Test
    void aFenceMarkerKeyNamesItsPartition() {
        assertEquals("__fence/7", FenceMarker.key(7));
        assertTrue(FenceMarker.isMarker("__fence/7"));
        assertEquals(7, FenceMarker.partition("__fence/7"));
        assertFalse(FenceMarker.isMarker("alpha"));
        assertFalse(FenceMarker.isMarker(null));
    }

    @Test
    void aFenceMarkerIsAHeartbeatOfZerosWhoseBytesDoNotChange() {
        Heartbeat body = FenceMarker.body("coordinator-1", 5, 42, 1_000);
        byte[] bytes = WireSerdes.heartbeat().serialize(Topics.HEARTBEATS, body);
        // the bytes every released reader of heartbeats already reads: changing them is a wire change
        assertEquals(PINNED, HexFormat.of().formatHex(bytes));
        Heartbeat read = WireSerdes.heartbeat().deserialize(Topics.HEARTBEATS, bytes);
        assertEquals(FenceMarker.GROUP, read.getGroup());
        assertEquals("coordinator-1", read.getNode());
        assertEquals(5, read.getSequence());
        assertEquals(42, read.getIncarnation());
        assertEquals(1_000, read.getSentAtMs());
        assertEquals(Role.UNKNOWN, read.getRole());
        assertEquals(0, read.getEpoch());
        assertArrayEquals(bytes, WireSerdes.heartbeat().serialize(Topics.HEARTBEATS, read));
    }

    private static final String PINNED =
            "c301b6f2acf7571886ec0e5f5f66656e63651a636f6f7264696e61746f722d310a54d00f000000000000000000000000";
}
