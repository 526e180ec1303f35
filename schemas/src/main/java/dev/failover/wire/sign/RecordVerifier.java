package dev.failover.wire.sign;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Checks a record's signature ({@link RecordSigner}) against the keys trusted (more than one during a rotation).
 */
public final class RecordVerifier {

    /** What a check found; only {@link #VALID} may be acted on. */
    public enum Outcome {
        VALID,
        UNSIGNED,
        UNKNOWN_KEY,
        INVALID;

        /** For logs and metric tags: {@code unsigned}, {@code unknown-key}, {@code invalid}. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    private record Trusted(byte[] id, PublicKey key) {}

    /** An Ed25519 signature's length in bytes. */
    static final int SIGNATURE_LENGTH = 64;

    private final List<Trusted> trusted = new ArrayList<>();

    public RecordVerifier(List<PublicKey> keys) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("a verifier needs at least one trusted key");
        }
        for (PublicKey key : keys) {
            trusted.add(new Trusted(SigningKeys.id(key), key));
        }
    }

    /** The ids of the keys trusted, hex. */
    public List<String> keyIds() {
        return trusted.stream().map(t -> SigningKeys.idHex(t.id())).toList();
    }

    public Outcome check(String kind, String recordKey, byte[] value, Headers headers) {
        Header sig = headers == null ? null : headers.lastHeader(RecordSigner.SIGNATURE_HEADER);
        Header id = headers == null ? null : headers.lastHeader(RecordSigner.KEY_ID_HEADER);
        if (sig == null || id == null || sig.value() == null || id.value() == null) {
            return Outcome.UNSIGNED;
        }
        if (sig.value().length != SIGNATURE_LENGTH) {
            return Outcome.INVALID; // no Ed25519 signature: refused before any arithmetic
        }
        for (Trusted t : trusted) {
            if (Arrays.equals(t.id(), id.value())) {
                return verify(t.key(), kind, recordKey, value, sig.value()) ? Outcome.VALID : Outcome.INVALID;
            }
        }
        return Outcome.UNKNOWN_KEY;
    }

    private static boolean verify(PublicKey key, String kind, String recordKey, byte[] value, byte[] signature) {
        try {
            Signature ed = Signature.getInstance("Ed25519");
            ed.initVerify(key);
            ed.update(RecordSigner.message(kind, recordKey, value));
            return ed.verify(signature);
        } catch (java.security.SignatureException | RuntimeException e) {
            return false; // a malformed signature is a wrong one, whatever the provider throws for it
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot verify with Ed25519: " + e.getMessage(), e);
        }
    }
}
