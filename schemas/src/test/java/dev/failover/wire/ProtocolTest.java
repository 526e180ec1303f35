package dev.failover.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
    void aFenceMarkerIsARecordOfItsOwnWhoseBytesDoNotChange() {
        byte[] bytes = WireSerdes.fence().serialize(Topics.HEARTBEATS, FenceMarker.body("coordinator-1", 5, 42, 1_000));
        // changing these bytes is a wire change: a released Fence schema reads them
        assertEquals(PINNED_FENCE, HexFormat.of().formatHex(bytes));
        Fence read = new FenceMarker.Reader().read(Topics.HEARTBEATS, bytes);
        assertEquals(new Fence("coordinator-1", 5L, 42L, 1_000L), read);
    }

    @Test
    void aLegacyFenceMarkerAHeartbeatOfZerosIsStillReadAsTheSameMarker() {
        Heartbeat body = FenceMarker.legacyBody("coordinator-1", 5, 42, 1_000);
        byte[] bytes = WireSerdes.heartbeat().serialize(Topics.HEARTBEATS, body);
        // the bytes coordinators before the Fence type wrote: recordings and topics hold them
        assertEquals(PINNED, HexFormat.of().formatHex(bytes));
        Heartbeat asHeartbeat = WireSerdes.heartbeat().deserialize(Topics.HEARTBEATS, bytes);
        assertEquals(FenceMarker.GROUP, asHeartbeat.getGroup());
        assertEquals(Role.UNKNOWN, asHeartbeat.getRole());
        assertEquals(0, asHeartbeat.getEpoch());
        assertArrayEquals(bytes, WireSerdes.heartbeat().serialize(Topics.HEARTBEATS, asHeartbeat));
        assertEquals(
                new Fence("coordinator-1", 5L, 42L, 1_000L),
                new FenceMarker.Reader().read(Topics.HEARTBEATS, bytes),
                "read as the same marker as the new shape");
    }

    @Test
    void aFenceReaderRefusesAnOrdinaryHeartbeatAndGarbageNamingWhatItIs() {
        byte[] beat = WireSerdes.heartbeat().serialize(Topics.HEARTBEATS, WireSamples.heartbeat());
        WireFormatException ordinary =
                assertThrows(WireFormatException.class, () -> new FenceMarker.Reader().read(Topics.HEARTBEATS, beat));
        assertTrue(
                ordinary.getMessage().contains("Heartbeat"), "it names what the bytes are: " + ordinary.getMessage());
        WireFormatException garbage = assertThrows(
                WireFormatException.class,
                () -> new FenceMarker.Reader().read(Topics.HEARTBEATS, new byte[] {1, 2, 3}));
        assertTrue(garbage.getMessage().contains("single-object"), garbage.getMessage());
        assertEquals(null, new FenceMarker.Reader().read(Topics.HEARTBEATS, null), "a tombstone is no marker");
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

    /** The Fence bytes, worked out by hand from the Avro spec (CRC-64-AVRO of the canonical form, then the body). */
    private static final String PINNED_FENCE = "c3015dbd9138690be95a1a636f6f7264696e61746f722d310a54d00f";

    private static final String PINNED =
            "c301b6f2acf7571886ec0e5f5f66656e63651a636f6f7264696e61746f722d310a54d00f000000000000000000000000";
}
