package dev.failover.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.broker.LocalKafkaCluster;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Three real KRaft nodes: topics get three replicas and two must be in sync; a write with {@code acks=all} succeeds
 * while any one node is down, whether it was stopped (controlled shutdown) or killed; a restarted node catches up and
 * rejoins every in-sync set.
 */
class LocalKafkaClusterIT {

    @Test
    void threeNodesKeepTakingWritesWhileAnyOneIsStoppedOrKilledAndRejoinAfterARestart() throws Exception {
        try (LocalKafkaCluster cluster = LocalKafkaCluster.temporary(3)) {
            cluster.start();
            assertEquals(3, cluster.bootstrapServers().split(",").length, cluster.bootstrapServers());
            try (Admin a = Admin.create(
                            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()));
                    KafkaProducer<String, String> producer = new KafkaProducer<>(
                            Map.of(
                                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                    cluster.bootstrapServers(),
                                    ProducerConfig.ACKS_CONFIG,
                                    "all",
                                    ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                                    60_000),
                            new StringSerializer(),
                            new StringSerializer())) {
                assertEquals(
                        3, a.describeCluster().nodes().get(10, TimeUnit.SECONDS).size());
                a.createTopics(List.of(
                                new NewTopic("replicated", java.util.Optional.of(3), java.util.Optional.empty())))
                        .all()
                        .get(30, TimeUnit.SECONDS);
                TopicDescription d = a.describeTopics(List.of("replicated"))
                        .allTopicNames()
                        .get(10, TimeUnit.SECONDS)
                        .get("replicated");
                assertTrue(d.partitions().stream().allMatch(p -> p.replicas().size() == 3), "three replicas: " + d);
                producer.send(new ProducerRecord<>("replicated", "k", "all up")).get(30, TimeUnit.SECONDS);

                cluster.node(2).stop(); // controlled shutdown: its leaderships move first
                producer.send(new ProducerRecord<>("replicated", "k", "node 2 stopped"))
                        .get(30, TimeUnit.SECONDS);
                Await.until(Duration.ofSeconds(30), "node 2 out of every in-sync set", () -> inSyncOf(a, 2) == 0);
                cluster.node(2).start();
                cluster.awaitFullyReplicated(Await.scaled(Duration.ofSeconds(60)));
                assertEquals(List.of(), cluster.underReplicated());

                cluster.node(1).kill(); // a crash: it stays in the in-sync sets until its session runs out
                producer.send(new ProducerRecord<>("replicated", "k", "node 1 killed"))
                        .get(60, TimeUnit.SECONDS);
                cluster.node(1).start();
                cluster.awaitFullyReplicated(Await.scaled(Duration.ofSeconds(90)));
                assertEquals(3, inSyncOf(a, 1), "node 1 back in the in-sync set of every partition");
            }
            assertTrue(cluster.isRunning());
        }
    }

    /** In how many partitions of the test topic node {@code id} is in sync. */
    private static int inSyncOf(Admin admin, int id) {
        try {
            return (int) admin
                    .describeTopics(List.of("replicated"))
                    .allTopicNames()
                    .get(10, TimeUnit.SECONDS)
                    .get("replicated")
                    .partitions()
                    .stream()
                    .filter(p -> p.isr().stream().map(Node::id).anyMatch(n -> n == id))
                    .count();
        } catch (Exception e) {
            throw new IllegalStateException("cannot describe the test topic", e);
        }
    }
}
