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
    /**
     * An operator command is signed as kind {@code Command@EPOCH}: bound to the group's epoch its issuer read, sent in
     * header {@value #COMMAND_EPOCH_HEADER} (decimal), so that a command copied later, once the group has moved on,
     * is refused.
     */
    public static final String COMMAND = "Command";

    public static final String COMMAND_EPOCH_HEADER = "failover.cmd.epoch";

    private final PrivateKey key;
    private final PublicKey publicKey;
    private final byte[] keyId;

    public RecordSigner(PrivateKey key, PublicKey publicKey) {
        this.key = key;
        this.publicKey = publicKey;
        this.keyId = SigningKeys.id(publicKey);
    }

    /**
     * The signer of the private key in {@code keyFile} (PEM), whose public key sits beside it as {@code NAME.pub}
     * ({@code failover keys generate}). A missing file is named; a public key that is not the private key's pair is
     * refused (everything signed would be refused by whoever trusts that public key).
     *
     * @throws IllegalArgumentException naming what is wrong; IOException when a file cannot be read
     */
    public static RecordSigner load(java.nio.file.Path keyFile) throws java.io.IOException {
        String name = keyFile.getFileName().toString();
        java.nio.file.Path pub =
                keyFile.resolveSibling((name.endsWith(".key") ? name.substring(0, name.length() - 4) : name) + ".pub");
        RecordSigner signer;
        try {
            signer = new RecordSigner(SigningKeys.loadPrivate(keyFile), SigningKeys.loadPublic(pub));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException("no such file " + e.getFile()
                    + (e.getFile().equals(pub.toString())
                            ? " (the public key must sit beside the private one as NAME.pub)"
                            : ""));
        }
        if (!signer.pairsWithItsPublicKey()) {
            throw new IllegalArgumentException(keyFile + " and " + pub + " are not one key pair: whoever trusts the "
                    + "public key would refuse every record it signs");
        }
        return signer;
    }

    /** Signs a command of {@code group} for the group's {@code epoch} (adds the epoch header too). */
    public Headers signCommand(String group, byte[] value, long epoch, Headers headers) {
        headers.remove(COMMAND_EPOCH_HEADER);
        headers.add(COMMAND_EPOCH_HEADER, Long.toString(epoch).getBytes(StandardCharsets.US_ASCII));
        return sign(commandKind(epoch), group, value, headers);
    }

    /** What a command is signed as: {@code Command@EPOCH}. */
    public static String commandKind(long epoch) {
        return COMMAND + "@" + epoch;
    }

    /** The epoch a command's header says it was signed for, or empty if none or not a number. */
    public static java.util.OptionalLong commandEpoch(Headers headers) {
        org.apache.kafka.common.header.Header h = headers == null ? null : headers.lastHeader(COMMAND_EPOCH_HEADER);
        if (h == null || h.value() == null || h.value().length == 0 || h.value().length > 18) {
            return java.util.OptionalLong.empty();
        }
        String text = new String(h.value(), StandardCharsets.US_ASCII);
        return text.matches("[0-9]+")
                ? java.util.OptionalLong.of(Long.parseLong(text))
                : java.util.OptionalLong.empty();
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
        return ByteBuffer.allocate(prefix.length + 8 + k.length + v.length)
                .put(prefix)
                .putInt(recordKey == null ? -1 : k.length)
                .put(k)
                .putInt(value == null ? -1 : v.length)
                .put(v)
                .array();
    }
}
