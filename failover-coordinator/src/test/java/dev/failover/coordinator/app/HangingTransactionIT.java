package dev.failover.coordinator.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.broker.LocalKafkaBroker;
import dev.failover.testkit.Await;
import dev.failover.testkit.Brokers;
import dev.failover.wire.DecisionKind;
import dev.failover.wire.MemberView;
import dev.failover.wire.Role;
import dev.failover.wire.RoleChange;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.TxnOffsetCommitRequest;
import org.apache.kafka.common.requests.TxnOffsetCommitResponse;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hanging transaction on the coordinators' own {@code __consumer_offsets} partition, made on purpose against a real
 * broker: a transactional offset commit for the coordinators' group that no transaction coordinator knows, so no
 * marker will ever close it (what an unclean broker restart has left behind here). Every instance that takes the
 * task then waits on "unstable offsets" for ever, and the group in it gets no decisions, unless the coordinator finds
 * the transaction and aborts it itself.
 *
 * <p>How it is made: the broker runs with {@code transaction.partition.verification.enable=false} and the test sends a
 * raw {@code TxnOffsetCommit} at version 4 (the last one the broker does not verify against the transaction
 * coordinator) for an unknown producer id. Only this test's broker has verification off.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HangingTransactionIT {

    private static final String PREFIX = "hang-";
    private static final String APPLICATION_ID = PREFIX + "coordinator";
    private static final int TRANSACTION_TIMEOUT_MS = 2_000;
    /** Above twice the transaction timeout, and above it plus this broker's 1 s abort cleanup interval. */
    private static final int AFTER_MS = 5_000;

    private static final int CHECK_MS = 1_000;

    private LocalKafkaBroker broker;

    @TempDir
    Path stateDir;

    @BeforeAll
    void startBroker() throws IOException {
        broker = Brokers.builder()
                .dataDir(Files.createTempDirectory("failover-kafka-hang-"))
                .deleteDataOnClose(true)
                .property("transaction.partition.verification.enable", "false")
                .build();
        broker.start();
    }

    @AfterAll
    void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void aHangingTransactionOnTheCoordinatorsOffsetsIsAbortedAndTheGroupIsDecidedAgain() throws Exception {
        CoordinatorApp first = start(); // before the agents, so that the coordinator creates the topics
        try (ObedientAgents agents = new ObedientAgents(
                                broker.bootstrapServers(), "orders", PREFIX + "heartbeats", PREFIX + "role-changes")
                        .node("alpha", 100)
                        .node("beta", 50);
                Admin admin =
                        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            try (first) {
                Await.until(Duration.ofSeconds(30), "an election", () -> first(agents, DecisionKind.ELECTION) != null);
                // meanwhile the coordinator commits a transaction every 20 ms: the healer must leave them all alone
                Await.hold(Duration.ofMillis(AFTER_MS + 3 * CHECK_MS), "live transactions outlast the threshold");
                String health = health(first);
                assertTrue(
                        health.contains("\"hangingTransactionsAborted\":0"), "no live transaction aborted: " + health);
            }
            // the first instance has left; its committed offsets stay. Now the hanging transaction:
            TopicPartition offsets = new TopicPartition(
                    Topic.GROUP_METADATA_TOPIC_NAME,
                    Utils.abs(APPLICATION_ID.hashCode())
                            % admin.describeTopics(List.of(Topic.GROUP_METADATA_TOPIC_NAME))
                                    .allTopicNames()
                                    .get()
                                    .get(Topic.GROUP_METADATA_TOPIC_NAME)
                                    .partitions()
                                    .size());
            long producerId = 1_000_000_000L + ProcessHandle.current().pid();
            assertEquals(
                    Errors.NONE,
                    commitOffsetsInATransactionNobodyKnows(producerId, new TopicPartition(PREFIX + "heartbeats", 0)));
            long hangStartNs = System.nanoTime();
            List<ProducerState> open = admin.describeProducers(List.of(offsets))
                    .partitionResult(offsets)
                    .get()
                    .activeProducers();
            assertTrue(
                    open.stream()
                            .anyMatch(p -> p.producerId() == producerId
                                    && p.currentTransactionStartOffset().isPresent()),
                    "the transaction is open on " + offsets + ": " + open);
            // what the healer sees of it from outside: the group coordinator refuses that offset as unstable
            HangingTransactionHealer observer = new HangingTransactionHealer(
                    admin,
                    APPLICATION_ID,
                    false,
                    List.of(PREFIX + "heartbeats", PREFIX + "commands"),
                    List.of(),
                    Long.MAX_VALUE / 4,
                    () -> System.nanoTime() / 1_000_000);
            assertEquals(Set.of(new TopicPartition(PREFIX + "heartbeats", 0)), observer.unstableInputs());

            long secondStartNs = System.nanoTime();
            try (CoordinatorApp second = start()) {
                String stuck = Await.value(
                        Duration.ofSeconds(20), "/health 503 while the task waits on unstable offsets", () -> {
                            String body = health(second);
                            return body.contains("\"unhealthy\"") ? body : null;
                        });
                assertTrue(stuck.contains("rebalancing for") || stuck.contains("has not run"), stuck);
                agents.silence("alpha");
                RoleChange failover = Await.value(
                        Duration.ofSeconds(60),
                        "a failover decided by the new instance",
                        () -> first(agents, DecisionKind.FAILOVER));
                System.out.printf(
                        "HangingTransactionIT: the group was decided again %d ms after the hanging "
                                + "transaction was made and %d ms after the second instance started (it must see the "
                                + "transaction open for %d ms, scanning every %d ms)%n",
                        (System.nanoTime() - hangStartNs) / 1_000_000,
                        (System.nanoTime() - secondStartNs) / 1_000_000,
                        AFTER_MS,
                        CHECK_MS);
                assertEquals(
                        "beta",
                        failover.getMembers().stream()
                                .filter(m -> m.getRole() == Role.ACTIVE)
                                .map(MemberView::getNode)
                                .findFirst()
                                .orElse(null));
                assertTrue(
                        admin
                                .describeProducers(List.of(offsets))
                                .partitionResult(offsets)
                                .get()
                                .activeProducers()
                                .stream()
                                .noneMatch(p -> p.producerId() == producerId
                                        && p.currentTransactionStartOffset().isPresent()),
                        "the transaction was aborted");
                String healed = Await.value(Duration.ofSeconds(10), "/health 200 once the task runs", () -> {
                    String body = health(second);
                    return body.contains("\"unhealthy\"") ? null : body;
                });
                assertTrue(
                        !healed.contains("\"hangingTransactionsAborted\":0")
                                && healed.contains("producer " + producerId),
                        healed);
                // the live instance commits every 20 ms, so a look may catch one of its own transactions open
                Await.until(Duration.ofSeconds(10), "the group's committed offsets stable again", () -> {
                    try {
                        return observer.unstableInputs().isEmpty();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
            }
        }
    }

    /**
     * A raw {@code TxnOffsetCommit} v4 for the coordinators' group, from a producer id no transaction coordinator has
     * issued, committing offset 0 of {@code partition}: the pending offset stays until a marker closes it.
     */
    private Errors commitOffsetsInATransactionNobodyKnows(long producerId, TopicPartition partition)
            throws IOException {
        TxnOffsetCommitRequestData data = new TxnOffsetCommitRequestData()
                .setTransactionalId(PREFIX + "nobody")
                .setGroupId(APPLICATION_ID)
                .setProducerId(producerId)
                .setProducerEpoch((short) 0)
                .setGenerationIdOrMemberEpoch(-1)
                .setMemberId("")
                .setTopics(List.of(new TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic()
                        .setName(partition.topic())
                        .setPartitions(List.of(new TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition()
                                .setPartitionIndex(partition.partition())
                                .setCommittedOffset(0)
                                .setCommittedLeaderEpoch(-1)
                                .setCommittedMetadata("")))));
        TxnOffsetCommitRequest request =
                TxnOffsetCommitRequest.Builder.forTopicNames(data, false).build((short) 4);
        RequestHeader header = new RequestHeader(request.apiKey(), request.version(), "hanging-transaction-it", 1);
        String[] hostPort = broker.bootstrapServers().split(":");
        try (Socket socket = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
            socket.setSoTimeout(10_000);
            byte[] bytes = Utils.toArray(request.serializeWithHeader(header));
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.writeInt(bytes.length);
            out.write(bytes);
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] reply = new byte[in.readInt()];
            in.readFully(reply);
            TxnOffsetCommitResponse response =
                    (TxnOffsetCommitResponse) AbstractResponse.parseResponse(ByteBuffer.wrap(reply), header);
            return response.errorCounts().keySet().stream()
                    .filter(e -> e != Errors.NONE)
                    .findFirst()
                    .orElse(Errors.NONE);
        }
    }

    private static String health(CoordinatorApp app) {
        try {
            return HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(
                                            "http://" + app.httpAddress().orElseThrow() + "/health"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private CoordinatorApp start() throws InterruptedException {
        Map<String, String> settings = new HashMap<>();
        settings.put(CoordinatorConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        settings.put(CoordinatorConfig.APPLICATION_ID_CONFIG, APPLICATION_ID);
        settings.put(
                CoordinatorConfig.STATE_DIR_CONFIG,
                stateDir.resolve("state-" + System.nanoTime()).toString());
        settings.put(CoordinatorConfig.HTTP_PORT_CONFIG, "0");
        settings.put(CoordinatorConfig.TOPIC_PARTITIONS_CONFIG, "1");
        settings.put(CoordinatorConfig.TRANSACTION_TIMEOUT_MS_CONFIG, String.valueOf(TRANSACTION_TIMEOUT_MS));
        settings.put(CoordinatorConfig.HANGING_TRANSACTION_AFTER_MS_CONFIG, String.valueOf(AFTER_MS));
        settings.put(CoordinatorConfig.HEALTH_TASK_LIMIT_MS_CONFIG, "5000");
        settings.put(
                CoordinatorConfig.HANGING_TRANSACTION_CHECK_MS_CONFIG,
                System.getProperty("failover.test.hanging.check.ms", String.valueOf(CHECK_MS)));
        for (String topic : List.of("heartbeats", "role-changes", "state", "commands", "dead-letters")) {
            settings.put("topic." + topic, PREFIX + topic);
        }
        CoordinatorApp app = new CoordinatorApp(CoordinatorConfig.parse(settings));
        app.start();
        return app;
    }

    private static RoleChange first(ObedientAgents agents, DecisionKind kind) {
        return agents.seen.stream().filter(c -> c.getKind() == kind).findFirst().orElse(null);
    }
}
