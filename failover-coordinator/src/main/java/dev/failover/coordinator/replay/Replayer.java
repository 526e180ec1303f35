package dev.failover.coordinator.replay;

import dev.failover.coordinator.core.Policy;
import dev.failover.coordinator.streams.CoordinatorProcessor;
import dev.failover.coordinator.streams.CoordinatorTopology;
import dev.failover.coordinator.streams.ShellSettings;
import dev.failover.coordinator.streams.ShellStats;
import dev.failover.wire.Fence;
import dev.failover.wire.FenceMarker;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.Keys;
import dev.failover.wire.MemberView;
import dev.failover.wire.Role;
import dev.failover.wire.RoleChange;
import dev.failover.wire.StoredGroup;
import dev.failover.wire.TopicNames;
import dev.failover.wire.Topics;
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
 * <p>What is modelled: each heartbeat and command is received at its record timestamp (its producer's send time, on
 * the sender's clock), in offset order, but no earlier than an idle task would have read it ({@link #busyFrom}); time
 * advances in punctuation steps between them; the replay's own fence markers come back after {@code fenceLagMs}; a
 * beat that reports an epoch not yet decided waits for it (causality). The recorded fence markers are not fed (another
 * instance's) but tell when the deciding task started and stopped ({@link #acceptedMarkers}): the replay's task
 * restarts then. The store starts from the recorded {@code stored-group} entries (its changelog before the recording's
 * start), else empty; liveness starts empty, as after a restart, which is what the warm-up is for. Not modelled:
 * authentication (heartbeat keys, operator signatures: every record is taken as authentic), and, for a recording of
 * several partitions, one task per partition (one task decides them all, so the brake counts every group together).
 *
 * <p>A what-if ({@code failureTimeoutMs}): every heartbeat says that timeout, and reports the role and epoch an
 * obedient agent would report after the replay's own decisions (the recorded agents obeyed the recorded ones);
 * authentication headers are then dropped. It is open loop: the agents' own reactions (a lease lapsing, a stand-down
 * hook's duration) are not simulated.
 */
public final class Replayer {

    private final Recording recording;
    private final TopicNames topics;
    private final Policy policy;
    private final ShellSettings.BrakeSettings brake;
    private final long punctuationMs;
    private final Integer failureTimeoutMs;
    private final long fenceLagMs;
    /** A what-if (any setting changed): beats report what an obedient agent would, and are not held for causality. */
    private final boolean whatIf;

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
    public Replayer(
            Recording recording, dev.failover.coordinator.app.CoordinatorConfig config, Integer failureTimeoutMs) {
        this(recording, config, failureTimeoutMs, DEFAULT_FENCE_LAG_MS);
    }

    /**
     * @param fenceLagMs how long the replay's own fence markers take to come back (the real ones are committed in a
     *                   transaction and fetched: an election after a quiet time, and a conviction, wait for one)
     */
    public Replayer(
            Recording recording,
            dev.failover.coordinator.app.CoordinatorConfig config,
            Integer failureTimeoutMs,
            long fenceLagMs) {
        this(recording, config, failureTimeoutMs, fenceLagMs, failureTimeoutMs != null);
    }

    /** @param whatIf whether settings were changed (then beats are made obedient to the replay's own decisions) */
    public Replayer(
            Recording recording,
            dev.failover.coordinator.app.CoordinatorConfig config,
            Integer failureTimeoutMs,
            long fenceLagMs,
            boolean whatIf) {
        this.whatIf = whatIf;
        this.fenceLagMs = fenceLagMs;
        this.recording = recording;
        Map<String, String> t = recording.header().topics();
        TopicNames d = TopicNames.defaults();
        this.topics = new TopicNames(
                t.getOrDefault("heartbeats", d.heartbeats()),
                t.getOrDefault("role-changes", d.roleChanges()),
                t.getOrDefault("state", d.state()),
                t.getOrDefault("commands", d.commands()),
                t.getOrDefault("dead-letters", d.deadLetters()));
        this.policy = config.policy();
        this.brake = config.brake();
        this.punctuationMs =
                config.getLong(dev.failover.coordinator.app.CoordinatorConfig.PUNCTUATION_INTERVAL_MS_CONFIG);
        this.failureTimeoutMs = failureTimeoutMs;
    }

    /** A task's life as its recorded fence markers show it: when it started watching, and its last marker. */
    record Incarnation(long startMs, long lastMarkerMs) {}

    /** A record held back until the epoch it reports is decided in the replay, or its deadline. */
    private record Deferred(Recording.Entry entry, long epoch, long deadlineMs) {}

    private final List<Deferred> deferred = new ArrayList<>();
    private final Map<String, Long> seededEpochs = new HashMap<>();

    /** The decisions the coordinator makes on the recorded input, in the order it makes them. */
    public List<RoleChange> run() {
        Recording.Header h = recording.header();
        Map<String, StoredGroup> seeds = new HashMap<>();
        List<Recording.Entry> inputs = new ArrayList<>();
        for (Recording.Entry e : recording.entries()) {
            if (e.kind().equals(Recording.STORED_GROUP) && e.value() != null) {
                try {
                    seeds.put(e.key(), WireSerdes.storedGroup().deserialize(e.topic(), e.value()));
                } catch (RuntimeException malformed) {
                    skipped++;
                }
            } else if ((e.kind().equals(Recording.HEARTBEAT) || e.kind().equals(Recording.COMMAND))
                    && (e.key() == null
                            || !e.key()
                                    .startsWith(Keys.RESERVED_PREFIX))) { // not the recorded instance's fence markers
                inputs.add(e);
            }
        }
        // received in timestamp order; within a partition never before an earlier offset (read in offset order); and
        // a record that reached an idle task (one writing no fence markers) no earlier than its first marker after it
        java.util.TreeMap<Long, Long> markers = markerTimes(recording);
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

        java.util.Deque<Incarnation> starts = new java.util.ArrayDeque<>(incarnations(recording));
        Incarnation current = null;
        while (!starts.isEmpty() && starts.peekFirst().startMs() <= h.fromMs()) {
            current = starts.removeFirst();
        }
        List<RoleChange> decided = new ArrayList<>();
        seededEpochs.clear();
        seeds.forEach((group, stored) -> seededEpochs.put(group, stored.getEpoch()));
        deferred.clear();
        sim = h.fromMs();
        Task[] task = {new Task(sim, seeds)};
        try {
            for (long[] o : order) {
                current = restartsUpTo(task, starts, current, o[0], decided);
                task[0].advance(o[0], decided);
                Recording.Entry e = inputs.get((int) o[1]);
                // Causality: an agent reports an epoch only after the coordinator decided it. A recorded beat that
                // reports an epoch the replay has not decided yet (the replay is a little behind reality) is held
                // back, alone, until that decision or for at most CAUSALITY_WAIT_MS; otherwise the replay would read
                // it as an agent ahead of its coordinator and decide past it. Not in a what-if (beats are obedient).
                long reported = whatIf ? -1 : reportedEpoch(e);
                if (reported > decidedEpoch(e.key(), decided)) {
                    deferred.add(new Deferred(e, reported, o[0] + CAUSALITY_WAIT_MS));
                } else {
                    pipe(task[0], e, decided);
                }
            }
            current = restartsUpTo(task, starts, current, h.untilMs(), decided);
            task[0].advance(h.untilMs(), decided);
        } finally {
            task[0].driver.close();
        }
        return decided;
    }

    /** How many recorded records could not be used (malformed stored groups); said by the caller. */
    private int skipped;

    public int skipped() {
        return skipped;
    }

    private void pipe(Task task, Recording.Entry e, List<RoleChange> decided) {
        RecordHeaders headers = new RecordHeaders();
        byte[] value = e.value();
        if (e.kind().equals(Recording.HEARTBEAT) && whatIf && value != null) {
            value = whatIf(e, value, decided);
        } else {
            e.headers().forEach(headers::add);
        }
        (e.kind().equals(Recording.HEARTBEAT) ? task.beats : task.commands)
                .pipeInput(new TestRecord<>(e.key(), value, headers, Instant.ofEpochMilli(e.timestampMs())));
        task.collectMarkers();
        task.drain(decided);
    }

    /** Pipes the held-back records whose epoch is now decided or whose wait is over, in the order they came. */
    private void releaseDeferred(Task task, List<RoleChange> decided) {
        for (int i = 0; i < deferred.size(); ) {
            Deferred d = deferred.get(i);
            if (d.epoch() <= decidedEpoch(d.entry().key(), decided) || d.deadlineMs() <= sim) {
                deferred.remove(i);
                pipe(task, d.entry(), decided);
                i = 0; // a decision it caused may release others
            } else {
                i++;
            }
        }
    }

    /**
     * The task restarts recorded up to {@code t}: at each, the replay's task is closed and a new one starts then from
     * the store the old one left (its liveness forgotten, as a real restart forgets it). When the task before it
     * stopped writing markers more than a keepalive (plus slack) before the new one started (its instance died; a
     * session passed before another took over), the old task stops there: nobody decided in between.
     */
    private Incarnation restartsUpTo(
            Task[] task, java.util.Deque<Incarnation> starts, Incarnation current, long t, List<RoleChange> decided) {
        while (!starts.isEmpty() && starts.peekFirst().startMs() <= t) {
            Incarnation next = starts.removeFirst();
            long deadAt = current == null
                    ? next.startMs()
                    : Math.min(next.startMs(), current.lastMarkerMs() + CoordinatorProcessor.MARKER_KEEPALIVE_MS + 500);
            task[0].advance(Math.max(sim, deadAt), decided);
            Map<String, StoredGroup> stored = new HashMap<>();
            KeyValueStore<String, StoredGroup> store = task[0].driver.getKeyValueStore(Topics.GROUP_STORE);
            try (var all = store.all()) {
                all.forEachRemaining(kv -> stored.put(kv.key, kv.value));
            }
            Task old = task[0];
            task[0] = null;
            old.driver.close();
            task[0] = new Task(Math.max(sim, next.startMs()), stored);
            current = next;
        }
        return current;
    }

    /**
     * A task that holds a group writes a fence marker at least every {@link CoordinatorProcessor#MARKER_KEEPALIVE_MS};
     * an idle one writes none. So a record sent when no marker had been written for longer than that (plus slack) went
     * to an idle (or dead) task, and was processed no earlier than one punctuation before the next marker, nor before
     * that marker's task started (measured: the first beats of a new group were read about 700 ms after they were
     * sent, a fetch of a partition nobody wrote to). Long.MIN_VALUE when the markers say nothing.
     */
    private long busyFrom(java.util.TreeMap<Long, Long> markers, long sentMs) {
        if (markers.isEmpty()) {
            return Long.MIN_VALUE;
        }
        Long before = markers.floorKey(sentMs);
        if (before != null && sentMs - before <= CoordinatorProcessor.MARKER_KEEPALIVE_MS + 500) {
            return Long.MIN_VALUE;
        }
        var next = markers.ceilingEntry(sentMs);
        return next == null ? Long.MIN_VALUE : Math.max(next.getKey() - punctuationMs, next.getValue());
    }

    /** The accepted fence markers' wall-clock times, each with its task's start, for a one-partition recording. */
    private static java.util.TreeMap<Long, Long> markerTimes(Recording recording) {
        java.util.TreeMap<Long, Long> times = new java.util.TreeMap<>();
        for (Map.Entry<Incarnation, List<Long>> i : acceptedMarkers(recording).entrySet()) {
            i.getValue().forEach(ts -> times.put(ts, i.getKey().startMs()));
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

    /** When (wall clock) the tasks that wrote the recorded fence markers started watching, in order. */
    static List<Long> taskStarts(Recording recording) {
        return incarnations(recording).stream().map(Incarnation::startMs).toList();
    }

    /** The tasks' lives, by start, from {@link #acceptedMarkers}. */
    static List<Incarnation> incarnations(Recording recording) {
        return acceptedMarkers(recording).keySet().stream()
                .sorted(Comparator.comparingLong(Incarnation::startMs))
                .toList();
    }

    /**
     * The recorded fence markers of the recording's one heartbeat partition (none for several: several tasks), by the
     * task life they show. A marker carries its task's start ({@code watchingSinceMs}) and its send time on the task's
     * monotonic clock, and its record timestamp on the wall clock, so the task started at {@code timestamp - (sentAt -
     * watchingSinceMs)}. The replay cannot verify a seal (only the writing process can), so a task life counts only when
     * its markers look like a coordinator's: sealed, at least two, sequences rising, sent after the start, and one
     * constant offset between the two clocks (within 50 ms). Forged or foreign markers (the fault suite writes some)
     * are left out.
     */
    private static Map<Incarnation, List<Long>> acceptedMarkers(Recording recording) {
        Integer partition = onePartition(recording);
        Map<Incarnation, List<Long>> accepted = new HashMap<>();
        if (partition == null) {
            return accepted;
        }
        Map<String, List<Object[]>> byLife = new java.util.TreeMap<>(); // instance/start -> [ts, marker]
        FenceMarker.Reader fences = new FenceMarker.Reader();
        for (Recording.Entry e : recording.entries()) {
            if (!e.kind().equals(Recording.FENCE)
                    || e.value() == null
                    || e.partition() != partition
                    || !e.headers().containsKey(FenceMarker.SEAL_HEADER)) {
                continue;
            }
            try {
                Fence marker = fences.read(e.topic(), e.value());
                if (marker != null) {
                    byLife.computeIfAbsent(
                                    marker.getInstance() + "/" + marker.getWatchingSinceMs(), k -> new ArrayList<>())
                            .add(new Object[] {e.timestampMs(), marker});
                }
            } catch (RuntimeException malformed) {
                // not a marker of ours
            }
        }
        for (List<Object[]> life : byLife.values()) {
            if (life.size() < 2) {
                continue;
            }
            long firstOffset = 0;
            long lastSequence = Long.MIN_VALUE;
            boolean plausible = true;
            List<Long> times = new ArrayList<>();
            for (int i = 0; i < life.size(); i++) {
                long ts = (Long) life.get(i)[0];
                Fence m = (Fence) life.get(i)[1];
                long offset = ts - m.getSentAtMs();
                if (i == 0) {
                    firstOffset = offset;
                }
                plausible &= m.getSentAtMs() >= m.getWatchingSinceMs()
                        && m.getSequence() > lastSequence
                        && Math.abs(offset - firstOffset) <= 50;
                lastSequence = m.getSequence();
                times.add(ts);
            }
            if (plausible) {
                Fence first = (Fence) life.get(0)[1];
                long start = (Long) life.get(0)[0] - (first.getSentAtMs() - first.getWatchingSinceMs());
                accepted.put(
                        new Incarnation(
                                start,
                                times.stream().mapToLong(Long::longValue).max().orElse(start)),
                        times);
            }
        }
        return accepted;
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
            ShellSettings settings =
                    new ShellSettings(topics, punctuationMs, "replay", policy, brake, ShellSettings.Guards.none(), 0);
            Properties props = new Properties();
            String app = recording.header().applicationId();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, app == null || app.isBlank() ? "failover-replay" : app);
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "replay:9092");
            driver = new TopologyTestDriver(
                    CoordinatorTopology.build(settings, new ShellStats(), p -> seeded(p, seeds), () -> sim),
                    props,
                    Instant.ofEpochMilli(startMs));
            beats = driver.createInputTopic(topics.heartbeats(), new StringSerializer(), new ByteArraySerializer());
            commands = driver.createInputTopic(topics.commands(), new StringSerializer(), new ByteArraySerializer());
            changes = driver.createOutputTopic(
                    topics.roleChanges(), new StringDeserializer(), new ByteArrayDeserializer());
            written = driver.createOutputTopic(
                    topics.heartbeats(), new StringDeserializer(), new ByteArrayDeserializer());
        }

        /** The markers the task wrote since last asked, due back after the lag. */
        void collectMarkers() {
            while (!written.isEmpty()) {
                TestRecord<String, byte[]> r = written.readRecord();
                if (FenceMarker.isMarker(r.key())) {
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
                releaseDeferred(this, decided);
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
    private long decidedEpoch(String group, List<RoleChange> decided) {
        long epoch = seededEpochs.getOrDefault(group, 0L);
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
        Heartbeat.Builder b = Heartbeat.newBuilder(beat);
        if (failureTimeoutMs != null) {
            b.setFailureTimeoutMs(failureTimeoutMs);
        }
        for (int i = decided.size() - 1; i >= 0; i--) {
            RoleChange c = decided.get(i);
            if (c.getGroup().equals(beat.getGroup())) {
                Role role = c.getMembers().stream()
                        .filter(m -> m.getNode().equals(beat.getNode()))
                        .map(MemberView::getRole)
                        .findFirst()
                        .orElse(null);
                if (role != null) {
                    b.setRole(role).setEpoch(c.getEpoch());
                }
                break;
            }
        }
        return WireSerdes.heartbeat().serialize(e.topic(), b.build());
    }

    /** The processor, after the recorded stored groups are put into its store (before it reads the store). */
    private static Processor<String, byte[], String, byte[]> seeded(
            Processor<String, byte[], String, byte[]> p, Map<String, StoredGroup> seeds) {
        return new Processor<>() {
            @Override
            public void init(ProcessorContext<String, byte[]> context) {
                KeyValueStore<String, StoredGroup> store = context.getStateStore(Topics.GROUP_STORE);
                seeds.forEach(store::put);
                p.init(context);
            }

            @Override
            public void process(Record<String, byte[]> record) {
                if (FenceMarker.isMarker(record.key()) && record.headers().lastHeader(DELIVERED_HEADER) == null) {
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
