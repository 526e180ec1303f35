package dev.failover.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.wire.GroupMode;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AgentSettingsTest {

    @Test
    void theBuilderGivesTheCommandLinesDefaultsAndDerivesTheLease() {
        AgentSettings s = AgentSettings.builder("127.0.0.1:9092", "orders", "alpha")
                .priority(7)
                .mode(GroupMode.ACTIVE_ACTIVE)
                .http("127.0.0.1", -1)
                .kafka("security.protocol", "SSL")
                .build();
        assertEquals(Duration.ofMillis(200), s.heartbeatInterval());
        assertEquals(Duration.ofSeconds(2), s.failureTimeout());
        assertEquals(1_600, s.leaseMs());
        assertEquals(7, s.priority());
        assertEquals("SSL", s.kafka().get("security.protocol"));
    }

    @Test
    void theLeaseLeavesTheCoordinatorsMarginAtTheSmallestTimeoutAndNotBelowIt() {
        AgentSettings.builder("b", "g", "n")
                .heartbeatInterval(Duration.ofMillis(100))
                .failureTimeout(Duration.ofMillis(500))
                .build();
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> AgentSettings.builder("b", "g", "n")
                        .heartbeatInterval(Duration.ofMillis(100))
                        .failureTimeout(Duration.ofMillis(450))
                        .build());
        assertTrue(e.getMessage().contains("failure.timeout.ms (450)"), e.getMessage());
    }

    @Test
    void aBadCheckIsNamed() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> AgentSettings.builder("b", "g", "n")
                        .check("tcp:localhost:http", Duration.ofSeconds(1))
                        .build());
        assertTrue(e.getMessage().startsWith("check: "), e.getMessage());
    }

    @Test
    void aHookThatCannotBeSplitIntoWordsIsNamedAtStartUp() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> AgentSettings.builder("b", "g", "n")
                        .fencePeer("sh -c 'ipmitool power off")
                        .build());
        assertTrue(e.getMessage().startsWith("fence.peer: unclosed"), e.getMessage());
        IllegalArgumentException empty = assertThrows(
                IllegalArgumentException.class,
                () -> AgentSettings.builder("b", "g", "n")
                        .hooks("  ", null, Duration.ofSeconds(5))
                        .build());
        assertTrue(empty.getMessage().startsWith("on.activate: the command is empty"), empty.getMessage());
    }

    @Test
    void aPassThroughSettingThatWouldWeakenTheLeaseOrTheFeedIsRefusedWithTheReason() {
        IllegalArgumentException acks = assertThrows(
                IllegalArgumentException.class,
                () -> AgentSettings.builder("b", "g", "n").kafka("acks", "0").build());
        assertTrue(
                acks.getMessage().startsWith("kafka.acks is refused")
                        && acks.getMessage().contains("lease"),
                acks.getMessage());
        IllegalArgumentException partitioner = assertThrows(
                IllegalArgumentException.class,
                () -> AgentSettings.builder("b", "g", "n")
                        .kafka("partitioner.class", "x.Y")
                        .build());
        assertTrue(partitioner.getMessage().contains("two coordinator tasks"), partitioner.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> AgentSettings.builder("b", "g", "n")
                        .kafka("isolation.level", "read_uncommitted")
                        .build());
    }

    @Test
    void groupAndNodeIdsFollowTheOneRuleTheCoordinatorAppliesToo() {
        IllegalArgumentException reserved = assertThrows(
                IllegalArgumentException.class,
                () -> AgentSettings.builder("b", "__fence", "n").build());
        assertTrue(reserved.getMessage().startsWith("group '__fence' may contain only"), reserved.getMessage());
        IllegalArgumentException spaced = assertThrows(
                IllegalArgumentException.class,
                () -> AgentSettings.builder("b", "g", "node one").build());
        assertTrue(spaced.getMessage().startsWith("node 'node one'"), spaced.getMessage());
        IllegalArgumentException tooLong = assertThrows(
                IllegalArgumentException.class,
                () -> AgentSettings.builder("b", "g", "n".repeat(129)).build());
        assertTrue(tooLong.getMessage().contains("129 characters long"), tooLong.getMessage());
        AgentSettings.builder("b", "orders-db.eu_1", "alpha-2").build();
    }

    private static FailsafeSettings failsafe(String token, String... peers) {
        java.util.Map<String, java.net.URI> map = new java.util.HashMap<>();
        for (String p : peers) {
            map.put(FailsafeSettings.peer(p).getKey(), FailsafeSettings.peer(p).getValue());
        }
        return new FailsafeSettings(Duration.ofSeconds(10), map, token);
    }

    @Test
    void failsafeDerivesItsTermsFromTheTimingAndRefusesWhatCannotWork() {
        AgentSettings s = AgentSettings.builder("b", "g", "alpha")
                .failsafe(failsafe("0123456789abcdef", "beta=http://10.0.0.2:8091"))
                .build();
        dev.failover.agent.core.FailsafeTerms terms = s.failsafeTerms();
        assertEquals(1_400_000_000L, terms.promiseNanos(), "lease 1.6 s - interval 0.2 s");
        assertEquals(400_000_000L, terms.budgetNanos(), "timeout 2 s - lease 1.6 s");
        assertTrue(
                terms.promiseNanos() + terms.budgetNanos() < s.failureTimeout().toNanos(),
                "a peer's hold ends before a dead primary could be convicted");
        assertEquals(null, AgentSettings.of("b", "g", "alpha").failsafeTerms(), "off unless given");

        IllegalArgumentException shortLease = assertThrows(
                IllegalArgumentException.class,
                () -> AgentSettings.builder("b", "g", "alpha")
                        .heartbeatInterval(Duration.ofMillis(400))
                        .failureTimeout(Duration.ofSeconds(1))
                        .failsafe(failsafe("0123456789abcdef"))
                        .build());
        assertTrue(shortLease.getMessage().contains("longer than two heartbeat intervals"), shortLease.getMessage());
        IllegalArgumentException activeActive = assertThrows(
                IllegalArgumentException.class,
                () -> AgentSettings.builder("b", "g", "alpha")
                        .mode(GroupMode.ACTIVE_ACTIVE)
                        .failsafe(failsafe("0123456789abcdef"))
                        .build());
        assertTrue(activeActive.getMessage().contains("active/passive"), activeActive.getMessage());
        IllegalArgumentException noHttp = assertThrows(
                IllegalArgumentException.class,
                () -> AgentSettings.builder("b", "g", "alpha")
                        .http("127.0.0.1", -1)
                        .failsafe(failsafe("0123456789abcdef"))
                        .build());
        assertTrue(noHttp.getMessage().contains("http.port"), noHttp.getMessage());
        IllegalArgumentException self = assertThrows(
                IllegalArgumentException.class,
                () -> AgentSettings.builder("b", "g", "alpha")
                        .failsafe(failsafe("0123456789abcdef", "alpha=http://h:1"))
                        .build());
        assertTrue(self.getMessage().contains("names this node itself"), self.getMessage());
        IllegalArgumentException weakToken = assertThrows(IllegalArgumentException.class, () -> failsafe("short"));
        assertTrue(weakToken.getMessage().contains("at least 16"), weakToken.getMessage());
        IllegalArgumentException notHttp =
                assertThrows(IllegalArgumentException.class, () -> failsafe("0123456789abcdef", "beta=ftp://h:1"));
        assertTrue(notHttp.getMessage().startsWith("failsafe.peers beta="), notHttp.getMessage());
        IllegalArgumentException tooShortMax = assertThrows(
                IllegalArgumentException.class,
                () -> AgentSettings.builder("b", "g", "alpha")
                        .failsafe(new FailsafeSettings(Duration.ofSeconds(1), java.util.Map.of(), "0123456789abcdef"))
                        .build());
        assertTrue(tooShortMax.getMessage().contains("at least one promise"), tooShortMax.getMessage());
        assertTrue(!failsafe("0123456789abcdef").toString().contains("0123456789abcdef"), "the token is not logged");
    }
}
