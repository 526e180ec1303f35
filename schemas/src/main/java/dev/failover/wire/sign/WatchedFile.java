package dev.failover.wire.sign;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;

/**
 * One key file, read at start and again when it changes (its modification time or size), looked at no more than every
 * {@value #CHECK_INTERVAL_MS} ms, when the key is used: a rotation needs no restart. Each file is judged alone:
 *
 * <ul>
 *   <li>changed and readable: its new content counts;</li>
 *   <li>changed but unreadable (half written, bad): the content read before still counts, and the problem is said;</li>
 *   <li>removed: {@link #current()} is null from then on (the caller decides what a removed key means), until the
 *       file is back.</li>
 * </ul>
 *
 * <p>Thread-safe: shared by the stream threads of a coordinator.
 *
 * @param <T> what the file holds
 */
public final class WatchedFile<T> {

    public static final long CHECK_INTERVAL_MS = 5_000;

    /** Reads a file; throws with a message naming what is wrong. */
    @FunctionalInterface
    public interface Loader<T> {
        T load(Path file) throws IOException;
    }

    private final Path file;
    private final Loader<T> loader;
    private final LongSupplier nanos;
    /** Told (file, what happened) when a change was read, refused, or the file went away. */
    private final BiConsumer<Path, String> said;

    private T value;
    private String stamp;
    private long checkedAtNanos;

    private WatchedFile(
            Path file, Loader<T> loader, LongSupplier nanos, BiConsumer<Path, String> said, T value, String stamp) {
        this.file = file;
        this.loader = loader;
        this.nanos = nanos;
        this.said = said;
        this.value = value;
        this.stamp = stamp;
        this.checkedAtNanos = nanos.getAsLong();
    }

    /**
     * Reads {@code file} now (an error names it) and watches it from then on.
     *
     * @param said told what changed later, for the log
     */
    public static <T> WatchedFile<T> read(
            Path file, Loader<T> loader, LongSupplier nanos, BiConsumer<Path, String> said) throws IOException {
        String stamp = stamp(file);
        return new WatchedFile<>(file, loader, nanos, said, loader.load(file), stamp);
    }

    public Path file() {
        return file;
    }

    /** What the file holds now (read again if it changed and the interval passed), or null once it was removed. */
    public synchronized T current() {
        long now = nanos.getAsLong();
        if (now - checkedAtNanos < TimeUnit.MILLISECONDS.toNanos(CHECK_INTERVAL_MS)) {
            return value;
        }
        checkedAtNanos = now;
        String seen = stamp(file);
        if (seen.equals(stamp)) {
            return value;
        }
        if (seen.equals(MISSING)) {
            stamp = seen;
            value = null;
            said.accept(file, "removed: its key is no longer used");
            return null;
        }
        try {
            T read = loader.load(file);
            stamp = seen;
            value = read;
            said.accept(file, "changed: read again");
        } catch (IOException | RuntimeException e) {
            stamp = seen; // said once per change, not at every check
            said.accept(
                    file,
                    "changed but cannot be read (" + e.getMessage() + "): "
                            + (value == null ? "still no key from it" : "the key read before still counts"));
        }
        return value;
    }

    private static final String MISSING = "missing";

    /** What tells a file changed: its modification time and size (or that it is missing). */
    private static String stamp(Path file) {
        try {
            return Files.getLastModifiedTime(file) + "/" + Files.size(file);
        } catch (java.nio.file.NoSuchFileException e) {
            return MISSING;
        } catch (IOException e) {
            return "unreadable: " + e; // not a removal: read (and refused) as a change, the content before counts
        }
    }
}
