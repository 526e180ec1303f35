package dev.failover.coordinator.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.broker.KafkaBroker;
import dev.failover.testkit.Await;
import dev.failover.testkit.WithKafka;
import dev.failover.wire.DecisionKind;
import dev.failover.wire.MemberView;
import dev.failover.wire.Role;
import dev.failover.wire.RoleChange;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One coordinator in this JVM against a real broker process, with obedient stand-in agents. */
@WithKafka
class CoordinatorIT {

    private final KafkaBroker broker;

    @TempDir
    Path stateDir;

    CoordinatorIT(KafkaBroker broker) {
        this.broker = broker;
    }

    @Test
    void electsThenFailsOverWhenThePrimaryFallsSilentAndServesItsStateOverHttp() throws Exception {
        String prefix = "t1-";
        // with a Streams-only Kafka setting given: the status page's plain consumer must not take it
        Map<String, String> streamsProtocol = new HashMap<>(settings(prefix));
        streamsProtocol.put("kafka.group.protocol", "streams");
        try (CoordinatorApp app = start(streamsProtocol);
                ObedientAgents agents = new ObedientAgents(
                                broker.bootstrapServers(), "orders", prefix + "heartbeats", prefix + "role-changes")
                        .node("alpha", 100)
                        .node("beta", 50)) {
            RoleChange election =
                    Await.value(Duration.ofSeconds(30), "an election", () -> first(agents, DecisionKind.ELECTION));
            assertEquals("alpha", active(election));
            // a primary that applied its election falls silent (one silenced before its first ACTIVE beat is stood
            // down as a node that does not apply its assignment: a third epoch, and another test)
            Await.until(
                    Duration.ofSeconds(5),
                    "alpha to report ACTIVE at the election's epoch",
                    () -> agents.reported("alpha", Role.ACTIVE, election.getEpoch()));

            agents.silence("alpha");
            RoleChange failover =
                    Await.value(Duration.ofSeconds(10), "a failover", () -> first(agents, DecisionKind.FAILOVER));
            assertEquals("beta", active(failover));
            assertTrue(failover.getEpoch() > election.getEpoch());
            long fromLastBeat = agents.seenAtMs.get(failover) - agents.lastSentAt("alpha");
            System.out.printf(
                    "CoordinatorIT: failover seen %d ms after alpha's last heartbeat was sent "
                            + "(timeout 1000 ms, so %d ms of overhead: receive, punctuation, fence, commit, delivery)%n",
                    fromLastBeat, fromLastBeat - 1000);
            assertTrue(fromLastBeat > 1000, "convicted before the timeout: " + fromLastBeat + " ms");

            HttpResponse<String> health = get(app, "/health");
            assertEquals(200, health.statusCode(), health.body());
            assertTrue(health.body().contains("\"state\":\"RUNNING\""), health.body());
            assertTrue(
                    health.body().matches("(?s).*\"msSinceLastPoll\":\\{\"[^\"]+StreamThread-1\":\\d+}.*"),
                    "the watchdog reads each stream thread's last poll: " + health.body());
            assertTrue(
                    health.body().contains("\"inconsistentMembers\":0")
                            && health.body().contains("\"brakeEngaged\":0"),
                    health.body());
            HttpResponse<String> group = get(app, "/groups/orders");
            assertEquals(200, group.statusCode(), group.body());
            assertTrue(group.body().contains("\"epoch\": " + failover.getEpoch()), group.body());
            assertEquals(
                    app.httpAddress(),
                    group.headers().firstValue(HttpEndpoint.OWNER_HEADER),
                    "the only instance hosts every group");
            assertEquals(404, get(app, "/groups/nobody").statusCode());

            // The status page's data: the live view from the task hosting the group, and the committed decisions,
            // newest
            // first, each with the text ctl why prints for it.
            String whyFailover = dev.failover.wire.tools.JsonText.quote(
                    dev.failover.wire.tools.DecisionText.why(failover, election));
            HttpResponse<String> api = Await.value(Duration.ofSeconds(10), "the failover on /api/groups/orders", () -> {
                try {
                    HttpResponse<String> r = get(app, "/api/groups/orders");
                    return r.statusCode() == 200 && r.body().contains(whyFailover) ? r : null;
                } catch (Exception e) {
                    return null;
                }
            });
            String body = api.body();
            assertTrue(
                    body.contains("\"live\":true")
                            && body.contains("\"group\":{\"state\":{\"group\": \"orders\", " + "\"epoch\": "
                                    + failover.getEpoch()),
                    body);
            assertTrue(
                    body.matches("(?s).*\"beta\":\\{\"reportedRole\":\"[A-Z]+\",\"reportedEpoch\":\\d+,"
                            + "\"failureTimeoutMs\":1000,\"leaseLeftMs\":-?\\d+}.*"),
                    "beta, the primary, has a lease: " + body);
            assertTrue(
                    body.indexOf("\"kind\": \"FAILOVER\"") < body.indexOf("\"kind\": \"ELECTION\""),
                    "newest first: " + body);
            assertEquals(app.httpAddress(), api.headers().firstValue(HttpEndpoint.OWNER_HEADER));
            assertEquals(404, get(app, "/api/groups/nobody").statusCode());
            HttpResponse<String> all = get(app, "/api/groups");
            assertTrue(
                    all.statusCode() == 200
                            && all.body().contains("\"healthy\":true")
                            && all.body().contains("{\"group\": \"orders\""),
                    all.body());
            HttpResponse<String> page = get(app, "/");
            assertEquals(200, page.statusCode());
            assertTrue(
                    page.body().contains("<script src=\"/ui/status.js\"")
                            && page.headers()
                                    .firstValue("Content-Security-Policy")
                                    .orElse("")
                                    .contains("default-src 'self'"),
                    page.body() + page.headers());
            assertEquals(page.body(), get(app, "/ui/groups/orders").body(), "one page for the overview and a group");
            for (String asset : List.of("/", "/ui/status.js", "/ui/status.css")) {
                assertTrue(
                        !get(app, asset).body().matches("(?s).*https?://.*"),
                        asset + " loads something from elsewhere");
            }
            assertEquals(404, get(app, "/nope").statusCode());
            assertEquals(404, get(app, "/ui/nope.js").statusCode());
            HttpResponse<String> post = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(
                                            "http://" + app.httpAddress().orElseThrow() + "/api/groups"))
                                    .POST(HttpRequest.BodyPublishers.noBody())
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode(), "read-only: " + post.body());

