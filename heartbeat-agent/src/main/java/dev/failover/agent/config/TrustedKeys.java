package dev.failover.agent.config;

import dev.failover.wire.sign.RecordVerifier;
import dev.failover.wire.sign.SigningKeys;
import dev.failover.wire.sign.WatchedFile;
import java.io.IOException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinators' public keys an agent trusts ({@code --trust-key}, repeatable). Given as files, they are read again
 * when one changes (looked at no more than every {@value #CHECK_INTERVAL_MS} ms, when a record is checked), so a key
 * rotation needs no agent restart, which for a primary would cost a hand-over: add the new key's file, move the
 * coordinators to it one at a time, remove the old one. Each file is judged alone ({@link WatchedFile}): a file that
 * cannot be read as a key keeps the key it held before (said in the log), so a half-written file never leaves the
 * agent trusting anyone; a removed file's key is no longer trusted, unless it was the last one (an agent that trusts
 * no key would act on anyone's record).
 */
public final class TrustedKeys {

    private static final Logger log = LoggerFactory.getLogger(TrustedKeys.class);
    static final long CHECK_INTERVAL_MS = WatchedFile.CHECK_INTERVAL_MS;

    private final List<WatchedFile<PublicKey>> files;
    private RecordVerifier verifier;
    private List<PublicKey> trusted;

    private TrustedKeys(List<WatchedFile<PublicKey>> files, List<PublicKey> keys) {
        this.files = List.copyOf(files);
        this.trusted = List.copyOf(keys);
        this.verifier = keys.isEmpty() ? null : new RecordVerifier(keys);
    }

    /** No key: the agent acts on any record (and says so at start). */
    public static TrustedKeys none() {
        return new TrustedKeys(List.of(), List.of());
    }

    /** These keys, for good. */
    public static TrustedKeys of(List<PublicKey> keys) {
        return new TrustedKeys(List.of(), keys);
    }

    /** The keys in {@code files}, read now and again when they change; a file that is no key is named. */
    public static TrustedKeys fromFiles(List<Path> files) {
        return fromFiles(files, System::nanoTime);
    }

    static TrustedKeys fromFiles(List<Path> files, LongSupplier nanos) {
        List<WatchedFile<PublicKey>> watched = new ArrayList<>();
        for (Path file : files) {
            try {
                watched.add(WatchedFile.read(
                        file, SigningKeys::loadPublic, nanos, (f, what) -> log.warn("trust.keys {} {}", f, what)));
            } catch (IOException e) {
                throw new IllegalArgumentException("trust.keys: cannot read " + file + " (" + e.getMessage() + ")");
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("trust.keys: " + e.getMessage());
            }
        }
        return new TrustedKeys(
                watched, watched.stream().map(WatchedFile::current).toList());
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
        if (files.isEmpty()) {
            return verifier;
        }
        List<PublicKey> now = files.stream()
                .map(WatchedFile::current)
                .filter(java.util.Objects::nonNull)
                .toList();
        if (now.equals(trusted)) {
            return verifier;
        }
        if (now.isEmpty()) {
            if (!trusted.isEmpty()) {
                log.warn(
                        "every --trust-key file was removed: still trusting {} (an agent trusting no key would obey "
                                + "anyone)",
                        verifier.keyIds());
                trusted = List.of(); // said once; the verifier stays
            }
            return verifier;
        }
        RecordVerifier reread = new RecordVerifier(now);
        log.info(
                "trust.keys files changed: now trusting {} (before: {})",
                reread.keyIds(),
                verifier == null ? List.of() : verifier.keyIds());
        verifier = reread;
        trusted = now;
        return verifier;
    }
}
