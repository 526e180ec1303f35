package dev.failover.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.broker.FreePorts;
import dev.failover.broker.LocalKafkaBroker;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The broker process itself: it serves stock clients, and survives stops, kills and restarts with its data. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalKafkaBrokerIT {

    private LocalKafkaBroker broker;

    @BeforeAll
    void startBroker() {
        broker = LocalKafkaBroker.temporary();
        broker.start();
        System.out.printf(
                "broker for %s at %s, pid %d%n",
                getClass().getSimpleName(),
                broker.bootstrapServers(),
                broker.pid().orElseThrow());
    }

    @AfterAll
    void closeBroker() {
        broker.close();
        assertFalse(broker.isRunning());
    }

    @Test
    void choosesOtherPortsWhenAChosenPortIsTakenBeforeTheBrokerBindsIt() throws Exception {
        // The race FreePorts narrows but cannot close: another program binds a port between its choice and the
        // broker's bind. Here the first port handed out is already taken; the broker must start on others.
        try (ServerSocket taken = new ServerSocket(FreePorts.pick(), 1, InetAddress.getLoopbackAddress());
                LocalKafkaBroker second = Brokers.builder()
                        .dataDir(Files.createTempDirectory("failover-kafka-taken-"))
                        .deleteDataOnClose(true)
                        .portSource(new IntSupplier() {
                            boolean first = true;

                            @Override
                            public int getAsInt() {
                                if (first) {
                                    first = false;
                                    return taken.getLocalPort();
                                }
                                return FreePorts.pick();
                            }
                        })
                        .build()) {
            second.start();
            String bootstrap = second.bootstrapServers();
            assertFalse(bootstrap.endsWith(":" + taken.getLocalPort()), bootstrap);
            String topic = "after-a-taken-port";
            KafkaClients.produce(bootstrap, topic, List.of(Map.entry("k", "v")));
            assertEquals(List.of(Map.entry("k", "v")), KafkaClients.consumeAll(bootstrap, topic, 1));
            assertTrue(
                    Files.readString(second.logFile()).contains("Address already in use"),
                    "the first attempt did not meet the taken port");
        }
    }

    @Test
    void servesStockClients() {
        String topic = "served-" + System.nanoTime();
        KafkaClients.produce(broker.bootstrapServers(), topic, List.of(Map.entry("k", "hello")));
        assertEquals(List.of(Map.entry("k", "hello")), KafkaClients.consumeAll(broker.bootstrapServers(), topic, 1));
    }

    @Test
    void keepsItsDataAcrossAGracefulRestartOnTheSamePort() {
        String topic = "graceful-" + System.nanoTime();
        String before = broker.bootstrapServers();
        KafkaClients.produce(broker.bootstrapServers(), topic, List.of(Map.entry("a", "1"), Map.entry("b", "2")));

        broker.stop();
        assertFalse(broker.isRunning());
        broker.start();

        assertEquals(before, broker.bootstrapServers());
        assertEquals(
                List.of(Map.entry("a", "1"), Map.entry("b", "2")),
                KafkaClients.consumeAll(broker.bootstrapServers(), topic, 2));
    }

    @Test
    void aKilledBrokerIsSeenDownAndComesBackWithItsData() throws Exception {
        String topic = "killed-" + System.nanoTime();
        KafkaClients.produce(broker.bootstrapServers(), topic, List.of(Map.entry("x", "before kill")));
        long oldPid = broker.pid().orElseThrow();

        broker.kill();

        assertFalse(broker.isRunning());
        assertFalse(
                ProcessHandle.of(oldPid).map(ProcessHandle::isAlive).orElse(false), "pid " + oldPid + " still alive");
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                500,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                1000))) {
            assertThrows(
                    ExecutionException.class,
                    () -> admin.describeCluster(new DescribeClusterOptions().timeoutMs(1000))
                            .nodes()
                            .get(5, TimeUnit.SECONDS));
        }

        broker.start();

        assertTrue(broker.pid().orElseThrow() != oldPid);
        assertEquals(
                List.of(Map.entry("x", "before kill")), KafkaClients.consumeAll(broker.bootstrapServers(), topic, 1));
        // and it accepts new topics after the unclean restart
        try (Admin admin =
                Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("after-kill-" + System.nanoTime(), 1, (short) 1)))
                    .all()
                    .get(Await.scaled(Duration.ofSeconds(30)).toMillis(), TimeUnit.MILLISECONDS);
        }
    }
}
