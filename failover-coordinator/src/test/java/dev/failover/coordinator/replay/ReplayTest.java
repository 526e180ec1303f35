package dev.failover.coordinator.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.coordinator.app.CoordinatorConfig;
import dev.failover.coordinator.streams.CoordinatorTopology;
import dev.failover.coordinator.streams.ShellSettings;
import dev.failover.coordinator.streams.ShellStats;
import dev.failover.wire.DecisionKind;
import dev.failover.wire.GroupMode;
import dev.failover.wire.Health;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.Role;
import dev.failover.wire.RoleChange;
import dev.failover.wire.TopicNames;
import dev.failover.wire.WireSerdes;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replays of a "reality": the real topology run in a TopologyTestDriver with agents that beat every 200 ms, each beat
 * received 1 to 15 ms after it was sent (seeded jitter) and punctuations on another phase than the replay's, where the
 * primary dies; what it consumed and decided is written as a {@link Recording}, as {@code ctl record} writes one.
 */
class ReplayTest {

    private static final TopicNames TOPICS = TopicNames.defaults();
    private static final long T0 = Instant.parse("2026-12-04T10:00:00Z").toEpochMilli();
    private static final long ALPHA_DIES = T0 + 4_000;
    private static final long END = T0 + 9_000;

    @Test
    void aRecordedFailoverReplaysIdenticallyAndTheSameFileTwiceGivesTheSameDecisions(@TempDir Path dir)
            throws Exception {
        Recording reality = reality();
        Path file = dir.resolve("incident.jsonl.gz");
        reality.write(file);
        Recording read = Recording.read(file);
        assertEquals(reality.entries().size(), read.entries().size());

        List<RoleChange> replayed = new Replayer(read, defaults(), null, 0).run();
        List<RoleChange> recorded = recorded(read);
        assertEquals(
                List.of(DecisionKind.ELECTION, DecisionKind.FAILOVER),
                recorded.stream().map(RoleChange::getKind).toList(),
                "the reality: " + recorded);
        assertEquals(
                List.of(),
                Comparison.differences(
                        recorded,
                        replayed,
                        read.header().sinceMs(),
                        read.header().untilMs(),
                        100));
        long largest = Comparison.largestTimeDifference(
                recorded, replayed, read.header().sinceMs(), read.header().untilMs());
        assertTrue(largest <= 100, "replayed times within the receipt jitter and a punctuation: " + largest + " ms");
        assertEquals(replayed, new Replayer(Recording.read(file), defaults(), null, 0).run(), "deterministic");
    }

    @Test
    void aLongerTimeoutMovesTheFailoverLaterAndAChangedDecisionIsADifference(@TempDir Path dir) throws Exception {
        Recording reality = reality();
        List<RoleChange> recorded = recorded(reality);
        RoleChange failover = recorded.get(1);

        List<RoleChange> later = new Replayer(reality, defaults(), 2000, 0).run();
        assertEquals(
                List.of(DecisionKind.ELECTION, DecisionKind.FAILOVER),
                later.stream().map(RoleChange::getKind).toList(),
                later.toString());
        long moved = later.get(1).getDecidedAtMs() - failover.getDecidedAtMs();
        assertTrue(moved >= 900 && moved <= 1100, "a 2 s timeout convicts about 1 s later: " + moved + " ms");
        assertTrue(
                later.get(1).getReason().contains("> timeout 2000 ms"),
                later.get(1).getReason());

        List<RoleChange> never = new Replayer(reality, defaults(), 6000, 0).run();
        assertEquals(
                List.of(DecisionKind.ELECTION),
                never.stream().map(RoleChange::getKind).toList(),
                "a 6 s timeout: the recording ends before alpha's silence is long enough");

        List<RoleChange> edited = new ArrayList<>(recorded);
        edited.set(
                1,
                RoleChange.newBuilder(failover)
                        .setReason("promoted beta: an operator asked")
                        .build());
        List<String> differences = Comparison.differences(
                edited,
                new Replayer(reality, defaults(), null, 0).run(),
                reality.header().sinceMs(),
                reality.header().untilMs(),
                100);
        assertEquals(1, differences.size(), differences.toString());
        assertTrue(
                differences.get(0).contains("an operator asked")
                        && differences.get(0).contains("silent for"),
                differences.get(0));
    }

