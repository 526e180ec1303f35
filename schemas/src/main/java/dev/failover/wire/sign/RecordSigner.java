package dev.failover.wire.sign;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.List;
import org.apache.kafka.common.header.Headers;

/**
 * Signs the records that decide roles (Ed25519), in record headers, so that an agent acts only on what the
 * coordinator wrote, whoever else can write the topic. What is signed: the record's kind, key and exact value bytes
 * ({@link #message}), so a record of one group cannot pass for another's, a GroupState cannot pass for a RoleChange,
 * and group and epoch (inside the value) are covered. Headers, not a schema field: older readers ignore them, and
 * compaction keeps them.
 */
public final class RecordSigner {

    /** The signature (64 bytes). */
    public static final String SIGNATURE_HEADER = "failover.sig";
    /** The signing key's id (8 bytes, {@link SigningKeys#id}). */
    public static final String KEY_ID_HEADER = "failover.sig.key";
    /** The kinds of record signed: part of what is signed. */
    public static final String ROLE_CHANGE = "RoleChange";
    public static final String GROUP_STATE = "GroupState";

    private final PrivateKey key;
    private final PublicKey publicKey;
    private final byte[] keyId;

    public RecordSigner(PrivateKey key, PublicKey publicKey) {
        this.key = key;
        this.publicKey = publicKey;
        this.keyId = SigningKeys.id(publicKey);
    }

    /** Whether this signer's private key signs what its public key verifies (a mismatched pair is a set-up error). */
    public boolean pairsWithItsPublicKey() {
        byte[] probe = "failover key pair check".getBytes(StandardCharsets.UTF_8);
        Headers headers = sign("probe", "probe", probe, new org.apache.kafka.common.header.internals.RecordHeaders());
        return new RecordVerifier(List.of(publicKey)).check("probe", "probe", probe, headers)
                == RecordVerifier.Outcome.VALID;
    }

    public byte[] keyId() {
        return keyId.clone();
    }

    /** Adds this signer's signature of the record to {@code headers}, replacing any there. */
    public Headers sign(String kind, String recordKey, byte[] value, Headers headers) {
        headers.remove(SIGNATURE_HEADER);
        headers.remove(KEY_ID_HEADER);
        headers.add(SIGNATURE_HEADER, signature(kind, recordKey, value));
        headers.add(KEY_ID_HEADER, keyId.clone());
        return headers;
    }

    byte[] signature(String kind, String recordKey, byte[] value) {
        try {
            Signature ed = Signature.getInstance("Ed25519"); // not thread-safe: one per signature
            ed.initSign(key);
            ed.update(message(kind, recordKey, value));
            return ed.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign with Ed25519: " + e.getMessage(), e);
        }
    }

    /**
     * {@code "failover/v1\0" + kind + "\0" + i32 len(key) + key + i32 len(value) + value}, UTF-8; a null key or value
     * (a tombstone) has length -1, so it never signs the same as an empty one.
     */
    static byte[] message(String kind, String recordKey, byte[] value) {
        byte[] prefix = ("failover/v1\0" + kind + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] k = recordKey == null ? new byte[0] : recordKey.getBytes(StandardCharsets.UTF_8);
        byte[] v = value == null ? new byte[0] : value;
        return ByteBuffer.allocate(prefix.length + 8 + k.length + v.length).put(prefix)
                .putInt(recordKey == null ? -1 : k.length).put(k).putInt(value == null ? -1 : v.length).put(v).array();
    }
}
