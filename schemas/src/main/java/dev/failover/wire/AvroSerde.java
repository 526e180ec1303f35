package dev.failover.wire;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for one {@link WireType} in Avro single-object encoding: {@code C3 01}, the 8-byte little-endian
 * CRC-64-AVRO fingerprint of the writer schema, then the binary body. Every record names its schema, so any reader
 * that knows the released versions can decode it without a schema registry.
 *
 * <p>Decoding resolves the writer schema through a {@link SchemaStore} holding every released version of this type.
 * Anything that is not such a record raises {@link WireFormatException} naming the topic and the problem; a
 * {@code null} value (a tombstone) decodes to {@code null}.
 */
public final class AvroSerde<T extends SpecificRecordBase> implements Serde<T>, Serializer<T>, Deserializer<T> {

    /** Records larger than this are refused on both sides: ours are a few hundred bytes. */
    public static final int DEFAULT_MAX_RECORD_BYTES = 1 << 20;

    /** Arrays and maps with more items than this, in one record, are refused before decoding. */
    public static final int DEFAULT_MAX_ITEMS = 10_000;

    static final byte MAGIC_0 = (byte) 0xC3;
    static final byte MAGIC_1 = (byte) 0x01;
    static final int HEADER_BYTES = 10;

    private final WireType<T> type;
    private final int maxRecordBytes;
    private final int maxItems;
    private final SpecificData model;
    private final SchemaStore.Cache store = new SchemaStore.Cache();
    private final Map<Long, Reader<T>> readers = new ConcurrentHashMap<>();
    private final SpecificDatumWriter<T> writer;
    private final byte[] header;

    public AvroSerde(WireType<T> type) {
        this(type, DEFAULT_MAX_RECORD_BYTES);
    }

    public AvroSerde(WireType<T> type, int maxRecordBytes) {
        this(type, maxRecordBytes, DEFAULT_MAX_ITEMS);
    }

    public AvroSerde(WireType<T> type, int maxRecordBytes, int maxItems) {
        this.type = type;
        this.maxRecordBytes = maxRecordBytes;
        this.maxItems = maxItems;
        this.model = SpecificData.getForClass(type.recordClass());
        type.releasedSchemas().forEach(store::addSchema);
        store.addSchema(type.currentSchema());
        this.writer = new SpecificDatumWriter<>(type.currentSchema(), model);
        this.header = ByteBuffer.allocate(HEADER_BYTES)
                .order(ByteOrder.LITTLE_ENDIAN)
                .put(MAGIC_0)
                .put(MAGIC_1)
                .putLong(WireType.fingerprint(type.currentSchema()))
                .array();
    }

    public WireType<T> type() {
        return type;
    }

    @Override
    public byte[] serialize(String topic, T record) {
        if (record == null) {
            return null;
        }
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            out.write(header);
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writer.write(record, encoder);
            encoder.flush();
            byte[] bytes = out.toByteArray();
            if (bytes.length > maxRecordBytes) {
                throw error(
                        topic,
                        WireFormatException.Problem.TOO_LARGE,
                        bytes.length + " bytes exceed the limit of " + maxRecordBytes,
                        null);
            }
            return bytes;
        } catch (WireFormatException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw error(topic, WireFormatException.Problem.CANNOT_ENCODE, describe(e), e);
        }
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        if (data.length > maxRecordBytes) {
            throw error(
                    topic,
                    WireFormatException.Problem.TOO_LARGE,
                    data.length + " bytes exceed the limit of " + maxRecordBytes,
                    null);
        }
        if ((data.length > 0 && data[0] != MAGIC_0) || (data.length > 1 && data[1] != MAGIC_1)) {
            throw error(
                    topic,
                    WireFormatException.Problem.NOT_SINGLE_OBJECT_ENCODING,
                    String.format("starts with %s, not the Avro single-object marker C3 01", hex(data, 2)),
                    null);
        }
        if (data.length < HEADER_BYTES) {
            throw error(
                    topic,
                    WireFormatException.Problem.TRUNCATED,
                    data.length + " bytes, shorter than the " + HEADER_BYTES + "-byte single-object header",
                    null);
        }
        long fingerprint =
                ByteBuffer.wrap(data, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        Reader<T> reader = readerFor(topic, fingerprint);
        String unsafe = BodyBounds.problem(reader.writer(), data, HEADER_BYTES, data.length - HEADER_BYTES, maxItems);
        if (unsafe != null) {
            throw error(topic, WireFormatException.Problem.BAD_BODY, "the body does not decode (" + unsafe + ")", null);
        }
        BinaryDecoder decoder =
                DecoderFactory.get().binaryDecoder(data, HEADER_BYTES, data.length - HEADER_BYTES, null);
        T record;
        try {
            record = reader.datum().read(null, decoder);
        } catch (VirtualMachineError | LinkageError e) {
            // IMPORTANT: the machine's fault, not the record's (a heap exhausted by something else, a broken class
            // path): calling the record bad would drop a good one for ever; the thread dies and reads it again
            throw e;
        } catch (IOException | RuntimeException | Error e) {
            throw error(
                    topic, WireFormatException.Problem.BAD_BODY, "the body does not decode (" + describe(e) + ")", e);
        }
        try {
            if (!decoder.isEnd()) {
                throw error(topic, WireFormatException.Problem.BAD_BODY, "trailing bytes after the record", null);
            }
        } catch (IOException e) {
            throw error(topic, WireFormatException.Problem.BAD_BODY, describe(e), e);
        }
        return record;
    }

    /** A writer schema and the reader that resolves it to the current one. */
    private record Reader<T>(Schema writer, DatumReader<T> datum) {}

    private Reader<T> readerFor(String topic, long fingerprint) {
        Reader<T> reader = readers.get(fingerprint);
        if (reader != null) {
            return reader;
        }
        Schema writerSchema = store.findByFingerprint(fingerprint);
        if (writerSchema == null) {
            String known = WireType.describe(fingerprint).orElse(null);
            if (known != null) {
                throw error(
                        topic,
                        WireFormatException.Problem.WRONG_RECORD_TYPE,
                        String.format("the record is a %s (fingerprint %016x)", known, fingerprint),
                        null);
            }
            throw error(
                    topic,
                    WireFormatException.Problem.UNKNOWN_SCHEMA,
                    String.format(
                            "writer schema fingerprint %016x is no released version of %s", fingerprint, type.name()),
                    null);
        }
        reader = new Reader<>(writerSchema, new SpecificDatumReader<>(writerSchema, type.currentSchema(), model));
        readers.put(fingerprint, reader);
        return reader;
    }

    private WireFormatException error(
            String topic, WireFormatException.Problem problem, String detail, Throwable cause) {
        return new WireFormatException(topic, type.name(), problem, detail, cause);
    }

    private static String hex(byte[] data, int max) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < Math.min(max, data.length); i++) {
            out.append(i == 0 ? "" : " ").append(String.format("%02X", data[i]));
        }
        return out.toString();
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + message;
    }

    @Override
    public Serializer<T> serializer() {
        return this;
    }

    @Override
    public Deserializer<T> deserializer() {
        return this;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        // nothing to configure: the wire type fixes the schema
    }

    @Override
    public void close() {
        // nothing held
    }
}
