package dev.failover.agent;

import dev.failover.wire.sign.RecordVerifier;
import dev.failover.wire.sign.SigningKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinators' public keys an agent trusts ({@code --trust-key}, repeatable). Given as files, they are read again
 * when one changes (looked at no more than every {@value #CHECK_INTERVAL_MS} ms, when a record is checked), so a key
 * rotation needs no agent restart, which for a primary would cost a hand-over: add the new key to the files, move the
 * coordinators to it one at a time, drop the old one. A file that cannot be read as a key keeps the keys trusted
 * before (said in the log), so a half-written file never leaves the agent trusting nothing or anyone.
 */
public final class TrustedKeys {

    private static final Logger log = LoggerFactory.getLogger(TrustedKeys.class);
    static final long CHECK_INTERVAL_MS = 5_000;

    private final List<Path> files;
    private final LongSupplier nanos;
    private RecordVerifier verifier;
    private List<String> stamps;
    private long checkedAtNanos;

    private TrustedKeys(List<Path> files, RecordVerifier verifier, LongSupplier nanos) {
        this.files = List.copyOf(files);
        this.verifier = verifier;
        this.nanos = nanos;
        this.stamps = stamps(files);
        this.checkedAtNanos = nanos.getAsLong();
    }

    /** No key: the agent acts on any record (and says so at start). */
    public static TrustedKeys none() {
        return new TrustedKeys(List.of(), null, System::nanoTime);
    }

    /** These keys, for good. */
    public static TrustedKeys of(List<PublicKey> keys) {
        return new TrustedKeys(List.of(), keys.isEmpty() ? null : new RecordVerifier(keys), System::nanoTime);
    }

    /** The keys in {@code files}, read now and again when they change; a file that is no key is named. */
    public static TrustedKeys fromFiles(List<Path> files) {
        return fromFiles(files, System::nanoTime);
    }

    static TrustedKeys fromFiles(List<Path> files, LongSupplier nanos) {
        return new TrustedKeys(files, files.isEmpty() ? null : new RecordVerifier(read(files)), nanos);
    }

    public synchronized boolean isEmpty() {
        return verifier == null;
    }

    /** The ids of the keys trusted now, hex. */
    public synchronized List<String> keyIds() {
        return verifier == null ? List.of() : verifier.keyIds();
    }

    /** The verifier to check a record with now, the files read again if they changed; null when no key is trusted. */
    public synchronized RecordVerifier current() {
        long now = nanos.getAsLong();
        if (files.isEmpty() || now - checkedAtNanos < TimeUnit.MILLISECONDS.toNanos(CHECK_INTERVAL_MS)) {
            return verifier;
        }
        checkedAtNanos = now;
        List<String> seen = stamps(files);
        if (seen.equals(stamps)) {
            return verifier;
        }
        stamps = seen;
        try {
            RecordVerifier reread = new RecordVerifier(read(files));
            log.info("--trust-key files changed: now trusting {} (before: {})", reread.keyIds(), verifier.keyIds());
            verifier = reread;
        } catch (IllegalArgumentException e) {
            log.warn("--trust-key files changed but cannot be read ({}): still trusting {}", e.getMessage(),
                    verifier.keyIds());
        }
        return verifier;
    }

    private static List<PublicKey> read(List<Path> files) {
        List<PublicKey> keys = new ArrayList<>();
        for (Path file : files) {
            try {
                keys.add(SigningKeys.loadPublic(file));
            } catch (IOException e) {
                throw new IllegalArgumentException("--trust-key: cannot read " + file + " (" + e.getMessage() + ")");
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--trust-key: " + e.getMessage());
            }
        }
        return keys;
    }

    /** What tells a file changed: its modification time and size (or that it is missing). */
    private static List<String> stamps(List<Path> files) {
        List<String> stamps = new ArrayList<>();
        for (Path file : files) {
            try {
                stamps.add(Files.getLastModifiedTime(file) + "/" + Files.size(file));
            } catch (IOException e) {
                stamps.add("missing");
            }
        }
        return stamps;
    }
}
