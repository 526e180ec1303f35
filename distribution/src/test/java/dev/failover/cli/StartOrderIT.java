package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.broker.LocalKafkaBroker;
import dev.failover.coordinator.app.CoordinatorApp;
import dev.failover.coordinator.app.CoordinatorConfig;
import dev.failover.testkit.Await;
import dev.failover.testkit.Brokers;
import dev.failover.wire.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

/**
 * Start in any order, on a broker that auto-creates topics (Kafka's default): an agent started before any coordinator
 * creates no topic and waits, saying so; a coordinator finding a heartbeat topic someone else created gives its other
 * topics the same partition count; one finding topics that cannot work together refuses with the commands that fix
 * them.
 */
class StartOrderIT {

    @Test
    void agentsFirstCreateNothingAndTheCoordinatorAdaptsToTheTopicsItFindsOrSaysHowToFixThem() throws Exception {
        Path dir = Files.createTempDirectory("start-order-");
        // auto.create.topics.enable is left at Kafka's default (true); an auto-created topic would get 3 partitions
        try (LocalKafkaBroker broker = Brokers.builder()
                .dataDir(dir.resolve("broker"))
                .property("num.partitions", "3")
                .build()) {
            broker.start();
            try (Admin admin = Admin.create(
                            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
                    AgentProcess alpha = AgentProcess.launch(broker.bootstrapServers(), "early", "alpha", 1, dir)) {
                Await.until(
                        Duration.ofSeconds(30),
                        "the agent to say it waits for the coordinator's topics",
                        () -> alpha.output().stream()
                                .anyMatch(l -> l.contains("waiting for the coordinator to create")));
                Await.hold(Duration.ofSeconds(2), "the agent keeps retrying");
                assertEquals(Set.of(), projectTopics(admin), "an agent creates no topic, even where the broker would");
                assertEquals(503, alpha.roleStatus());
                assertTrue(alpha.process.isAlive(), "missing topics are not a reason to exit");

                // an older agent (or an operator) left a heartbeat topic with the broker's default partition count
                admin.createTopics(List.of(new NewTopic(Topics.HEARTBEATS, 3, (short) 1)))
                        .all()
                        .get();
                try (CoordinatorApp coordinator = coordinator(broker, dir)) {
                    coordinator.start();
                    Await.until(
                            Duration.ofSeconds(60),
                            "the coordinator to run",
                            () -> coordinator.state() == KafkaStreams.State.RUNNING);
                    assertEquals(3, partitions(admin, Topics.COMMANDS), "commands created to match the heartbeats");
                    Await.until(
                            Duration.ofSeconds(60),
                            "alpha ACTIVE once the coordinator runs",
                            () -> alpha.roleStatus() == 200);
                }

                // now the two cannot work together: the coordinator refuses, naming the commands that fix it
                admin.createPartitions(Map.of(Topics.COMMANDS, NewPartitions.increaseTo(4)))
                        .all()
                        .get();
                try (CoordinatorApp refused = coordinator(broker, dir)) {
                    IllegalStateException e = assertThrows(IllegalStateException.class, refused::start);
                    assertTrue(
                            e.getMessage()
                                    .contains("kafka-topics.sh --bootstrap-server " + broker.bootstrapServers()
                                            + " --alter --topic " + Topics.HEARTBEATS + " --partitions 4"),
                            e.getMessage());
                }
            }
        }
    }

    /** A coordinator with the default topic settings (no topic.partitions). */
    private static CoordinatorApp coordinator(LocalKafkaBroker broker, Path dir) {
        return new CoordinatorApp(CoordinatorConfig.parse(Map.of(
                CoordinatorConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                CoordinatorConfig.STATE_DIR_CONFIG, dir.resolve("coordinator").toString(),
                CoordinatorConfig.HTTP_PORT_CONFIG, "0")));
    }

    private static Set<String> projectTopics(Admin admin) throws Exception {
        Set<String> ours = new TreeSet<>();
        for (String name : admin.listTopics().names().get()) {
            if (name.startsWith("failover")) {
                ours.add(name);
            }
        }
        return ours;
    }

    private static int partitions(Admin admin, String topic) throws Exception {
        return admin.describeTopics(List.of(topic))
                .allTopicNames()
                .get()
                .get(topic)
                .partitions()
                .size();
    }
}
