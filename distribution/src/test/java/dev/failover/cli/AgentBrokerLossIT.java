package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.broker.LocalKafkaBroker;
import dev.failover.coordinator.app.CoordinatorApp;
import dev.failover.testkit.Await;
import dev.failover.testkit.WithKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The broker killed under an ACTIVE agent: it stands itself down within its lease, nobody telling it to. */
@WithKafka
class AgentBrokerLossIT {

    @Test
    void anActiveAgentThatLosesTheBrokerStandsDownWithinItsLease(LocalKafkaBroker broker) throws Exception {
        Path dir = Files.createTempDirectory("agent-loss-");
        try (CoordinatorApp coordinator = BesideACoordinator.startCoordinator(broker, dir);
                AgentProcess alpha = AgentProcess.launch(broker.bootstrapServers(), "solo", "alpha", 1, dir)) {
            Await.until(Duration.ofSeconds(30), "alpha ACTIVE", () -> alpha.roleStatus() == 200);
            long killedAt = System.nanoTime();
            broker.kill();
            Await.until(
                    Duration.ofSeconds(5),
                    "alpha's stand-down hook",
                    () -> alpha.edges().size() >= 3);
            long standDownMs = (System.nanoTime() - killedAt) / 1_000_000;
            assertTrue(
                    alpha.edges().get(2).startsWith("STANDBY "), alpha.edges().toString());
            assertEquals(503, alpha.roleStatus());
            System.out.printf(
                    "broker SIGKILLed under the ACTIVE agent: its stand-down hook ran %d ms later "
                            + "(lease 800 ms from the last acknowledged heartbeat's send)%n",
                    standDownMs);
            assertTrue(
                    standDownMs < Await.scaled(Duration.ofMillis(800 + 500)).toMillis(),
                    "stood down " + standDownMs
                            + " ms after the kill (lease 800 ms + 500 ms for the tick and the hook)");
            broker.start(); // let the coordinator and the agent close cleanly
        }
    }
}
