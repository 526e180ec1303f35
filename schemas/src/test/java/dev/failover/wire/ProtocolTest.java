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
            assertEquals(
                    BuiltInPartitioner.partitionForKey(group.getBytes(StandardCharsets.UTF_8), partitions),
                    Keys.partitionOf(group, partitions),
                    group + " in " + partitions);
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

    @Test
    void theTimingRulesBothSidesApply() {
        assertEquals(1_600, Timing.leaseMs(2_000));
        assertEquals(400, Timing.leaseMs(500));
        // the default margin holds from a 500 ms timeout up: lease 400 + margin 100 = 500, at the bound
        assertTrue(Timing.ofAgent(100, 500, 0)
                .problem(Timing.DEFAULT_MIN_MARGIN_MS)
                .isEmpty());
        assertTrue(Timing.ofAgent(100, 450, 0)
                .problem(Timing.DEFAULT_MIN_MARGIN_MS)
                .orElseThrow()
                .contains("lease 360 ms + safety margin 100 ms must not exceed the failure timeout 450 ms"));
        // the interval must be shorter than the lease: at it is a problem, one millisecond under is not
        assertTrue(new Timing(1_599, 1_600, 2_000).problem(100).isEmpty());
        assertTrue(
                new Timing(1_600, 1_600, 2_000).problem(100).orElseThrow().contains("shorter than the lease 1600 ms"));
        assertTrue(new Timing(0, 1_600, 2_000).problem(100).orElseThrow().contains("must be positive"));
        // a coordinator configured with a larger margin refuses what the default accepts
        assertTrue(Timing.ofAgent(200, 2_000, 0).problem(400).isEmpty());
        assertTrue(Timing.ofAgent(200, 2_000, 0).problem(401).orElseThrow().contains("safety margin 401 ms"));
        assertEquals(
                Integer.MAX_VALUE, Timing.ofAgent(200, Long.MAX_VALUE, 0).failureTimeoutMs(), "saturated, not wrapped");
    }

    private static final String PINNED =
            "c301b6f2acf7571886ec0e5f5f66656e63651a636f6f7264696e61746f722d310a54d00f000000000000000000000000";
}
