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
    private long sim;

    /**
     * @param failureTimeoutMs null to replay as recorded; else the what-if timeout every heartbeat carries
     */
    public Replayer(Recording recording, dev.failover.coordinator.app.CoordinatorConfig config,
                    Integer failureTimeoutMs) {
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
        sim = h.fromMs();
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
        // received in timestamp order; within a partition never before an earlier offset (read in offset order)
        Map<String, Long> lastReceipt = new HashMap<>();
        List<long[]> order = new ArrayList<>(); // receipt time, index
        for (int i = 0; i < inputs.size(); i++) {
            Recording.Entry e = inputs.get(i);
            String tp = e.topic() + "-" + e.partition();
            long at = Math.max(Math.max(e.timestampMs(), h.fromMs()), lastReceipt.getOrDefault(tp, Long.MIN_VALUE));
            lastReceipt.put(tp, at);
            order.add(new long[] {at, i});
        }
        order.sort(Comparator.<long[]>comparingLong(o -> o[0]).thenComparingLong(o -> o[1]));

        ShellSettings settings = new ShellSettings(topics, punctuationMs, "replay", policy,
                brake, ShellSettings.Guards.none(), 0);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, h.applicationId() == null || h.applicationId().isBlank()
                ? "failover-replay" : h.applicationId());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "replay:9092");
        List<RoleChange> decided = new ArrayList<>();
        try (TopologyTestDriver driver = new TopologyTestDriver(CoordinatorTopology.build(settings, new ShellStats(),
                p -> seeded(p, seeds), () -> sim), props, Instant.ofEpochMilli(h.fromMs()))) {
            TestInputTopic<String, byte[]> beats = driver.createInputTopic(topics.heartbeats(), new StringSerializer(),
                    new ByteArraySerializer());
            TestInputTopic<String, byte[]> commands = driver.createInputTopic(topics.commands(), new StringSerializer(),
                    new ByteArraySerializer());
            TestOutputTopic<String, byte[]> changes = driver.createOutputTopic(topics.roleChanges(),
                    new StringDeserializer(), new ByteArrayDeserializer());
            for (long[] o : order) {
                advance(driver, o[0], changes, decided);
                Recording.Entry e = inputs.get((int) o[1]);
                RecordHeaders headers = new RecordHeaders();
                byte[] value = e.value();
                if (e.kind().equals(Recording.HEARTBEAT) && failureTimeoutMs != null && value != null) {
                    value = whatIf(e, value, decided);
                } else {
                    e.headers().forEach(headers::add);
                }
                (e.kind().equals(Recording.HEARTBEAT) ? beats : commands).pipeInput(new TestRecord<>(e.key(), value,
                        headers, Instant.ofEpochMilli(e.timestampMs())));
                drain(changes, decided);
            }
            advance(driver, h.untilMs(), changes, decided);
        }
        return decided;
    }

    /** Moves the simulated clock to {@code t} in punctuation steps, collecting what is decided on the way. */
    private void advance(TopologyTestDriver driver, long t, TestOutputTopic<String, byte[]> changes,
                         List<RoleChange> decided) {
        while (sim < t) {
            long step = Math.min(punctuationMs, t - sim);
            sim += step;
            driver.advanceWallClockTime(Duration.ofMillis(step));
            drain(changes, decided);
        }
    }

    private void drain(TestOutputTopic<String, byte[]> changes, List<RoleChange> decided) {
        while (!changes.isEmpty()) {
            TestRecord<String, byte[]> r = changes.readRecord();
            if (r.value() != null) {
                decided.add(WireSerdes.roleChange().deserialize(topics.roleChanges(), r.value()));
            }
        }
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
                p.process(record);
            }

            @Override
            public void close() {
                p.close();
            }
        };
    }
}
