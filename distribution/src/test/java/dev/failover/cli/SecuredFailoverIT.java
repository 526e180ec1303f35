package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.broker.BrokerSecurity;
import dev.failover.broker.Directories;
import dev.failover.broker.LocalKafkaBroker;
import dev.failover.testkit.Await;
import dev.failover.testkit.Brokers;
import dev.failover.wire.FenceMarker;
import dev.failover.wire.GroupMode;
import dev.failover.wire.Health;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.Role;
import dev.failover.wire.Topics;
import dev.failover.wire.WireHeaders;
import dev.failover.wire.WireSerdes;
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
 * failover go through, with heartbeats authenticated by per-node keys; the agent's credential cannot write a role
 * change or a command, nor speak for a node without its key (dead-lettered) or lift a coordinator's self-guard with a
 * forged fence marker; a command without the operator's key is refused.
 */
class SecuredFailoverIT {

    private static final String GROUP = "secured";

    @Test
    void failsOverAndSwitchesOverWithTheGeneratedAclsAndAnAgentCannotWriteDecisions() throws Exception {
        Path dir = Files.createTempDirectory("secured-");
        Path keys = dir.resolve("keys");
        SigningKeys.generate(keys, "coordinator");
        SigningKeys.generate(keys, "operator");
        try (LocalKafkaBroker broker = Brokers.builder()
                .dataDir(dir.resolve("broker"))
                .secure(dir.resolve("security"), "coordinator", "agent", "operator")
                .build()) {
            broker.start();
            BrokerSecurity security = broker.security().orElseThrow();
            String bootstrap = broker.bootstrapServers();

            Path macs = dir.resolve("heartbeat-keys");
            for (String node : List.of("alpha", "beta")) {
                CtlIT.Run hmac = cli("keys", "hmac", "--dir", macs.toString(), "--group", GROUP, "--node", node);
                assertEquals(0, hmac.exit(), hmac.both());
            }

            CtlIT.Run acls = cli(
                    "acls",
                    "--coordinator-principal",
                    "User:coordinator",
                    "--agent-principal",
                    "User:agent",
                    "--operator-principal",
                    "User:operator",
                    "--apply",
                    "--bootstrap-servers",
                    bootstrap,
                    "--kafka-config",
                    security.clientConfig(BrokerSecurity.ADMIN).toString());
            assertEquals(0, acls.exit(), acls.both());

            Path token = dir.resolve("http.token");
            try (var out = dev.failover.broker.LocalPki.secretFile(token)) {
                out.write(TOKEN.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            List<String> coordinatorArgs = List.of(
                    "--kafka-config",
                    security.clientConfig("coordinator").toString(),
                    "--signing-key",
                    keys.resolve("coordinator.key").toString(),
                    "--trust-operator-key",
                    keys.resolve("operator.pub").toString(),
                    "--set",
                    "heartbeat.key.dir=" + macs,
                    "--set",
                    "http.tls.keystore.file=" + security.pki().brokerKeystore(),
                    "--set",
                    "http.tls.keystore.password.file=" + security.pki().passwordFile(),
                    "--set",
                    "http.token.file=" + token);
            https = httpsClient(security.pki().caPem());
            List<String> agentArgs = List.of(
                    "--kafka-config",
                    security.clientConfig("agent").toString(),
                    "--trust-key",
                    keys.resolve("coordinator.pub").toString());
            List<String> alphaArgs = new ArrayList<>(agentArgs);
            alphaArgs.addAll(List.of(
                    "--heartbeat-key", macs.resolve(GROUP).resolve("alpha.key").toString()));
            List<String> betaArgs = new ArrayList<>(agentArgs);
            betaArgs.addAll(List.of(
                    "--heartbeat-key", macs.resolve(GROUP).resolve("beta.key").toString()));
            try (CoordinatorProcess first = CoordinatorProcess.launch(
                            "coordinator-1", bootstrap, dir.resolve("c1"), List.of(), coordinatorArgs);
                    CoordinatorProcess second = CoordinatorProcess.launch(
                            "coordinator-2", bootstrap, dir.resolve("c2"), List.of(), coordinatorArgs);
                    AgentProcess alpha = AgentProcess.launch(bootstrap, GROUP, "alpha", 100, dir, alphaArgs);
                    AgentProcess beta = AgentProcess.launch(bootstrap, GROUP, "beta", 50, dir, betaArgs)) {
                Await.until(
                        Duration.ofSeconds(90),
                        "alpha elected on the secured broker",
                        () -> alpha.roleStatus() == 200 && beta.roleStatus() == 503);
                Await.until(
                        Duration.ofSeconds(60),
                        "both coordinators healthy with least privilege",
                        () -> get(first, "/health", false).statusCode() == 200
                                && get(second, "/health", false).statusCode() == 200);
                // Their HTTP is HTTPS with a token: without it, /health says only its status and the rest is 401;
                // with it, either instance answers for the group (one of them forwards, with the token, over TLS).
                assertEquals("{\"status\":\"UP\"}", get(first, "/health", false).body());
                assertTrue(
                        get(first, "/health", true).body().contains("\"instance\""),
                        get(first, "/health", true).body());
                assertEquals(401, get(first, "/metrics", false).statusCode());
                assertEquals(401, get(second, "/groups/" + GROUP, false).statusCode());
                // the status page itself holds no data and opens without the token; its data does not
                assertEquals(200, get(second, "/", false).statusCode());
                assertEquals(401, get(second, "/api/groups/" + GROUP, false).statusCode());
                assertEquals(401, get(second, "/api/groups", false).statusCode());
                for (CoordinatorProcess c : List.of(first, second)) {
                    var answer = get(c, "/groups/" + GROUP, true);
                    assertEquals(200, answer.statusCode(), answer.body());
                    assertTrue(answer.body().contains("alpha"), answer.body());
                    var live = get(c, "/api/groups/" + GROUP, true); // one of them forwards, with the token, over TLS
                    assertEquals(200, live.statusCode(), live.body());
                    assertTrue(
                            live.body().contains("\"live\":true") && live.body().contains("\"kind\": \"ELECTION\""),
                            "live, and the election read by the instance's own decision log over SASL: " + live.body());
                    var all = get(c, "/api/groups", true);
                    assertTrue(
                            all.body().contains("\"reading\":true")
                                    && all.body().contains("{\"group\": \"" + GROUP),
                            all.body());
                }
                assertThrows(
                        java.io.IOException.class,
                        () -> java.net.http.HttpClient.newHttpClient()
                                .send(
                                        java.net.http.HttpRequest.newBuilder(
                                                        java.net.URI.create("http://" + first.http + "/metrics"))
                                                .timeout(Duration.ofSeconds(3))
                                                .build(),
                                        java.net.http.HttpResponse.BodyHandlers.ofString()),
                        "no plain HTTP");

                // The agent's credential may write heartbeats, not decisions: the broker refuses, nothing is written.
                long before = endOffset(broker, Topics.ROLE_CHANGES);
                ExecutionException refused = assertThrows(
                        ExecutionException.class,
                        () -> send(security.clientProperties("agent"), bootstrap, Topics.ROLE_CHANGES));
                assertInstanceOf(TopicAuthorizationException.class, refused.getCause(), refused.toString());
                send(security.clientProperties("agent"), bootstrap, Topics.COMMANDS, true); // nor pause every group
                assertEquals(before, endOffset(broker, Topics.ROLE_CHANGES), "nothing written");

                // What the agent's credential can write, the heartbeat topic, it cannot use: a beat of alpha without
                // alpha's key is dead-lettered with the reason, and a fence marker under each coordinator's instance
                // id (shown on /health) with a send time far ahead does not lift the self-guard.
                try (var producer = new KafkaProducer<>(
                        producerProperties(security.clientProperties("agent"), bootstrap),
                        new StringSerializer(),
                        new ByteArraySerializer())) {
                    producer.send(new ProducerRecord<>(Topics.HEARTBEATS, GROUP, forgedBeat("alpha")))
                            .get();
                    int partitions = 6;
                    for (CoordinatorProcess c : List.of(first, second)) {
                        for (int p = 0; p < partitions; p++) {
                            producer.send(new ProducerRecord<>(
                                            Topics.HEARTBEATS, p, "__fence/" + p, forgedMarker(c.instanceId)))
                                    .get();
                        }
                    }
                }
                Await.until(
                        Duration.ofSeconds(30),
                        "the unauthenticated beat in the dead letters, with the reason",
                        () -> deadLetterReasons(security.clientProperties("operator"), bootstrap).stream()
                                .anyMatch(r -> r.contains(
                                        "heartbeat of alpha in " + GROUP + " refused: no authentication code")));
                Await.until(
                        Duration.ofSeconds(30),
                        "every forged fence marker refused by the task it names",
                        () -> counter(first, "failover_fence_markers_refused_total")
                                        + counter(second, "failover_fence_markers_refused_total")
                                >= 6);
                assertEquals(200, alpha.roleStatus(), "alpha still serves");

                String operator = security.clientConfig("operator").toString();
                CtlIT.Run status = CtlIT.run(
                        bootstrap,
                        "status",
                        "--group",
                        GROUP,
                        "--kafka-config",
                        operator,
                        "--trust-key",
                        keys.resolve("coordinator.pub").toString());
                assertEquals(0, status.exit(), status.both());
                assertTrue(status.out().contains("alpha"), status.both());

                // A command with the operator's credential but without the operator's key is refused, with the reason.
                CtlIT.Run unsigned =
                        CtlIT.run(bootstrap, "pause", "--group", GROUP, "--timeout", "30s", "--kafka-config", operator);
                assertEquals(3, unsigned.exit(), unsigned.both());
                assertTrue(unsigned.err().contains("unsigned command"), unsigned.both());

                CtlIT.Run switchover = CtlIT.run(
                        bootstrap,
                        "switchover",
                        "--group",
                        GROUP,
                        "--to",
                        "beta",
                        "--timeout",
                        "30s",
                        "--kafka-config",
                        operator,
                        "--signing-key",
                        keys.resolve("operator.key").toString());
                assertEquals(0, switchover.exit(), switchover.both());
                Await.until(
                        Duration.ofSeconds(30),
                        "beta serves after the switchover",
                        () -> beta.roleStatus() == 200 && alpha.roleStatus() == 503);

                int alphaEdges = alpha.edges().size();
                beta.process.destroyForcibly(); // SIGKILL: the primary's agent dies for real
                Await.until(
                        Duration.ofSeconds(30), "alpha serves again after beta died", () -> alpha.roleStatus() == 200);
                assertTrue(
                        alpha.edges().size() > alphaEdges
                                && alpha.edges().get(alpha.edges().size() - 1).startsWith("ACTIVE"),
                        "alpha's activation hook ran: " + alpha.edges());
                assertTrue(
                        get(first, "/health", false).statusCode() == 200
                                && get(second, "/health", false).statusCode() == 200,
                        "the coordinators stay healthy");
                // The generated ACLs are all they need: no client of theirs was refused anything.
                List<String> refusals = new ArrayList<>();
                for (var process : List.of(first.process, second.process, alpha.java, beta.java)) {
                    process.output().stream()
                            .filter(l -> l.toLowerCase(java.util.Locale.ROOT).contains("authoriz"))
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

    private static Properties producerProperties(Properties client, String bootstrap) {
        Properties props = new Properties();
        props.putAll(client);
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        return props;
    }

    /** A well-formed beat of {@code node} that says all is well, written without the node's key. */
    private static byte[] forgedBeat(String node) {
        return WireSerdes.heartbeat()
                .serialize(
                        Topics.HEARTBEATS,
                        Heartbeat.newBuilder()
                                .setGroup(GROUP)
                                .setNode(node)
                                .setSequence(Long.MAX_VALUE / 2)
                                .setIncarnation(System.currentTimeMillis() + 86_400_000L)
                                .setSentAtMs(System.currentTimeMillis())
                                .setHealth(Health.HEALTHY)
                                .setRole(Role.ACTIVE)
                                .setEpoch(1_000_000)
                                .setMode(GroupMode.ACTIVE_PASSIVE)
                                .setPriority(1_000)
                                .setHeartbeatIntervalMs(200)
                                .setLeaseMs(800)
                                .setFailureTimeoutMs(1000)
                                .build());
    }

    /** A fence marker as the coordinator writes them, naming {@code instanceId}, sent in the past: only the seal refuses it. */
    private static byte[] forgedMarker(String instanceId) {
        return WireSerdes.fence().serialize(Topics.HEARTBEATS, FenceMarker.body(instanceId, 0, 0, 1));
    }

    /** The reasons of every dead letter, read as the operator. */
    private static List<String> deadLetterReasons(Properties operator, String bootstrap) {
        Properties props = new Properties();
        props.putAll(operator);
        props.put("bootstrap.servers", bootstrap);
        props.put("isolation.level", "read_committed");
        List<String> reasons = new ArrayList<>();
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(
                props,
                new org.apache.kafka.common.serialization.StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.DEAD_LETTERS).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < until) {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    var h = r.headers().lastHeader(WireHeaders.ERROR);
                    reasons.add(h == null ? "" : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8));
                }
            }
        }
        return reasons;
    }

    private static final String TOKEN = "secured-failover-it-token-" + java.util.UUID.randomUUID();

    /** Trusts the test CA only. */
    private java.net.http.HttpClient https;

    private static java.net.http.HttpClient httpsClient(Path caPem) throws Exception {
        java.security.KeyStore roots = java.security.KeyStore.getInstance("PKCS12");
        roots.load(null, null);
        try (var in = Files.newInputStream(caPem)) {
            roots.setCertificateEntry(
                    "ca",
                    java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        var trust =
                javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        trust.init(roots);
        var context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return java.net.http.HttpClient.newBuilder()
                .sslContext(context)
                .connectTimeout(Duration.ofSeconds(2))
                .build();
    }

    /** GET over HTTPS, with the bearer token or without; a failed connection is status -1. */
    private java.net.http.HttpResponse<String> get(CoordinatorProcess coordinator, String path, boolean withToken) {
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("https://" + coordinator.http + path))
                .timeout(Duration.ofSeconds(3));
        if (withToken) {
            request.header("Authorization", "Bearer " + TOKEN);
        }
        try {
            return https.send(request.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("GET " + path + " of " + coordinator.http + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A counter from a coordinator's /metrics, 0 when absent. */
    private double counter(CoordinatorProcess coordinator, String name) {
        var r = get(coordinator, "/metrics", true);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + name + "(\\{[^}]*\\})? ([0-9.eE+-]+)$")
                .matcher(r.statusCode() == 200 ? r.body() : "");
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(2));
        }
        return sum;
    }

    private static long endOffset(LocalKafkaBroker broker, String topic) throws Exception {
        try (Admin admin = Admin.create(broker.adminProperties())) {
            int partitions = admin.describeTopics(List.of(topic))
                    .allTopicNames()
                    .get(30, TimeUnit.SECONDS)
                    .get(topic)
                    .partitions()
                    .size();
            Map<TopicPartition, OffsetSpec> ask = new java.util.HashMap<>();
            for (int p = 0; p < partitions; p++) {
                ask.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            long sum = 0;
            for (var info :
                    admin.listOffsets(ask).all().get(30, TimeUnit.SECONDS).values()) {
                sum += info.offset();
            }
            return sum;
        }
    }

    private static void send(Properties client, String bootstrap, String topic) throws Exception {
        send(client, bootstrap, topic, false);
    }

    /** Writes one record as the client's principal; with {@code expectRefusal} a refusal is the expected outcome. */
    private static void send(Properties client, String bootstrap, String topic, boolean expectRefusal)
            throws Exception {
        try (var producer = new KafkaProducer<>(
                producerProperties(client, bootstrap), new StringSerializer(), new ByteArraySerializer())) {
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
