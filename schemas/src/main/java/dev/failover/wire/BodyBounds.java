package dev.failover.wire;

import java.util.List;
import org.apache.avro.Schema;

/**
 * Walks an Avro binary body against its writer schema before anything decodes it, and refuses every declared size
 * the bytes cannot hold: a string or bytes length beyond the bytes left, a collection count beyond what the bytes
 * left could encode or beyond {@code maxItems}, a union branch or enum index the schema does not have, a varint
 * longer than ten bytes, a body cut short. It allocates nothing per record, so a record of a few bytes that declares
 * a two-gigabyte string is a clear error instead of an {@code OutOfMemoryError} in whichever thread read it.
 *
 * <p>Why a walk of our own and not Avro's limits: Avro's {@code org.apache.avro.limits.*} are JVM-wide system
 * properties with caps in the gigabytes, and its decoder allocates a collection's declared size before it reads an
 * item. One pass over a few hundred bytes is cheap next to the decode that follows.
 */
final class BodyBounds {

    private final byte[] data;
    private final int end;
    private final int maxItems;
    private int pos;

    private BodyBounds(byte[] data, int offset, int length, int maxItems) {
        this.data = data;
        this.pos = offset;
        this.end = offset + length;
        this.maxItems = maxItems;
    }

    /**
     * Checks {@code length} bytes of {@code data} from {@code offset} as one datum of {@code writer}.
     *
     * @return why the body cannot be decoded safely, or {@code null} when every declared size fits
     */
    static String problem(Schema writer, byte[] data, int offset, int length, int maxItems) {
        BodyBounds walk = new BodyBounds(data, offset, length, maxItems);
        try {
            walk.datum(writer, writer.getName());
            return null;
        } catch (Bad bad) {
            return bad.getMessage();
        }
    }

    private void datum(Schema schema, String path) {
        switch (schema.getType()) {
            case NULL -> {}
            case BOOLEAN -> {
                int b = take(1, path) & 0xFF;
                if (b > 1) {
                    throw new Bad(path + ": a boolean byte of " + b + " (only 0 and 1 are booleans)");
                }
            }
            case INT -> {
                long v = varint(path);
                if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                    throw new Bad(path + ": " + v + " does not fit an int");
                }
            }
            case LONG -> varint(path);
            case FLOAT -> skip(4, path);
            case DOUBLE -> skip(8, path);
            case FIXED -> skip(schema.getFixedSize(), path);
            case STRING, BYTES -> skip(length(path), path);
            case ENUM -> index(schema.getEnumSymbols().size(), "enum symbol", path);
            case UNION -> {
                List<Schema> branches = schema.getTypes();
                int branch = index(branches.size(), "union branch", path);
                datum(branches.get(branch), path);
            }
            case RECORD -> {
                for (Schema.Field field : schema.getFields()) {
                    datum(field.schema(), path + "." + field.name());
                }
            }
            case ARRAY -> items(schema.getElementType(), null, path + "[]");
            case MAP -> items(schema.getValueType(), Schema.create(Schema.Type.STRING), path + "{}");
        }
    }

    /** The blocks of an array or map: a count (negative: followed by the block's byte size), items, a zero count. */
    private void items(Schema item, Schema key, String path) {
        long total = 0;
        boolean itemTakesBytes = key != null || minBytes(item, 0) > 0;
        while (true) {
            long count = varint(path);
            if (count == 0) {
                return;
            }
            if (count < 0) {
                if (count == Long.MIN_VALUE) {
                    throw new Bad(path + ": an impossible block count");
                }
                count = -count;
                long size = varint(path);
                if (size < 0 || size > end - pos) {
                    throw new Bad(path + ": a block declares " + size + " bytes but " + (end - pos) + " remain");
                }
            }
            if (itemTakesBytes && count > end - pos) {
                throw new Bad(path + ": " + count + " items declared but only " + (end - pos) + " bytes remain");
            }
            total += count;
            if (total > maxItems) {
                throw new Bad(path + ": " + total + " items exceed the limit of " + maxItems);
            }
            for (long i = 0; i < count; i++) {
                if (key != null) {
                    datum(key, path);
                }
                datum(item, path);
            }
        }
    }

    /** The fewest bytes a datum of this schema can take, to bound a count by the bytes left. */
    private static int minBytes(Schema schema, int depth) {
        if (depth > 32) {
            return 0;
        }
        return switch (schema.getType()) {
            case NULL -> 0;
            case BOOLEAN, INT, LONG, ENUM, STRING, BYTES, ARRAY, MAP, UNION -> 1;
            case FLOAT -> 4;
            case DOUBLE -> 8;
            case FIXED -> schema.getFixedSize();
            case RECORD -> {
                int sum = 0;
                for (Schema.Field field : schema.getFields()) {
                    sum += minBytes(field.schema(), depth + 1);
                }
                yield sum;
            }
        };
    }

    private int index(int size, String what, String path) {
        long v = varint(path);
        if (v < 0 || v >= size) {
            throw new Bad(path + ": " + what + " " + v + " does not exist (there are " + size + ")");
        }
        return (int) v;
    }

    private long length(String path) {
        long len = varint(path);
        if (len < 0) {
            throw new Bad(path + ": a negative length " + len);
        }
        if (len > end - pos) {
            throw new Bad(path + ": declares " + len + " bytes but only " + (end - pos) + " remain");
        }
        return len;
    }

    private void skip(long n, String path) {
        if (n > end - pos) {
            throw new Bad(path + ": needs " + n + " bytes but only " + (end - pos) + " remain");
        }
        pos += (int) n;
    }

    private byte take(int n, String path) {
        if (n > end - pos) {
            throw new Bad(path + ": the body ends here");
        }
        byte b = data[pos];
        pos += n;
        return b;
    }

    /** A zig-zag varint of at most ten bytes, as Avro writes ints and longs. */
    private long varint(String path) {
        long raw = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            if (pos >= end) {
                throw new Bad(path + ": the body ends inside a number");
            }
            int b = data[pos++] & 0xFF;
            raw |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw new Bad(path + ": a number longer than ten bytes");
    }

    /** A refusal; no stack trace: it is an answer, not a bug. */
    private static final class Bad extends RuntimeException {
        Bad(String message) {
            super(message, null, false, false);
        }
    }
}
