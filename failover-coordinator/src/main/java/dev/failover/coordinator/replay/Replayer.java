package dev.failover.coordinator.replay;

import dev.failover.coordinator.core.Policy;
import dev.failover.coordinator.streams.CoordinatorProcessor;
import dev.failover.coordinator.streams.CoordinatorTopology;
import dev.failover.coordinator.streams.ShellSettings;
import dev.failover.coordinator.streams.ShellStats;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.MemberView;
import dev.failover.wire.Role;
import dev.failover.wire.RoleChange;
import dev.failover.wire.StoredGroup;
import dev.failover.wire.WireSerdes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Runs a {@link Recording} through the coordinator's real topology (the same processor, decision core and liveness
 * code) in Kafka's {@link TopologyTestDriver}, on a simulated clock: deterministic, the same file gives the same
 * decisions. Both of the processor's clocks (monotonic and wall) are the simulated one, set to the recording's wall
 * time, so decisions carry the recorded frame's times.
 *
 * <p>What is modelled: each heartbeat and command is received at its record timestamp (its producer's send time; the
 * real coordinator read it a few milliseconds later, so replayed decisions may come that much earlier), in offset
 * order; time advances in punctuation steps between them; the coordinator's own fence markers come back at once (the
 * real ones after a commit). The recorded fence markers of the real instance are not fed (another instance's: the
 * processor ignores them). The store starts from the recorded {@code stored-group} entries (its changelog before the
 * recording's start), else empty; liveness starts empty, as after a restart, which is what the warm-up is for.
 *
 * <p>A what-if ({@code failureTimeoutMs}): every heartbeat says that timeout, and reports the role and epoch an
 * obedient agent would report after the replay's own decisions (the recorded agents obeyed the recorded ones);
 * authentication headers are then dropped. It is open loop: the agents' own reactions (a lease lapsing, a stand-down
 * hook's duration) are not simulated.
 */
public final class Replayer {

    private final Recording recording;
    private final ShellSettings.TopicNames topics;
    private final Policy policy;
    private final ShellSettings.BrakeSettings brake;
    private final long punctuationMs;
    private final Integer failureTimeoutMs;
    private final long fenceLagMs;
    private long sim;
    /** Marks the replay's own fence markers when it hands them back, after the modelled lag. */
    static final String DELIVERED_HEADER = "failover.replay.delivered";
    /** What a marker took from its write to its read-back on the machines we measured (a commit and a fetch). */
    public static final long DEFAULT_FENCE_LAG_MS = 100;
    /** The longest a beat is held back for the decision it reports (see {@link #run}). */
    static final long CAUSALITY_WAIT_MS = 1000;

    /**
     * @param failureTimeoutMs null to replay as recorded; else the what-if timeout every heartbeat carries
     */
    public Replayer(Recording recording, dev.failover.coordinator.app.CoordinatorConfig config,
                    Integer failureTimeoutMs) {
        this(recording, config, failureTimeoutMs, DEFAULT_FENCE_LAG_MS);
    }

    /**
     * @param fenceLagMs how long the replay's own fence markers take to come back (the real ones are committed in a
     *                   transaction and fetched: an election after a quiet time, and a conviction, wait for one)
     */
    public Replayer(Recording recording, dev.failover.coordinator.app.CoordinatorConfig config,
                    Integer failureTimeoutMs, long fenceLagMs) {
        this.fenceLagMs = fenceLagMs;
        this.recording = recording;
        Map<String, String> t = recording.header().topics();
        ShellSettings.TopicNames d = ShellSettings.TopicNames.defaults();
        this.topics = new ShellSettings.TopicNames(t.getOrDefault("heartbeats", d.heartbeats()),
                t.getOrDefault("role-changes", d.roleChanges()), t.getOrDefault("state", d.state()),
                t.getOrDefault("commands", d.commands()), t.getOrDefault("dead-letters", d.deadLetters()));
        this.policy = config.policy();
        this.brake = config.brake();
        this.punctuationMs = config.getLong(dev.failover.coordinator.app.CoordinatorConfig.PUNCTUATION_INTERVAL_MS_CONFIG);
        this.failureTimeoutMs = failureTimeoutMs;
    }

    /** The decisions the coordinator makes on the recorded input, in the order it makes them. */
    public List<RoleChange> run() {
        Recording.Header h = recording.header();
        Map<String, StoredGroup> seeds = new HashMap<>();
        List<Recording.Entry> inputs = new ArrayList<>();
        for (Recording.Entry e : recording.entries()) {
            if (e.kind().equals(Recording.STORED_GROUP) && e.value() != null) {
                seeds.put(e.key(), WireSerdes.storedGroup().deserialize(e.topic(), e.value()));
            } else if ((e.kind().equals(Recording.HEARTBEAT) || e.kind().equals(Recording.COMMAND))
                    && (e.key() == null || !e.key().startsWith("__"))) { // not the recorded instance's fence markers
                inputs.add(e);
            }
        }
        // received in timestamp order; within a partition never before an earlier offset (read in offset order); and
        // a record that reached an idle task (one writing no fence markers) no earlier than its first marker after it
        java.util.TreeSet<Long> markers = markerTimes(recording);
        Map<String, Long> lastReceipt = new HashMap<>();
        List<long[]> order = new ArrayList<>(); // receipt time, index
        for (int i = 0; i < inputs.size(); i++) {
            Recording.Entry e = inputs.get(i);
            String tp = e.topic() + "-" + e.partition();
            long at = Math.max(Math.max(e.timestampMs(), h.fromMs()), lastReceipt.getOrDefault(tp, Long.MIN_VALUE));
            at = Math.max(at, busyFrom(markers, e.timestampMs()));
            lastReceipt.put(tp, at);
            order.add(new long[] {at, i});
        }
        order.sort(Comparator.<long[]>comparingLong(o -> o[0]).thenComparingLong(o -> o[1]));

        java.util.Deque<Long> starts = new java.util.ArrayDeque<>(taskStarts(recording));
        while (!starts.isEmpty() && starts.peekFirst() <= h.fromMs()) {
            starts.removeFirst();
        }
        List<RoleChange> decided = new ArrayList<>();
        Map<String, Long> seededEpochs = new HashMap<>();
        seeds.forEach((group, stored) -> seededEpochs.put(group, stored.getEpoch()));
        sim = h.fromMs();
        Task task = new Task(sim, seeds);
        try {
            for (long[] o : order) {
                task = restartsUpTo(task, starts, o[0], decided);
                task.advance(o[0], decided);
                Recording.Entry e = inputs.get((int) o[1]);
                // Causality: an agent reports an epoch only after the coordinator decided it. A recorded beat that
                // reports an epoch the replay has not decided yet (the replay is a little behind reality) waits for
                // that decision, for at most CAUSALITY_WAIT_MS; otherwise the replay would read it as an agent ahead
                // of its coordinator and decide past it.
                long reported = failureTimeoutMs == null ? reportedEpoch(e) : -1;
                if (reported > 0) {
                    long until = sim + CAUSALITY_WAIT_MS;
                    while (reported > decidedEpoch(e.key(), decided, seededEpochs) && sim < until) {
                        task = restartsUpTo(task, starts, sim + punctuationMs, decided);
                        task.advance(sim + punctuationMs, decided);
                    }
                }
                RecordHeaders headers = new RecordHeaders();
                byte[] value = e.value();
                if (e.kind().equals(Recording.HEARTBEAT) && failureTimeoutMs != null && value != null) {
                    value = whatIf(e, value, decided);
                } else {
                    e.headers().forEach(headers::add);
                }
                (e.kind().equals(Recording.HEARTBEAT) ? task.beats : task.commands).pipeInput(new TestRecord<>(e.key(),
                        value, headers, Instant.ofEpochMilli(e.timestampMs())));
                task.collectMarkers();
                task.drain(decided);
            }
            task = restartsUpTo(task, starts, h.untilMs(), decided);
            task.advance(h.untilMs(), decided);
        } finally {
            task.driver.close();
        }
        return decided;
    }

    /**
     * The task restarts recorded before {@code t}: at each, the replay's task is closed and a new one starts then
     * from the store the old one left (its liveness forgotten, as a real restart forgets it).
     */
    private Task restartsUpTo(Task task, java.util.Deque<Long> starts, long t, List<RoleChange> decided) {
        while (!starts.isEmpty() && starts.peekFirst() <= t) {
            long at = starts.removeFirst();
            task.advance(at, decided);
            Map<String, StoredGroup> stored = new HashMap<>();
            KeyValueStore<String, StoredGroup> store = task.driver.getKeyValueStore(CoordinatorProcessor.STORE);
            try (var all = store.all()) {
                all.forEachRemaining(kv -> stored.put(kv.key, kv.value));
            }
            task.driver.close();
            task = new Task(at, stored);
        }
        return task;
    }

    /**
     * A task that holds a group writes a fence marker at least every {@link CoordinatorProcessor#MARKER_KEEPALIVE_MS};
     * an idle one writes none. So a record sent when no marker had been written for longer than that (plus slack) went
     * to an idle task, which processed it no earlier than one punctuation before its next marker (measured: the first
     * beats of a new group were read about 700 ms after they were sent, a fetch of a partition nobody wrote to).
     * Long.MIN_VALUE when the markers say nothing (none recorded, or the task was busy).
     */
    private long busyFrom(java.util.TreeSet<Long> markers, long sentMs) {
        if (markers.isEmpty()) {
            return Long.MIN_VALUE;
        }
        Long before = markers.floor(sentMs);
        if (before != null && sentMs - before <= CoordinatorProcessor.MARKER_KEEPALIVE_MS + 500) {
            return Long.MIN_VALUE;
        }
        Long next = markers.ceiling(sentMs);
        return next == null ? Long.MIN_VALUE : next - punctuationMs;
    }

    /** The wall-clock times of the recorded fence markers, for a recording of one heartbeat partition; else none. */
    private static java.util.TreeSet<Long> markerTimes(Recording recording) {
        java.util.TreeSet<Long> times = new java.util.TreeSet<>();
        Integer partition = onePartition(recording);
        for (Recording.Entry e : recording.entries()) {
            if (partition != null && e.kind().equals(Recording.FENCE) && e.partition() == partition) {
                times.add(e.timestampMs());
            }
        }
        return times;
    }

    /** The one heartbeat partition the recording's heartbeats are in, or null (none, or several: several tasks). */
    private static Integer onePartition(Recording recording) {
        java.util.Set<Integer> partitions = new java.util.HashSet<>();
        for (Recording.Entry e : recording.entries()) {
            if (e.kind().equals(Recording.HEARTBEAT)) {
                partitions.add(e.partition());
            }
        }
        return partitions.size() == 1 ? partitions.iterator().next() : null;
    }

    /**
     * When (wall clock) the tasks that wrote the recorded fence markers started watching: a marker carries its task's
     * start ({@code incarnation}) and its send time on the task's monotonic clock, and its record timestamp on the wall
     * clock. Only for a recording of one heartbeat partition (one task); otherwise none are taken into account.
     */
    static List<Long> taskStarts(Recording recording) {
        Integer partition = onePartition(recording);
        if (partition == null) {
            return List.of();
        }
        java.util.TreeMap<String, Long> starts = new java.util.TreeMap<>(); // instance/incarnation -> wall start
        for (Recording.Entry e : recording.entries()) {
            if (!e.kind().equals(Recording.FENCE) || e.value() == null || e.partition() != partition) {
                continue;
            }
            try {
                Heartbeat marker = WireSerdes.heartbeat().deserialize(e.topic(), e.value());
                if (marker != null) {
                    starts.putIfAbsent(marker.getNode() + "/" + marker.getIncarnation(),
                            e.timestampMs() - (marker.getSentAtMs() - marker.getIncarnation()));
                }
            } catch (RuntimeException malformed) {
                // not a marker of ours
            }
        }
        return starts.values().stream().sorted().distinct().toList();
    }

    /** One incarnation of the replay's task: a driver started at a simulated time, with its topics. */
    private final class Task {
        final TopologyTestDriver driver;
        final TestInputTopic<String, byte[]> beats;
        final TestInputTopic<String, byte[]> commands;
        final TestOutputTopic<String, byte[]> changes;
        /** What the topology wrote to the heartbeat topic: its fence markers, handed back after the lag. */
        final TestOutputTopic<String, byte[]> written;
        final java.util.ArrayDeque<TestRecord<String, byte[]>> held = new java.util.ArrayDeque<>();
        final java.util.ArrayDeque<Long> heldUntil = new java.util.ArrayDeque<>();

        Task(long startMs, Map<String, StoredGroup> seeds) {
            sim = startMs;
            ShellSettings settings = new ShellSettings(topics, punctuationMs, "replay", policy, brake,
                    ShellSettings.Guards.none(), 0);
            Properties props = new Properties();
            String app = recording.header().applicationId();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, app == null || app.isBlank() ? "failover-replay" : app);
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "replay:9092");
            driver = new TopologyTestDriver(CoordinatorTopology.build(settings, new ShellStats(), p -> seeded(p, seeds),
                    () -> sim), props, Instant.ofEpochMilli(startMs));
            beats = driver.createInputTopic(topics.heartbeats(), new StringSerializer(), new ByteArraySerializer());
            commands = driver.createInputTopic(topics.commands(), new StringSerializer(), new ByteArraySerializer());
            changes = driver.createOutputTopic(topics.roleChanges(), new StringDeserializer(),
                    new ByteArrayDeserializer());
            written = driver.createOutputTopic(topics.heartbeats(), new StringDeserializer(),
                    new ByteArrayDeserializer());
        }

        /** The markers the task wrote since last asked, due back after the lag. */
        void collectMarkers() {
            while (!written.isEmpty()) {
                TestRecord<String, byte[]> r = written.readRecord();
                if (r.key() != null && r.key().startsWith(CoordinatorProcessor.FENCE_KEY_PREFIX)) {
                    held.add(r);
                    heldUntil.add(sim + fenceLagMs);
                }
            }
        }

        /** Hands back the markers due by now (the driver's own immediate loop-back is dropped by {@link #seeded}). */
        void deliverMarkers(List<RoleChange> decided) {
            while (!held.isEmpty() && heldUntil.peekFirst() <= sim) {
                heldUntil.removeFirst();
                TestRecord<String, byte[]> r = held.removeFirst();
                RecordHeaders headers = new RecordHeaders(r.headers().toArray());
                headers.add(DELIVERED_HEADER, new byte[0]);
                beats.pipeInput(new TestRecord<>(r.key(), r.value(), headers, r.timestamp()));
                collectMarkers();
                drain(decided);
            }
        }

        /** Moves the simulated clock to {@code t} in punctuation steps, collecting what is decided on the way. */
        void advance(long t, List<RoleChange> decided) {
            while (sim < t) {
                long step = Math.min(punctuationMs, t - sim);
                sim += step;
                driver.advanceWallClockTime(Duration.ofMillis(step));
                collectMarkers();
                drain(decided);
                deliverMarkers(decided);
            }
        }

        void drain(List<RoleChange> decided) {
            while (!changes.isEmpty()) {
                TestRecord<String, byte[]> r = changes.readRecord();
                if (r.value() != null) {
                    decided.add(WireSerdes.roleChange().deserialize(topics.roleChanges(), r.value()));
                }
            }
        }
    }

    /** The epoch a recorded heartbeat reports, or -1 (not a heartbeat, or not one that decodes). */
    private static long reportedEpoch(Recording.Entry e) {
        if (!e.kind().equals(Recording.HEARTBEAT) || e.value() == null) {
            return -1;
        }
        try {
            Heartbeat beat = WireSerdes.heartbeat().deserialize(e.topic(), e.value());
            return beat == null ? -1 : beat.getEpoch();
        } catch (RuntimeException malformed) {
            return -1;
        }
    }

    /** The highest epoch of {@code group} decided so far in the replay, or stored at its start. */
    private static long decidedEpoch(String group, List<RoleChange> decided, Map<String, Long> seeded) {
        long epoch = seeded.getOrDefault(group, 0L);
        for (int i = decided.size() - 1; i >= 0; i--) {
            if (decided.get(i).getGroup().equals(group)) {
                return Math.max(epoch, decided.get(i).getEpoch());
            }
        }
        return epoch;
    }

    /** The beat as an obedient agent at the what-if timeout would have sent it. */
    private byte[] whatIf(Recording.Entry e, byte[] value, List<RoleChange> decided) {
        Heartbeat beat;
        try {
            beat = WireSerdes.heartbeat().deserialize(e.topic(), value);
        } catch (RuntimeException malformed) {
            return value; // dead-lettered as it was
        }
        if (beat == null) {
            return value;
        }
        Heartbeat.Builder b = Heartbeat.newBuilder(beat).setFailureTimeoutMs(failureTimeoutMs);
        for (int i = decided.size() - 1; i >= 0; i--) {
            RoleChange c = decided.get(i);
            if (c.getGroup().equals(beat.getGroup())) {
                Role role = c.getMembers().stream().filter(m -> m.getNode().equals(beat.getNode()))
                        .map(MemberView::getRole).findFirst().orElse(null);
                if (role != null) {
                    b.setRole(role).setEpoch(c.getEpoch());
                }
                break;
            }
        }
        return WireSerdes.heartbeat().serialize(e.topic(), b.build());
    }

    /** The processor, after the recorded stored groups are put into its store (before it reads the store). */
    private static Processor<String, byte[], String, byte[]> seeded(Processor<String, byte[], String, byte[]> p,
                                                                  Map<String, StoredGroup> seeds) {
        return new Processor<>() {
            @Override
            public void init(ProcessorContext<String, byte[]> context) {
                KeyValueStore<String, StoredGroup> store = context.getStateStore(CoordinatorProcessor.STORE);
                seeds.forEach(store::put);
                p.init(context);
            }

            @Override
            public void process(Record<String, byte[]> record) {
                if (record.key() != null && record.key().startsWith(CoordinatorProcessor.FENCE_KEY_PREFIX)
                        && record.headers().lastHeader(DELIVERED_HEADER) == null) {
                    return; // the driver's immediate loop-back of a marker: the replay hands it back after the lag
                }
                p.process(record);
            }

            @Override
            public void close() {
                p.close();
            }
        };
    }
}
