package dev.failover.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine;

/**
 * Option defaults from {@code FAILOVER_*} environment variables, then from a properties file, so that flags, file
 * and environment resolve to the same options: {@code --failure-timeout} is {@code FAILOVER_FAILURE_TIMEOUT} and
 * {@code failure-timeout=} in the file. Flags win, then the environment, then the file. Environment is a map handed
 * in, so tests pass their own.
 */
final class EnvironmentAndFileDefaults implements CommandLine.IDefaultValueProvider {

    private final Map<String, String> environment;
    private final Properties file = new Properties();

    EnvironmentAndFileDefaults(Map<String, String> environment, Path configFile) throws IOException {
        this.environment = environment;
        if (configFile != null) {
            try (Reader in = Files.newBufferedReader(configFile)) {
                file.load(in);
            }
        }
    }

    /** The value of {@code --config} found in the raw arguments or the environment, before parsing. */
    static Path configFile(String[] args, Map<String, String> environment) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                return Path.of(args[i + 1]);
            }
            if (args[i].startsWith("--config=")) {
                return Path.of(args[i].substring("--config=".length()));
            }
        }
        String fromEnv = environment.get("FAILOVER_CONFIG");
        return fromEnv == null ? null : Path.of(fromEnv);
    }

    @Override
    public String defaultValue(CommandLine.Model.ArgSpec arg) {
        if (!(arg instanceof CommandLine.Model.OptionSpec option)) {
            return arg.defaultValue();
        }
        if (option.command() != null
                && option.command().userObject() instanceof KeyedCommand keyed
                && keyed.keyOfFlag().containsKey(option.longestName())) {
            return option.defaultValue(); // its key is read from the file and the environment by the command
        }
        String name = option.longestName().replaceFirst("^--", "");
        String env = environment.get("FAILOVER_" + name.toUpperCase(Locale.ROOT).replace('-', '_'));
        if (env != null) {
            return env;
        }
        String fromFile = file.getProperty(name);
        return fromFile != null ? fromFile : option.defaultValue();
    }
}
