package dev.failover.coordinator.app;

import dev.failover.wire.TopicNames;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the coordinator's topics when they are missing, with explicit partitions, replication and configs, and
 * refuses to start on existing topics that would break it: heartbeats and commands must have the same partition
 * count (a group's records of both kinds must meet in one task), and the state topic must be compacted.
 */
final class TopicProvisioner {

    private static final Logger log = LoggerFactory.getLogger(TopicProvisioner.class);

    private final Admin admin;
    private final CoordinatorConfig config;

    TopicProvisioner(Admin admin, CoordinatorConfig config) {
        this.admin = admin;
        this.config = config;
    }

    /** @return how many partitions the heartbeat and command topics have (verified equal) */
    int provision() throws InterruptedException {
        var names = config.topics();
        short replication = replicationFactor();
        int partitions;
        Set<String> existing;
        try {
            existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            partitions = partitionCount(names, existing);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(
                    "cannot list the topics on " + config.bootstrapServers() + ": "
                            + (e.getCause() == null ? e : e.getCause()).toString(),
                    e);
        }
        Map<String, NewTopic> wanted = new HashMap<>();
        wanted.put(
                names.heartbeats(),
                new NewTopic(names.heartbeats(), partitions, replication)
                        .configs(Map.of(
                                TopicConfig.RETENTION_MS_CONFIG,
                                Long.toString(config.getLong(CoordinatorConfig.HEARTBEAT_RETENTION_MS_CONFIG)),
                                TopicConfig.CLEANUP_POLICY_CONFIG,
                                TopicConfig.CLEANUP_POLICY_DELETE)));
        wanted.put(names.commands(), new NewTopic(names.commands(), partitions, replication));
        wanted.put(names.roleChanges(), new NewTopic(names.roleChanges(), partitions, replication));
        wanted.put(
                names.state(),
                new NewTopic(names.state(), partitions, replication)
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
        wanted.put(names.deadLetters(), new NewTopic(names.deadLetters(), 1, replication));
        try {
            List<NewTopic> missing = new ArrayList<>();
            wanted.forEach((name, topic) -> {
                if (!existing.contains(name)) {
                    missing.add(topic);
                }
            });
            for (NewTopic topic : missing) {
                try {
                    admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
                    log.info(
                            "created topic {} ({} partitions, replication {}, {})",
                            topic.name(),
                            topic.numPartitions(),
                            topic.replicationFactor(),
                            topic.configs() == null ? "defaults" : topic.configs());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e; // another instance may have created it a moment ago: that is fine
                    }
                }
            }
            return verifyOnceVisible(names);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(
                    "cannot set up the coordinator's topics on " + config.bootstrapServers() + ": "
                            + (e.getCause() == null ? e : e.getCause()).toString(),
                    e);
        }
    }

    /**
     * How many partitions to give the heartbeat and command topics that are missing: {@code topic.partitions} when
     * set, or when neither exists; otherwise the count of the one that exists, so that a topic someone else created
     * first (an older agent on a broker that auto-creates topics, or an operator) decides it and the two still match.
     */
    private int partitionCount(TopicNames names, Set<String> existing)
            throws InterruptedException, ExecutionException, TimeoutException {
        int configured = config.getInt(CoordinatorConfig.TOPIC_PARTITIONS_CONFIG);
        boolean explicit = config.originals().containsKey(CoordinatorConfig.TOPIC_PARTITIONS_CONFIG);
        List<String> present = new ArrayList<>();
        for (String name : List.of(names.heartbeats(), names.commands())) {
            if (existing.contains(name)) {
                present.add(name);
            }
        }
        if (explicit || present.isEmpty()) {
            return configured;
        }
        int found = admin.describeTopics(List.of(present.get(0)))
                .allTopicNames()
                .get(30, TimeUnit.SECONDS)
                .get(present.get(0))
                .partitions()
                .size();
        if (found != configured) {
            log.info(
                    "topic {} already exists with {} partitions; creating the coordinator's other topics with {} too "
                            + "(topic.partitions is not set; it would be {})",
                    present.get(0),
                    found,
                    found,
                    configured);
        }
        return found;
    }

    private short replicationFactor() throws InterruptedException {
        short configured = config.getShort(CoordinatorConfig.TOPIC_REPLICATION_FACTOR_CONFIG);
        if (configured > 0) {
            return configured;
        }
        try {
            int brokers =
                    admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size();
            return (short) Math.max(1, Math.min(3, brokers));
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(
                    "cannot reach Kafka at " + config.bootstrapServers() + ": "
                            + (e.getCause() == null ? e : e.getCause()),
                    e);
        }
    }

    /** Topics just created become visible to describe calls a moment after the controller accepted them. */
    private int verifyOnceVisible(TopicNames names) throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                return verify(names);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private int verify(TopicNames names) throws InterruptedException, ExecutionException, TimeoutException {
        Map<String, TopicDescription> described = admin.describeTopics(
                        List.of(names.heartbeats(), names.commands(), names.state()))
                .allTopicNames()
                .get(30, TimeUnit.SECONDS);
        int heartbeatPartitions = described.get(names.heartbeats()).partitions().size();
        int commandPartitions = described.get(names.commands()).partitions().size();
        if (heartbeatPartitions != commandPartitions) {
            String fewer = heartbeatPartitions < commandPartitions ? names.heartbeats() : names.commands();
            String more = fewer.equals(names.heartbeats()) ? names.commands() : names.heartbeats();
            int most = Math.max(heartbeatPartitions, commandPartitions);
            throw new IllegalStateException("topic " + names.heartbeats() + " has " + heartbeatPartitions
                    + " partitions but " + names.commands() + " has " + commandPartitions
                    + ": they must match so that a group's heartbeats and commands meet in one task. Either give "
                    + fewer + " as many: kafka-topics.sh --bootstrap-server " + config.bootstrapServers()
                    + " --alter --topic " + fewer + " --partitions " + most + " (a group's decisions then move to "
                    + "another task; do it with no coordinator running), or, if they hold nothing worth keeping, "
                    + "delete both (kafka-topics.sh --bootstrap-server " + config.bootstrapServers() + " --delete "
                    + "--topic " + fewer + " and --topic " + more + ") and start the coordinator, which creates them");
        }
        ConfigResource state = new ConfigResource(ConfigResource.Type.TOPIC, names.state());
        Config stateConfig = admin.describeConfigs(List.of(state))
                .all()
                .get(30, TimeUnit.SECONDS)
                .get(state);
        String policy = stateConfig.get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
        if (!policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
            throw new IllegalStateException("topic " + names.state() + " has cleanup.policy=" + policy
                    + ": it must be compacted so that it keeps each group's latest state: kafka-configs.sh "
                    + "--bootstrap-server " + config.bootstrapServers() + " --alter --entity-type topics --entity-name "
                    + names.state() + " --add-config cleanup.policy=compact");
        }
        return heartbeatPartitions;
    }
}
