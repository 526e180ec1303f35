package dev.failover.wire;

import static dev.failover.testkit.AvroBytes.concat;
import static dev.failover.testkit.AvroBytes.string;
import static dev.failover.testkit.AvroBytes.varint;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.testkit.AvroBytes;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.avro.specific.SpecificRecordBase;
import org.junit.jupiter.api.Test;

/**
 * Records whose single-object header is valid but whose body is hostile: declared lengths and counts the bytes cannot
 * hold, impossible union branches and enum indexes, cut or extended tails. Each is refused before anything is
 * allocated for it, with the field named; nothing but a {@link WireFormatException} ever comes out.
 */
class HostileBodyTest {

    private static final int CASES_PER_TYPE = 100_000;

    @Test
    void aStringLengthBeyondTheBytesLeftIsRefusedNamingTheField() {
        // header, then the group's length: a billion bytes, in a record of a dozen
        byte[] bytes = concat(header(WireType.HEARTBEAT), varint(1_000_000_000L), "g1".getBytes());
        WireFormatException e = assertThrows(
                WireFormatException.class, () -> WireSerdes.heartbeat().deserialize("failover.heartbeats", bytes));
        assertEquals(WireFormatException.Problem.BAD_BODY, e.problem());
        assertTrue(e.detail().contains("Heartbeat.group") && e.detail().contains("1000000000"), e.detail());
    }

    @Test
    void aCollectionCountBeyondTheBytesLeftIsRefusedNamingTheField() {
        RoleChange sample = WireSamples.roleChange();
        byte[] valid = WireSerdes.roleChange().serialize("t", sample);
        // rebuild the body up to the members array, then declare a count of 2^31 - 1 members
        byte[] prefix = concat(
                header(WireType.ROLE_CHANGE),
                string(sample.getGroup()),
                varint(sample.getEpoch()),
                varint(sample.getMode().ordinal()),
                varint(sample.getDecidedAtMs()),
                varint(sample.getKind().ordinal()));
        assertTrue(Arrays.equals(prefix, Arrays.copyOf(valid, prefix.length)), "the prefix is the real encoding");
        byte[] hostile = concat(prefix, varint(Integer.MAX_VALUE), "abc".getBytes());
        WireFormatException e = assertThrows(
                WireFormatException.class, () -> WireSerdes.roleChange().deserialize("failover.role-changes", hostile));
        assertTrue(e.detail().contains("RoleChange.members[]") && e.detail().contains("2147483647 items"), e.detail());
    }

    @Test
    void moreItemsThanTheCapAreRefusedEvenWhenTheBytesHoldThem() {
        RoleChange state = WireSamples.roleChange();
        AvroSerde<RoleChange> capped = new AvroSerde<>(WireType.ROLE_CHANGE, AvroSerde.DEFAULT_MAX_RECORD_BYTES, 1);
        byte[] bytes = capped.serialize("t", state);
        assertTrue(state.getMembers().size() > 1, "the sample has several members");
        WireFormatException e = assertThrows(WireFormatException.class, () -> capped.deserialize("t", bytes));
        assertTrue(e.detail().contains("exceed the limit of 1"), e.detail());
    }

    @Test
    void aUnionBranchOrEnumIndexTheSchemaDoesNotHaveIsRefused() {
        byte[] badEnum = concat(header(WireType.COMMAND), string("g"), string("c"), varint(1), varint(99));
        WireFormatException e = assertThrows(
                WireFormatException.class, () -> WireSerdes.command().deserialize("t", badEnum));
        assertTrue(e.detail().contains("Command.type") && e.detail().contains("enum symbol 99"), e.detail());
        byte[] badUnion = concat(header(WireType.COMMAND), string("g"), string("c"), varint(1), varint(1), varint(5));
        e = assertThrows(WireFormatException.class, () -> WireSerdes.command().deserialize("t", badUnion));
        assertTrue(e.detail().contains("Command.targetNode") && e.detail().contains("union branch 5"), e.detail());
    }

    @Test
    void mutatedBodiesOfEveryTypeDecodeOrAreRefusedAndNothingElse() {
        fuzz(WireSerdes.heartbeat(), WireSamples.heartbeat(), 1);
        fuzz(WireSerdes.roleChange(), WireSamples.roleChange(), 2);
        fuzz(WireSerdes.groupState(), WireSamples.groupState(), 3);
        fuzz(WireSerdes.command(), WireSamples.command(), 4);
        fuzz(WireSerdes.fence(), WireSamples.fence(), 5);
    }

    /**
     * {@value #CASES_PER_TYPE} mutations of one valid record: a byte set, a varint overwritten or inserted with an
     * extreme value (lengths, counts, branches, indexes), the tail cut or extended. Each either decodes or is a
     * {@link WireFormatException}; and the extreme declared sizes are refused by the bounds walk, not by luck.
     */
    private static <T extends SpecificRecordBase> void fuzz(AvroSerde<T> serde, T sample, long seed) {
        Random random = new Random(seed);
        byte[] valid = serde.serialize("t", sample);
        int decoded = 0;
        int refused = 0;
        for (int i = 0; i < CASES_PER_TYPE; i++) {
            byte[] bytes = AvroBytes.mutate(valid, random);
            try {
                serde.deserialize("t", bytes);
                decoded++;
            } catch (WireFormatException expected) {
                refused++;
                assertTrue(expected.problem() == WireFormatException.Problem.BAD_BODY, expected.getMessage());
                assertTrue(
                        expected.getCause() == null || !(expected.getCause() instanceof Error),
                        "an Error means something was allocated from a declared size: " + expected.getMessage());
            } catch (RuntimeException | Error other) {
                throw new AssertionError(
                        serde.type().name() + " case " + i + ": bytes " + Arrays.toString(bytes) + " raised " + other,
                        other);
            }
        }
        assertEquals(CASES_PER_TYPE, decoded + refused);
        assertTrue(
                decoded > 0 && refused > 0,
                serde.type().name() + ": decoded " + decoded + ", refused " + refused
                        + ": the mutations reach both outcomes");
    }

    private static <T extends SpecificRecordBase> byte[] header(WireType<T> type) {
        byte[] valid = new AvroSerde<>(type).serialize("t", sampleOf(type));
        return Arrays.copyOf(valid, AvroSerde.HEADER_BYTES);
    }

    @SuppressWarnings("unchecked")
    private static <T extends SpecificRecordBase> T sampleOf(WireType<T> type) {
        List<SpecificRecordBase> samples = List.of(
                WireSamples.heartbeat(),
                WireSamples.roleChange(),
                WireSamples.groupState(),
                WireSamples.command(),
                WireSamples.fence());
        return (T) samples.stream()
                .filter(s -> s.getClass() == type.recordClass())
                .findFirst()
                .orElseThrow();
    }
}
