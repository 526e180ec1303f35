package dev.failover.wire;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * The rules both sides' settings follow (the coordinator's and the agent's definitions): dotted keys defined in a
 * {@link ConfigDef}; Kafka client settings passed through under {@value #KAFKA_PREFIX}; an environment variable per
 * key ({@code FAILOVER_} and the key in capitals, dots and dashes as underscores); any other key is an error.
 */
public final class SettingKeys {

    /** Kafka client settings pass through under this prefix, untouched (TLS, SASL, ...). */
    public static final String KAFKA_PREFIX = "kafka.";
    /** The prefix of every setting's environment variable. */
    public static final String ENVIRONMENT_PREFIX = "FAILOVER_";

    private SettingKeys() {}

    /** The environment variable of {@code key}: {@code failure.timeout.ms} is {@code FAILOVER_FAILURE_TIMEOUT_MS}. */
    public static String environmentName(String key) {
        return ENVIRONMENT_PREFIX
                + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** The settings {@code env} holds for the keys of {@code definition}, by key. */
    public static Map<String, String> fromEnvironment(ConfigDef definition, Map<String, String> env) {
        Map<String, String> byEnvName = new HashMap<>();
        for (String key : definition.names()) {
            byEnvName.put(environmentName(key), key);
        }
        Map<String, String> settings = new TreeMap<>();
        env.forEach((name, value) -> {
            String key = byEnvName.get(name);
            if (key != null) {
                settings.put(key, value);
            }
        });
        return settings;
    }

    /**
     * Throws {@link ConfigException} naming the first key of {@code settings} that {@code definition} does not define
     * and that is not a Kafka client setting, or a Kafka client setting that must not be changed.
     */
    public static void check(ConfigDef definition, Iterable<String> settings) {
        for (String key : settings) {
            if (key.startsWith(KAFKA_PREFIX)) {
                ProtectedClientSettings.problem(key.substring(KAFKA_PREFIX.length()), key)
                        .ifPresent(problem -> {
                            throw new ConfigException(problem);
                        });
            } else if (!definition.names().contains(key)) {
                throw new ConfigException("unknown setting '" + key + "' (Kafka settings go under '" + KAFKA_PREFIX
                        + "', e.g. kafka.security.protocol)");
            }
        }
    }

    /** The Kafka client settings among {@code settings}, without their prefix. */
    public static Map<String, Object> kafka(Map<String, ?> settings) {
        Map<String, Object> kafka = new TreeMap<>();
        settings.forEach((key, value) -> {
            if (key.startsWith(KAFKA_PREFIX)) {
                kafka.put(key.substring(KAFKA_PREFIX.length()), value);
            }
        });
        return kafka;
    }
}
