package dev.failover.cli;

import dev.failover.broker.LocalKafkaBroker;
import dev.failover.broker.LocalKafkaCluster;
import dev.failover.testkit.Await;
import dev.failover.wire.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The bill: what a coordinator costs its Kafka cluster. A cluster of {@code -Dbench.nodes} (3) nodes alone, then with
 * one coordinator at the default settings (6 partitions) and no group, then with {@code -Dbench.groups} (10, 100, 1000)
 * groups of two virtual agents each at the agents' default timing (a beat every 200 ms, lease 1.6 s, timeout 2 s;
 * {@link VirtualFleet}, obedient, none failing). Each step is measured over {@code -Dbench.duration} (30 s) after a
 * 10 s warm-up: the CPU share of one core of every broker together and of the coordinator (utime + stime from
 * /proc/PID/stat), and how fast the heartbeat and role-change topics grow (with no group only the coordinator's fence
 * markers and their transaction markers land in the heartbeat topic). {@code ./failover bench idle}.
 *
 * <p>The cluster is measured alone twice: fresh, and then with Kafka's own internal topics created
 * ({@code __consumer_offsets} and {@code __transaction_state}, by one throwaway consumer group commit and one throwaway
 * transaction), as they are on any cluster where some consumer group or transactional producer has ever run; their
 * partitions' replication costs the brokers whoever created them. The coordinator's bill is counted from the second.
 * {@code -Dbench.set=key=value,...} passes settings to the coordinator (to take one cost out at a time).
 *
 * <p>Then, with the coordinator stopped, two floors on the same topics, each measured like the coordinator: an idle
 * consumer group reading them ({@code read_committed}, Kafka's default fetch wait), and an idle Kafka Streams
 * application reading them with exactly-once and the coordinator's commit interval and doing nothing. What the
 * coordinator costs above the second is its own design; up to it, the price of Kafka Streams with exactly-once.
 */
class IdleCostBenchmark {

    private static final int INTERVAL_MS = 200;
    private static final int LEASE_MS = 1_600;
    private static final int TIMEOUT_MS = 2_000;

    @Test
    void aCoordinatorWithNoGroupThenWithMore() throws Exception {
        Duration duration = Duration.ofSeconds(Long.getLong("bench.duration", 30));
        int size = Integer.getInteger("bench.nodes", 3);
        List<Integer> steps = BenchmarkReport.listProperty("bench.groups", "10,100,1000").stream()
                .map(Integer::parseInt)
                .toList();
        BenchmarkReport report = new BenchmarkReport("idle-cost");
        Path dir = Files.createTempDirectory("bench-idle-");
        try (LocalKafkaCluster cluster = LocalKafkaCluster.of(dir.resolve("cluster"), size, 0, Map.of())) {
            cluster.start();
            List<Long> brokerPids = new ArrayList<>();
            for (int node = 1; node <= size; node++) {
                LocalKafkaBroker broker = cluster.node(node);
                brokerPids.add(broker.pid().orElseThrow());
            }
            BrokerRequests counters = null;
            try {
                counters = new BrokerRequests(brokerPids);
            } catch (Exception | LinkageError e) { // no attach API (a JRE) or attaching refused: CPU figures only
                report.note("brokers' request counters not read: " + e);
            }
            Await.hold(Duration.ofSeconds(10), "the cluster settles");
            Sample fresh = Sample.take(counters, brokerPids, -1, null, duration);
            report.note(String.format(
                            "%d node(s) alone, fresh: brokers %.1f %% of one core together over %d s",
                            size, fresh.brokers, duration.toSeconds())
                    + "; " + fresh.requests);
            createInternalTopics(cluster.bootstrapServers());
            // the brokers' CPU drifts down for a while after the internal topics appear (measured: 5-10 points)
            Await.hold(Duration.ofSeconds(30), "the internal topics settle and the brokers warm up");
            Sample alone = Sample.take(counters, brokerPids, -1, null, duration);
            report.note(String.format(
                            "%d node(s) alone, with Kafka's internal topics: brokers %.1f %% of one core "
                                    + "together over %d s",
                            size, alone.brokers, duration.toSeconds())
                    + "; " + alone.requests);
            List<String> settings = BenchmarkReport.listProperty("bench.set", "");
            Sample idle;
            if (!settings.isEmpty()) {
                report.note("coordinator settings: " + settings);
            }
            try (CoordinatorProcess coordinator = CoordinatorProcess.launch(
                            "coordinator", cluster.bootstrapServers(), dir.resolve("coordinator"), settings);
                    Admin admin = Admin.create(
                            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()))) {
                Await.until(Duration.ofSeconds(60), "the coordinator healthy", coordinator::healthy);
                long pid = coordinator.process.pid();
                // idle first, with no load generator at all (its role-change reader fetches too)
                Await.hold(Duration.ofSeconds(10), "warm-up");
                idle = Sample.take(counters, brokerPids, pid, admin, duration);
                note(report, 0, idle, alone);
                if (!steps.isEmpty()) {
                    try (VirtualFleet fleet =
                            new VirtualFleet(cluster.bootstrapServers(), INTERVAL_MS, LEASE_MS, TIMEOUT_MS)) {
                        for (int groups : steps) {
                            fleet.grow(groups);
                            Await.until(
                                    Duration.ofMinutes(5), groups + " groups elected", () -> fleet.elected() >= groups);
                            Await.hold(Duration.ofSeconds(10), "warm-up");
                            note(report, groups, Sample.take(counters, brokerPids, pid, admin, duration), alone);
                        }
                        report.note("producer errors in the load generator: " + fleet.errors.get());
                    }
                }
            }
            // the brokers' own background work drifts as they warm up: measure them alone again, after the coordinator
            Await.hold(Duration.ofSeconds(10), "the coordinator's last writes settle");
            Sample after = Sample.take(counters, brokerPids, -1, null, duration);
            report.note(String.format(
                            "%d node(s) alone again, after the coordinator: brokers %.1f %% of one core "
                                    + "together (%+.1f over the first measurement)",
                            size, after.brokers, after.brokers - alone.brokers)
                    + "; " + after.requests);
            double baseline = (alone.brokers + after.brokers) / 2;
            report.note(String.format(
                    "the idle coordinator's bill over the mean of the two: %+.1f %% of one core "
                            + "(brokers together)",
                    idle.brokers - baseline));
            floors(report, cluster.bootstrapServers(), counters, brokerPids, duration, alone, dir.resolve("floor"));
            if (counters != null) {
                counters.close();
            }
        }
        report.note("load average at the end: "
                + Files.readString(Path.of("/proc/loadavg")).trim());
        report.finish();
    }

    /** The idle consumer group and the idle exactly-once Streams application on the coordinator's input topics. */
    private static void floors(
            BenchmarkReport report,
            String bootstrap,
            BrokerRequests counters,
            List<Long> brokerPids,
            Duration duration,
            Sample alone,
            Path stateDir)
            throws Exception {
        List<String> inputs = List.of(Topics.HEARTBEATS, Topics.COMMANDS);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread reader = new Thread(
                () -> {
                    try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(
                            Map.<String, Object>of(
                                    org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                            bootstrap,
                                    org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_ID_CONFIG,
                                            "bench-floor-consumer",
                                    org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                                            "read_committed",
                                    org.apache.kafka.clients.consumer.ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                                            "latest"),
                            new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                            new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
                        consumer.subscribe(inputs);
                        while (!stop.get()) {
                            consumer.poll(Duration.ofMillis(100));
                        }
                    }
                },
                "bench-floor-consumer");
        reader.start();
        try {
            Await.hold(Duration.ofSeconds(10), "warm-up");
            floor(
                    report,
                    "an idle consumer group on the input topics (read_committed)",
                    Sample.take(counters, brokerPids, -1, null, duration),
                    alone);
        } finally {
            stop.set(true);
            reader.join();
        }
        var builder = new org.apache.kafka.streams.StreamsBuilder();
        builder.stream(inputs).foreach((k, v) -> {});
        Map<String, Object> props = Map.of(
                org.apache.kafka.streams.StreamsConfig.APPLICATION_ID_CONFIG,
                "bench-floor-streams",
                org.apache.kafka.streams.StreamsConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                org.apache.kafka.streams.StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
                org.apache.kafka.streams.StreamsConfig.EXACTLY_ONCE_V2,
                org.apache.kafka.streams.StreamsConfig.COMMIT_INTERVAL_MS_CONFIG,
                1_000,
                org.apache.kafka.streams.StreamsConfig.STATE_DIR_CONFIG,
                stateDir.toString(),
                org.apache.kafka.streams.StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG,
                org.apache.kafka.common.serialization.Serdes.ByteArraySerde.class,
                org.apache.kafka.streams.StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG,
                org.apache.kafka.common.serialization.Serdes.ByteArraySerde.class,
                org.apache.kafka.streams.StreamsConfig.consumerPrefix(
                        org.apache.kafka.clients.consumer.ConsumerConfig.AUTO_OFFSET_RESET_CONFIG),
                "latest");
        java.util.Properties properties = new java.util.Properties();
        properties.putAll(props);
        try (var streams = new org.apache.kafka.streams.KafkaStreams(builder.build(), properties)) {
            streams.start();
            Await.until(
                    Duration.ofSeconds(60),
                    "the Streams application running",
                    () -> streams.state() == org.apache.kafka.streams.KafkaStreams.State.RUNNING);
            Await.hold(Duration.ofSeconds(10), "warm-up");
            floor(
                    report,
                    "an idle exactly-once Streams application on them (commit 1 s)",
                    Sample.take(counters, brokerPids, -1, null, duration),
                    alone);
        }
    }

    private static void floor(BenchmarkReport report, String what, Sample s, Sample alone) {
        report.note(String.format(
                        "floor: %s: brokers %.1f %% of one core together (%+.1f over the cluster alone)",
                        what, s.brokers, s.brokers - alone.brokers)
                + "; " + s.requests);
    }

    private static void note(BenchmarkReport report, int groups, Sample s, Sample alone) {
        report.note(String.format(
                        "%4d groups (%5d beats/s offered): brokers %.1f %% of one core together (+%.1f over "
                                + "the cluster alone), coordinator %.1f %%; heartbeat topic +%.1f offsets/s, role changes +%.1f "
                                + "offsets/s",
                        groups,
                        groups * 2 * 1000 / INTERVAL_MS,
                        s.brokers,
                        s.brokers - alone.brokers,
                        s.coordinator,
                        s.heartbeatOffsets,
                        s.roleChangeOffsets)
                + "; " + s.requests);
    }

    /** One offset commit of a throwaway group and one throwaway transaction: Kafka creates its internal topics. */
    private static void createInternalTopics(String bootstrap) {
        String topic = "bench-internal-topics";
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<>(
                        Map.<String, Object>of(
                                org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                bootstrap,
                                org.apache.kafka.clients.producer.ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                                "bench-internal-topics"),
                        new org.apache.kafka.common.serialization.StringSerializer(),
                        new org.apache.kafka.common.serialization.StringSerializer());
                var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(
                        Map.<String, Object>of(
                                org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                bootstrap,
                                org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_ID_CONFIG,
                                "bench-internal-topics"),
                        new org.apache.kafka.common.serialization.StringDeserializer(),
                        new org.apache.kafka.common.serialization.StringDeserializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, "k", "v"));
            producer.commitTransaction();
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.commitSync(Map.of(tp, new org.apache.kafka.clients.consumer.OffsetAndMetadata(1)));
        }
    }

    /** CPU shares (per cent of one core) and topic growth (offsets a second) over one measurement. */
    private record Sample(
            double brokers, double coordinator, double heartbeatOffsets, double roleChangeOffsets, String requests) {

        /**
         * Measures for {@code duration}; {@code coordinatorPid} -1 and {@code admin} null measure the brokers only,
         * {@code counters} null counts no requests (the CPU figures still stand).
         */
        static Sample take(
                BrokerRequests counters, List<Long> brokerPids, long coordinatorPid, Admin admin, Duration duration)
                throws Exception {
            long brokersBefore = ticks(brokerPids);
            long coordinatorBefore = coordinatorPid < 0 ? 0 : AgentFootprintBenchmark.cpuTicks(coordinatorPid);
            long beatsBefore = admin == null ? 0 : end(admin, Topics.HEARTBEATS);
            long changesBefore = admin == null ? 0 : end(admin, Topics.ROLE_CHANGES);
            Map<String, Long> requestsBefore = counters == null ? Map.of() : counters.counts();
            long startNs = System.nanoTime();
            Await.hold(duration, "the measurement");
            double seconds = (System.nanoTime() - startNs) / 1e9;
            String requests =
                    counters == null ? "not counted" : BrokerRequests.rates(requestsBefore, counters.counts(), seconds);
            double brokers = (ticks(brokerPids) - brokersBefore) / seconds; // 100 ticks a second: per cent
            double coordinator = coordinatorPid < 0
                    ? 0
                    : (AgentFootprintBenchmark.cpuTicks(coordinatorPid) - coordinatorBefore) / seconds;
            double beats = admin == null ? 0 : (end(admin, Topics.HEARTBEATS) - beatsBefore) / seconds;
            double changes = admin == null ? 0 : (end(admin, Topics.ROLE_CHANGES) - changesBefore) / seconds;
            return new Sample(brokers, coordinator, beats, changes, requests);
        }

        private static long ticks(List<Long> pids) throws Exception {
            long sum = 0;
            for (long pid : pids) {
                sum += AgentFootprintBenchmark.cpuTicks(pid);
            }
            return sum;
        }

        private static long end(Admin admin, String topic) throws Exception {
            int partitions = admin.describeTopics(List.of(topic))
                    .allTopicNames()
                    .get()
                    .get(topic)
                    .partitions()
                    .size();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            return admin.listOffsets(latest).all().get().values().stream()
                    .mapToLong(r -> r.offset())
                    .sum();
        }
    }
}
