package dev.failover.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka broker in KRaft combined mode (broker and controller in one node), run as its own JVM from the
 * {@code kafka_2.13} jars on this JVM's class path. It writes {@code server.properties} for loopback ports, formats
 * the storage once ({@code kafka.tools.StorageTool format --standalone}), starts {@code kafka.Kafka}, and returns
 * when an Admin client sees the node. It can be stopped gracefully, killed with SIGKILL, and started again on the
 * same data directory and ports.
 *
 * <p>The settings suit one node and fast tests: replication factors of 1 for internal topics, no initial rebalance
 * delay, and session-timeout minimums low enough for fast failover tests. Anything can be overridden.
 *
 * <p>Why a process and not an in-JVM server: tests must be able to kill the broker for real and restart it, and
 * its 300+ MB of heap and threads must not disturb the test JVM's own timing.
 */
public final class LocalKafkaBroker implements KafkaBroker {

    private static final Logger log = LoggerFactory.getLogger(LocalKafkaBroker.class);

    public static final String LOG_FILE = "broker.log";

    private final Path dataDir;
    private final boolean deleteDataOnClose;
    private final Map<String, String> overrides;
    private final List<String> jvmOptions;
    private final String classpath;
    private final Duration startTimeout;
    private final String host = "127.0.0.1";
    private int port;
    private int controllerPort;
    private final boolean fixedPort;
    private final boolean fixedControllerPort;
    private final IntSupplier portSource;
    private final Map<String, Integer> relayedListeners;
    private final Map<String, Integer> relayedPorts = new LinkedHashMap<>();
    private final int nodeId;
    private final String quorumVoters;
    private final String clusterId;
    private final Path securityDir;
    private final List<String> secureUsers;
    private BrokerSecurity security;
    private int internalPort;
    private Process process;

