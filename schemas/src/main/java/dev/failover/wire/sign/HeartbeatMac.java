package dev.failover.wire.sign;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * A heartbeat's authentication code (HMAC-SHA256 under a key the agent and the coordinators share), in header
 * {@value #HEADER}: it binds a beat to a node (a per-node key) or a group (a per-group key), which ACLs cannot, since
 * every agent must be able to write the heartbeat topic. What is authenticated is the same message a signature covers
 * ({@link RecordSigner#message}: kind {@value #KIND}, record key, value bytes).
 *
 * <p>A key file holds at least 32 random bytes, base64, and is readable by its owner only
 * ({@code failover keys hmac}).
 */
public final class HeartbeatMac {

    public static final String HEADER = "failover.mac";
    public static final String KIND = "Heartbeat";
    static final int MIN_KEY_BYTES = 32;

    private final SecretKeySpec key;

    private HeartbeatMac(byte[] key) {
        this.key = new SecretKeySpec(key, "HmacSHA256");
    }

    /** Writes a new key file of 32 random bytes (mode 600); refuses to overwrite one. */
    public static void generate(Path file) throws IOException {
        byte[] key = new byte[MIN_KEY_BYTES];
        new SecureRandom().nextBytes(key);
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        SigningKeys.writeSecret(file, (Base64.getEncoder().encodeToString(key) + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    /** The key in {@code file}; refuses one others may read, one that is not base64, or one shorter than 32 bytes. */
    public static HeartbeatMac load(Path file) throws IOException {
        SigningKeys.requireOwnerOnly(file, "the heartbeat key");
        byte[] key;
        try {
            key = Base64.getDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + " is not a heartbeat key: not base64 (" + e.getMessage() + ")");
        }
        if (key.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException(file + " is not a heartbeat key: " + key.length + " bytes, at least "
                    + MIN_KEY_BYTES + " needed (failover keys hmac writes one)");
        }
        return new HeartbeatMac(key);
    }

    /** Adds this key's code of the beat to {@code headers}, replacing any there. */
    public Headers sign(String recordKey, byte[] value, Headers headers) {
        headers.remove(HEADER);
        headers.add(HEADER, mac(recordKey, value));
        return headers;
    }

    /** Whether {@code headers} carry this key's code of the beat (compared in constant time). */
    public boolean verify(String recordKey, byte[] value, Headers headers) {
        Header h = headers == null ? null : headers.lastHeader(HEADER);
        return h != null && h.value() != null && MessageDigest.isEqual(mac(recordKey, value), h.value());
    }

    private byte[] mac(String recordKey, byte[] value) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256"); // not thread-safe: one per use
            mac.init(key);
            return mac.doFinal(RecordSigner.message(KIND, recordKey, value));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }
}
