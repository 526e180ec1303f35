package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.broker.KafkaBroker;
import dev.failover.coordinator.app.ObedientAgents;
import dev.failover.testkit.Await;
import dev.failover.testkit.WithKafka;
import dev.failover.wire.DecisionKind;
import dev.failover.wire.RoleChange;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Coordinators as real processes, killed and paused while heartbeats flow: no false failover, no epoch going back,
 * and detection works again afterwards. Blind time is measured from the gaps in each partition's committed fence
 * markers (every task that holds a group writes one at least once a second).
 */
@WithKafka
class CoordinatorFailuresIT {

    private static final List<String> GROUPS = List.of("g0", "g1", "g2", "g3", "g4", "g5");

    private final KafkaBroker broker;

    @TempDir
    Path dir;

    CoordinatorFailuresIT(KafkaBroker broker) {
        this.broker = broker;
    }

    @Test
    void killingOneOfTwoCoordinatorsCausesNoFalseFailoverAndDetectionResumes() throws Exception {
        String prefix = "kill-";
        try (CoordinatorProcess first = CoordinatorProcess.launch(
                        "coordinator-1", broker.bootstrapServers(), dir.resolve("c1"), prefix);
                CoordinatorProcess second = CoordinatorProcess.launch(
                        "coordinator-2", broker.bootstrapServers(), dir.resolve("c2"), prefix);
                Fleet fleet = new Fleet(prefix);
                MarkerWatch markers = new MarkerWatch(prefix + "heartbeats")) {
            Await.until(Duration.ofSeconds(60), "both coordinators healthy", () -> first.healthy() && second.healthy());
            fleet.awaitElections();
            Map<String, Long> epochs = fleet.epochs();

            long killedAt = System.currentTimeMillis();
            first.kill();
            System.out.printf("SIGKILLed coordinator-1 (instance %s) at %d%n", first.instanceId, killedAt);
            Await.hold(Duration.ofSeconds(12), "heartbeats keep flowing; nothing may be decided in this window");
            fleet.assertNoFailover("after SIGKILL of one coordinator");
            assertEquals(epochs, fleet.epochs(), "epochs moved without a fault: " + fleet.decisions());

            long blind = markers.worstGapAfter(killedAt);
            System.out.printf(
                    "blind time after SIGKILL of one of two coordinators: %d ms (largest gap between "
                            + "committed fence markers on any heartbeat partition)%n",
                    blind);
            assertEquals(0, markers.strays.get(), "every record under a marker's key was a marker");

            fleet.silenceAllPrimaries();
            fleet.awaitFailovers(Duration.ofSeconds(15));
            fleet.assertEpochsOnlyGrew();
        }
    }

    @Test
    void theOnlyCoordinatorBackAfterLongerThanTheTimeoutConvictsNobody() throws Exception {
        String prefix = "restart-";
        CoordinatorProcess only =
                CoordinatorProcess.launch("coordinator", broker.bootstrapServers(), dir.resolve("a"), prefix);
        try (Fleet fleet = new Fleet(prefix)) {
            Map<String, Long> epochs;
            try (only) {
                fleet.awaitElections();
                epochs = fleet.epochs();
                only.signal("STOP");
                Await.hold(Duration.ofSeconds(3), "three detection timeouts without a coordinator");
                only.signal("CONT");
                Await.hold(Duration.ofSeconds(6), "observe after SIGCONT");
                fleet.assertNoFailover("after SIGSTOP for 3 s and SIGCONT");
                only.kill();
            }
            Await.hold(Duration.ofSeconds(3), "no coordinator for three detection timeouts");
            try (CoordinatorProcess again = CoordinatorProcess.launch(
                    "coordinator-again", broker.bootstrapServers(), dir.resolve("b"), prefix)) {
                Await.until(Duration.ofSeconds(60), "the new coordinator healthy", again::healthy);
                Await.hold(Duration.ofSeconds(6), "observe the restarted coordinator");
                fleet.assertNoFailover("after a restart 3 s later on a fresh state directory");
                assertEquals(epochs, fleet.epochs(), "epochs moved without a fault: " + fleet.decisions());
                fleet.silenceAllPrimaries();
                fleet.awaitFailovers(Duration.ofSeconds(15));
                fleet.assertEpochsOnlyGrew();
            }
        }
    }

    /** Obedient stand-in agents for every group: alpha (priority 100) and beta (50). */
    private final class Fleet implements AutoCloseable {
        final Map<String, ObedientAgents> agents = new HashMap<>();