    private LocalKafkaBroker(Builder builder) {
        this.dataDir = builder.dataDir.toAbsolutePath();
        this.deleteDataOnClose = builder.deleteDataOnClose;
        this.overrides = Map.copyOf(builder.overrides);
        this.jvmOptions = List.copyOf(builder.jvmOptions);
        this.classpath = builder.classpath;
        this.startTimeout = builder.startTimeout;
        this.port = builder.port;
        this.controllerPort = builder.controllerPort;
        this.fixedPort = builder.port != 0;
        this.fixedControllerPort = builder.controllerPort != 0;
        this.portSource = builder.portSource;
        this.relayedListeners = Map.copyOf(builder.relayedListeners);
        this.nodeId = builder.nodeId;
        this.quorumVoters = builder.quorumVoters;
        this.clusterId = builder.clusterId;
        this.securityDir = builder.securityDir;
        this.secureUsers = List.copyOf(builder.secureUsers);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A broker on free ports in a fresh temporary directory that is deleted on {@link #close()}. */
    public static LocalKafkaBroker temporary() {
        try {
            return builder()
                    .dataDir(Files.createTempDirectory("failover-kafka-"))
                    .deleteDataOnClose(true)
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory for the broker", e);
        }
    }

    @Override
    public synchronized String bootstrapServers() {
        if (port == 0) {
            throw new IllegalStateException("the broker has not been started yet, so it has no port");
        }
        return host + ":" + port;
    }

    /**
     * The port the broker itself listens on for a listener added with {@link Builder#relayedListener}: what a relay
     * (a TCP proxy at the advertised address) forwards to. Known once the broker has started.
     */
    public synchronized int listenerPort(String name) {
        Integer p = relayedPorts.get(name);
        if (p == null) {
            throw new IllegalStateException(
                    "no started listener " + name + "; relayed listeners: " + relayedListeners.keySet());
        }
        return p;
    }

    public Path dataDir() {
        return dataDir;
    }

    /**
     * A secured broker's users, passwords and client files ({@link Builder#secure}); empty for a plaintext broker.
     * Known once the broker has started.
     */
    public synchronized java.util.Optional<BrokerSecurity> security() {
        return java.util.Optional.ofNullable(security);
    }

    /**
     * An Admin client's settings for this broker: on a plaintext broker the bootstrap servers alone, on a secured one
     * the SCRAM super user {@value BrokerSecurity#ADMIN}.
     */
    public synchronized Properties adminProperties() {
        Properties props = security == null ? new Properties() : security.clientProperties(BrokerSecurity.ADMIN);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return props;
    }

    public Path logFile() {
        return dataDir.resolve(LOG_FILE);
    }

    @Override
    public synchronized void start() {
        if (isRunning()) {
            throw new IllegalStateException("the broker is already running (pid " + process.pid() + ")");
        }
        long began = System.nanoTime();
        try {
            Files.createDirectories(dataDir);
            if (securityDir != null && security == null) {
                security = new BrokerSecurity(securityDir, secureUsers);
            }
            for (int attempt = 1; ; attempt++) {
                boolean firstStart = !Files.exists(dataDir.resolve("logs").resolve("meta.properties"));
                boolean chosePorts = choosePorts();
                Path config = writeServerProperties();
                writeLoggingConfig();
                if (firstStart) {
                    format(config);
                }
                long logOffset = Files.exists(logFile()) ? Files.size(logFile()) : 0;
                process = launch(List.of("kafka.Kafka", config.toString()));
                try {
                    awaitReady(logOffset);
                    break;
                } catch (IllegalStateException e) {
                    // Another program took a port chosen here before the broker JVM bound it. The ports are only
                    // ours to change before the first start (the controller's is written into the storage), so
                    // choose again on fresh storage.
                    if (!(firstStart
                            && chosePorts
                            && attempt < 5
                            && !process.isAlive()
                            && loggedSince(logOffset, "Address already in use"))) {
                        throw e;
                    }
                    log.warn(
                            "a port chosen for the broker was taken before it could bind it (attempt {}); choosing "
                                    + "new ports",
                            attempt);
                    forgetChosenPorts();
                    Directories.deleteRecursively(dataDir.resolve("logs"));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the broker in " + dataDir, e);
        }
        log.info(
                "Kafka broker up at {} (pid {}, data {}) in {} ms",
                bootstrapServers(),
                process.pid(),
                dataDir,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
    }

    @Override
    public synchronized void stop() {
        if (!isRunning()) {
            return;
        }
        long pid = process.pid();
        process.destroy();
        if (!waitFor(process, Duration.ofSeconds(30))) {
            log.warn("Kafka broker pid {} ignored SIGTERM for 30 s; killing it", pid);
            process.destroyForcibly();
            waitFor(process, Duration.ofSeconds(10));
        }
        log.info("Kafka broker at {} (pid {}) stopped", bootstrapServers(), pid);
    }

    @Override
    public synchronized void kill() {
        if (!isRunning()) {
            return;
        }
        long pid = process.pid();
        process.destroyForcibly();
        waitFor(process, Duration.ofSeconds(10));
        log.info("Kafka broker at {} (pid {}) killed with SIGKILL", bootstrapServers(), pid);
    }

    @Override
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    @Override
    public synchronized OptionalLong pid() {
        return isRunning() ? OptionalLong.of(process.pid()) : OptionalLong.empty();
    }

    /** Blocks until the broker process exits on its own or {@code timeout} passes; true if it exited. */
    public boolean awaitExit(Duration timeout) {
        Process p;
        synchronized (this) {
            p = process;
        }
        return p == null || waitFor(p, timeout);
    }

    @Override
    public synchronized void close() {
        stop();
        if (deleteDataOnClose) {
            Directories.deleteRecursively(dataDir);
        }
    }

    /** Fills in the ports left at 0 by the builder; true if it chose any. */
    private boolean choosePorts() {
        boolean chose = false;
        if (port == 0) {
            port = portSource.getAsInt();
            chose = true;
        }
        if (controllerPort == 0) {
            controllerPort = portSource.getAsInt();
            chose = true;
        }
        if (securityDir != null && internalPort == 0) {
            internalPort = portSource.getAsInt();
            chose = true;
        }
        for (String name : relayedListeners.keySet()) {
            if (!relayedPorts.containsKey(name)) {
                relayedPorts.put(name, portSource.getAsInt());
                chose = true;
            }
        }
        return chose;
    }

    private void forgetChosenPorts() {
        if (!fixedPort) {
            port = 0;
        }
        if (!fixedControllerPort) {
            controllerPort = 0;
        }
        internalPort = 0;
        relayedPorts.clear();
    }

    private Path writeServerProperties() throws IOException {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("process.roles", "broker,controller");
        props.put("node.id", Integer.toString(nodeId));
        if (quorumVoters == null) {
            props.put("controller.quorum.bootstrap.servers", host + ":" + controllerPort);
        } else {
            props.put("controller.quorum.voters", quorumVoters); // a static quorum of several nodes
        }
        StringBuilder listeners =
                new StringBuilder("PLAINTEXT://" + host + ":" + port + ",CONTROLLER://" + host + ":" + controllerPort);
        StringBuilder advertised = new StringBuilder("PLAINTEXT://" + host + ":" + port);
        StringBuilder protocols = new StringBuilder("PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        relayedListeners.forEach((name, advertisedPort) -> {
            listeners
                    .append(',')
                    .append(name)
                    .append("://")
                    .append(host)
                    .append(':')
                    .append(relayedPorts.get(name));
            advertised
                    .append(',')
                    .append(name)
                    .append("://")
                    .append(host)
                    .append(':')
                    .append(advertisedPort);
            protocols.append(',').append(name).append(":PLAINTEXT");
        });
        props.put("listeners", listeners.toString());
        props.put("advertised.listeners", advertised.toString());
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("listener.security.protocol.map", protocols.toString());
        if (security != null) {
            props.putAll(security.serverProperties(host, port, internalPort, controllerPort));
        }
        props.put("log.dirs", dataDir.resolve("logs").toString());
        props.put("num.partitions", "1");
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "5");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", "5");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("group.streams.initial.rebalance.delay.ms", "0");
        // Low minimums so that tests and fast-failover deployments may ask for short sessions.
        props.put("group.min.session.timeout.ms", "1000");
        props.put("group.streams.min.session.timeout.ms", "1000");
        props.put("group.streams.min.heartbeat.interval.ms", "100");
        props.put("group.consumer.min.session.timeout.ms", "1000");
        props.put("group.consumer.min.heartbeat.interval.ms", "100");
        // After a SIGKILL the controller waits out the dead incarnation's registration session before the restarted
        // broker may serve: 9 s by default, 2 s here (one combined node heartbeats to itself over loopback).
        props.put("broker.session.timeout.ms", "2000");
        props.put("broker.heartbeat.interval.ms", "500");
        // A dead transactional producer's open transaction is aborted soon after its timeout, not a minute later.
        props.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
        props.putAll(overrides);

        Properties properties = new Properties();
        properties.putAll(props);
        Path file = dataDir.resolve("server.properties");
        // A secured broker's file holds its key store password: readable by its owner only.
        try (Writer out = new java.io.OutputStreamWriter(LocalPki.secretFile(file), StandardCharsets.UTF_8)) {
            properties.store(out, "written by failover's LocalKafkaBroker");
        }
        return file;
    }

    /** The broker logs through SLF4J; give it its own configuration so it never picks up a test's logback-test.xml. */
    private void writeLoggingConfig() throws IOException {
        Files.writeString(dataDir.resolve("broker-logback.xml"), """
                <configuration>
                  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
                  </appender>
                  <logger name="kafka" level="INFO"/>
                  <logger name="org.apache.kafka" level="WARN"/>
                  <logger name="org.apache.kafka.coordinator" level="INFO"/>
                  <logger name="state.change.logger" level="WARN"/>
                  <root level="INFO"><appender-ref ref="OUT"/></root>
                </configuration>
                """);
        Files.writeString(dataDir.resolve("broker-log4j2.properties"), """
                status = error
                appender.out.type = Console
                appender.out.name = OUT
                appender.out.layout.type = PatternLayout
                appender.out.layout.pattern = %d{HH:mm:ss.SSS} %-5level [%t] %c{1} - %m%n
                rootLogger.level = info
                rootLogger.appenderRef.out.ref = OUT
                """);
    }

    private void format(Path config) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                "kafka.tools.StorageTool",
                "format",
                "-t",
                clusterId != null ? clusterId : Uuid.randomUuid().toString(),
                "-c",
                config.toString()));
        if (quorumVoters == null) {
            command.add("--standalone"); // a quorum of this one controller; static voters need no flag
        }
        Process formatter = launch(command);
        if (!waitFor(formatter, Duration.ofSeconds(60)) || formatter.exitValue() != 0) {
            formatter.destroyForcibly();
            throw new IllegalStateException("formatting the broker storage in " + dataDir + " failed; see " + logFile()
                    + ":\n" + tail(logFile(), 30));
        }
    }