    @Test
    void aCoordinatorThatStartedJustBeforeTheAgentsIsReplayedFromItsStartTakenFromItsFenceMarkers() {
        Recording reality = reality(T0 + 50); // it convicts nobody before a full timeout of fresh beats
        List<RoleChange> recorded = recorded(reality);
        assertEquals(List.of(Long.valueOf(T0 + 50)), Replayer.taskStarts(reality), "from the markers");
        List<RoleChange> replayed = new Replayer(reality, defaults(), null, 0).run();
        assertEquals(
                List.of(),
                Comparison.differences(
                        recorded,
                        replayed,
                        reality.header().sinceMs(),
                        reality.header().untilMs(),
                        100),
                "replayed " + replayed);
        Recording withoutMarkers = new Recording(
                reality.header(),
                reality.entries().stream()
                        .filter(e -> !e.kind().equals(Recording.FENCE))
                        .toList());
        assertTrue(
                !Comparison.differences(
                                recorded,
                                new Replayer(withoutMarkers, defaults(), null, 0).run(),
                                reality.header().sinceMs(),
                                reality.header().untilMs(),
                                100)
                        .isEmpty(),
                "without the markers the replay's task would have watched since the warm-up and decided earlier");
    }

    /**
     * Recordings of real failovers (a SIGKILL of the primary's agent, two coordinators, a real broker), made by
     * {@code ctl record} in FaultInjectionIT and CtlIT: the first one differed (an election 945 ms later than a replay
     * that took each beat as read when sent, then a failover at a later epoch) until idle tasks, the fence lag and
     * causality were modelled. Kept as a regression corpus: each replays identically at the defaults.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(
            strings = {"fault-suite-sigkill.jsonl.gz", "ctl-it-sigkill.jsonl.gz"})
    void realRecordedFailoversReplayIdentically(String name) throws Exception {
        Path file = Path.of(ReplayTest.class.getResource("/replay/" + name).toURI());
        Recording r = Recording.read(file);
        List<RoleChange> replayed = new Replayer(r, defaults(), null).run();
        List<RoleChange> recorded = recorded(r);
        assertEquals(
                List.of(DecisionKind.ELECTION, DecisionKind.FAILOVER),
                recorded.stream().map(RoleChange::getKind).toList());
        assertEquals(
                List.of(),
                Comparison.differences(
                        recorded, replayed, r.header().sinceMs(), r.header().untilMs(), 500),
                name);
    }

    /**
     * The defaults, but electing at once ({@code election.grace.ms=0}): the two real recordings were made by
     * coordinators that predate the election grace (their settings header does not name it, and {@code ctl replay}
     * replays such a recording with 0, see CtlReplay.predatesTheGrace), and this file's own reality is made the same way so that both
     * are one model. The grace itself is tested in ElectionGraceTest.
     */
    private static CoordinatorConfig defaults() {
        return CoordinatorConfig.parse(Map.of(
                CoordinatorConfig.BOOTSTRAP_SERVERS_CONFIG,
                "replay:9092",
                CoordinatorConfig.ELECTION_GRACE_MS_CONFIG,
                "0"));
    }

    private static List<RoleChange> recorded(Recording r) {
        return r.entries().stream()
                .filter(e -> e.kind().equals(Recording.ROLE_CHANGE))
                .map(e -> WireSerdes.roleChange().deserialize(e.topic(), e.value()))
                .toList();
    }

    private static Recording reality() {
        return reality(T0 - 10_000); // the coordinator runs well before the agents start, as in production
    }

