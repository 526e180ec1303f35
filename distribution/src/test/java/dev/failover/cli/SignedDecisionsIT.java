package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.broker.LocalKafkaBroker;
import dev.failover.testkit.Await;
import dev.failover.testkit.Brokers;
import dev.failover.wire.MemberView;
import dev.failover.wire.Role;
import dev.failover.wire.RoleChange;
import dev.failover.wire.Topics;
import dev.failover.wire.WireSerdes;
import dev.failover.wire.sign.RecordSigner;
import dev.failover.wire.sign.SigningKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Signed decisions (issue 14) with real processes on a real broker: a coordinator with {@code --signing-key}, agents
 * with {@code --trust-key}. Anyone who can write the role-change topic writes a decision that stands the primary down
 * and promotes the standby: unsigned, signed by another key, and signed by another key under the coordinator's key id;
 * and replays the coordinator's own signed election.
 * The agents that trust the coordinator's key act on none of them; the same forgery makes an agent without
 * {@code --trust-key} stand its service down (what the issue found), so the check is what stops it.
 */
class SignedDecisionsIT {

    @Test
    void agentsGivenTheCoordinatorsKeyActOnNothingElseWhileAnAgentWithoutOneObeysAForgery() throws Exception {
        Path dir = Files.createTempDirectory("signed-");
        Path keys = dir.resolve("keys");
        SigningKeys.generate(keys, "coordinator");
        SigningKeys.generate(keys, "rogue");
        List<String> trust =
                List.of("--trust-key", keys.resolve("coordinator.pub").toString());
        try (LocalKafkaBroker broker =
                Brokers.builder().dataDir(dir.resolve("broker")).build()) {
            broker.start();
            String bootstrap = broker.bootstrapServers();
            try (CoordinatorProcess coordinator = CoordinatorProcess.launch(
                            "coordinator",
                            bootstrap,
                            dir.resolve("c"),
                            List.of("signing.key=" + keys.resolve("coordinator.key")));
                    AgentProcess alpha = AgentProcess.launch(bootstrap, "signed", "alpha", 100, dir, trust);
                    AgentProcess beta = AgentProcess.launch(bootstrap, "signed", "beta", 50, dir, trust);
                    AgentProcess open = AgentProcess.launch(bootstrap, "open", "delta", 100, dir, List.of())) {
                Await.until(
                        Duration.ofSeconds(90),
                        "alpha and delta elected on signed decisions",
                        () -> alpha.roleStatus() == 200 && open.roleStatus() == 200);
                Await.hold(Duration.ofSeconds(1), "settled");
                int alphaEdges = alpha.edges().size();
                int betaEdges = beta.edges().size();
                int openEdges = open.edges().size();
                assertTrue(
                        alpha.output().stream()
                                .anyMatch(l ->
                                        l.contains("acting only on role changes and state " + "records signed by")),
                        "alpha says whose signatures it trusts");
                assertTrue(
                        open.output().stream().anyMatch(l -> l.contains("no --trust-key")),
                        "delta says it trusts anyone");

                RecordSigner rogue = new RecordSigner(
                        SigningKeys.loadPrivate(keys.resolve("rogue.key")),
                        SigningKeys.loadPublic(keys.resolve("rogue.pub")));
                byte[] coordinatorKeyId = SigningKeys.id(SigningKeys.loadPublic(keys.resolve("coordinator.pub")));
                try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                        Map.of("bootstrap.servers", bootstrap), new StringSerializer(), new ByteArraySerializer())) {
                    byte[] forged = forgery(bootstrap, "signed", "alpha", "beta");
                    List<Headers> ways = new ArrayList<>();
                    ways.add(new RecordHeaders()); // unsigned
                    ways.add(rogue.sign(RecordSigner.ROLE_CHANGE, "signed", forged, new RecordHeaders()));
                    Headers underTheCoordinatorsId =
                            rogue.sign(RecordSigner.ROLE_CHANGE, "signed", forged, new RecordHeaders());
                    underTheCoordinatorsId.remove(RecordSigner.KEY_ID_HEADER);
                    underTheCoordinatorsId.add(RecordSigner.KEY_ID_HEADER, coordinatorKeyId);
                    ways.add(underTheCoordinatorsId);
                    for (Headers headers : ways) {
                        producer.send(new ProducerRecord<>(Topics.ROLE_CHANGES, null, "signed", forged, headers))
                                .get();
                    }
                    producer.send(new ProducerRecord<>(
                                    Topics.ROLE_CHANGES, "open", forgery(bootstrap, "open", "delta", null)))
                            .get();
                    // and a replay: the coordinator's own signed election of alpha, written again
                    ConsumerRecord<String, byte[]> election = firstRecord(bootstrap, "signed");
                    producer.send(new ProducerRecord<>(
                                    Topics.ROLE_CHANGES, null, "signed", election.value(), election.headers()))
                            .get();
                }
                Await.until(
                        Duration.ofSeconds(10),
                        "the agent without --trust-key obeys the forgery",
                        () -> open.edges().size() > openEdges);
                assertTrue(open.edges().get(openEdges).startsWith("STANDBY"), "delta stood down: " + open.edges());
                Await.hold(Duration.ofSeconds(2), "the others have read the forgeries");
                assertEquals(200, alpha.roleStatus(), "alpha still serves");
                assertEquals(503, beta.roleStatus(), "beta was not promoted");
                assertEquals(alphaEdges, alpha.edges().size(), "no hook ran on alpha: " + alpha.edges());
                assertEquals(betaEdges, beta.edges().size(), "no hook ran on beta: " + beta.edges());
                // ctl shows the forgeries only to whom does not ask for signatures
                CtlIT.Run shown = CtlIT.run(bootstrap, "history", "--group", "signed");
                assertTrue(
                        shown.out().contains("1000000"), "without --trust-key the forgery is listed: " + shown.both());
                CtlIT.Run checked = CtlIT.run(
                        bootstrap,
                        "history",
                        "--group",
                        "signed",
                        "--trust-key",
                        keys.resolve("coordinator.pub").toString());
                assertEquals(0, checked.exit(), checked.err());
                assertTrue(
                        !checked.out().contains("1000000") && checked.out().contains("elected alpha"),
                        "with it only the coordinator's decisions: " + checked.out());
                assertTrue(
                        checked.err().contains("left out a RoleChange record of signed")
                                && checked.err().contains(": unsigned (")
                                && checked.err().contains(": unknown-key (")
                                && checked.err().contains(": invalid ("),
                        checked.err());
                for (AgentProcess agent : List.of(alpha, beta)) {
                    String metrics = agent.metrics();
                    assertTrue(
                            unverified(metrics, "unsigned") >= 1
                                    && unverified(metrics, "unknown-key") >= 1
                                    && unverified(metrics, "invalid") >= 1,
                            "every forgery counted: "
                                    + metrics.lines()
                                            .filter(l -> l.contains("unverified"))
                                            .toList());
                }
            }
        }
    }

    /**
     * The newest genuine decision for {@code group}, turned against it: at an epoch far ahead, {@code primary} made
     * STANDBY and {@code promoted} (if any) ACTIVE. Re-encoded, so whatever signature the original had no longer fits.
     */
    private static byte[] forgery(String bootstrap, String group, String primary, String promoted) {
        RoleChange genuine = null;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                Map.of(
                        "bootstrap.servers",
                        bootstrap,
                        "group.id",
                        "forger-" + group,
                        "auto.offset.reset",
                        "earliest",
                        "isolation.level",
                        "read_committed"),
                new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.ROLE_CHANGES));
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (genuine == null && System.nanoTime() < until) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (group.equals(r.key())) {
                        genuine = WireSerdes.roleChange().deserialize(r.topic(), r.value());
                    }
                }
            }
        }
        if (genuine == null) {
            throw new AssertionError("no decision for " + group + " to forge from");
        }
        List<MemberView> members = new ArrayList<>();
        for (MemberView m : genuine.getMembers()) {
            Role role = m.getNode().equals(primary)
                    ? Role.STANDBY
                    : m.getNode().equals(promoted) ? Role.ACTIVE : m.getRole();
            members.add(MemberView.newBuilder(m).setRole(role).build());
        }
        RoleChange forged = RoleChange.newBuilder(genuine)
                .setEpoch(1_000_000)
                .setMembers(members)
                .setReason("forged")
                .build();
        return WireSerdes.roleChange().serialize(Topics.ROLE_CHANGES, forged);
    }

    /** The first record of {@code group} on the role-change topic, headers and all. */
    private static ConsumerRecord<String, byte[]> firstRecord(String bootstrap, String group) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                Map.of(
                        "bootstrap.servers",
                        bootstrap,
                        "group.id",
                        "replayer-" + group,
                        "auto.offset.reset",
                        "earliest",
                        "isolation.level",
                        "read_committed"),
                new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.ROLE_CHANGES));
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (System.nanoTime() < until) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (group.equals(r.key())) {
                        return r;
                    }
                }
            }
        }
        throw new AssertionError("no decision for " + group);
    }

    private static double unverified(String metrics, String reason) {
        Matcher m = Pattern.compile("(?m)^failover_agent_records_unverified_total\\{[^}]*reason=\"" + reason
                        + "\"[^}]*\\} ([0-9.eE+-]+)$")
                .matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
