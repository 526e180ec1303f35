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
 * <p>A key file holds one key per line, each at least 32 random bytes in base64, and is readable by its owner only
 * ({@code failover keys hmac}, {@code --add} for another line). A beat is signed with the first key and accepted under
 * any: a rotation adds the new key on a second line, moves it first where the agent reads it, then drops the old one.
 */
public final class HeartbeatMac {

    public static final String HEADER = "failover.mac";
    public static final String KIND = "Heartbeat";
    static final int MIN_KEY_BYTES = 32;

    /** Signs with the first; accepts any. */
    private final java.util.List<SecretKeySpec> keys;

    private HeartbeatMac(java.util.List<SecretKeySpec> keys) {
        this.keys = java.util.List.copyOf(keys);
    }

    /** How many keys the file held. */
    public int size() {
        return keys.size();
    }

    /** Writes a new key file of 32 random bytes (mode 600); refuses to overwrite one. */
    public static void generate(Path file) throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        SigningKeys.writeSecret(file, (newKey() + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Adds a new key as the last line of an existing key file (beats are still signed with its first): the first step
     * of a rotation. The file is replaced at once (mode 600), never left half written.
     */
    public static void append(Path file) throws IOException {
        load(file); // a file that is no key file is named, not extended
        String content = Files.readString(file, StandardCharsets.US_ASCII).strip() + "\n" + newKey() + "\n";
        Path next = file.resolveSibling(file.getFileName() + ".new");
        Files.deleteIfExists(next);
        SigningKeys.writeSecret(next, content.getBytes(StandardCharsets.US_ASCII));
        Files.move(
                next,
                file,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static String newKey() {
        byte[] key = new byte[MIN_KEY_BYTES];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    /**
     * The keys in {@code file}, one per line; refuses a file others may read, an empty one, a line that is not base64,
     * or a key shorter than 32 bytes, naming the line.
     */
    public static HeartbeatMac load(Path file) throws IOException {
        SigningKeys.requireOwnerOnly(file, "the heartbeat key");
        java.util.List<SecretKeySpec> keys = new java.util.ArrayList<>();
        java.util.List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            byte[] key;
            try {
                key = Base64.getDecoder().decode(line);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + " is not a heartbeat key file: line " + (i + 1)
                        + " is not base64 (" + e.getMessage() + ")");
            }
            if (key.length < MIN_KEY_BYTES) {
                throw new IllegalArgumentException(file + " is not a heartbeat key file: line " + (i + 1) + " holds "
                        + key.length + " bytes, at least " + MIN_KEY_BYTES + " needed (failover keys hmac writes one)");
            }
            keys.add(new SecretKeySpec(key, "HmacSHA256"));
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException(file + " is not a heartbeat key file: it holds no key");
        }
        return new HeartbeatMac(keys);
    }

    /** Adds the first key's code of the beat to {@code headers}, replacing any there. */
    public Headers sign(String recordKey, byte[] value, Headers headers) {
        headers.remove(HEADER);
        headers.add(HEADER, mac(keys.get(0), recordKey, value));
        return headers;
    }

    /** Whether {@code headers} carry the code of the beat under one of these keys (each compared in constant time). */
    public boolean verify(String recordKey, byte[] value, Headers headers) {
        Header h = headers == null ? null : headers.lastHeader(HEADER);
        if (h == null || h.value() == null) {
            return false;
        }
        boolean valid = false;
        for (SecretKeySpec key : keys) {
            valid |= MessageDigest.isEqual(mac(key, recordKey, value), h.value());
        }
        return valid;
    }

    private static byte[] mac(SecretKeySpec key, String recordKey, byte[] value) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256"); // not thread-safe: one per use
            mac.init(key);
            return mac.doFinal(RecordSigner.message(KIND, recordKey, value));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }
}
