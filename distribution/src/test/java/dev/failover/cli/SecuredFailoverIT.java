package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.testkit.Await;
import dev.failover.testkit.BrokerSecurity;
import dev.failover.testkit.Directories;
import dev.failover.testkit.LocalKafkaBroker;
import dev.failover.wire.Topics;
import dev.failover.wire.sign.SigningKeys;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The whole system on a secured broker (issue 14): SASL_SSL with SCRAM, ACLs enforced and nothing allowed without
 * one, the ACLs {@code failover acls --apply} generates and no more, signed decisions and signed commands. Two
 * coordinators, two agents and {@code ctl}, each as its principal with its own client file: a switchover and a
 * failover go through; the agent's credential cannot write a role change or a command, and a command without the
 * operator's key is refused.
 */
class SecuredFailoverIT {

    private static final String GROUP = "secured";

    @Test
    void failsOverAndSwitchesOverWithTheGeneratedAclsAndAnAgentCannotWriteDecisions() throws Exception {
        Path dir = Files.createTempDirectory("secured-");
        Path keys = dir.resolve("keys");
        SigningKeys.generate(keys, "coordinator");
        SigningKeys.generate(keys, "operator");
        try (LocalKafkaBroker broker = LocalKafkaBroker.builder().dataDir(dir.resolve("broker"))
                .secure(dir.resolve("security"), "coordinator", "agent", "operator").build()) {
            broker.start();
            BrokerSecurity security = broker.security().orElseThrow();
            String bootstrap = broker.bootstrapServers();

            CtlIT.Run acls = cli("acls", "--coordinator-principal", "User:coordinator", "--agent-principal", "User:agent",
                    "--operator-principal", "User:operator", "--apply", "--bootstrap-servers", bootstrap,
                    "--kafka-config", security.clientConfig(BrokerSecurity.ADMIN).toString());
            assertEquals(0, acls.exit(), acls.both());

            List<String> coordinatorArgs = List.of("--kafka-config", security.clientConfig("coordinator").toString(),
                    "--signing-key", keys.resolve("coordinator.key").toString(),
                    "--trust-operator-key", keys.resolve("operator.pub").toString());
            List<String> agentArgs = List.of("--kafka-config", security.clientConfig("agent").toString(),
                    "--trust-key", keys.resolve("coordinator.pub").toString());
            try (CoordinatorProcess first = CoordinatorProcess.launch("coordinator-1", bootstrap, dir.resolve("c1"),
                    List.of(), coordinatorArgs);
                 CoordinatorProcess second = CoordinatorProcess.launch("coordinator-2", bootstrap, dir.resolve("c2"),
                         List.of(), coordinatorArgs);
                 AgentProcess alpha = AgentProcess.launch(bootstrap, GROUP, "alpha", 100, dir, agentArgs);
                 AgentProcess beta = AgentProcess.launch(bootstrap, GROUP, "beta", 50, dir, agentArgs)) {
                Await.until(Duration.ofSeconds(90), "alpha elected on the secured broker",
                        () -> alpha.roleStatus() == 200 && beta.roleStatus() == 503);
                Await.until(Duration.ofSeconds(60), "both coordinators healthy with least privilege",
                        () -> first.healthy() && second.healthy());

                // The agent's credential may write heartbeats, not decisions: the broker refuses, nothing is written.
                long before = endOffset(broker, Topics.ROLE_CHANGES);
                ExecutionException refused = assertThrows(ExecutionException.class,
                        () -> send(security.clientProperties("agent"), bootstrap, Topics.ROLE_CHANGES));
                assertInstanceOf(TopicAuthorizationException.class, refused.getCause(), refused.toString());
                send(security.clientProperties("agent"), bootstrap, Topics.COMMANDS, true); // nor pause every group
                assertEquals(before, endOffset(broker, Topics.ROLE_CHANGES), "nothing written");

                String operator = security.clientConfig("operator").toString();
                CtlIT.Run status = CtlIT.run(bootstrap, "status", "--group", GROUP, "--kafka-config", operator,
                        "--trust-key", keys.resolve("coordinator.pub").toString());
                assertEquals(0, status.exit(), status.both());
                assertTrue(status.out().contains("alpha"), status.both());

                // A command with the operator's credential but without the operator's key is refused, with the reason.
                CtlIT.Run unsigned = CtlIT.run(bootstrap, "pause", "--group", GROUP, "--timeout", "30s",
                        "--kafka-config", operator);
                assertEquals(3, unsigned.exit(), unsigned.both());
                assertTrue(unsigned.err().contains("unsigned command"), unsigned.both());

                CtlIT.Run switchover = CtlIT.run(bootstrap, "switchover", "--group", GROUP, "--to", "beta",
                        "--timeout", "30s", "--kafka-config", operator, "--signing-key",
                        keys.resolve("operator.key").toString());
                assertEquals(0, switchover.exit(), switchover.both());
                Await.until(Duration.ofSeconds(30), "beta serves after the switchover",
                        () -> beta.roleStatus() == 200 && alpha.roleStatus() == 503);

                int alphaEdges = alpha.edges().size();
                beta.process.destroyForcibly(); // SIGKILL: the primary's agent dies for real
                Await.until(Duration.ofSeconds(30), "alpha serves again after beta died",
                        () -> alpha.roleStatus() == 200);
                assertTrue(alpha.edges().size() > alphaEdges && alpha.edges().get(alpha.edges().size() - 1)
                        .startsWith("ACTIVE"), "alpha's activation hook ran: " + alpha.edges());
                assertTrue(first.healthy() && second.healthy(), "the coordinators stay healthy");
                // The generated ACLs are all they need: no client of theirs was refused anything.
                List<String> refusals = new ArrayList<>();
                for (var process : List.of(first.process, second.process, alpha.java, beta.java)) {
                    process.output().stream().filter(l -> l.toLowerCase(java.util.Locale.ROOT).contains("authoriz"))
                            .forEach(refusals::add);
                }
                assertEquals(List.of(), refusals, "refusals in the coordinators' and agents' logs");
            }
        } finally {
            Directories.deleteRecursively(dir);
        }
    }

    private static CtlIT.Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cli = FailoverCli.newCommandLine(args, Map.of());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new CtlIT.Run(exit, out.toString(), err.toString());
    }

    private static long endOffset(LocalKafkaBroker broker, String topic) throws Exception {
        try (Admin admin = Admin.create(broker.adminProperties())) {
            int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic)
                    .partitions().size();
            Map<TopicPartition, OffsetSpec> ask = new java.util.HashMap<>();
            for (int p = 0; p < partitions; p++) {
                ask.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            long sum = 0;
            for (var info : admin.listOffsets(ask).all().get(30, TimeUnit.SECONDS).values()) {
                sum += info.offset();
            }
            return sum;
        }
    }

    private static void send(Properties client, String bootstrap, String topic) throws Exception {
        send(client, bootstrap, topic, false);
    }

    /** Writes one record as the client's principal; with {@code expectRefusal} a refusal is the expected outcome. */
    private static void send(Properties client, String bootstrap, String topic, boolean expectRefusal) throws Exception {
        Properties props = new Properties();
        props.putAll(client);
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        try (var producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, GROUP, new byte[] {0})).get(15, TimeUnit.SECONDS);
            if (expectRefusal) {
                throw new AssertionError("the broker let the agent's principal write to " + topic);
            }
        } catch (ExecutionException e) {
            if (!expectRefusal) {
                throw e;
            }
            assertInstanceOf(TopicAuthorizationException.class, e.getCause(), e.toString());
        }
    }
}
