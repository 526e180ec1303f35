package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.broker.FreePorts;
import dev.failover.broker.LocalKafkaBroker;
import dev.failover.coordinator.app.CoordinatorApp;
import dev.failover.testkit.Await;
import dev.failover.testkit.Brokers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A broker that is not reachable yet is not an error: the agent says so, stays STANDBY, and connects later. */
class AgentBeforeBrokerIT {

    @Test
    void anAgentStartedBeforeItsBrokerWaitsAsStandbyAndServesOnceItCanConnect() throws Exception {
        int port = FreePorts.pick();
        Path dir = Files.createTempDirectory("agent-first-");
        try (AgentProcess alpha = AgentProcess.launch("127.0.0.1:" + port, "early", "alpha", 1, dir)) {
            Await.until(
                    Duration.ofSeconds(20),
                    "the agent to say it cannot reach Kafka yet",
                    () -> alpha.output().stream()
                            .anyMatch(l ->
                                    l.contains("cannot follow role changes yet") || l.contains("may be unreachable")));
            assertEquals(503, alpha.roleStatus());
            assertTrue(alpha.process.isAlive(), "a broker that is not there yet is not a reason to exit");
            assertEquals(List.of(), alpha.edges());

            try (LocalKafkaBroker broker = Brokers.builder()
                    .dataDir(dir.resolve("broker"))
                    .port(port)
                    .property("auto.create.topics.enable", "false")
                    .build()) {
                broker.start();
                try (CoordinatorApp coordinator = BesideACoordinator.startCoordinator(broker, dir)) {
                    Await.until(
                            Duration.ofSeconds(60),
                            "alpha ACTIVE once Kafka is there",
                            () -> alpha.roleStatus() == 200);
                    assertTrue(
                            alpha.edges().get(0).startsWith("STANDBY ")
                                    && alpha.edges().get(1).startsWith("ACTIVE "),
                            "the start-up stand-down, then the activation: " + alpha.edges());
                }
            }
        }
    }
}
