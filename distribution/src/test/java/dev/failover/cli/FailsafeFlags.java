package dev.failover.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The agent flags that make a group's members failsafe peers of each other: each its own fixed HTTP port on
 * loopback (its peers must know where to ask), one shared token file, every other member as a {@code --failsafe-peer}.
 */
final class FailsafeFlags {

    private FailsafeFlags() {}

    /** Each node's flags, by node, in the order given. */
    static Map<String, List<String>> of(Path dir, String group, List<String> nodes, Duration max) {
        int first = dev.failover.broker.FreePorts.pickRun(nodes.size());
        Path token = dir.resolve(group + ".failsafe-token");
        try {
            Files.createDirectories(dir);
            Files.writeString(token, "token-of-" + group + "-" + UUID.randomUUID());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, List<String>> flags = new LinkedHashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            List<String> args = new ArrayList<>(List.of(
                    "--http-port",
                    Integer.toString(first + i),
                    "--failsafe",
                    "--failsafe-max",
                    max.toMillis() + "ms",
                    "--failsafe-token-file",
                    token.toString()));
            for (int j = 0; j < nodes.size(); j++) {
                if (j != i) {
                    args.addAll(List.of("--failsafe-peer", nodes.get(j) + "=http://127.0.0.1:" + (first + j)));
                }
            }
            flags.put(nodes.get(i), List.copyOf(args));
        }
        return flags;
    }
}
