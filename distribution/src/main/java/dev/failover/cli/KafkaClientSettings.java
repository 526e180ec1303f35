package dev.failover.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Kafka client settings for the agent and {@code ctl}: a properties file ({@code --kafka-config FILE}, Kafka's own
 * client properties, where passwords belong) under the {@code --kafka KEY=VALUE} flags, which win. A secret given as a
 * flag is said to be one: every user of the host can read a command line ({@code ps}).
 */
final class KafkaClientSettings {

    private KafkaClientSettings() {}

    /** The file's settings (if any) overlaid with the flags'; warns on {@code err} for each secret among the flags. */
    static Map<String, String> merged(Path file, Map<String, String> flags, String flag, PrintWriter err) {
        Map<String, String> merged = new LinkedHashMap<>();
        if (file != null) {
            Properties props = new Properties();
            try (Reader in = Files.newBufferedReader(file)) {
                props.load(in);
            } catch (IOException e) {
                throw new IllegalArgumentException("--kafka-config: cannot read " + file + " (" + e.getMessage() + ")");
            }
            props.stringPropertyNames().forEach(k -> merged.put(k, props.getProperty(k)));
        }
        warnAboutSecrets(flags.keySet(), flag, err);
        merged.putAll(flags);
        return merged;
    }

    /** Says on {@code err}, once per key, that a secret was given on the command line, and where it belongs. */
    static void warnAboutSecrets(Iterable<String> keys, String flag, PrintWriter err) {
        for (String key : keys) {
            if (secret(key)) {
                err.println("warning: " + flag + " " + key + " puts a secret on the command line, which every user of "
                        + "this host can read (ps); put it in a file readable by you only: --kafka-config FILE for "
                        + "the agent and ctl, --config FILE for the coordinator");
            }
        }
        err.flush();
    }

    /** A Kafka client setting that holds a secret: a password, a JAAS configuration, a key in PEM. */
    static boolean secret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password")
                || k.endsWith("sasl.jaas.config")
                || k.endsWith(".key")
                || k.endsWith("client.secret");
    }
}
