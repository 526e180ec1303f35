package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.broker.KafkaBroker;
import dev.failover.coordinator.app.CoordinatorApp;
import dev.failover.testkit.Await;
import dev.failover.testkit.WithKafka;
import dev.failover.wire.RoleChange;
import dev.failover.wire.Topics;
import dev.failover.wire.WireSerdes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Agents as real processes beside a coordinator and a real broker: hooks, /role, SIGSTOP, SIGTERM. */
@WithKafka
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentProcessIT extends BesideACoordinator {

    AgentProcessIT(KafkaBroker broker) throws Exception {
        super(broker, "agent-it-");
    }

    @Test
    void activatesOnARoleChangeAndRunsItsHookWithTheGroupsEnvironment() throws Exception {
        try (AgentProcess alpha = AgentProcess.launch(broker.bootstrapServers(), "g1", "alpha", 100, dir);
                AgentProcess beta = AgentProcess.launch(broker.bootstrapServers(), "g1", "beta", 50, dir)) {
            Await.until(Duration.ofSeconds(30), "alpha ACTIVE on /role", () -> alpha.roleStatus() == 200);
            assertTrue(
                    alpha.edges().get(0).matches("STANDBY \\d+ g1 alpha"),
                    "first the start-up stand-down: " + alpha.edges());
            String edge = alpha.edges().get(1);
            assertTrue(edge.matches("ACTIVE \\d+ g1 alpha"), alpha.edges().toString());
            assertEquals(503, beta.roleStatus());
            Await.until(
                    Duration.ofSeconds(10),
                    "beta's start-up stand-down",
                    () -> !beta.edges().isEmpty());
            assertEquals(
                    1,
                    beta.edges().size(),
                    "a standby that never served runs only its start-up stand-down: " + beta.edges());
            assertTrue(
                    beta.edges().get(0).matches("STANDBY \\d+ g1 beta"),
                    beta.edges().toString());
            String body = alpha.roleBody();
            assertTrue(
                    body.contains("\"group\":\"g1\"")
                            && body.contains("\"node\":\"alpha\"")
                            && body.contains("\"role\":\"ACTIVE\"")
                            && body.contains("\"leaseRemainingMs\":")
                            && body.contains("\"reported\":\"ACTIVE\"")
                            && body.contains("\"standDownBudgetMs\":200"),
                    body);
            String metrics = java.net.http.HttpClient.newHttpClient()
                    .send(
                            java.net.http.HttpRequest.newBuilder(
                                            java.net.URI.create("http://" + alpha.http + "/metrics"))
                                    .build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString())
                    .body();
            for (String series : List.of(
                    "failover_agent_active 1.0",
                    "failover_agent_epoch ",
                    "failover_agent_lease_remaining_seconds ",
                    "failover_agent_heartbeats_sent_total ",
                    "failover_agent_heartbeats_acknowledged_total ",
                    "failover_agent_heartbeats_failed_total 0.0",
                    "failover_agent_hook_seconds_count{outcome=\"ok\",role=\"ACTIVE\"} 1",
                    "failover_agent_stale_epochs_ignored_total ",
                    "failover_agent_healthy ",
                    "failover_agent_stopping 0.0",
                    "failover_agent_stand_down_budget_seconds 0.2")) {
                assertTrue(metrics.contains(series), series + " missing from /metrics:\n" + metrics);
            }
            Await.hold(Duration.ofSeconds(5), "steady state: no edges, and time for the RSS figure");
            System.out.printf(
                    "agent RSS after 5 s at 200 ms heartbeats, -Xmx64m -XX:+UseSerialGC: alpha %d KB, "
                            + "beta %d KB%n",
                    alpha.rssKb(), beta.rssKb());
            assertEquals(2, alpha.edges().size(), "steady state takes no edges: " + alpha.edges());
        }
    }

    @Test
    void aPauseLongerThanTheLeaseEndsWithTheStandDownHookBeforeAnythingElse() throws Exception {
        try (AgentProcess alpha = AgentProcess.launch(broker.bootstrapServers(), "g2", "alpha", 100, dir);
                AgentProcess beta = AgentProcess.launch(broker.bootstrapServers(), "g2", "beta", 50, dir)) {
            Await.until(Duration.ofSeconds(30), "alpha ACTIVE", () -> alpha.roleStatus() == 200);
            alpha.signal("STOP");
            long stoppedAt = System.nanoTime();
            Await.until(
                    Duration.ofSeconds(10), "beta to take over while alpha is stopped", () -> beta.roleStatus() == 200);
            long takeoverMs = (System.nanoTime() - stoppedAt) / 1_000_000;
            alpha.signal("CONT");
            Await.until(
                    Duration.ofSeconds(10),
                    "alpha's stand-down hook",
                    () -> alpha.edges().size() >= 3);
            assertTrue(
                    alpha.edges().get(2).startsWith("STANDBY "), alpha.edges().toString());
            assertEquals(503, alpha.roleStatus());
            Await.hold(Duration.ofSeconds(2), "nothing may follow the stand-down");
            assertEquals(3, alpha.edges().size(), "nothing after the stand-down: " + alpha.edges());
            assertEquals(200, beta.roleStatus());
            System.out.printf(
                    "SIGSTOP of the primary agent: beta's /role answered 200 %d ms after the stop%n", takeoverMs);
        }
    }

    @Test
    void sigtermStandsDownSendsLeavingAndTheStandbyTakesOverWithoutWaitingForTheTimeout() throws Exception {
        try (AgentProcess alpha = AgentProcess.launch(broker.bootstrapServers(), "g3", "alpha", 100, dir);
                AgentProcess beta = AgentProcess.launch(broker.bootstrapServers(), "g3", "beta", 50, dir)) {
            Await.until(Duration.ofSeconds(30), "alpha ACTIVE", () -> alpha.roleStatus() == 200);
            // beta's /role answers 503 before its first heartbeat: wait until the coordinator knows it as a member
            Await.until(
                    Duration.ofSeconds(30),
                    "beta to be a member of g3",
                    () -> groupView("g3").contains("\"beta\""));
            Await.hold(
                    Duration.ofMillis(3 * 200), "rise (2) more heartbeats at the 200 ms interval, so beta is eligible");
            long termAt = System.nanoTime();
            alpha.signal("TERM");
            Await.until(Duration.ofSeconds(10), "beta ACTIVE", () -> beta.roleStatus() == 200);
            long handoverMs = (System.nanoTime() - termAt) / 1_000_000;
            Await.until(Duration.ofSeconds(10), "alpha to exit", () -> !alpha.process.isAlive());
            // 143 is the JVM's status after SIGTERM once its shutdown hooks ran (systemd: SuccessExitStatus=143)
            assertTrue(List.of(0, 143).contains(alpha.process.exitValue()), String.join("\n", alpha.output()));
            assertTrue(
                    alpha.edges().get(alpha.edges().size() - 1).startsWith("STANDBY "),
                    alpha.edges().toString());
            List<String> reasons = reasons("g3");
            assertTrue(
                    reasons.stream().anyMatch(r -> r.contains("alpha is leaving")),
                    "decisions: " + reasons + "\nalpha's output:\n" + String.join("\n", alpha.output()));
            System.out.printf(
                    "SIGTERM of the primary agent: beta's /role answered 200 %d ms later (timeout 1000 ms)%n",
                    handoverMs);
        }
    }

    /**
     * A membership change re-issues the assignment at a new epoch without an edge. If it lands while the activate hook
     * still runs, the hook's success must still count: the activation is the current one (found by the
     * active/active fault test, where /role stayed 503 for good).
     */
    @Test
    void anActivationWhoseEpochMovesOnWhileItsHookRunsStillServes() throws Exception {
        Path ledger = dir.resolve("slow.ledger");
        String slowHook =
                "sh -c 'if [ $FAILOVER_ROLE = ACTIVE ]; then sleep 15; fi; echo $FAILOVER_ROLE $FAILOVER_EPOCH >> "
                        + ledger + "'";
        try (AgentProcess a = AgentProcess.start(
                broker.bootstrapServers(),
                "aa",
                "a",
                0,
                slowHook,
                List.of("--mode", "active-active", "--hook-timeout", "60s"),
                ledger)) {
            Await.until(
                    Duration.ofSeconds(30),
                    "a assigned ACTIVE",
                    () -> groupView("aa").matches("(?s).*\"node\": \"a\"[^}]*\"assigned\": \"ACTIVE\".*"));
            assertEquals(
                    List.of("0"),
                    a.edges(),
                    "the slow hook is still running (only the start-up stand-down " + "is done): " + a.edges());
            try (AgentProcess b = AgentProcess.start(
                    broker.bootstrapServers(), "aa", "b", 0, "true", List.of("--mode", "active-active"), null)) {
                Await.until(
                        Duration.ofSeconds(30),
                        "the epoch to move on: b assigned",
                        () -> groupView("aa").matches("(?s).*\"node\": \"b\"[^}]*\"assigned\": \"ACTIVE\".*"));
                assertEquals(List.of("0"), a.edges(), "b joined while a's hook ran: " + a.edges());
                Await.until(Duration.ofSeconds(30), "a's /role 200 once its hook is done", () -> a.roleStatus() == 200);
            }
        }
    }

    private String groupView(String group) {
        return groupView(coordinator, group);
    }

    /** The coordinator's {@code /groups/GROUP} answer, or empty. */
    static String groupView(CoordinatorApp coordinator, String group) {
        try {
            return java.net.http.HttpClient.newHttpClient()
                    .send(
                            java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://"
                                            + coordinator.httpAddress().orElseThrow() + "/groups/" + group))
                                    .build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (java.io.IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private List<String> reasons(String group) {
        return reasons(broker.bootstrapServers(), group);
    }

    /** The kinds and reasons of the group's decisions, read until one mentions leaving or 10 s passed. */
    static List<String> reasons(String bootstrap, String group) {
        try (var consumer = new KafkaConsumer<>(
                Map.<String, Object>of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.GROUP_ID_CONFIG,
                        "reasons-" + UUID.randomUUID(),
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest",
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed"),
                new StringDeserializer(),
                WireSerdes.roleChange())) {
            consumer.subscribe(List.of(Topics.ROLE_CHANGES));
            List<String> reasons = new ArrayList<>();
            long deadline =
                    System.nanoTime() + Await.scaled(Duration.ofSeconds(10)).toNanos();
            while (System.nanoTime() < deadline && reasons.stream().noneMatch(x -> x.contains("leaving"))) {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    RoleChange c = r.value();
                    if (group.equals(r.key())) {
                        reasons.add(c.getKind() + ": " + c.getReason());
                    }
                }
            }
            return reasons;
        }
    }
}
