package dev.failover.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The gate for schema changes: the current schema of each wire type must be a released version, and it must be
 * backward compatible (new readers read old records) and forward compatible (old readers read new records) with
 * every released version.
 */
class SchemaCompatibilityTest {

    static Stream<WireType<?>> wireTypes() {
        return WireType.all().stream();
    }

    @ParameterizedTest
    @MethodSource("wireTypes")
    void theCurrentSchemaIsReleased(WireType<?> type) {
        long current = WireType.fingerprint(type.currentSchema());
        assertFalse(type.releasedSchemas().isEmpty(), type + " has no released version");
        assertTrue(
                type.releasedSchemas().stream().anyMatch(s -> WireType.fingerprint(s) == current),
                type + " changed: copy its full schema to released/" + type.name() + ".v"
                        + (type.releasedSchemas().size() + 1) + ".avsc");
    }

    @ParameterizedTest
    @MethodSource("wireTypes")
    void theCurrentSchemaReadsAndIsReadByEveryReleasedVersion(WireType<?> type) {
        List<Schema> released = type.releasedSchemas();
        for (int i = 0; i < released.size(); i++) {
            String version = type.name() + " v" + (i + 1);
            assertCompatible(type.currentSchema(), released.get(i), "current reads " + version);
            assertCompatible(released.get(i), type.currentSchema(), version + " reads current");
        }
    }

    @Test
    void everyEnumHasADefaultSymbolSoOldReadersSurviveNewSymbols() {
        for (WireType<?> type : WireType.all()) {
            assertEnumsHaveDefaults(type.currentSchema(), type.name());
        }
    }

    @Test
    void aReaderOfHeartbeatV1DecodesAStoppingNodeAsUnknownNeverAsStandby() throws Exception {
        Heartbeat stopping = Heartbeat.newBuilder(WireSamples.heartbeat())
                .setRole(Role.STOPPING)
                .build();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        org.apache.avro.io.BinaryEncoder encoder =
                org.apache.avro.io.EncoderFactory.get().binaryEncoder(out, null);
        new org.apache.avro.specific.SpecificDatumWriter<Heartbeat>(Heartbeat.getClassSchema())
                .write(stopping, encoder);
        encoder.flush();
        Schema v1 = WireType.HEARTBEAT.releasedSchemas().get(0);
        org.apache.avro.generic.GenericRecord read = new org.apache.avro.generic.GenericDatumReader<
                        org.apache.avro.generic.GenericRecord>(Heartbeat.getClassSchema(), v1)
                .read(null, org.apache.avro.io.DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
        assertFalse(v1.getField("role").schema().getEnumSymbols().contains("STOPPING"), "v1 predates STOPPING");
        assertEquals("UNKNOWN", read.get("role").toString());
        assertEquals(stopping.getEpoch(), read.get("epoch"));
    }

    @Test
    void theGateCatchesABreakingChange() {
        Schema current = Heartbeat.getClassSchema();
        SchemaBuilder.FieldAssembler<Schema> fields =
                SchemaBuilder.record("Heartbeat").namespace("dev.failover.wire").fields();
        for (Schema.Field f : current.getFields()) {
            fields = fields.name(f.name()).type(f.schema()).noDefault();
        }
        Schema withNewRequiredField = fields.requiredString("datacenter").endRecord();
        var result = SchemaCompatibility.checkReaderWriterCompatibility(withNewRequiredField, current);
        assertEquals(SchemaCompatibilityType.INCOMPATIBLE, result.getType());
    }

    private static void assertCompatible(Schema reader, Schema writer, String what) {
        var result = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
        assertEquals(
                SchemaCompatibilityType.COMPATIBLE,
                result.getType(),
                what + ": " + result.getResult().getIncompatibilities());
    }

    private static void assertEnumsHaveDefaults(Schema schema, String path) {
        switch (schema.getType()) {
            case ENUM ->
                assertTrue(schema.getEnumDefault() != null, path + " (" + schema.getName() + ") has no default");
            case RECORD -> schema.getFields().forEach(f -> assertEnumsHaveDefaults(f.schema(), path + "." + f.name()));
            case ARRAY -> assertEnumsHaveDefaults(schema.getElementType(), path + "[]");
            case UNION -> schema.getTypes().forEach(t -> assertEnumsHaveDefaults(t, path));
            default -> {}
        }
    }
}
