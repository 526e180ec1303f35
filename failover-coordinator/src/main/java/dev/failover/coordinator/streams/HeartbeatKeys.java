package dev.failover.coordinator.streams;

import dev.failover.wire.sign.HeartbeatMac;
import dev.failover.wire.sign.WatchedFile;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.kafka.common.header.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heartbeat keys of {@code heartbeat.key.dir}: {@code GROUP/NODE.key} authenticates one node's beats (recommended:
 * with a group key any member can speak for any other, e.g. acknowledge a stand-down it did not make), {@code GROUP.key}
 * every node of the group that has no key of its own. A group with a key of either kind requires authenticated beats;
 * other groups are not checked. A file may hold several keys, one per line ({@link HeartbeatMac}): any of them is
 * accepted, which is how a key is rotated without a gap.
 *
 * <p>Read at start (a bad file stops the start, named); afterwards each file is read again when it changes, a removed
 * file's keys stop counting until it is back ({@link WatchedFile}), and a group directory or file added is found within
 * {@value WatchedFile#CHECK_INTERVAL_MS} ms: a rotation needs no coordinator restart. A group once keyed stays keyed
 * until the coordinator restarts, even with every file gone (a re-key that removes the old file first must not open
 * the group to anyone in between). Thread-safe: the stream threads share one.
 */
public final class HeartbeatKeys {

    private static final Logger log = LoggerFactory.getLogger(HeartbeatKeys.class);
    private static final String SUFFIX = ".key";
    private static final long RESCAN_NANOS = TimeUnit.MILLISECONDS.toNanos(WatchedFile.CHECK_INTERVAL_MS);

    private final Path dir;
    private final LongSupplier nanos;
    private final Map<String, Group> groups = new ConcurrentHashMap<>();
    private volatile String dirStamp;
    private volatile long dirCheckedAtNanos;

    /** One group's key files: its own and its nodes'. */
    private final class Group {
        final String name;
        volatile WatchedFile<HeartbeatMac> groupKey;
        final Map<String, WatchedFile<HeartbeatMac>> nodeKeys = new ConcurrentHashMap<>();
        private long scannedAtNanos;

        Group(String name) {
            this.name = name;
        }

        /** Watches the files of the group not yet watched; {@code strict}: a bad one throws, else it is said. */
        synchronized void scan(boolean strict) throws IOException {
            scannedAtNanos = nanos.getAsLong();
            Path own = dir.resolve(name + SUFFIX);
            if (groupKey == null && Files.isRegularFile(own)) {
                groupKey = watch(own, strict);
            }
            Path nodes = dir.resolve(name);
            if (!Files.isDirectory(nodes)) {
                return;
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(nodes, "*" + SUFFIX)) {
                for (Path file : files) {
                    String node = stem(file);
                    if (!nodeKeys.containsKey(node)) {
                        WatchedFile<HeartbeatMac> key = watch(file, strict);
                        if (key != null) {
                            nodeKeys.put(node, key);
                        }
                    }
                }
            }
        }

        /** Scans again if the last scan is older than the check interval; false if it did not. */
        synchronized boolean rescanIfDue() {
            if (nanos.getAsLong() - scannedAtNanos < RESCAN_NANOS) {
                return false;
            }
            try {
                scan(false);
            } catch (IOException e) {
                log.warn(
                        "heartbeat.key.dir: cannot list the keys of group {} ({}): keeping those read before",
                        name,
                        e.toString());
            }
            return true;
        }
    }

    private HeartbeatKeys(Path dir, LongSupplier nanos) {
        this.dir = dir;
        this.nanos = nanos;
    }

    /** Reads every key under {@code dir}; a file that is not a key (or others may read) is an error naming it. */
    public static HeartbeatKeys load(Path dir) throws IOException {
        return load(dir, System::nanoTime);
    }

    static HeartbeatKeys load(Path dir, LongSupplier nanos) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + " is not a directory");
        }
        HeartbeatKeys keys = new HeartbeatKeys(dir, nanos);
        keys.scanDir(true);
        return keys;
    }

    /** Finds the groups not yet known (a directory, or a {@code GROUP.key} file). */
    private void scanDir(boolean strict) throws IOException {
        dirCheckedAtNanos = nanos.getAsLong();
        dirStamp = stamp(dir);
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                String group = Files.isDirectory(entry) ? name : name.endsWith(SUFFIX) ? stem(entry) : null;
                if (group != null && !groups.containsKey(group)) {
                    Group found = new Group(group);
                    found.scan(strict);
                    if (found.groupKey != null || !found.nodeKeys.isEmpty()) {
                        groups.put(group, found);
                        if (!strict) {
                            log.info("heartbeat.key.dir: group {} now requires authenticated heartbeats", group);
                        }
                    }
                }
            }
        }
    }

    /** Looks for new groups when the directory changed (checked no more than every interval). */
    private void refreshDir() {
        long now = nanos.getAsLong();
        if (now - dirCheckedAtNanos < RESCAN_NANOS) {
            return;
        }
        synchronized (this) {
            if (now - dirCheckedAtNanos < RESCAN_NANOS) {
                return;
            }
            dirCheckedAtNanos = now;
            if (stamp(dir).equals(dirStamp)) {
                return;
            }
            try {
                scanDir(false);
            } catch (IOException e) {
                log.warn("heartbeat.key.dir: cannot list {} ({}): keeping the keys read before", dir, e.toString());
            }
        }
    }

    private WatchedFile<HeartbeatMac> watch(Path file, boolean strict) throws IOException {
        try {
            return WatchedFile.read(
                    file, HeartbeatMac::load, nanos, (f, what) -> log.warn("heartbeat.key.dir: {} {}", f, what));
        } catch (IOException | IllegalArgumentException e) {
            if (strict) {
                throw e;
            }
            log.warn("heartbeat.key.dir: ignoring {}: {}", file, e.getMessage());
            return null;
        }
    }

    /** How many groups require authenticated beats. */
    public int groups() {
        return groups.size();
    }

    /** Whether {@code group}'s beats must be authenticated. */
    boolean keyed(String group) {
        refreshDir();
        return groups.containsKey(group);
    }

    /** Why this beat of {@code node} in {@code group} is not authentic, or null if it is (or the group needs no key). */
    String refusal(String group, String node, String recordKey, byte[] value, Headers headers) {
        refreshDir();
        Group keys = groups.get(group);
        if (keys == null) {
            return null;
        }
        String refusal = check(keys, node, recordKey, value, headers);
        if (refusal != null && keys.rescanIfDue()) { // a key file added since (a node's own, for a rotation)
            refusal = check(keys, node, recordKey, value, headers);
        }
        return refusal;
    }

    private static String check(Group keys, String node, String recordKey, byte[] value, Headers headers) {
        String group = keys.name;
        WatchedFile<HeartbeatMac> own = keys.nodeKeys.get(node);
        HeartbeatMac key = own == null ? null : own.current();
        if (key == null && keys.groupKey != null) {
            key = keys.groupKey.current();
        }
        if (key == null) {
            return "heartbeat of " + node + " in " + group + " refused: the group requires authenticated heartbeats "
                    + "and " + node + " has no key (heartbeat.key.dir/" + group + "/" + node + SUFFIX + ")";
        }
        if (headers == null || headers.lastHeader(HeartbeatMac.HEADER) == null) {
            return "heartbeat of " + node + " in " + group + " refused: no authentication code (the group requires "
                    + "one: agent --heartbeat-key)";
        }
        if (!key.verify(recordKey, value, headers)) {
            return "heartbeat of " + node + " in " + group + " refused: its authentication code is wrong (another "
                    + "key, or the record was changed)";
        }
        return null;
    }

    private static String stamp(Path dir) {
        try {
            return String.valueOf(Files.getLastModifiedTime(dir));
        } catch (IOException e) {
            return "missing";
        }
    }

    private static String stem(Path file) {
        String name = file.getFileName().toString();
        return name.substring(0, name.length() - SUFFIX.length());
    }
}
