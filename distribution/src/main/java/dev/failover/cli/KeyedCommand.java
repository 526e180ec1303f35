package dev.failover.cli;

import dev.failover.wire.SettingKeys;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigDef;
import picocli.CommandLine;

/**
 * A command whose flags each set one key of a settings definition (the agent's, the coordinator's): one way to layer
 * them (defaults, {@code --config} file, {@code --kafka-config}, {@code FAILOVER_*} variables, {@code --set}, then
 * the flags, later winning), one way to list them in {@code --help}, and flags named beside keys in errors. A file or
 * variable may still use a flag's name from before the keys ({@code failure-timeout=2s},
 * {@code FAILOVER_FAILURE_TIMEOUT=2s}); the key's own spelling wins at the same level.
 */
abstract class KeyedCommand implements ReadsEnvironment {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(
            names = "--config",
            paramLabel = "FILE",
            description = "A properties file of settings (key=value lines, keys as listed below).")
    Path configFile;

    @CommandLine.Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description = "Any setting, repeatable, e.g. "
                    + "--set topic.heartbeats=prod.failover.heartbeats or --set kafka.security.protocol=SSL.")
    Map<String, String> settings = new LinkedHashMap<>();

    @CommandLine.Option(
            names = "--kafka-config",
            paramLabel = "FILE",
            description = {
                "Kafka client properties (TLS, SASL: where passwords belong, in a file readable by you only), as kafka.*",
                "settings; --set and flags win (no variable sets a kafka.* setting)."
            })
    Path kafkaConfig;

    /** Environment read through a map handed in, so tests pass their own. */
    Map<String, String> environment = System.getenv();

    private final ConfigDef definition;
    private final Map<String, String> keyOfFlag;

    KeyedCommand(ConfigDef definition, Map<String, String> keyOfFlag) {
        this.definition = definition;
        this.keyOfFlag = keyOfFlag;
    }

    /** The keys, with their docs, defaults and validators. */
    ConfigDef definition() {
        return definition;
    }

    /** Each flag that sets a key, and its key. */
    Map<String, String> keyOfFlag() {
        return keyOfFlag;
    }

    @Override
    public void useEnvironment(Map<String, String> variables) {
        environment = variables;
    }

    /** Every layer under the flags, by key: the file, --kafka-config, the environment, then --set. */
    Map<String, String> layersUnderTheFlags() throws IOException {
        Map<String, String> merged = new LinkedHashMap<>(fromFile(configFile, spec.commandLine(), this));
        if (kafkaConfig != null) {
            try {
                KafkaClientSettings.merged(
                                kafkaConfig,
                                Map.of(),
                                "--kafka-config",
                                spec.commandLine().getErr())
                        .forEach((k, v) -> merged.put(SettingKeys.KAFKA_PREFIX + k, v));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        merged.putAll(fromEnvironment(environment, this));
        KafkaClientSettings.warnAboutSecrets(
                settings.keySet().stream()
                        .filter(k -> k.startsWith(SettingKeys.KAFKA_PREFIX))
                        .toList(),
                "--set",
                spec.commandLine().getErr());
        merged.putAll(settings);
        return merged;
    }

    /** Refuses settings without all of {@code keys}, naming each missing one: its flag, its key and its variable. */
    void require(Map<String, String> merged, String... keys) {
        java.util.List<String> missing = new java.util.ArrayList<>();
        for (String key : keys) {
            if (!merged.containsKey(key)) {
                String flag = keyOfFlag.entrySet().stream()
                        .filter(e -> e.getValue().equals(key))
                        .map(Map.Entry::getKey)
                        .findFirst()
                        .orElse(key);
                missing.add(flag + " (or " + key + " in --config, or " + SettingKeys.environmentName(key) + ")");
            }
        }
        if (!missing.isEmpty()) { // every one named at once: a first run should not be fixed one flag at a time
            throw new CommandLine.ParameterException(spec.commandLine(), "Missing " + String.join(", ", missing));
        }
    }

    /** A bad setting as a usage error (exit 2): its message, and the flags of the keys it names. */
    CommandLine.ParameterException invalid(RuntimeException e) {
        return new CommandLine.ParameterException(
                spec.commandLine(), "invalid setting: " + e.getMessage() + flagsNamed(e.getMessage(), keyOfFlag));
    }

    /** The settings of a {@code --config} file by key; a flag's name is read as its key, an unknown name kept. */
    static Map<String, String> fromFile(Path file, CommandLine commandLine, KeyedCommand command) throws IOException {
        Map<String, String> settings = new LinkedHashMap<>();
        if (file == null) {
            return settings;
        }
        if (!Files.isReadable(file)) {
            throw new CommandLine.ParameterException(commandLine, "--config: cannot read " + file);
        }
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file)) {
            properties.load(in);
        }
        Map<String, String> keyed = new LinkedHashMap<>();
        for (String name : properties.stringPropertyNames()) {
            String flag = "--" + name;
            if (flag.equals("--kafka-config")) {
                continue; // the one option that sets no key and may stand in the file: its defaults provider hands it
                // over
            }
            if (!command.definition().names().contains(name)
                    && command.keyOfFlag().containsKey(flag)) {
                settings.put(
                        command.keyOfFlag().get(flag),
                        legacyValue(flag, command.keyOfFlag().get(flag), properties.getProperty(name)));
            } else {
                keyed.put(name, properties.getProperty(name));
            }
        }
        settings.putAll(keyed);
        return settings;
    }

    /** The settings of the environment by key: {@code FAILOVER_} and the key (or a flag's name) in capitals. */
    static Map<String, String> fromEnvironment(Map<String, String> environment, KeyedCommand command) {
        Map<String, String> settings = new LinkedHashMap<>();
        command.keyOfFlag().forEach((flag, key) -> {
            String value = environment.get(SettingKeys.environmentName(flag.substring(2)));
            if (value != null) {
                settings.put(key, legacyValue(flag, key, value));
            }
        });
        settings.putAll(SettingKeys.fromEnvironment(command.definition(), environment));
        return settings;
    }

    /** A value written for a flag, as its key takes it: durations in milliseconds, a probe with its scheme. */
    private static String legacyValue(String flag, String key, String value) {
        if (key.endsWith(".ms")) {
            try {
                return Long.toString(new Durations().convert(value).toMillis());
            } catch (CommandLine.TypeConversionException e) {
                throw new IllegalArgumentException(flag.substring(2) + " (" + key + "): " + e.getMessage());
            }
        }
        return switch (flag) {
            case "--check-tcp" -> "tcp:" + value;
            case "--check-exec" -> "exec:" + value;
            default -> value;
        };
    }

    /**
     * For an error naming keys: which flags set them, e.g. " (--failure-timeout sets failure.timeout.ms)". A dotted
     * key counts wherever it stands; a one-word key ({@code node}, {@code mode}) only where it names a setting: first
     * in the message, after "configuration", or before {@code =} or {@code :}.
     */
    static String flagsNamed(String message, Map<String, String> keyOfFlag) {
        List<String> named = new ArrayList<>();
        keyOfFlag.forEach((flag, key) -> {
            String k = java.util.regex.Pattern.quote(key);
            String pattern = key.contains(".")
                    ? "(?s).*(^|[^a-z.-])" + k + "($|[^a-z.-]).*"
                    : "(?s)(" + k + "[ :=(].*|.*configuration " + k + "(?![a-z.-]).*|.*[^a-z.-]" + k + "[=:].*)";
            if (message != null && message.matches(pattern)) {
                named.add(flag + " sets " + key);
            }
        });
        return named.isEmpty() ? "" : " (" + String.join(", ", named) + ")";
    }

    /** The help's list of keys: each with its flag, default and doc, and where else it can be set. */
    static String footer(ConfigDef definition, Map<String, String> keyOfFlag) {
        StringBuilder out = new StringBuilder("%n");
        for (String line : wrap(
                "Settings (key = default, then the flag that sets it). Each can be set in --config "
                        + "FILE (key=value lines), as FAILOVER_<KEY> (capitals, dots and dashes as underscores: "
                        + "failure.timeout.ms is FAILOVER_FAILURE_TIMEOUT_MS), with --set KEY=VALUE, or by its flag; flags "
                        + "win, then --set, then the environment, then the file (--kafka-config counts as part of the "
                        + "file). Kafka client settings go under kafka. (e.g. kafka.security.protocol).",
                78)) {
            out.append(line).append("%n");
        }
        for (ConfigDef.ConfigKey key : definition.configKeys().values()) {
            List<String> flags = keyOfFlag.entrySet().stream()
                    .filter(e -> e.getValue().equals(key.name))
                    .map(Map.Entry::getKey)
                    .toList();
            String value =
                    key.defaultValue == ConfigDef.NO_DEFAULT_VALUE ? " (required)" : " = " + shown(key.defaultValue);
            out.append("  ").append(key.name).append(value);
            if (!flags.isEmpty()) {
                out.append("   ").append(String.join(" ", flags));
            }
            out.append("%n");
            for (String line : wrap(key.documentation.replace("%", "%%"), 72)) {
                out.append("      ").append(line).append("%n");
            }
        }
        return out.toString();
    }

    private static String shown(Object value) {
        if (value instanceof List<?> list) {
            return list.isEmpty()
                    ? "(none)"
                    : String.join(",", list.stream().map(Object::toString).toList());
        }
        String text = String.valueOf(value);
        return text.isEmpty() ? "(none)" : text;
    }

    private static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(word);
        }
        if (line.length() > 0) {
            lines.add(line.toString());
        }
        return lines;
    }
}