        Fleet(String prefix) {
            for (String group : GROUPS) {
                agents.put(
                        group,
                        new ObedientAgents(
                                        broker.bootstrapServers(),
                                        group,
                                        prefix + "heartbeats",
                                        prefix + "role-changes")
                                .node("alpha", 100)
                                .node("beta", 50));
            }
        }

        void awaitElections() {
            Await.until(
                    Duration.ofSeconds(60),
                    "every group elected",
                    () -> agents.values().stream()
                            .allMatch(a -> a.seen.stream().anyMatch(c -> c.getKind() == DecisionKind.ELECTION)));
        }

        Map<String, Long> epochs() {
            Map<String, Long> epochs = new HashMap<>();
            agents.forEach((g, a) -> epochs.put(
                    g, a.seen.isEmpty() ? 0 : a.seen.get(a.seen.size() - 1).getEpoch()));
            return epochs;
        }

        List<String> decisions() {
            List<String> all = new ArrayList<>();
            agents.forEach((g, a) ->
                    a.seen.forEach(c -> all.add(g + "@" + c.getEpoch() + " " + c.getKind() + ": " + c.getReason())));
            return all;
        }

        void assertNoFailover(String when) {
            for (var entry : agents.entrySet()) {
                List<RoleChange> bad = entry.getValue().seen.stream()
                        .filter(c -> c.getKind() != DecisionKind.ELECTION)
                        .toList();
                assertTrue(bad.isEmpty(), "false failover " + when + " in " + entry.getKey() + ": " + bad);
            }
        }

        void silenceAllPrimaries() {
            agents.values().forEach(a -> a.silence("alpha"));
        }

        void awaitFailovers(Duration timeout) {
            Await.until(
                    timeout,
                    "every group failed over to beta",
                    () -> agents.values().stream()
                            .allMatch(a -> a.seen.stream().anyMatch(c -> c.getKind() == DecisionKind.FAILOVER)));
        }

        void assertEpochsOnlyGrew() {
            agents.forEach((g, a) -> {
                long previous = 0;
                for (RoleChange c : a.seen) {
                    assertTrue(c.getEpoch() > previous, g + ": epoch " + c.getEpoch() + " after " + previous);
                    previous = c.getEpoch();
                }
            });
        }

        @Override
        public void close() {
            agents.values().forEach(ObedientAgents::close);
        }
    }

    /** Reads committed fence markers from the heartbeat topic and remembers, per partition, when each was written. */
    private final class MarkerWatch implements AutoCloseable {
        private final Map<Integer, List<Long>> sentAt = new HashMap<>();
        private final dev.failover.wire.FenceMarker.Reader markers = new dev.failover.wire.FenceMarker.Reader();
        /** Records under a marker's key that are no marker (none expected). */
        final java.util.concurrent.atomic.AtomicInteger strays = new java.util.concurrent.atomic.AtomicInteger();

        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread reader;

        MarkerWatch(String topic) {
            KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                    Map.of(
                            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                            broker.bootstrapServers(),
                            ConsumerConfig.GROUP_ID_CONFIG,
                            "markers-" + UUID.randomUUID(),
                            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                            "read_committed",
                            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                            "latest"),
                    new StringDeserializer(),
                    new ByteArrayDeserializer());
            consumer.subscribe(List.of(topic));
            reader = new Thread(
                    () -> {
                        while (running.get()) {
                            for (var r : consumer.poll(Duration.ofMillis(50))) {
                                if (r.key() != null && r.key().startsWith("__fence/")) {
                                    // the record's timestamp is the writer's wall clock (its sentAt is its monotonic
                                    // clock,
                                    // on another base than the kill time this is compared with)
                                    try {
                                        markers.read(topic, r.value()); // a marker, not a stray record
                                    } catch (RuntimeException stray) {
                                        strays.incrementAndGet();
                                        continue;
                                    }
                                    synchronized (sentAt) {
                                        sentAt.computeIfAbsent(r.partition(), p -> new ArrayList<>())
                                                .add(r.timestamp());
                                    }
                                }
                            }
                        }
                        consumer.close();
                    },
                    "marker-watch");
            reader.setDaemon(true);
            reader.start();
        }

        long worstGapAfter(long fromMs) {
            long worst = 0;
            synchronized (sentAt) {
                for (List<Long> times : sentAt.values()) {
                    long previous = Long.MIN_VALUE;
                    for (long t : times) {
                        if (previous != Long.MIN_VALUE && t >= fromMs) {
                            worst = Math.max(worst, t - Math.max(previous, fromMs));
                        }
                        previous = t;
                    }
                }
            }
            return worst;
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            reader.join(5_000);
        }
    }
}
