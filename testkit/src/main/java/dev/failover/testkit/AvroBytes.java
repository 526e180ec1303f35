package dev.failover.testkit;

import java.io.ByteArrayOutputStream;

/** Avro binary pieces written by hand, for tests that build hostile records byte by byte. */
public final class AvroBytes {

    private AvroBytes() {}

    /** A zig-zag varint, as Avro writes ints, longs, lengths, counts, union branches and enum indexes. */
    public static byte[] varint(long value) {
        long zz = (value << 1) ^ (value >> 63);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while ((zz & ~0x7FL) != 0) {
            out.write((int) ((zz & 0x7F) | 0x80));
            zz >>>= 7;
        }
        out.write((int) zz);
        return out.toByteArray();
    }

    /** An Avro string: its length, then its bytes (ASCII here). */
    public static byte[] string(String s) {
        return concat(varint(s.length()), s.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static final long[] EXTREMES = {
        -1,
        Long.MIN_VALUE,
        Long.MAX_VALUE,
        Integer.MAX_VALUE,
        Integer.MIN_VALUE,
        1L << 40,
        1_000_000_000,
        65_536,
        255,
        128,
        64,
        2,
        1,
        0
    };

    /**
     * One structure-aware mutation of a single-object record: its 10-byte header kept, its body with a byte set, a
     * varint overwritten or inserted with an extreme value (a length, a count, a union branch, an enum index), the
     * tail cut, or random bytes inserted.
     */
    public static byte[] mutate(byte[] valid, java.util.Random random) {
        int header = 10;
        byte[] body = java.util.Arrays.copyOfRange(valid, header, valid.length);
        int at = random.nextInt(body.length + 1);
        body = switch (random.nextInt(5)) {
            case 0 -> {
                byte[] b = body.clone();
                if (b.length > 0) {
                    b[Math.min(at, b.length - 1)] = (byte) random.nextInt(256);
                }
                yield b;
            }
            case 1 -> splice(body, at, varint(EXTREMES[random.nextInt(EXTREMES.length)]), true);
            case 2 -> splice(body, at, varint(EXTREMES[random.nextInt(EXTREMES.length)]), false);
            case 3 -> java.util.Arrays.copyOf(body, at);
            default -> {
                byte[] tail = new byte[1 + random.nextInt(16)];
                random.nextBytes(tail);
                yield concat(
                        java.util.Arrays.copyOf(body, at), tail, java.util.Arrays.copyOfRange(body, at, body.length));
            }
        };
        return concat(java.util.Arrays.copyOf(valid, header), body);
    }

    private static byte[] splice(byte[] body, int at, byte[] value, boolean overwrite) {
        int resume = overwrite ? Math.min(body.length, at + value.length) : at;
        return concat(
                java.util.Arrays.copyOf(body, at), value, java.util.Arrays.copyOfRange(body, resume, body.length));
    }
}
