package dev.failover.cli;

import dev.failover.broker.BrokerSecurity;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code failover secure-setup}: the two one-shot steps of a secured cluster reached by host names (the secured
 * docker-compose file). With {@code --pki}, before the brokers start: a CA, the brokers' certificate (valid for every
 * {@code --brokers} name) and each broker's {@code NAME/server.properties} with its listeners and security settings
 * (clients on SASL_SSL/SCRAM at 9092, mutual TLS between brokers at 9095 and to the controllers at 9093, ACLs enforced).
 * Without it, once they run: the SCRAM users coordinator, agent and operator (and admin) with random passwords, each
 * one's client file {@code DIR/USER.properties}, and the generated ACLs, all through the internal listener as the
 * brokers' own certificate (a super user).
 *
 * <p>Both steps end by copying into {@code DIR/bundles/NAME/} what each kind of container needs and nothing more, laid
 * out as in {@code DIR} ({@link #bundles}): a container mounts its bundle as {@code /secure}, so an agent holds its own
 * heartbeat key but no other node's, no coordinator holds the operator's signing key, and only the set-up steps see
 * the CA's key.
 */
@Command(
        name = "secure-setup",
        mixinStandardHelpOptions = true,
        description = {
            "One-shot set-up of a secured Kafka cluster reached by host names (docker-compose.secure.yml).",
            "--pki, before the brokers start: CA, broker certificate and each broker's DIR/NAME/server.properties.",
            "Without it, once they run: SCRAM users, their client files DIR/USER.properties and the ACLs."
        })
public final class SecureSetupCommand implements Callable<Integer> {

    static final int CLIENT_PORT = 9092;
    static final int CONTROLLER_PORT = 9093;
    static final int INTERNAL_PORT = 9095;
    static final List<String> USERS = List.of("coordinator", "agent", "operator");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--dir", paramLabel = "DIR", required = true, description = "Where certificates and files go.")
    Path dir;

    @Option(
            names = "--brokers",
            paramLabel = "NAMES",
            required = true,
            split = ",",
            description = "The brokers' host names, e.g. kafka-1,kafka-2,kafka-3.")
    List<String> brokers;

    @Option(names = "--pki", description = "Write the certificates and the brokers' server.properties, then exit.")
    boolean pki;

    @Option(
            names = "--http-hosts",
            paramLabel = "NAMES",
            split = ",",
            description = {
                "With --pki: the coordinators' host names, for their HTTPS certificate (DIR/coordinator-http.p12, its password",
                "in DIR/coordinator-http.p12.password), and a bearer token in DIR/http.token."
            })
    List<String> httpHosts = new java.util.ArrayList<>();

    @Option(
            names = "--heartbeat-key",
            paramLabel = "GROUP/NODE",
            description = {
                "With --pki: a heartbeat key DIR/heartbeat-keys/GROUP/NODE.key, repeatable. --pki also writes the key pairs",
                "DIR/keys/coordinator and DIR/keys/operator. Whatever exists is kept."
            })
    List<String> heartbeatKeys = new java.util.ArrayList<>();

    @Option(
            names = "--application-id",
            paramLabel = "ID",
            defaultValue = "failover-coordinator",
            description = "The coordinators' application.id, for the ACLs (default: ${DEFAULT-VALUE}).")
    String applicationId;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            defaultValue = "180s",
            converter = Durations.class,
            description = "How long to wait for the brokers (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        for (String broker : brokers) {
            if (!broker.matches("[A-Za-z0-9][A-Za-z0-9.-]*")) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(), "--brokers: '" + broker + "' is not a host name");
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        BrokerSecurity security = new BrokerSecurity(dir.toAbsolutePath(), USERS, brokers);
        if (pki) {
            for (String broker : brokers) {
                writeServerProperties(security, broker);
            }
            if (!httpHosts.isEmpty()) {
                security.pki().issue("coordinator-http", "CN=failover-coordinator-http", httpHosts);
                Path token = dir.resolve("http.token");
                if (!Files.exists(token)) {
                    try (var stream = dev.failover.broker.LocalPki.secretFile(token)) {
                        stream.write((dev.failover.broker.LocalPki.randomPassword()
                                        + dev.failover.broker.LocalPki.randomPassword())
                                .getBytes(StandardCharsets.US_ASCII));
                    }
                }
            }
            for (String name : List.of("coordinator", "operator")) {
                if (!Files.exists(dir.resolve("keys").resolve(name + ".pub"))) {
                    dev.failover.wire.sign.SigningKeys.generate(dir.resolve("keys"), name);
                }
            }
            for (String groupNode : heartbeatKeys) {
                String[] parts = groupNode.split("/", -1);
                if (parts.length != 2
                        || dev.failover.wire.Ids.problem("group", parts[0]).isPresent()
                        || dev.failover.wire.Ids.problem("node", parts[1]).isPresent()) {
                    throw new CommandLine.ParameterException(
                            spec.commandLine(), "--heartbeat-key " + groupNode + ": GROUP/NODE, each a valid id");
                }
                Path key = dir.resolve("heartbeat-keys").resolve(parts[0]).resolve(parts[1] + ".key");
                if (!Files.exists(key)) {
                    dev.failover.wire.sign.HeartbeatMac.generate(key);
                }
            }
            writeBundles(dir);
            out.printf(
                    "wrote %s and the server.properties of %s under %s, and each container's bundle in %s%n",
                    security.pki().caPem(), String.join(", ", brokers), dir, dir.resolve(BUNDLES));
            out.flush();
            return 0;
        }
        String internal = String.join(
                ",", brokers.stream().map(b -> b + ":" + INTERNAL_PORT).toList());
        String clients = String.join(
                ",", brokers.stream().map(b -> b + ":" + CLIENT_PORT).toList());
        Properties admin = security.internalAdminProperties(internal);
        admin.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        admin.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin client = Admin.create(admin)) {
            awaitBrokers(client, deadline);
            security.createUsers(client, clients, deadline);
        }
        AclsCommand.apply(
                admin,
                new AclPlan(
                                BrokerSecurity.principal("coordinator"),
                                BrokerSecurity.principal("agent"),
                                BrokerSecurity.principal("operator"),
                                applicationId,
                                false)
                        .bindings(),
                Duration.ofSeconds(60));
        writeCtlDefaults(dir, clients);
        writeBundles(dir);
        out.printf("created the SCRAM users %s, their client files in %s, and the ACLs%n", security.users(), dir);
        out.flush();
        return 0;
    }

    private void awaitBrokers(Admin client, long deadline) throws InterruptedException {
        while (true) {
            try {
                if (client.describeCluster(new DescribeClusterOptions().timeoutMs(5000))
                                .nodes()
                                .get(10, TimeUnit.SECONDS)
                                .size()
                        >= brokers.size()) {
                    return;
                }
            } catch (ExecutionException | TimeoutException e) {
                // not up yet
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("the brokers " + brokers + " did not all answer on their internal "
                        + "listener (port " + INTERNAL_PORT + ") within " + timeout.toSeconds() + " s");
            }
            Thread.sleep(1000);
        }
    }

    static final String BUNDLES = "bundles";

    /** {@code DIR/ctl.properties}: the operator's ctl defaults (brokers, client file, keys), read through FAILOVER_CONFIG. */
    static void writeCtlDefaults(Path dir, String bootstrapServers) throws IOException {
        Path abs = dir.toAbsolutePath();
        Files.writeString(
                dir.resolve("ctl.properties"),
                "# failover ctl's defaults for the operator (FAILOVER_CONFIG)\n"
                        + "bootstrap-servers=" + bootstrapServers + "\nkafka-config="
                        + abs.resolve("operator.properties")
                        + "\nsigning-key=" + abs.resolve("keys/operator.key") + "\ntrust-key="
                        + abs.resolve("keys/coordinator.pub") + "\n");
    }

    /**
     * What each kind of container needs, by bundle name: {@code broker}, {@code coordinator}, {@code operator} (ctl),
     * and {@code agents/GROUP/NODE} for each node with a heartbeat key ({@code heartbeat-keys/GROUP/NODE.key}). Paths are
     * relative to {@code DIR}; a directory is copied whole.
     */
    Map<String, List<String>> bundles() throws IOException {
        Map<String, List<String>> bundles = new java.util.TreeMap<>();
        bundles.put("broker", List.of("ca.pem", "broker.p12"));
        bundles.put(
                "coordinator",
                List.of(
                        "ca.pem",
                        "coordinator.properties",
                        "keys/coordinator.key",
                        "keys/coordinator.pub",
                        "keys/operator.pub",
                        "heartbeat-keys",
                        "coordinator-http.p12",
                        "coordinator-http.p12.password",
                        "http.token"));
        bundles.put(
                "operator",
                List.of(
                        "ca.pem",
                        "operator.properties",
                        "ctl.properties",
                        "keys/operator.key",
                        "keys/operator.pub",
                        "keys/coordinator.pub"));
        Path keys = dir.resolve("heartbeat-keys");
        if (Files.isDirectory(keys)) {
            try (var files = Files.walk(keys)) {
                for (Path key : files.filter(f -> f.toString().endsWith(".key"))
                        .sorted()
                        .toList()) {
                    Path relative = keys.relativize(key);
                    if (relative.getNameCount() == 2) { // GROUP/NODE.key
                        String node = relative.getFileName().toString().replaceFirst("\\.key$", "");
                        bundles.put(
                                "agents/" + relative.getName(0) + "/" + node,
                                List.of(
                                        "ca.pem",
                                        "agent.properties",
                                        "keys/coordinator.pub",
                                        "heartbeat-keys/" + relative.toString().replace('\\', '/')));
                    }
                }
            }
        }
        return bundles;
    }

    /**
     * Copies what exists of each bundle's files into {@code DIR/bundles/NAME/} (secrets stay mode 600) and removes
     * what a bundle no longer holds (a revoked key): bundles are derived, so keys are changed in {@code DIR} and the
     * set-up step run again.
     */
    static void writeBundles(Path dir) throws IOException {
        SecureSetupCommand layout = new SecureSetupCommand();
        layout.dir = dir;
        for (var bundle : layout.bundles().entrySet()) {
            Path into = dir.resolve(BUNDLES).resolve(bundle.getKey());
            java.util.Set<Path> wanted = new java.util.HashSet<>();
            for (String name : bundle.getValue()) {
                Path from = dir.resolve(name);
                if (!Files.exists(from)) {
                    continue; // written by the other step
                }
                try (var files = Files.walk(from)) {
                    for (Path file : files.filter(Files::isRegularFile).toList()) {
                        Path to = into.resolve(dir.relativize(file).toString());
                        Files.createDirectories(to.getParent());
                        Path next = to.resolveSibling(to.getFileName() + ".new");
                        Files.copy(
                                file,
                                next,
                                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                                java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                        // replaced at once: a reader watching the file never finds it missing or half written
                        Files.move(
                                next,
                                to,
                                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                        wanted.add(to);
                    }
                }
            }
            try (var files = Files.walk(into)) {
                for (Path stale : files.filter(Files::isRegularFile)
                        .filter(f -> !wanted.contains(f))
                        .toList()) {
                    Files.delete(stale);
                }
            }
        }
    }

    /** {@code DIR/NAME/server.properties}: listeners and security only; the rest comes from the broker's environment. */
    private void writeServerProperties(BrokerSecurity security, String broker) throws IOException {
        Properties props = new Properties();
        props.putAll(security.serverProperties("", broker, CLIENT_PORT, INTERNAL_PORT, CONTROLLER_PORT));
        // the broker's key store password is in it: readable by its owner only
        Path file = Files.createDirectories(dir.resolve(broker)).resolve("server.properties");
        try (Writer writer =
                new OutputStreamWriter(dev.failover.broker.LocalPki.secretFile(file), StandardCharsets.UTF_8)) {
            props.store(writer, "listeners and security of " + broker + " (failover secure-setup --pki)");
        }
    }
}
