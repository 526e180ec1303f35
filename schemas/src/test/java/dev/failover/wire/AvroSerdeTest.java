package dev.failover.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

    private static final String TOPIC = "failover.heartbeats";

    private final AvroSerde<Heartbeat> heartbeats = WireSerdes.heartbeat();

    @Test
    void everyRecordTypeSurvivesARoundTrip() {
        assertEquals(WireSamples.heartbeat(), roundTrip(WireSerdes.heartbeat(), WireSamples.heartbeat()));
        assertEquals(WireSamples.roleChange(), roundTrip(WireSerdes.roleChange(), WireSamples.roleChange()));
        assertEquals(WireSamples.groupState(), roundTrip(WireSerdes.groupState(), WireSamples.groupState()));
        assertEquals(WireSamples.command(), roundTrip(WireSerdes.command(), WireSamples.command()));
    }

    @Test
    void encodesTheSingleObjectHeaderWithTheWriterFingerprint() {
        byte[] bytes = heartbeats.serialize(TOPIC, WireSamples.heartbeat());
        assertEquals((byte) 0xC3, bytes[0]);
        assertEquals((byte) 0x01, bytes[1]);
        long fingerprint =
                ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(WireType.fingerprint(Heartbeat.getClassSchema()), fingerprint);
    }

    @Test
    void isReadableByAvrosOwnSingleObjectDecoder() throws Exception {
        byte[] bytes = heartbeats.serialize(TOPIC, WireSamples.heartbeat());
        assertEquals(WireSamples.heartbeat(), Heartbeat.fromByteBuffer(ByteBuffer.wrap(bytes)));
        assertArrayEquals(bytes, toArray(WireSamples.heartbeat().toByteBuffer()));
    }

    @Test
    void nullIsATombstoneBothWays() {
        assertNull(heartbeats.serialize(TOPIC, null));
        assertNull(heartbeats.deserialize(TOPIC, null));
    }

    @Test
    void garbageIsNotSingleObjectEncoding() {
        byte[] garbage = "hello, this is not avro at all".getBytes();
        WireFormatException e = assertThrows(WireFormatException.class, () -> heartbeats.deserialize(TOPIC, garbage));
        assertEquals(WireFormatException.Problem.NOT_SINGLE_OBJECT_ENCODING, e.problem());
        assertEquals(TOPIC, e.topic());
        assertTrue(e.getMessage().contains("'failover.heartbeats'"), e.getMessage());
        assertTrue(e.getMessage().contains("C3 01"), e.getMessage());
    }

    @Test
    void aShortValueThatIsNotAvroIsNamedAsForeignNotAsShort() {
        WireFormatException e =
                assertThrows(WireFormatException.class, () -> heartbeats.deserialize(TOPIC, "{}".getBytes()));
        assertEquals(WireFormatException.Problem.NOT_SINGLE_OBJECT_ENCODING, e.problem());
        assertTrue(e.getMessage().contains("starts with 7B 7D"), e.getMessage());
    }

    @Test
    void anEmptyOrShortValueIsTruncated() {
        for (int length : new int[] {0, 1, 9}) {
            byte[] bytes = Arrays.copyOf(heartbeats.serialize(TOPIC, WireSamples.heartbeat()), length);
            WireFormatException e = assertThrows(WireFormatException.class, () -> heartbeats.deserialize(TOPIC, bytes));
            assertEquals(WireFormatException.Problem.TRUNCATED, e.problem(), e.getMessage());
        }
    }

    @Test
    void aBodyCutShortIsABadBody() {
        byte[] full = heartbeats.serialize(TOPIC, WireSamples.heartbeat());
        for (int length = 10; length < full.length; length++) {
            byte[] cut = Arrays.copyOf(full, length);
            WireFormatException e = assertThrows(
                    WireFormatException.class, () -> heartbeats.deserialize(TOPIC, cut), "cut at " + length);
            assertEquals(WireFormatException.Problem.BAD_BODY, e.problem(), e.getMessage());
        }
    }

    @Test
    void trailingBytesAfterTheRecordAreABadBody() {
        byte[] full = heartbeats.serialize(TOPIC, WireSamples.heartbeat());
        byte[] longer = Arrays.copyOf(full, full.length + 3);
        WireFormatException e = assertThrows(WireFormatException.class, () -> heartbeats.deserialize(TOPIC, longer));
        assertEquals(WireFormatException.Problem.BAD_BODY, e.problem());
        assertTrue(e.getMessage().contains("trailing"), e.getMessage());
    }

    @Test
    void anUnknownFingerprintIsNamed() {
        byte[] bytes = heartbeats.serialize(TOPIC, WireSamples.heartbeat());
        ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(0x0123456789abcdefL);
        WireFormatException e = assertThrows(WireFormatException.class, () -> heartbeats.deserialize(TOPIC, bytes));
        assertEquals(WireFormatException.Problem.UNKNOWN_SCHEMA, e.problem());
        assertTrue(e.getMessage().contains("0123456789abcdef"), e.getMessage());
    }

    @Test
    void aRecordOfAnotherTypeSaysWhichTypeItIs() {
        byte[] roleChange = WireSerdes.roleChange().serialize("failover.role-changes", WireSamples.roleChange());
        WireFormatException e =
                assertThrows(WireFormatException.class, () -> heartbeats.deserialize(TOPIC, roleChange));
        assertEquals(WireFormatException.Problem.WRONG_RECORD_TYPE, e.problem());
        assertTrue(
                e.getMessage()
                        .contains("RoleChange v"
                                + WireType.ROLE_CHANGE.releasedSchemas().size()),
                e.getMessage());
        assertTrue(e.getMessage().startsWith("cannot decode Heartbeat"), e.getMessage());
    }

    @Test
    void aHugeValueIsRefusedBeforeDecoding() {
        byte[] huge = new byte[AvroSerde.DEFAULT_MAX_RECORD_BYTES + 1];
        huge[0] = (byte) 0xC3;
        huge[1] = 0x01;
        WireFormatException e = assertThrows(WireFormatException.class, () -> heartbeats.deserialize(TOPIC, huge));
        assertEquals(WireFormatException.Problem.TOO_LARGE, e.problem());
    }

    @Test
    void randomBytesNeverEscapeAsAnythingButAWireFormatException() {
        Random random = new Random(20261125);
        byte[] valid = heartbeats.serialize(TOPIC, WireSamples.heartbeat());
        for (int i = 0; i < 20_000; i++) {
            byte[] bytes = valid.clone();
            // keep the header so the body decoder is what gets exercised, and flip a few body bytes
            for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                int at = 10 + random.nextInt(bytes.length - 10);
                bytes[at] = (byte) random.nextInt(256);
            }
            try {
                heartbeats.deserialize(TOPIC, bytes);
            } catch (WireFormatException expected) {
                // the only failure allowed
            } catch (RuntimeException | OutOfMemoryError other) {
                throw new AssertionError("bytes " + Arrays.toString(bytes) + " raised " + other, other);
            }
        }
    }

    @Test
    void aRecordMissingARequiredFieldCannotBeEncodedAndSaysSo() {
        Heartbeat broken = WireSamples.heartbeat();
        broken.setNode(null);
        WireFormatException e = assertThrows(WireFormatException.class, () -> heartbeats.serialize(TOPIC, broken));
        assertEquals(WireFormatException.Problem.CANNOT_ENCODE, e.problem());
    }

    @Test
    void itIsAKafkaSerializationExceptionSoKafkaHandlersTreatItAsABadRecord() {
        assertTrue(SerializationException.class.isAssignableFrom(WireFormatException.class));
    }

    @Test
    void refusesARecordWrittenWithAnUnreleasedSchema() {
        // a Command without the issuedBy field that was never released, e.g. from a hand-rolled producer
        Schema old = SchemaBuilder.record("Command")
                .namespace("dev.failover.wire")
                .fields()
                .requiredString("group")
                .requiredString("commandId")
                .requiredLong("issuedAtMs")
                .name("type")
                .type(Command.getClassSchema().getField("type").schema())
                .noDefault()
                .name("targetNode")
                .type()
                .optional()
                .stringType()
                .name("pauseForMs")
                .type()
                .optional()
                .longType()
                .endRecord();
        var serde = new AvroSerde<>(WireType.COMMAND);
        // not released, so the decoder must refuse it rather than guess
        var oldRecord = new org.apache.avro.generic.GenericRecordBuilder(old)
                .set("group", "g")
                .set("commandId", "c")
                .set("issuedAtMs", 1L)
                .set(
                        "type",
                        new org.apache.avro.generic.GenericData.EnumSymbol(
                                old.getField("type").schema(), "PAUSE"))
                .build();
        byte[] bytes = encodeGeneric(old, oldRecord);
        WireFormatException e =
                assertThrows(WireFormatException.class, () -> serde.deserialize("failover.commands", bytes));
        assertEquals(WireFormatException.Problem.UNKNOWN_SCHEMA, e.problem());
    }

    private static byte[] encodeGeneric(Schema schema, org.apache.avro.generic.GenericRecord record) {
        try {
            var encoder = new org.apache.avro.message.BinaryMessageEncoder<org.apache.avro.generic.GenericRecord>(
                    org.apache.avro.generic.GenericData.get(), schema);
            return toArray(encoder.encode(record));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static <T extends org.apache.avro.specific.SpecificRecordBase> T roundTrip(AvroSerde<T> serde, T record) {
        return serde.deserialize("t", serde.serialize("t", record));
    }

    private static byte[] toArray(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}
