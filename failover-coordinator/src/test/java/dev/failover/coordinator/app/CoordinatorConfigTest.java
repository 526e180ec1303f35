package dev.failover.coordinator.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class CoordinatorConfigTest {

    private static ConfigException refused(String key, String value) {
        return assertThrows(
                ConfigException.class,
                () -> CoordinatorConfig.parse(
                        Map.of(CoordinatorConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9092", key, value)));
    }

    @Test
    void settingsTheSafetyArgumentReliesOnCannotBeOverriddenAndTheMessageSaysWhy() {
        ConfigException guarantee = refused("kafka.processing.guarantee", "at_least_once");
        assertTrue(
                guarantee.getMessage().startsWith("kafka.processing.guarantee is refused")
                        && guarantee.getMessage().contains("exactly-once"),
                guarantee.getMessage());
        ConfigException partitioner = refused("kafka.producer.partitioner.class", "x.Y");
        assertTrue(partitioner.getMessage().contains("partitioner.class"), partitioner.getMessage());
        refused("kafka.main.consumer.isolation.level", "read_uncommitted");
        refused("kafka.consumer.isolation.level", "read_uncommitted");
        refused("kafka.application.id", "other");
        refused("kafka.producer.transactional.id", "mine");
    }

    @Test
    void otherKafkaSettingsStillPassThrough() {
        CoordinatorConfig config = CoordinatorConfig.parse(Map.of(
                CoordinatorConfig.BOOTSTRAP_SERVERS_CONFIG,
                "127.0.0.1:9092",
                "kafka.security.protocol",
                "SSL",
                "kafka.max.poll.records",
                "2000"));
        assertEquals("SSL", config.kafkaSettings().get("security.protocol"));
    }
}
