package dev.failover.cli;

import dev.failover.coordinator.app.CoordinatorApp;
import dev.failover.coordinator.app.CoordinatorConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code failover coordinator}: one coordinator instance in the foreground. Settings are the coordinator's keys
 * ({@link CoordinatorConfig}), resolved as {@link KeyedCommand} says: defaults, {@code --config} file,
 * {@code --kafka-config}, {@code FAILOVER_*} environment variables, {@code --set}, flags, later winning.
 */
@Command(
        name = "coordinator",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a failover coordinator (Kafka Streams): detects silent or unhealthy members and publishes role changes.",
            "Run two or more with the same application.id for availability. SIGTERM/Ctrl-C leaves the group at once."
        })
public final class CoordinatorCommand extends KeyedCommand implements Callable<Integer> {

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "Kafka brokers (bootstrap.servers).")
    String bootstrapServers;

    @Option(
            names = "--http-port",
            paramLabel = "P",
            description = "HTTP port for /health and /groups/{group} "
                    + "(http.port; default 8090, 0 = any free port, -1 = off).")
    Integer httpPort;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "Local Streams state (state.dir).")
    Path stateDir;

    @Option(
            names = "--signing-key",
            paramLabel = "FILE",
            description = "Sign every role change and state record "
                    + "with this Ed25519 private key (signing.key; PEM, mode 600, with NAME.pub beside it: failover keys "
                    + "generate). Agents given the public key with --trust-key act on nothing else.")
    Path signingKey;

    @Option(
            names = "--trust-operator-key",
            paramLabel = "FILE",
            description = {
                "An operator's public key (failover keys generate --name operator), repeatable: act only on commands signed",
                "by one of them (failover ctl --signing-key) for the group's current epoch (operator.trust.keys)."
            })
    java.util.List<Path> operatorKeys = new java.util.ArrayList<>();

    public CoordinatorCommand() {
        super(CoordinatorConfig.DEFINITION, KEY_OF_FLAG);
    }

    /** Each flag's key. */
    static final Map<String, String> KEY_OF_FLAG = Map.of(
            "--bootstrap-servers", CoordinatorConfig.BOOTSTRAP_SERVERS_CONFIG,
            "--http-port", CoordinatorConfig.HTTP_PORT_CONFIG,
            "--state-dir", CoordinatorConfig.STATE_DIR_CONFIG,
            "--signing-key", CoordinatorConfig.SIGNING_KEY_CONFIG,
            "--trust-operator-key", CoordinatorConfig.OPERATOR_TRUST_KEYS_CONFIG);

    @Override
    public Integer call() throws Exception {
        CoordinatorConfig config;
        try {
            config = CoordinatorConfig.parse(resolve());
        } catch (ConfigException | IllegalArgumentException e) {
            throw invalid(e);
        }
        CoordinatorApp app = new CoordinatorApp(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            app.close();
                            stopped.countDown();
                        },
                        "coordinator-stopper"));
        app.start();
        spec.commandLine()
                .getOut()
                .printf(
                        "coordinator %s running against %s; HTTP %s%n",
                        app.instanceId(),
                        config.bootstrapServers(),
                        app.httpAddress().orElse("off"));
        spec.commandLine().getOut().flush();
        app.cannotJoin().thenRun(stopped::countDown);
        stopped.await();
        if (app.cannotJoin().isDone()) {
            // exit status 3: a supervisor's restart chooses the group protocol again (GroupProtocolChoice)
            spec.commandLine()
                    .getErr()
                    .println("coordinator stopped: cannot be a member of its group: "
                            + app.cannotJoin().join());
            app.close();
            return 3;
        }
        return 0;
    }

    Map<String, String> resolve() throws IOException {
        Map<String, String> merged = layersUnderTheFlags();
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
            merged.put(
                    CoordinatorConfig.OPERATOR_TRUST_KEYS_CONFIG,
                    String.join(",", operatorKeys.stream().map(Path::toString).toList()));
        }
        require(merged, CoordinatorConfig.BOOTSTRAP_SERVERS_CONFIG);
        return merged;
    }
}
