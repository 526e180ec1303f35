package dev.failover.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kafka cluster of N real KRaft nodes, each its own JVM ({@link LocalKafkaBroker}, broker and controller combined),
 * with a static controller quorum of all of them, replication factor {@code min(3, N)} for every topic and
 * {@code min.insync.replicas = min(2, N)}: what Kafka shops run. Each node can be stopped (SIGTERM: controlled
 * shutdown, its leaderships move first), killed (SIGKILL) and restarted on its own; the cluster as a whole is a
 * {@link KafkaBroker}. Kafka's stock broker session (9 s) and heartbeat (2 s) are kept, unlike the single test broker.
 */
public final class LocalKafkaCluster implements KafkaBroker {

    private static final Logger log = LoggerFactory.getLogger(LocalKafkaCluster.class);

    private final List<LocalKafkaBroker> nodes;
    private final String bootstrapServers;
    private final Path dir;
    private final boolean deleteDataOnClose;

    private LocalKafkaCluster(
            Path dir, int size, int basePort, Map<String, String> properties, boolean deleteDataOnClose) {
        if (size < 1) {
            throw new IllegalArgumentException("a cluster needs at least one node, not " + size);
        }
        this.dir = dir.toAbsolutePath();
        this.deleteDataOnClose = deleteDataOnClose;
        int[] ports = new int[size];
        int[] controllerPorts = new int[size];
        List<String> voters = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            ports[i] = basePort == 0 ? FreePorts.pick() : basePort + 2 * i;
            controllerPorts[i] = basePort == 0 ? FreePorts.pick() : basePort + 2 * i + 1;
            voters.add((i + 1) + "@127.0.0.1:" + controllerPorts[i]);
        }
        String quorum = String.join(",", voters);
        String clusterId = Uuid.randomUuid().toString();
        int replication = Math.min(3, size);
        int minInSync = Math.min(2, size);
        List<LocalKafkaBroker> built = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            LocalKafkaBroker.Builder b = LocalKafkaBroker.builder()
                    .dataDir(this.dir.resolve("node-" + (i + 1)))
                    .port(ports[i])
                    .controllerPort(controllerPorts[i])
                    .clusterNode(i + 1, quorum, clusterId)
                    .startTimeout(Duration.ofSeconds(120));
            Map<String, String> props = new LinkedHashMap<>();
            props.put("default.replication.factor", Integer.toString(replication));
            props.put("min.insync.replicas", Integer.toString(minInSync));
            props.put("offsets.topic.replication.factor", Integer.toString(replication));
            props.put("transaction.state.log.replication.factor", Integer.toString(replication));
            props.put("transaction.state.log.min.isr", Integer.toString(minInSync));
            props.put("share.coordinator.state.topic.replication.factor", Integer.toString(replication));
            props.put("share.coordinator.state.topic.min.isr", Integer.toString(minInSync));
            props.put("broker.session.timeout.ms", "9000"); // Kafka's defaults: a cluster as users run it
            props.put("broker.heartbeat.interval.ms", "2000");
            props.putAll(properties);
            props.forEach(b::property);
            built.add(b.build());
        }
        this.nodes = List.copyOf(built);
        this.bootstrapServers =
                java.util.Arrays.stream(ports).mapToObj(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    }

    /**
     * A cluster of {@code size} nodes in {@code dir}, with {@code properties} over the defaults on every node. Node i
     * (from 1) listens on {@code basePort + 2(i-1)} for clients and the next port for its controller; a base port of 0
     * takes free ports (then the data cannot be started again: the voters' ports are in it).
     */
    public static LocalKafkaCluster of(Path dir, int size, int basePort, Map<String, String> properties) {
        return new LocalKafkaCluster(dir, size, basePort, properties, false);
    }

    /** A cluster of {@code size} nodes in a fresh temporary directory that is deleted on {@link #close()}. */
    public static LocalKafkaCluster temporary(int size) {
        try {
            return new LocalKafkaCluster(Files.createTempDirectory("failover-cluster-"), size, 0, Map.of(), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory for the cluster", e);
        }
    }

    /** Every node's client address, comma-separated. */
    @Override
    public String bootstrapServers() {
        return bootstrapServers;
    }

    public int size() {
        return nodes.size();
    }

    /** Node {@code id} (1 to N), to stop, kill or restart on its own. */
    public LocalKafkaBroker node(int id) {
        return nodes.get(id - 1);
    }

    /**
     * Starts every node that is not running, all at once (a node of a static quorum only comes up once a majority
     * of the controllers runs), and returns once each answers.
     */
    @Override
    public void start() {
        List<LocalKafkaBroker> stopped =
                nodes.stream().filter(n -> !n.isRunning()).toList();
        ExecutorService starters = Executors.newFixedThreadPool(Math.max(1, stopped.size()));
        try {
            List<Future<?>> started = new ArrayList<>();
            for (LocalKafkaBroker node : stopped) {
                started.add(starters.submit(node::start));
            }
            for (Future<?> f : started) {
                f.get();
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the cluster", e);
        } finally {
            starters.shutdownNow();
        }
        log.info("Kafka cluster of {} nodes up at {}", nodes.size(), bootstrapServers);
    }

    /** Stops every node (controlled shutdown), one after another. */
    @Override
    public void stop() {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            nodes.get(i).stop();
        }
    }

    /** Kills every node at once (SIGKILL). */
    @Override
    public void kill() {
        nodes.forEach(LocalKafkaBroker::kill);
    }

    /** True while any node runs. */
    @Override
    public boolean isRunning() {
        return nodes.stream().anyMatch(LocalKafkaBroker::isRunning);
    }

    /** The first running node's process id. */
    @Override
    public OptionalLong pid() {
        return nodes.stream()
                .filter(LocalKafkaBroker::isRunning)
                .map(LocalKafkaBroker::pid)
                .findFirst()
                .orElse(OptionalLong.empty());
    }

    /**
     * Waits until every partition of every topic (internal ones included) has all its replicas in sync: after a
     * node's restart, what an operator waits for before restarting the next one.
     */
    public void awaitFullyReplicated(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() - deadline < 0) {
            try {
                if (underReplicated().isEmpty()) {
                    return;
                }
                last = null;
            } catch (RuntimeException e) {
                last = e; // a node is still on its way back
            }
            Pause.millis(200);
        }
        throw new IllegalStateException(
                "partitions still under-replicated after " + timeout.toMillis() + " ms"
                        + (last == null ? ": " + underReplicated() : ": " + last),
                last);
    }

    /** The partitions (as {@code topic-partition}) whose in-sync replicas are fewer than their replicas. */
    public List<String> underReplicated() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        try (Admin admin = Admin.create(props)) {
            var names = admin.listTopics(new ListTopicsOptions().listInternal(true))
                    .names()
                    .get(5, TimeUnit.SECONDS);
            Map<String, TopicDescription> described =
                    admin.describeTopics(names).allTopicNames().get(5, TimeUnit.SECONDS);
            List<String> under = new ArrayList<>();
            described.forEach((name, d) -> {
                for (TopicPartitionInfo p : d.partitions()) {
                    if (p.isr().size() < p.replicas().size()
                            || p.leader() == null
                            || p.leader().isEmpty()) {
                        under.add(name + "-" + p.partition() + " (isr "
                                + p.isr().stream().map(Node::id).toList() + " of "
                                + p.replicas().stream().map(Node::id).toList() + ")");
                    }
                }
            });
            return under;
        } catch (ExecutionException | TimeoutException e) {
            return List.of("(cannot describe the topics: " + e + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Stops every node, one at a time with SIGTERM (a controlled shutdown) while a majority of the voters still runs,
     * and with SIGKILL once none would remain: a node without a quorum cannot shut down in a controlled way and would
     * only wait out its 30 s before being killed anyway.
     */
    @Override
    public void close() {
        long running = nodes.stream().filter(LocalKafkaBroker::isRunning).count();
        for (LocalKafkaBroker node : nodes) {
            if (node.isRunning()) {
                if (2 * running <= nodes.size()) {
                    node.kill();
                }
                running--;
            }
            node.close();
        }
        if (deleteDataOnClose) {
            Directories.deleteRecursively(dir);
        }
    }
}