    /**
     * alpha (100) and beta (10) beat from T0 + 100; alpha dies at ALPHA_DIES; recorded from T0 to END; the coordinator
     * starts at {@code coordinatorStart}. Its fence markers are recorded too.
     */
    private static Recording reality(long coordinatorStart) {
        Random jitter = new Random(42);
        long[] clock = {coordinatorStart};
        List<Recording.Entry> entries = new ArrayList<>();
        List<RoleChange> decided = new ArrayList<>();
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "reality");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        ShellSettings settings = new ShellSettings(
                TOPICS, 20, "reality-instance", defaults().policy(), ShellSettings.BrakeSettings.defaults());
        try (TopologyTestDriver driver = new TopologyTestDriver(
                CoordinatorTopology.build(
                        settings, new ShellStats(), java.util.function.UnaryOperator.identity(), () -> clock[0]),
                props,
                Instant.ofEpochMilli(clock[0]))) {
            TestInputTopic<String, byte[]> beats =
                    driver.createInputTopic(TOPICS.heartbeats(), new StringSerializer(), new ByteArraySerializer());
            TestOutputTopic<String, byte[]> changes = driver.createOutputTopic(
                    TOPICS.roleChanges(), new StringDeserializer(), new ByteArrayDeserializer());
            fences = driver.createOutputTopic(
                    TOPICS.heartbeats(), new StringDeserializer(), new ByteArrayDeserializer());
            // punctuations on a 7 ms phase against the replay's
            advance(driver, clock, T0 + 7 - clock[0], changes, decided, entries);
            long sequence = 0;
            for (long sent = T0 + 100; sent <= END; sent += 200) {
                for (String node : List.of("alpha", "beta")) {
                    if (node.equals("alpha") && sent >= ALPHA_DIES) {
                        continue;
                    }
                    long received = sent + 1 + jitter.nextInt(15);
                    advance(driver, clock, received - clock[0], changes, decided, entries);
                    RoleChange last = decided.isEmpty() ? null : decided.get(decided.size() - 1);
                    Role role = last == null
                            ? Role.STANDBY
                            : last.getMembers().stream()
                                    .filter(m -> m.getNode().equals(node))
                                    .map(m -> m.getRole())
                                    .findFirst()
                                    .orElse(Role.STANDBY);
                    byte[] value = WireSerdes.heartbeat()
                            .serialize(
                                    TOPICS.heartbeats(),
                                    Heartbeat.newBuilder()
                                            .setGroup("orders")
                                            .setNode(node)
                                            .setSequence(sequence++)
                                            .setIncarnation(1)
                                            .setSentAtMs(sent)
                                            .setHealth(Health.HEALTHY)
                                            .setRole(role)
                                            .setEpoch(last == null ? 0 : last.getEpoch())
                                            .setMode(GroupMode.ACTIVE_PASSIVE)
                                            .setPriority(node.equals("alpha") ? 100 : 10)
                                            .setHeartbeatIntervalMs(200)
                                            .setLeaseMs(800)
                                            .setFailureTimeoutMs(1000)
                                            .build());
                    beats.pipeInput("orders", value, sent);
                    entries.add(new Recording.Entry(
                            Recording.HEARTBEAT,
                            TOPICS.heartbeats(),
                            0,
                            entries.size(),
                            sent,
                            "orders",
                            Map.of(),
                            value,
                            null));
                    drain(changes, decided, entries);
                }
            }
            advance(driver, clock, END - clock[0], changes, decided, entries);
        }
        return new Recording(
                new Recording.Header(
                        Recording.FORMAT,
                        "ReplayTest",
                        END,
                        T0 - 10_000,
                        T0,
                        END,
                        "orders",
                        Map.of("heartbeats", TOPICS.heartbeats(), "role-changes", TOPICS.roleChanges()),
                        "reality"),
                entries);
    }

    private static void advance(
            TopologyTestDriver driver,
            long[] clock,
            long ms,
            TestOutputTopic<String, byte[]> changes,
            List<RoleChange> decided,
            List<Recording.Entry> entries) {
        for (long left = ms; left > 0; ) {
            long step = Math.min(20, left);
            clock[0] += step;
            left -= step;
            driver.advanceWallClockTime(Duration.ofMillis(step));
            drain(changes, decided, entries);
        }
    }

    /** What the reality's coordinator wrote to the heartbeat topic: its fence markers. */
    private static TestOutputTopic<String, byte[]> fences;

    private static void drain(
            TestOutputTopic<String, byte[]> changes, List<RoleChange> decided, List<Recording.Entry> entries) {
        while (!fences.isEmpty()) {
            var r = fences.readRecord();
            Map<String, byte[]> headers = new java.util.LinkedHashMap<>();
            r.headers().forEach(header -> headers.put(header.key(), header.value()));
            entries.add(new Recording.Entry(
                    Recording.FENCE,
                    TOPICS.heartbeats(),
                    0,
                    entries.size(),
                    r.timestamp(),
                    r.key(),
                    headers,
                    r.value(),
                    null));
        }
        while (!changes.isEmpty()) {
            var r = changes.readRecord();
            RoleChange c = WireSerdes.roleChange().deserialize(TOPICS.roleChanges(), r.value());
            decided.add(c);
            entries.add(new Recording.Entry(
                    Recording.ROLE_CHANGE,
                    TOPICS.roleChanges(),
                    0,
                    entries.size(),
                    c.getDecidedAtMs(),
                    "orders",
                    Map.of(),
                    r.value(),
                    c.toString()));
        }
    }
}