            HttpResponse<String> metrics = get(app, "/metrics");
            assertEquals(200, metrics.statusCode());
            for (String series : List.of(
                    "failover_decisions_total{kind=\"FAILOVER\"} 1.0",
                    "failover_decisions_total{kind=\"ELECTION\"} 1.0",
                    "failover_epoch_increments_total 2.0",
                    "failover_detection_seconds_count 1",
                    "failover_decision_lag_seconds_bucket",
                    "failover_punctuation_seconds_count",
                    "failover_heartbeats_total",
                    "failover_dead_letters_total 0.0",
                    "failover_brake_engaged 0.0",
                    "failover_groups ",
                    "failover_nodes{role=\"ACTIVE\"}",
                    "failover_nodes_suspected ",
                    "failover_fence_lag_seconds ")) {
                assertTrue(metrics.body().contains(series), series + " missing from /metrics:\n" + metrics.body());
            }
        }
    }

    @Test
    void malformedRecordsAreDeadLetteredAndTheCoordinatorKeepsDeciding() throws Exception {
        String prefix = "t2-";
        try (CoordinatorApp app = start(prefix)) {
            try (var producer = new KafkaProducer<>(
                    Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                    new StringSerializer(),
                    new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(prefix + "heartbeats", "orders", "not avro".getBytes()));
                producer.send(new ProducerRecord<>(prefix + "commands", "orders", new byte[] {(byte) 0xC3, 1, 2}));
                producer.flush();
            }
            try (var consumer = new KafkaConsumer<>(
                    Map.<String, Object>of(
                            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                            broker.bootstrapServers(),
                            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                            "read_committed"),
                    new StringDeserializer(),
                    new ByteArrayDeserializer())) {
                TopicPartition dlq = new TopicPartition(prefix + "dead-letters", 0);
                consumer.assign(List.of(dlq));
                consumer.seekToBeginning(List.of(dlq));
                List<String> reasons = new java.util.ArrayList<>();
                Await.until(Duration.ofSeconds(30), "2 dead letters", () -> {
                    consumer.poll(Duration.ofMillis(100))
                            .forEach(r -> reasons.add(new String(
                                    r.headers().lastHeader("failover.error").value(), StandardCharsets.UTF_8)));
                    return reasons.size() >= 2;
                });
                assertTrue(reasons.stream().anyMatch(r -> r.contains("cannot decode Heartbeat")), reasons.toString());
                assertTrue(reasons.stream().anyMatch(r -> r.contains("cannot decode Command")), reasons.toString());
            }
            assertEquals(KafkaStreams.State.RUNNING, app.state());
            try (ObedientAgents agents = new ObedientAgents(
                            broker.bootstrapServers(), "orders", prefix + "heartbeats", prefix + "role-changes")
                    .node("alpha", 1)) {
                Await.value(
                        Duration.ofSeconds(30),
                        "an election after the bad records",
                        () -> first(agents, DecisionKind.ELECTION));
            }
        }
    }

    @Test
    void aCrashLoopingStreamThreadMakesHealth503WithTheReasonAndHealth200OnceItStops() throws Exception {
        String prefix = "t3-";
        java.util.concurrent.atomic.AtomicBoolean crash = new java.util.concurrent.atomic.AtomicBoolean();
        Map<String, String> settings = settings(prefix);
        settings.put(CoordinatorConfig.HEALTH_DEATH_WINDOW_MS_CONFIG, "3000");
        try (CoordinatorApp app = new CoordinatorApp(CoordinatorConfig.parse(settings), processor -> new Processor<>() {
            @Override
            public void init(ProcessorContext<String, byte[]> context) {
                processor.init(context);
            }

            @Override
            public void process(Record<String, byte[]> record) {
                if (crash.get()) {
                    throw new IllegalStateException("injected fault for the crash-loop test");
                }
                processor.process(record);
            }

            @Override
            public void close() {
                processor.close();
            }
        })) {
            app.start(); // before the agents: they must not auto-create the topics with the broker's partition count
            ObedientAgents agents = new ObedientAgents(
                            broker.bootstrapServers(), "orders", prefix + "heartbeats", prefix + "role-changes")
                    .node("alpha", 2)
                    .node("beta", 1);
            try (agents) {
                crashLoop(app, crash, agents);
            }
        }
    }

    private static void crashLoop(
            CoordinatorApp app, java.util.concurrent.atomic.AtomicBoolean crash, ObedientAgents agents) {
        Await.until(
                Duration.ofSeconds(60),
                "/health 200 at start",
                () -> health(app).statusCode() == 200);
        crash.set(true);
        HttpResponse<String> crashing =
                Await.value(Duration.ofSeconds(30), "/health 503 while the thread crash-loops", () -> {
                    HttpResponse<String> h = health(app);
                    return h.statusCode() == 503 && h.body().contains("a stream thread died") ? h : null;
                });
        assertTrue(crashing.body().contains("injected fault for the crash-loop test"), crashing.body());
        crash.set(false);
        Await.until(
                Duration.ofSeconds(30),
                "/health 200 once the crashes stop",
                () -> health(app).statusCode() == 200);
        Await.value(Duration.ofSeconds(30), "an election", () -> first(agents, DecisionKind.ELECTION));
        agents.silence("alpha");
        Await.value(
                Duration.ofSeconds(30),
                "a failover after the crashes stopped: the replaced thread decides",
                () -> first(agents, DecisionKind.FAILOVER));
    }

    private CoordinatorApp start(String prefix) throws InterruptedException {
        return start(settings(prefix));
    }

    private CoordinatorApp start(Map<String, String> settings) throws InterruptedException {
        CoordinatorApp app = new CoordinatorApp(CoordinatorConfig.parse(settings));
        app.start();
        Await.until(Duration.ofSeconds(60), "the coordinator to run", () -> app.state() == KafkaStreams.State.RUNNING);
        return app;
    }

    private Map<String, String> settings(String prefix) {
        Map<String, String> settings = new HashMap<>();
        settings.put(CoordinatorConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        settings.put(CoordinatorConfig.APPLICATION_ID_CONFIG, prefix + "coordinator");
        settings.put(
                CoordinatorConfig.STATE_DIR_CONFIG, stateDir.resolve(prefix).toString());
        settings.put(CoordinatorConfig.HTTP_PORT_CONFIG, "0");
        settings.put(CoordinatorConfig.TOPIC_PARTITIONS_CONFIG, "2");
        for (String topic : List.of("heartbeats", "role-changes", "state", "commands", "dead-letters")) {
            settings.put("topic." + topic, prefix + topic);
        }
        return settings;
    }

    private static RoleChange first(ObedientAgents agents, DecisionKind kind) {
        return agents.seen.stream().filter(c -> c.getKind() == kind).findFirst().orElse(null);
    }

    private static String active(RoleChange change) {
        return change.getMembers().stream()
                .filter(m -> m.getRole() == Role.ACTIVE)
                .map(MemberView::getNode)
                .findFirst()
                .orElse(null);
    }

    private static HttpResponse<String> health(CoordinatorApp app) {
        try {
            return get(app, "/health");
        } catch (Exception e) {
            throw new IllegalStateException("GET /health failed", e);
        }
    }

    private static HttpResponse<String> get(CoordinatorApp app, String path) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(
                                        URI.create("http://" + app.httpAddress().orElseThrow() + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }
}