    private Process launch(List<String> mainAndArgs) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-Dlogback.configurationFile=" + dataDir.resolve("broker-logback.xml"));
        command.add("-Dlog4j2.configurationFile=" + dataDir.resolve("broker-log4j2.properties"));
        command.add("-Dslf4j.internal.verbosity=WARN");
        command.add("-cp");
        command.add(classpath);
        command.addAll(mainAndArgs);
        return new ProcessBuilder(command)
                .directory(dataDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()))
                .start();
    }

    private void awaitReady(long logOffset) {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        // Wait for the broker to say it started before creating an Admin client: the client connects at once and
        // logs a warning per failed attempt, and the port accepts TCP connections well before requests are served.
        while (!loggedStarted(logOffset)) {
            checkAliveAndInTime(deadline);
            Pause.millis(50);
        }
        // A secured broker is first reached as itself (a super user) on the internal listener: no SCRAM user exists
        // yet.
        Properties props = security == null ? adminProperties() : security.internalAdminProperties(host, internalPort);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "2000");
        try (Admin admin = Admin.create(props)) {
            while (true) {
                try {
                    if (!admin.describeCluster(new DescribeClusterOptions().timeoutMs(1000))
                            .nodes()
                            .get(2, TimeUnit.SECONDS)
                            .isEmpty()) {
                        if (security != null) {
                            security.createUsers(admin, bootstrapServers(), deadline);
                        }
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    // not serving yet
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the broker", e);
                }
                checkAliveAndInTime(deadline);
            }
        }
    }

    private void checkAliveAndInTime(long deadline) {
        if (!process.isAlive()) {
            throw new IllegalStateException("the Kafka broker exited with code " + process.exitValue()
                    + " while starting; last lines of " + logFile() + ":\n" + tail(logFile(), 40));
        }
        if (System.nanoTime() - deadline >= 0) {
            process.destroyForcibly();
            throw new IllegalStateException("the Kafka broker at " + bootstrapServers() + " did not answer within "
                    + startTimeout.toSeconds() + " s; last lines of " + logFile() + ":\n" + tail(logFile(), 40));
        }
    }

    private boolean loggedStarted(long fromOffset) {
        return loggedSince(fromOffset, "Kafka Server started");
    }

    private boolean loggedSince(long fromOffset, String text) {
        try (var in = Files.newInputStream(logFile())) {
            in.skipNBytes(fromOffset);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean waitFor(Process process, Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for process " + process.pid(), e);
        }
    }

    static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    /** Settings of a {@link LocalKafkaBroker}. Ports of 0 are replaced by free ones at the first start. */
    public static final class Builder {
        private Path dataDir;
        private boolean deleteDataOnClose;
        private int port;
        private int controllerPort;
        private final Map<String, String> overrides = new LinkedHashMap<>();
        private final Map<String, Integer> relayedListeners = new LinkedHashMap<>();
        private final List<String> jvmOptions =
                new ArrayList<>(List.of("-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-Djava.awt.headless=true"));
        private String classpath = System.getProperty("java.class.path");
        private Duration startTimeout = Duration.ofSeconds(60);
        private IntSupplier portSource = FreePorts::pick;
        private int nodeId = 1;
        private String quorumVoters;
        private String clusterId;
        private Path securityDir;
        private final List<String> secureUsers = new ArrayList<>();

        private Builder() {}

        /**
         * One node of a cluster with a static controller quorum ({@code controller.quorum.voters}, e.g.
         * {@code 1@127.0.0.1:9093,2@127.0.0.1:9095,3@127.0.0.1:9097}): every node is formatted with the same cluster
         * id, and this node's ports must be fixed (they are part of the voters). See {@link LocalKafkaCluster}.
         */
        public Builder clusterNode(int nodeId, String quorumVoters, String clusterId) {
            if (nodeId < 0) {
                throw new IllegalArgumentException("node id must be 0 or more, not " + nodeId);
            }
            this.nodeId = nodeId;
            this.quorumVoters = quorumVoters;
            this.clusterId = clusterId;
            return this;
        }

        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        public Builder deleteDataOnClose(boolean delete) {
            this.deleteDataOnClose = delete;
            return this;
        }

        public Builder port(int port) {
            this.port = checkPort(port, "port");
            return this;
        }

        public Builder controllerPort(int port) {
            this.controllerPort = checkPort(port, "controller port");
            return this;
        }

        /**
         * An extra plaintext listener {@code name} on a free loopback port of its own, advertised as
         * {@code 127.0.0.1:advertisedPort}: clients that bootstrap through a relay at that port (a TCP proxy forwarding
         * to {@link LocalKafkaBroker#listenerPort}) keep talking through it, so a test can cut one client off.
         */
        public Builder relayedListener(String name, int advertisedPort) {
            if (!name.matches("[A-Z][A-Z0-9_]*")
                    || List.of("PLAINTEXT", "CONTROLLER").contains(name)) {
                throw new IllegalArgumentException(
                        "listener name must be upper case and not PLAINTEXT/CONTROLLER: " + name);
            }
            relayedListeners.put(name, checkPort(advertisedPort, "advertised port of " + name));
            return this;
        }

        /**
         * A secured broker ({@link BrokerSecurity}): clients on SASL_SSL with SCRAM-SHA-512, the broker's own links on
         * mutual TLS, ACLs enforced (nothing allowed without one). Certificates and each user's client file go to
         * {@code dir}; {@code users} are the SCRAM users besides the super user {@value BrokerSecurity#ADMIN}.
         */
        public Builder secure(Path dir, String... users) {
            this.securityDir = dir.toAbsolutePath();
            this.secureUsers.clear();
            this.secureUsers.addAll(List.of(users));
            return this;
        }

        /** Any {@code server.properties} setting; wins over the defaults. */
        public Builder property(String key, String value) {
            overrides.put(key, value);
            return this;
        }

        public Builder jvmOption(String option) {
            jvmOptions.add(option);
            return this;
        }

        /** The class path of the broker JVM; by default this JVM's, which must hold {@code kafka_2.13}. */
        public Builder classpath(String classpath) {
            this.classpath = classpath;
            return this;
        }

        /** Where ports left at 0 come from; tests hand out a taken port to see the broker recover. */
        public Builder portSource(IntSupplier source) {
            this.portSource = source;
            return this;
        }

        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        public LocalKafkaBroker build() {
            if (dataDir == null) {
                throw new IllegalArgumentException("a data directory is required");
            }
            if (classpath == null || classpath.isBlank()) {
                throw new IllegalArgumentException("the broker class path is empty");
            }
            try {
                if (classpath.equals(System.getProperty("java.class.path"))) {
                    Class.forName("kafka.Kafka", false, LocalKafkaBroker.class.getClassLoader());
                }
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(
                        "kafka.Kafka is not on the class path: add the dependency "
                                + "org.apache.kafka:kafka_2.13 (runtime scope) to run a local broker",
                        e);
            }
            if (securityDir != null && (!relayedListeners.isEmpty() || quorumVoters != null)) {
                throw new IllegalArgumentException("a secured broker is a single node without relayed listeners");
            }
            if (quorumVoters != null && (port == 0 || controllerPort == 0 || clusterId == null)) {
                throw new IllegalArgumentException("a node of a static quorum needs fixed ports and a cluster id");
            }
            return new LocalKafkaBroker(this);
        }

        private static int checkPort(int port, String what) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException(what + " must be between 0 and 65535, not " + port);
            }
            return port;
        }
    }
}
