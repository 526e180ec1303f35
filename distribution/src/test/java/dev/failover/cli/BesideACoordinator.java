package dev.failover.cli;

import dev.failover.broker.KafkaBroker;
import dev.failover.coordinator.app.CoordinatorApp;
import dev.failover.coordinator.app.CoordinatorConfig;
import dev.failover.testkit.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The fixture of the integration tests whose agents run beside one coordinator: a real broker (the subclass carries
 * {@code @WithKafka} and a per-class lifecycle), a temporary directory, and a coordinator in this JVM for the class.
 */
abstract class BesideACoordinator {

    final KafkaBroker broker;
    final Path dir;
    CoordinatorApp coordinator;

    BesideACoordinator(KafkaBroker broker, String dirPrefix) throws IOException {
        this.broker = broker;
        this.dir = Files.createTempDirectory(dirPrefix);
    }

    @BeforeAll
    void startCoordinator() throws Exception {
        coordinator = startCoordinator(broker, dir);
    }

    @AfterAll
    void stopCoordinator() {
        coordinator.close();
    }

    /** A coordinator on {@code broker} with 2 partitions and its HTTP endpoint on a free port, once it runs. */
    static CoordinatorApp startCoordinator(KafkaBroker broker, Path dir) throws Exception {
        CoordinatorApp app = new CoordinatorApp(CoordinatorConfig.parse(Map.of(
                CoordinatorConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.bootstrapServers(),
                CoordinatorConfig.STATE_DIR_CONFIG,
                dir.resolve("coordinator").toString(),
                CoordinatorConfig.HTTP_PORT_CONFIG,
                "0",
                CoordinatorConfig.TOPIC_PARTITIONS_CONFIG,
                "2")));
        app.start();
        Await.until(Duration.ofSeconds(60), "the coordinator to run", () -> app.state() == KafkaStreams.State.RUNNING);
        return app;
    }
}
