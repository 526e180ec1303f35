package dev.failover.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.failover.broker.KafkaBroker;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The same check on Testcontainers' apache/kafka image; skipped (not failed) where no Docker engine runs. */
@WithKafka(provider = "container")
class ContainerKafkaBrokerIT {

    @Test
    void servesStockClients(KafkaBroker broker) {
        KafkaClients.produce(broker.bootstrapServers(), "container-check", List.of(Map.entry("k", "v")));
        assertEquals(
                List.of(Map.entry("k", "v")), KafkaClients.consumeAll(broker.bootstrapServers(), "container-check", 1));
    }
}
