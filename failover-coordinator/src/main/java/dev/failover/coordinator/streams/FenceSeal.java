package dev.failover.coordinator.streams;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The seal on this process's fence markers: an HMAC-SHA256 of the marker's key and value under a secret drawn when the
 * process starts, never logged, stored or shown. A marker counts only for the instance that wrote it (its own
 * monotonic clock), so nobody else needs the secret; without it, anyone allowed to write heartbeats could forge a
 * marker with this instance's id (which {@code /health} shows) and a send time far ahead, and so switch off the
 * self-guard for good. A copy of a genuine marker lands after the original and proves nothing new.
 */
final class FenceSeal {

    private static final FenceSeal PROCESS = new FenceSeal(secret());

    private final SecretKeySpec key;

    FenceSeal(byte[] secret) {
        this.key = new SecretKeySpec(secret.clone(), "HmacSHA256");
    }

    /** The one seal of this process (every task of every instance in it). */
    static FenceSeal ofThisProcess() {
        return PROCESS;
    }

    private static byte[] secret() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return secret;
    }

    /** The seal of a marker with this key and value: lengths first, so no two key/value splits share one. */
    byte[] seal(String recordKey, byte[] value) {
        byte[] k = recordKey.getBytes(StandardCharsets.UTF_8);
        try {
            Mac mac = Mac.getInstance("HmacSHA256"); // not thread-safe; markers are rare
            mac.init(key);
            mac.update(ByteBuffer.allocate(4).putInt(k.length).array());
            mac.update(k);
            mac.update(ByteBuffer.allocate(4).putInt(value.length).array());
            mac.update(value);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    /** Whether {@code seal} is this process's seal of the marker (compared in constant time). */
    boolean verify(String recordKey, byte[] value, byte[] seal) {
        return seal != null && value != null && MessageDigest.isEqual(seal(recordKey, value), seal);
    }
}
