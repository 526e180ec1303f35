package dev.failover.coordinator.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.broker.LocalKafkaBroker;
import dev.failover.testkit.Brokers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rebalance protocol chosen against a real broker: the Streams protocol with the session set on the group where
 * the broker allows it, classic beside running classic instances, and classic with the broker's minimum session where
 * the broker keeps Kafka's stock minimums for streams groups.
 */
class GroupProtocolChoiceIT {

    @Test
    void theStreamsProtocolWithTheSessionOnTheGroupUnlessClassicInstancesRun() throws Exception {
        try (LocalKafkaBroker broker = LocalKafkaBroker.temporary()) {
            broker.start();
            try (Admin admin = Admin.create(broker.adminProperties())) {
                GroupProtocolChoice choice = new GroupProtocolChoice(admin, "choice-app", 3000);
                try (KafkaConsumer<byte[], byte[]> classic = classicMember(broker, admin, "choice-app")) {
                    GroupProtocolChoice.Choice beside = choice.choose("auto", Optional.empty());
                    assertEquals("classic", beside.protocol(), "a running classic instance: " + beside.reason());
                    assertEquals(3000, beside.classicSessionMs(), "this broker allows 1 s sessions");
                }
                GroupProtocolChoice.Choice alone = choice.choose("auto", Optional.empty());
                assertEquals("streams", alone.protocol(), alone.reason());
                ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, "choice-app");
                Config read = admin.describeConfigs(List.of(group))
                        .all()
                        .get(30, TimeUnit.SECONDS)
                        .get(group);
                assertEquals("3000", read.get("streams.session.timeout.ms").value());
                assertEquals("500", read.get("streams.heartbeat.interval.ms").value());
                assertEquals("1", read.get("streams.num.standby.replicas").value());
                assertEquals("0", read.get("streams.initial.rebalance.delay.ms").value());
            }
        }
    }

    @Test
    void anInstanceThatCannotJoinItsGroupStopsAndSaysWhyInsteadOfReplacingThreadsForEver(@TempDir Path stateDir)
            throws Exception {
        try (LocalKafkaBroker broker = LocalKafkaBroker.temporary()) {
            broker.start();
            try (Admin admin = Admin.create(broker.adminProperties());
                    KafkaConsumer<byte[], byte[]> classic = classicMember(broker, admin, "mixed-app")) {
                Map<String, String> settings = new java.util.HashMap<>(Map.of(
                        CoordinatorConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                        CoordinatorConfig.APPLICATION_ID_CONFIG, "mixed-app",
                        CoordinatorConfig.STATE_DIR_CONFIG, stateDir.toString(),
                        CoordinatorConfig.HTTP_PORT_CONFIG, "-1",
                        CoordinatorConfig.GROUP_PROTOCOL_CONFIG, "streams"));
                try (CoordinatorApp app = new CoordinatorApp(CoordinatorConfig.parse(settings))) {
                    app.start();
                    assertEquals(Optional.of("streams"), app.groupProtocol(), "as asked");
                    String why = app.cannotJoin().get(60, TimeUnit.SECONDS);
                    assertTrue(why.contains("other rebalance protocol"), why);
                    dev.failover.testkit.Await.until(
                            Duration.ofSeconds(30),
                            "the stream threads to stop",
                            () -> !app.healthy() && app.state() != org.apache.kafka.streams.KafkaStreams.State.RUNNING);
                    assertEquals(why, app.status().get("cannotJoin"), "/health's details say why");
                }
            }
        }
    }

    @Test
    void aBrokerWithStockStreamsMinimumsGetsClassicAtItsMinimumSession() throws Exception {
        try (LocalKafkaBroker broker = Brokers.builder()
                .dataDir(java.nio.file.Files.createTempDirectory("failover-kafka-"))
                .deleteDataOnClose(true)
                .property("group.streams.min.session.timeout.ms", "45000")
                .property("group.streams.min.heartbeat.interval.ms", "5000")
                .property("group.min.session.timeout.ms", "7000")
                .build()) {
            broker.start();
            try (Admin admin = Admin.create(broker.adminProperties())) {
                GroupProtocolChoice.Choice c =
                        new GroupProtocolChoice(admin, "stock-app", 3000).choose("auto", Optional.empty());
                assertEquals("classic", c.protocol());
                assertTrue(c.reason().contains("refused the group configuration"), c.reason());
                assertEquals(7000, c.classicSessionMs(), "raised to the broker's group.min.session.timeout.ms");
                GroupProtocolChoice.Choice asked =
                        new GroupProtocolChoice(admin, "stock-app", 3000).choose("streams", Optional.empty());
                assertEquals("streams", asked.protocol(), "an explicit choice stays, with the broker's session");
            }
        }
    }

    /** A plain consumer in the classic protocol, joined to {@code groupId}. */
    private static KafkaConsumer<byte[], byte[]> classicMember(LocalKafkaBroker broker, Admin admin, String groupId)
            throws Exception {
        admin.createTopics(List.of(new NewTopic("choice-topic", 1, (short) 1)))
                .all()
                .get(30, TimeUnit.SECONDS);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        broker.bootstrapServers(),
                        ConsumerConfig.GROUP_ID_CONFIG,
                        groupId,
                        ConsumerConfig.GROUP_PROTOCOL_CONFIG,
                        "classic",
                        ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
                        6000),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        consumer.subscribe(List.of("choice-topic"));
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (consumer.assignment().isEmpty() && System.nanoTime() < end) {
            consumer.poll(Duration.ofMillis(100));
        }
        assertEquals(1, consumer.assignment().size(), "the classic member joined");
        return consumer;
    }
}
