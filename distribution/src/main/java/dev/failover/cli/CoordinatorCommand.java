package dev.failover.cli;

import dev.failover.coordinator.app.CoordinatorApp;
import dev.failover.coordinator.app.CoordinatorConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code failover coordinator}: one coordinator instance in the foreground. Settings resolve in this order, later
 * winning: defaults, {@code --config} file, {@code FAILOVER_*} environment variables, flags.
 */
@Command(name = "coordinator",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a failover coordinator (Kafka Streams): detects silent or unhealthy members and publishes role changes.",
            "Run two or more with the same application.id for availability. SIGTERM/Ctrl-C leaves the group at once."})
public final class CoordinatorCommand implements Callable<Integer>, KeyedSettings {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "Kafka brokers (bootstrap.servers).")
    String bootstrapServers;

    @Option(names = "--config", paramLabel = "FILE", description = "A properties file of settings (keys as in --set).")
    Path configFile;

    @Option(names = "--http-port", paramLabel = "P", description = "HTTP port for /health and /groups/{group} "
            + "(http.port; default 8090, 0 = any free port, -1 = off).")
    Integer httpPort;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "Local Streams state (state.dir).")
    Path stateDir;

    @Option(names = "--signing-key", paramLabel = "FILE", description = "Sign every role change and state record "
            + "with this Ed25519 private key (signing.key; PEM, mode 600, with NAME.pub beside it: failover keys "
            + "generate). Agents given the public key with --trust-key act on nothing else.")
    Path signingKey;

    @Option(names = "--trust-operator-key", paramLabel = "FILE", description = {
        "An operator's public key (failover keys generate --name operator), repeatable: act only on commands signed",
        "by one of them (failover ctl --signing-key) for the group's current epoch (operator.trust.keys)."})
    java.util.List<Path> operatorKeys = new java.util.ArrayList<>();

    @Option(names = "--kafka-config", paramLabel = "FILE", description = {
        "Kafka client properties (TLS, SASL: where passwords belong, in a file readable by you only), as kafka.* "
            + "settings; --set and FAILOVER_KAFKA_* win."})
    Path kafkaConfig;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Any setting, repeatable, e.g. --set "
            + "topic.partitions=12 or --set kafka.security.protocol=SSL.")
    Map<String, String> settings = new LinkedHashMap<>();

    /** Environment read through a map handed in, so tests pass their own. */
    Map<String, String> environment = System.getenv();

    /** Each flag's key. */
    static final Map<String, String> KEY_OF_FLAG = Map.of(
            "--bootstrap-servers", CoordinatorConfig.BOOTSTRAP_SERVERS_CONFIG,
            "--http-port", CoordinatorConfig.HTTP_PORT_CONFIG,
            "--state-dir", CoordinatorConfig.STATE_DIR_CONFIG,
            "--signing-key", CoordinatorConfig.SIGNING_KEY_CONFIG,
            "--trust-operator-key", CoordinatorConfig.OPERATOR_TRUST_KEYS_CONFIG);

    @Override
    public org.apache.kafka.common.config.ConfigDef definition() {
        return CoordinatorConfig.DEFINITION;
    }

    @Override
    public Map<String, String> keyOfFlag() {
        return KEY_OF_FLAG;
    }

    @Override
    public void useEnvironment(Map<String, String> variables) {
        environment = variables;
    }

    @Override
    public Integer call() throws Exception {
        CoordinatorConfig config;
        try {
            config = CoordinatorConfig.parse(resolve());
        } catch (ConfigException | IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "invalid setting: " + e.getMessage()
                    + KeyedSettings.flagsNamed(e.getMessage(), KEY_OF_FLAG));
        }
        CoordinatorApp app = new CoordinatorApp(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            stopped.countDown();
        }, "coordinator-stopper"));
        app.start();
        spec.commandLine().getOut().printf("coordinator %s running against %s; HTTP %s%n", app.instanceId(),
                config.bootstrapServers(), app.httpAddress().orElse("off"));
        spec.commandLine().getOut().flush();
        app.cannotJoin().thenRun(stopped::countDown);
        stopped.await();
        if (app.cannotJoin().isDone()) {
            // exit status 3: a supervisor's restart chooses the group protocol again (GroupProtocolChoice)
            spec.commandLine().getErr().println("coordinator stopped: cannot be a member of its group: "
                    + app.cannotJoin().join());
            app.close();
            return 3;
        }
        return 0;
    }

    Map<String, String> resolve() throws IOException {
        Map<String, String> merged = new LinkedHashMap<>(KeyedSettings.fromFile(configFile, spec.commandLine(), this));
        if (kafkaConfig != null) {
            try {
                KafkaClientSettings.merged(kafkaConfig, Map.of(), "--kafka-config", spec.commandLine().getErr())
                        .forEach((k, v) -> merged.put(CoordinatorConfig.KAFKA_PREFIX + k, v));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        merged.putAll(KeyedSettings.fromEnvironment(environment, this));
        KafkaClientSettings.warnAboutSecrets(settings.keySet().stream()
                .filter(k -> k.startsWith(CoordinatorConfig.KAFKA_PREFIX)).toList(), "--set", spec.commandLine().getErr());
        merged.putAll(settings);
        if (bootstrapServers != null) {
            merged.put(CoordinatorConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        }
        if (httpPort != null) {
            merged.put(CoordinatorConfig.HTTP_PORT_CONFIG, httpPort.toString());
        }
        if (stateDir != null) {
            merged.put(CoordinatorConfig.STATE_DIR_CONFIG, stateDir.toString());
        }
        if (signingKey != null) {
            merged.put(CoordinatorConfig.SIGNING_KEY_CONFIG, signingKey.toString());
        }
        if (!operatorKeys.isEmpty()) {
            merged.put(CoordinatorConfig.OPERATOR_TRUST_KEYS_CONFIG, String.join(",", operatorKeys.stream()
                    .map(Path::toString).toList()));
        }
        if (!merged.containsKey(CoordinatorConfig.BOOTSTRAP_SERVERS_CONFIG)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Missing --bootstrap-servers "
                    + "(or bootstrap.servers in --config, or FAILOVER_BOOTSTRAP_SERVERS)");
        }
        return merged;
    }
}
