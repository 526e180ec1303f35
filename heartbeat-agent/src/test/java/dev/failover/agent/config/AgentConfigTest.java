package dev.failover.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.wire.GroupMode;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class AgentConfigTest {

    private static final Map<String, String> IDENTITY =
            Map.of("bootstrap.servers", "k1:9092,k2:9092", "group", "orders", "node", "alpha");

    private static Map<String, String> with(String... keysAndValues) {
        Map<String, String> settings = new java.util.HashMap<>(IDENTITY);
        for (int i = 0; i < keysAndValues.length; i += 2) {
            settings.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return settings;
    }

    @Test
    void theDefaultsAreTheCommandLinesAndTheLeaseIsDerived() {
        AgentSettings s = AgentConfig.parse(IDENTITY).settings();
        assertEquals("k1:9092,k2:9092", s.bootstrapServers());
        assertEquals(GroupMode.ACTIVE_PASSIVE, s.mode());
        assertEquals(Duration.ofMillis(200), s.heartbeatInterval());
        assertEquals(Duration.ofSeconds(2), s.failureTimeout());
        assertEquals(1_600, s.leaseMs());
        assertEquals(8091, s.httpPort());
        assertNull(s.check());
        assertNull(s.onActivate());
        assertNull(s.failsafe());
        assertEquals("failover.heartbeats", s.heartbeatTopic());
    }

    @Test
    void everyKeyReachesTheSettings() {
        AgentSettings s = AgentConfig.parse(with(
                        "mode",
                        "active-active",
                        "priority",
                        "7",
                        "heartbeat.interval.ms",
                        "100",
                        "failure.timeout.ms",
                        "1000",
                        "check",
                        "tcp:db:5432",
                        "check.timeout.ms",
                        "300",
                        "rise",
                        "3",
                        "fall",
                        "4",
                        "on.activate",
                        "start-db",
                        "on.standby",
                        "stop-db",
                        "hook.timeout.ms",
                        "5000",
                        "on.fence",
                        "kill-db",
                        "fence.peer",
                        "power-off",
                        "http.host",
                        "0.0.0.0",
                        "http.port",
                        "-1",
                        "topic.heartbeats",
                        "prod.beats",
                        "topic.role-changes",
                        "prod.roles",
                        "topic.state",
                        "prod.state",
                        "kafka.security.protocol",
                        "SSL"))
                .settings();
        assertEquals(Duration.ofMillis(100), s.heartbeatInterval());
        assertEquals(Duration.ofSeconds(1), s.failureTimeout());
        assertEquals("kill-db", s.onFence());
        assertEquals("power-off", s.fencePeer());
        assertEquals("0.0.0.0", s.httpHost());
        assertEquals(GroupMode.ACTIVE_ACTIVE, s.mode());
        assertEquals(7, s.priority());
        assertEquals(800, s.leaseMs());
        assertEquals("tcp:db:5432", s.check());
        assertEquals(Duration.ofMillis(300), s.checkTimeout());
        assertEquals(3, s.rise());
        assertEquals(4, s.fall());
        assertEquals("start-db", s.onActivate());
        assertEquals("stop-db", s.onStandby());
        assertEquals(Duration.ofSeconds(5), s.hookTimeout());
        assertEquals(-1, s.httpPort());
        assertEquals("prod.beats", s.heartbeatTopic());
        assertEquals("prod.roles", s.roleChangeTopic());
        assertEquals("prod.state", s.stateTopic());
        assertEquals("SSL", s.kafka().get("security.protocol"));
    }

    @Test
    void failsafeKeysReachTheSettingsAndTheModeIgnoresCase(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path token = java.nio.file.Files.writeString(dir.resolve("token"), "0123456789abcdef0123\n");
        AgentSettings s = AgentConfig.parse(with(
                        "mode",
                        "Active-Passive",
                        "failsafe",
                        "true",
                        "failsafe.max.ms",
                        "20000",
                        "failsafe.peers",
                        "beta=http://10.0.0.2:8091,gamma=http://10.0.0.3:8091",
                        "failsafe.token.file",
                        token.toString()))
                .settings();
        assertEquals(GroupMode.ACTIVE_PASSIVE, s.mode());
        assertEquals(Duration.ofSeconds(20), s.failsafe().max());
        assertEquals(java.util.Set.of("beta", "gamma"), s.failsafe().peers().keySet());
        assertEquals("0123456789abcdef0123", s.failsafe().token());
        assertTrue(s.trustKeys().isEmpty());
        assertNull(s.heartbeatKey());
    }

    @Test
    void eachKeyHasItsVariable() {
        assertEquals(
                Map.of("failure.timeout.ms", "1500", "topic.role-changes", "x"),
                AgentConfig.fromEnvironment(Map.of(
                        "FAILOVER_FAILURE_TIMEOUT_MS", "1500", "FAILOVER_TOPIC_ROLE_CHANGES", "x", "HOME", "/root")));
    }

    @Test
    void badSettingsNameTheirKey() {
        assertTrue(assertThrows(ConfigException.class, () -> AgentConfig.parse(with("failure.timeout", "1")))
                .getMessage()
                .contains("unknown setting 'failure.timeout'"));
        assertTrue(assertThrows(ConfigException.class, () -> AgentConfig.parse(with("heartbeat.interval.ms", "5")))
                .getMessage()
                .contains("heartbeat.interval.ms"));
        assertTrue(assertThrows(ConfigException.class, () -> AgentConfig.parse(Map.of("group", "g", "node", "n")))
                .getMessage()
                .contains("bootstrap.servers"));
        assertTrue(assertThrows(
                        ConfigException.class,
                        () -> AgentConfig.parse(with("failure.timeout.ms", "450"))
                                .settings())
                .getMessage()
                .contains("failure.timeout.ms (450)"));
        assertTrue(assertThrows(ConfigException.class, () -> AgentConfig.parse(with("kafka.acks", "0")))
                .getMessage()
                .startsWith("kafka.acks is refused"));
        assertTrue(assertThrows(
                        ConfigException.class,
                        () -> AgentConfig.parse(with("failsafe.peers", "b=http://h:1"))
                                .settings())
                .getMessage()
                .contains("need failsafe=true"));
    }
}
