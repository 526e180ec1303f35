package dev.failover.cli;

import dev.failover.broker.FreePorts;
import dev.failover.broker.LocalKafkaBroker;
import dev.failover.broker.LocalKafkaCluster;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code failover broker}: a real single-node Kafka broker (KRaft) in the foreground, for users who have no Kafka.
 * Ctrl-C or SIGTERM stops it with a controlled shutdown; its data stays in {@code --data-dir} for the next start.
 */
@Command(
        name = "broker",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a single-node Apache Kafka broker (KRaft, broker and controller in one) in the foreground.",
            "Ctrl-C stops it cleanly; the data stays in --data-dir for the next start."
        })
public final class BrokerCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private int port = 9092;
    private Integer controllerPort;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            defaultValue = ".failover/broker",
            description = "Where the broker keeps its logs and metadata (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
            names = "--nodes",
            paramLabel = "N",
            defaultValue = "1",
            description = {
                "How many KRaft nodes (default: 1). With more, a cluster as Kafka shops run it: every node "
                        + "a broker and a voter, replication factor 3, min.insync.replicas 2; node i listens on --port + "
                        + "2(i-1) and its controller on the next port."
            })
    int nodes;

    @Option(
            names = "--secure",
            paramLabel = "DIR",
            description = {
                "A secured broker, as Kafka shops run one: clients on SASL_SSL with SCRAM-SHA-512, the broker's own links on",
                "mutual TLS, ACLs enforced (nothing allowed without one). Writes a test CA (ca.pem) and the client settings of",
                "the SCRAM users admin (a super user), coordinator, agent and operator to DIR/USER.properties (mode 600):",
                "pass them as --kafka-config, and apply the ACLs with failover acls --apply. One node only."
            })
    Path secure;

    @Option(
            names = "--property",
            paramLabel = "KEY=VALUE",
            description = "Any server.properties setting, repeatable; wins over the defaults.")
    Map<String, String> properties = new LinkedHashMap<>();

    @Option(
            names = "--port",
            paramLabel = "N",
            description = "Client port on 127.0.0.1 (default: 9092; 0 = any free port).")
    void port(int value) {
        this.port = checkPort(value, "--port");
    }

    @Option(
            names = "--controller-port",
            paramLabel = "N",
            description = "KRaft controller port on 127.0.0.1 (default: --port + 1, or any free port with --port 0).")
    void controllerPort(int value) {
        this.controllerPort = checkPort(value, "--controller-port");
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (nodes < 1 || nodes > 9) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--nodes must be 1 to 9, not " + nodes);
        }
        if (nodes > 1) {
            if (secure != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--secure runs one node; drop --nodes");
            }
            return cluster(out);
        }
        if (port != 0 && !FreePorts.isFree(port)) {
            throw new IllegalStateException("port " + port + " on 127.0.0.1 is already in use (another broker?); "
                    + "choose another with --port");
        }
        // A fixed controller port by default: the voter endpoint is written into the storage at format time.
        int controller = controllerPort != null ? controllerPort : port == 0 ? 0 : port + 1;
        if (controller != 0 && !FreePorts.isFree(controller)) {
            throw new IllegalStateException("controller port " + controller + " on 127.0.0.1 is already in use; "
                    + "choose another with --controller-port");
        }
        LocalKafkaBroker.Builder builder = LocalKafkaBroker.builder()
                .dataDir(dataDir)
                .port(port)
                .controllerPort(controller)
                .startTimeout(Duration.ofSeconds(120));
        // The coordinator creates its topics with the partitions it needs; an agent started first must not get a
        // one-partition heartbeat topic by accident.
        builder.property("auto.create.topics.enable", "false");
        properties.forEach(builder::property);
        if (secure != null) {
            builder.secure(secure, "coordinator", "agent", "operator");
        }
        LocalKafkaBroker broker = builder.build();
        out.printf("Starting a Kafka broker (data in %s, log in %s)...%n", dataDir.toAbsolutePath(), broker.logFile());
        out.flush();
        AtomicBoolean stopping = new AtomicBoolean();
        Thread stopper = stopOnShutdown(broker, "the broker (controlled shutdown)", "Broker", out, stopping);
        broker.start();
        out.printf(
                "Kafka broker ready at %s (pid %d). Ctrl-C stops it.%n",
                broker.bootstrapServers(), broker.pid().orElse(-1));
        broker.security().ifPresent(security -> {
            out.printf(
                    "Secured: SASL_SSL with SCRAM-SHA-512, ACLs enforced. Client settings (mode 600): %s%n",
                    String.join(
                            ", ",
                            security.users().stream()
                                    .map(u -> security.clientConfig(u).toString())
                                    .toList()));
            out.printf(
                    "Next: failover acls --coordinator-principal User:coordinator --agent-principal User:agent "
                            + "--operator-principal User:operator --apply --bootstrap-servers %s --kafka-config %s%n",
                    broker.bootstrapServers(), security.clientConfig(dev.failover.broker.BrokerSecurity.ADMIN));
        });
        out.flush();
        broker.awaitExit(Duration.ofDays(365_000));
        if (stopping.get()) {
            return 0; // the shutdown hook stopped it; the JVM is on its way out
        }
        Runtime.getRuntime().removeShutdownHook(stopper);
        throw new IllegalStateException("the broker exited on its own; see " + broker.logFile());
    }

    /** {@code --nodes N}: a static-quorum cluster in the foreground, stopped node by node on Ctrl-C. */
    private int cluster(PrintWriter out) throws Exception {
        if (controllerPort != null) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--controller-port is for one node; with --nodes each node's controller is on its port + 1");
        }
        if (port == 0) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--nodes needs a fixed --port: the voters' ports are written into the storage");
        }
        for (int i = 0; i < 2 * nodes; i++) {
            if (!FreePorts.isFree(port + i)) {
                throw new IllegalStateException("port " + (port + i) + " on 127.0.0.1 is already in use; the "
                        + nodes + " nodes need ports " + port + " to " + (port + 2 * nodes - 1) + " (choose another "
                        + "--port)");
            }
        }
        Map<String, String> props = new LinkedHashMap<>();
        props.put("auto.create.topics.enable", "false");
        props.put("replica.fetch.backoff.ms", "100"); // README, "Running on a Kafka cluster": leader moves
        props.putAll(properties);
        LocalKafkaCluster cluster = LocalKafkaCluster.of(dataDir, nodes, port, props);
        out.printf(
                "Starting a Kafka cluster of %d nodes (data and logs in %s/node-N)...%n",
                nodes, dataDir.toAbsolutePath());
        out.flush();
        AtomicBoolean stopping = new AtomicBoolean();
        Thread stopper =
                stopOnShutdown(cluster, "the cluster (controlled shutdown, node by node)", "Cluster", out, stopping);
        cluster.start();
        out.printf("Kafka cluster ready: --bootstrap-servers %s. Ctrl-C stops it.%n", cluster.bootstrapServers());
        out.flush();
        while (cluster.isRunning()) {
            Thread.sleep(1000);
        }
        if (stopping.get()) {
            return 0;
        }
        Runtime.getRuntime().removeShutdownHook(stopper);
        throw new IllegalStateException(
                "every node of the cluster exited on its own; see " + dataDir + "/node-N/" + LocalKafkaBroker.LOG_FILE);
    }

    /** A shutdown hook (Ctrl-C, SIGTERM) that stops {@code kafka} and says so; {@code stopping} tells it ran. */
    private static Thread stopOnShutdown(
            dev.failover.broker.KafkaBroker kafka, String what, String name, PrintWriter out, AtomicBoolean stopping) {
        Thread stopper = new Thread(
                () -> {
                    stopping.set(true);
                    out.println("Stopping " + what + "...");
                    out.flush();
                    kafka.stop();
                    out.println(name + " stopped.");
                    out.flush();
                },
                name.toLowerCase(java.util.Locale.ROOT) + "-stopper");
        Runtime.getRuntime().addShutdownHook(stopper);
        return stopper;
    }

    private int checkPort(int value, String option) {
        if (value < 0 || value > 65535) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "Invalid value for option '" + option + "': " + value + " is not a port (0-65535)");
        }
        return value;
    }
}
