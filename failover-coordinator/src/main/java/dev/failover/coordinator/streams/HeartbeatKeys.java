package dev.failover.coordinator.streams;

import dev.failover.wire.sign.HeartbeatMac;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.header.Headers;

/**
 * The heartbeat keys of {@code heartbeat.key.dir}, read at start: {@code GROUP/NODE.key} authenticates one node's beats
 * (recommended: with a group key any member can speak for any other, e.g. acknowledge a stand-down it did not make),
 * {@code GROUP.key} every node of the group that has no key of its own. A group with a key of either kind requires
 * authenticated beats; other groups are not checked.
 */
public final class HeartbeatKeys {

    private static final String SUFFIX = ".key";

    private final Map<String, HeartbeatMac> groupKeys;
    private final Map<String, Map<String, HeartbeatMac>> nodeKeys;

    private HeartbeatKeys(Map<String, HeartbeatMac> groupKeys, Map<String, Map<String, HeartbeatMac>> nodeKeys) {
        this.groupKeys = groupKeys;
        this.nodeKeys = nodeKeys;
    }

    /** Reads every key under {@code dir}; a file that is not a key (or others may read) is an error naming it. */
    public static HeartbeatKeys load(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + " is not a directory");
        }
        Map<String, HeartbeatMac> groups = new HashMap<>();
        Map<String, Map<String, HeartbeatMac>> nodes = new HashMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (Files.isDirectory(entry)) {
                    Map<String, HeartbeatMac> keys = new HashMap<>();
                    try (DirectoryStream<Path> files = Files.newDirectoryStream(entry, "*" + SUFFIX)) {
                        for (Path file : files) {
                            keys.put(stem(file), HeartbeatMac.load(file));
                        }
                    }
                    nodes.put(name, keys);
                } else if (name.endsWith(SUFFIX)) {
                    groups.put(stem(entry), HeartbeatMac.load(entry));
                }
            }
        }
        return new HeartbeatKeys(groups, nodes);
    }

    /** How many groups require authenticated beats. */
    public int groups() {
        java.util.Set<String> all = new java.util.HashSet<>(groupKeys.keySet());
        all.addAll(nodeKeys.keySet());
        return all.size();
    }

    /** Whether {@code group}'s beats must be authenticated. */
    boolean keyed(String group) {
        return groupKeys.containsKey(group) || nodeKeys.containsKey(group);
    }

    /** Why this beat of {@code node} in {@code group} is not authentic, or null if it is (or the group needs no key). */
    String refusal(String group, String node, String recordKey, byte[] value, Headers headers) {
        if (!keyed(group)) {
            return null;
        }
        HeartbeatMac key = nodeKeys.getOrDefault(group, Map.of()).getOrDefault(node, groupKeys.get(group));
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

    private static String stem(Path file) {
        String name = file.getFileName().toString();
        return name.substring(0, name.length() - SUFFIX.length());
    }
}
