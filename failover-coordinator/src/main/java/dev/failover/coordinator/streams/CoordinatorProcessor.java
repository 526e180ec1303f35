package dev.failover.coordinator.streams;

import dev.failover.coordinator.core.Beat;
import dev.failover.coordinator.core.Brake;
import dev.failover.coordinator.core.Change;
import dev.failover.coordinator.core.Decider;
import dev.failover.coordinator.core.Decision;
import dev.failover.coordinator.core.GroupRecord;
import dev.failover.coordinator.core.GroupView;
import dev.failover.coordinator.core.Liveness;
import dev.failover.coordinator.core.Watch;
import dev.failover.wire.AvroSerde;
import dev.failover.wire.Command;
import dev.failover.wire.DecisionKind;
import dev.failover.wire.Fence;
import dev.failover.wire.FenceMarker;
import dev.failover.wire.GroupMode;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.Keys;
import dev.failover.wire.Role;
import dev.failover.wire.RoleChange;
import dev.failover.wire.StoredGroup;
import dev.failover.wire.Topics;
import dev.failover.wire.WireFormatException;
import dev.failover.wire.WireHeaders;
import dev.failover.wire.WireSerdes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thin shell around the {@link Decider} for one task (one partition of the heartbeat and command topics): loads a
 * group, calls the decider, stores what changed, forwards what was decided. It reads no clock of its own: Streams'
 * cached wall clock for records, the punctuation time for punctuations.
 *
 * <p>Per task it keeps, in memory only, each member's {@link Liveness}, a {@link DeadlineIndex} of the groups whose
 * silence can next change a decision, and the {@link Watch}: when the task started, and the newest fence marker read
 * back. A task that holds a group punctuates and writes a marker (key {@code __fence/N}, see {@link FenceMarker}) into its own
 * heartbeat partition when a deadline is near, else once a second; reading it back proves every heartbeat appended
 * before it has been processed, which is what a conviction needs. A task that holds no group neither punctuates nor
 * writes: every punctuation makes Streams commit a transaction, and an idle coordinator must cost the cluster nothing.
 *
 * <p>Records that cannot be used (bad bytes, a key that is not the record's group, an empty group or node) are sent
 * to the dead-letter topic with the reason in a header and counted; the task goes on. A mis-keyed record matters for
 * safety: it would put the group in another task, a second writer of its decisions.
 */
public final class CoordinatorProcessor implements Processor<String, byte[], String, byte[]> {

    private static final Logger log = LoggerFactory.getLogger(CoordinatorProcessor.class);

    /** The header with a fence marker's seal (only this process can make one that verifies). */
    public static final String ROLE_CHANGES_SINK = "role-changes-sink";

    public static final String STATE_SINK = "state-sink";
    public static final String DEAD_LETTER_SINK = "dead-letter-sink";
    public static final String FENCE_SINK = "fence-sink";

    private final ShellSettings settings;
    private final Decider decider;
    private final ShellStats stats;
    private final CommitPacer pacer;
    /** Whether this task's latest fence marker read back came back later than {@link CommitPacer#BEHIND_MS}. */
    private boolean markerCameBackLate;
    /**
     * A commit this task was told to wait with: the thread's granted count then, or -1 when nothing is owed. Asked
     * again after each record and punctuation, unless a request the thread granted since has covered it.
     */
    private long owedSinceGranted = -1;
    /** Seals this process's fence markers; only sealed ones count. */
    private final FenceSeal seal = FenceSeal.ofThisProcess();

    private CommandGate commandGate;
    private final AvroSerde<Heartbeat> heartbeats = WireSerdes.heartbeat();
    private final AvroSerde<Command> commands = WireSerdes.command();
    private final AvroSerde<Fence> fenceWriter = WireSerdes.fence();
    /** Reads this instance's fence markers back, in either shape (a legacy Heartbeat of zeros too). */
    private final FenceMarker.Reader fences = new FenceMarker.Reader();

    private final Map<String, Map<String, Liveness>> liveness = new HashMap<>();
    /** Per group, when a beat in the name of a member whose service may run last failed authentication (monotonic). */
    private final Map<String, Map<String, Long>> unverified = new HashMap<>();
    /**
     * The wait of a handover last published on the state topic per group (a stand-down running, or failed), so that
     * {@code ctl status} says why nothing happens; published again only when it changes.
     */
    private final Map<String, String> waitSaid = new HashMap<>();
    /** Per group, the epoch of the last assignment this instance published and when (monotonic). */
    private final Map<String, long[]> assignedAt = new HashMap<>();

    private final DeadlineIndex deadlines = new DeadlineIndex();
    private final Set<String> overdue = new HashSet<>();
    /** The decoded store, so a heartbeat does not decode its group's record again: every write goes through apply. */
    private final Map<String, GroupRecord> records = new HashMap<>();
    /** The replay guards of each group held, stored with its record ({@link GroupMemory}). */
    private final Map<String, GroupMemory> memories = new HashMap<>();
    /** Per group, when this instance first heard an authentic heartbeat of it (monotonic): the election grace's start. */
    private final Map<String, Long> heardSince = new HashMap<>();
    /** Per group, when a refused join was last logged: churning node ids must not flood the log. */
    private final Map<String, Long> refusalLoggedAtMs = new HashMap<>();

    private static final long REFUSAL_LOG_INTERVAL_MS = 60_000;
    private ProcessorContext<String, byte[]> context;
    /** Questions from the status page about a group of this task, answered on this thread ({@link LiveGroups}). */
    private java.util.Queue<LiveGroups.Ask> asks;

    private KeyValueStore<String, StoredGroup> groups;
    private Watch watch;
    private long fenceSequence;
    private Brake brake;
    private boolean brakeEngaged;
    private long nextCensusMs;
    private final java.util.function.LongSupplier monotonicMs;
    /** When (monotonic) the last punctuation ran; records run one too when the wall-clock punctuator falls behind. */
    private long lastPunctuationMs = Long.MIN_VALUE / 2;
    /**
     * How long before a group's next deadline this task's fence markers are committed at once: the largest gap
     * between a member's lease and its failure timeout here (a conviction at {@code lastSeen + timeout} needs a marker
     * sent after {@code lastSeen + lease} and read back), plus two punctuations. Otherwise a marker waits for the
     * commit interval. Recomputed with each census.
     */
    private long fenceLeadMs;
    /** The wall-clock punctuator now scheduled (none while the task holds no group), and its interval. */
    private org.apache.kafka.streams.processor.Cancellable punctuator;

    private long paceMs;
    /** Whether this task holds a group with members (a forgotten group's empty record is kept as an epoch floor). */
    private boolean holdsGroups;
    /**
     * When (monotonic) this task last began to hold a group, from idle or at its start: its fence lag (the age of the
     * input it has proven read, for {@code /health} and the gauge) counts from no earlier, since an idle task writes
     * no markers.
     */
    private long busySinceMs;

    /** {@link ShellSettings#decisionSettings()}, as the header every role change carries. */
    private final byte[] decisionSettings;

    public CoordinatorProcessor(ShellSettings settings, ShellStats stats) {
        this(settings, stats, () -> System.nanoTime() / 1_000_000);
    }

    /** @param monotonicMs the monotonic clock every judgement runs on (in ms), read once per event */
    public CoordinatorProcessor(ShellSettings settings, ShellStats stats, java.util.function.LongSupplier monotonicMs) {
        this(settings, stats, monotonicMs, new CommitPacer());
    }

    /** As above, with the {@link CommitPacer} every processor of one application instance shares. */
    CoordinatorProcessor(
            ShellSettings settings, ShellStats stats, java.util.function.LongSupplier monotonicMs, CommitPacer pacer) {
        this.pacer = pacer;
        this.settings = settings;
        this.decisionSettings = settings.decisionSettings().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        this.decider = new Decider(settings.policy());
        this.stats = stats;
        this.monotonicMs = monotonicMs;
    }

    private Now now() {
        return new Now(monotonicMs.getAsLong(), context.currentSystemTimeMs());
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.groups = context.getStateStore(Topics.GROUP_STORE);
        Now now = now();
        this.watch = Watch.startedAt(now.monoMs());
        this.brake = new Brake(
                settings.brake().maxShare(),
                settings.brake().minFailovers(),
                settings.brake().windowMs());
        int restored = 0;
        try (var all = groups.all()) {
            while (all.hasNext()) {
                var entry = all.next();
                GroupRecord record = StoredGroups.fromStored(entry.value, now);
                records.put(entry.key, record);
                memories.put(entry.key, StoredGroups.memoryFromStored(entry.value));
                reschedule(entry.key, view(record), now.monoMs());
                restored++;
            }
        }
        fenceLeadMs = fenceLead();
        stats.started(context.taskId().partition(), System.nanoTime());
        asks = stats.live().open(context.taskId().partition());
        log.info(
                "task {} watching from now: {} groups restored; nobody is convicted before a full timeout of fresh "
                        + "heartbeats",
                context.taskId(),
                restored);
        // the punctuator is driven by the wall clock, which may step: it only asks; the monotonic clock decides
        // (a step forward makes it fire early, which changes nothing; a step back silences it until the wall clock
        // catches up, so every record a task with groups processes also runs a punctuation that is due)
        pace();
    }

    /**
     * Schedules the wall-clock punctuator at the busy pace while the task holds a group, and none while it holds none;
     * called after every record and punctuation, it only reschedules when the pace changes (a punctuator may be
     * cancelled and another scheduled from inside its own callback).
     *
     * <p>An idle task does not punctuate: it has nobody to judge, and every punctuation makes Streams commit, each
     * commit of a task that has ever consumed a record a transaction. Measured on three brokers (BENCHMARKS.md), one
     * keepalive transaction a second for the idle tasks cost them about 30 % of a core; without it an idle
     * coordinator's bill is within the measurement's noise. A first group's record brings the busy pace back. Its
     * input is still watched: the stall watch sees the stream thread poll, and the hanging-transaction healer scans
     * its partitions.
     */
    private void pace() {
        if (!holdsGroups) {
            if (punctuator != null) {
                punctuator.cancel();
                punctuator = null;
            }
            if (asks != null && !asks.isEmpty()) { // nor answer the status page: its groups have no members
                answerAsks(now());
            }
            if (owedSinceGranted >= 0) { // no punctuation will ask for it: ask now (a last tombstone, a refusal)
                context.commit();
                owedSinceGranted = -1;
            }
            stats.idle(context.taskId().partition(), true);
            return;
        }
        if (punctuator == null) { // from idle (or at the start), not at every record of a busy task
            busySinceMs = monotonicMs.getAsLong(); // no marker was owed until now
            stats.idle(context.taskId().partition(), false);
        }
        long wanted = settings.punctuationIntervalMs();
        if (punctuator != null && wanted == paceMs) {
            return;
        }
        if (punctuator != null) {
            punctuator.cancel();
        }
        paceMs = wanted;
        punctuator = context.schedule(
                Duration.ofMillis(wanted),
                PunctuationType.WALL_CLOCK_TIME,
                wall -> maybePunctuate(now(), wanted / 2, false));
    }

    @Override
    public void process(Record<String, byte[]> record) {
        Now now = now();
        // only when the wall-clock punctuator is clearly behind (two of its intervals): normally it keeps up by
        // itself; an idle task never punctuates (a record that brings it a group sets the pace below)
        if (punctuator != null) {
            maybePunctuate(now, 2 * paceMs, true);
        }
        String topic = context.recordMetadata().map(RecordMetadata::topic).orElse("");
        if (topic.equals(settings.topics().heartbeats())) {
            onHeartbeat(record, topic, now);
        } else if (topic.equals(settings.topics().commands())) {
            onCommand(record, topic, now);
        } else {
            deadLetter(record, "records from topic '" + topic + "' are not expected here");
        }
        pace(); // a first group: back to the busy pace before the next punctuation
        settleOwedCommit(now.monoMs());
        answerAsks(now);
    }

    /**
     * Asks Streams to commit at once (what was forwarded becomes readable), unless this task is working through a
     * backlog and its thread asked moments ago ({@link CommitPacer}): then the commit is owed and asked for after a
     * later record or punctuation, or made by the commit interval.
     */
    private void commit(long nowMs) {
        if (pacer.mayAsk(nowMs, behind(nowMs))) {
            context.commit();
            owedSinceGranted = -1;
        } else {
            // the count now, at every refusal: a grant the thread made before this request may have been committed
            // already (an earlier loop), so only a later one covers what was forwarded just now
            owedSinceGranted = pacer.granted();
        }
    }

    /**
     * Whether this task works through a backlog: its latest marker read back came back late, or the one it sent last
     * is still out and already older than {@link CommitPacer#BEHIND_MS} (a marker waits behind the backlog, so the
     * first sign of one is a marker not yet back). Monotonic clock only.
     */
    private boolean behind(long nowMs) {
        return markerCameBackLate || (markerOut() && CommitPacer.behind(lastMarkerMs, nowMs));
    }

    /** Whether the last marker this task sent (since it started watching) has not been read back yet. */
    private boolean markerOut() {
        return lastMarkerMs > watch.fencedUpToMs() && lastMarkerMs >= watch.sinceMs();
    }

    /** Asks for an owed commit, unless a request of this thread granted since it was owed commits it anyway. */
    private void settleOwedCommit(long nowMs) {
        if (owedSinceGranted >= 0) {
            if (pacer.granted() > owedSinceGranted) {
                owedSinceGranted = -1;
            } else {
                commit(nowMs);
            }
        }
    }

    private void onHeartbeat(Record<String, byte[]> record, String topic, Now at) {
        if (record.key() != null && FenceMarker.isMarker(record.key())) {
            onFence(record, topic, at);
            return;
        }
        Heartbeat beat = decode(heartbeats, record, topic);
        if (beat == null || !wellKeyed(record, beat.getGroup(), beat.getNode(), "heartbeat")) {
            return;
        }
        HeartbeatKeys keys = settings.guards().heartbeatKeys();
        if (keys != null && !authentic(keys, record, beat, at)) {
            return;
        }
        stats.heartbeats.incrementAndGet();
        long now = at.monoMs();
        String group = beat.getGroup();
        GroupRecord stored = load(group);
        GroupRecord base = stored == null ? GroupRecord.empty(group, GroupMode.UNKNOWN) : stored;
        java.util.Optional<Decision> room = decider.makeRoom(view(base), beat.getNode(), now);
        if (room.isPresent() && room.get().change().isEmpty()) {
            stats.membersRefused.incrementAndGet();
            if (now - refusalLoggedAtMs.getOrDefault(group, Long.MIN_VALUE / 2) >= REFUSAL_LOG_INTERVAL_MS) {
                refusalLoggedAtMs.put(group, now);
                log.atWarn()
                        .addKeyValue("group", group)
                        .addKeyValue("node", beat.getNode())
                        .addKeyValue("reason", room.get().reason())
                        .log(
                                "{} (said once a minute per group; {} refused " + "so far by this instance)",
                                room.get().reason(),
                                stats.membersRefused.get());
            }
            return;
        }
        if (room.isPresent()) {
            apply(group, stored, base, room.get(), at); // the longest-silent removable member makes room
            stored = load(group);
            base = stored;
        }
        if (stored != null && stored.epoch() > 0 && beat.getEpoch() > stored.epoch()) {
            stats.epochsAboveCurrent.incrementAndGet(); // a lost write or a forger: counted, see nextEpoch
        }
        Beat said = Translate.beat(beat);
        GroupRecord joined = decider.join(base, said);
        String problem = joined.members().get(beat.getNode()).problem();
        if (problem != null
                && (stored == null
                        || stored.members().get(beat.getNode()) == null
                        || !problem.equals(stored.members().get(beat.getNode()).problem()))) {
            stats.inconsistentMembers.incrementAndGet();
            log.atWarn()
                    .addKeyValue("group", group)
                    .addKeyValue("node", beat.getNode())
                    .addKeyValue("reason", problem)
                    .log("refusing to ever make {} ACTIVE in {}: {}", beat.getNode(), group, problem);
        }
        heardSince.putIfAbsent(group, now); // the election grace runs from here
        Map<String, Liveness> members = liveness.computeIfAbsent(group, g -> new HashMap<>());
        Liveness previous = members.get(beat.getNode());
        members.put(
                beat.getNode(),
                previous == null
                        ? Liveness.first(said, now, decider.policy())
                        : previous.next(said, now, decider.policy()));
        if (keys != null && keys.keyed(group)) {
            memory(group).accepted(beat.getNode(), beat.getIncarnation()); // stored when it is a new run
        }
        apply(group, stored, joined, decider.decide(view(joined), now), at);
    }

    /**
     * Whether a beat of a group that may require authentication is acted on: one without a valid code is
     * dead-lettered with the reason; an authentic one not newer (incarnation, then sequence) than the member's last
     * accepted one is dropped, so a recorded beat written again cannot keep a dead member alive.
     */
    private boolean authentic(HeartbeatKeys keys, Record<String, byte[]> record, Heartbeat beat, Now at) {
        String refusal = keys.refusal(beat.getGroup(), beat.getNode(), record.key(), record.value(), record.headers());
        if (refusal != null) {
            stats.heartbeatsUnauthenticated.incrementAndGet();
            deadLetter(record, refusal);
            GroupRecord known = records.get(beat.getGroup());
            if (known != null && known.members().containsKey(beat.getNode())) {
                holdUnverified(known, beat.getNode(), refusal, at);
            }
            return false;
        }
        if (!keys.keyed(beat.getGroup())) {
            return true;
        }
        Liveness last = liveness.getOrDefault(beat.getGroup(), Map.of()).get(beat.getNode());
        // the newest run accepted: heard here, or stored with the group by whichever instance held it before
        long newest = Math.max(
                last == null ? Long.MIN_VALUE : last.incarnation(),
                records.containsKey(beat.getGroup())
                        ? memory(beat.getGroup()).incarnation(beat.getNode())
                        : Long.MIN_VALUE);
        if (beat.getIncarnation() < newest
                || last != null
                        && beat.getIncarnation() == last.incarnation()
                        && beat.getSequence() <= last.sequence()) {
            long stale = stats.heartbeatsStale.incrementAndGet();
            if (beat.getIncarnation() < newest && Long.bitCount(stale) == 1) { // 1, 2, 4, ...: said
                log.atWarn()
                        .addKeyValue("group", beat.getGroup())
                        .addKeyValue("node", beat.getNode())
                        .log(
                                "dropped an authentic heartbeat of {} in {} from incarnation {}, older than {} accepted "
                                        + "before: a recorded beat written again, or its agent restarted with its clock "
                                        + "behind (it is heard again once its clock passes the old run's start, or at once "
                                        + "after failover ctl remove of it); {} stale beats so far",
                                beat.getNode(),
                                beat.getGroup(),
                                beat.getIncarnation(),
                                newest,
                                stale);
            }
            return false;
        }
        return true;
    }

    /**
     * A beat in the name of a known member failed authentication. Kafka acknowledged it, so if that member's service
     * may run (assigned ACTIVE, in a handover, owing a fence, or last reporting ACTIVE or STOPPING), its node may be
     * alive and renewing its lease (a key rotated on one side only, keys switched on in the wrong order): counting the
     * beat as silence would convict a live primary and start a second active. Such a beat holds every judgement of
     * that member instead ({@link GroupView#unverifiedMs}) and alerts; a forger can so delay the failover of a
     * primary, never cause one. For any other member it changes nothing: it is only dead-lettered.
     */
    private void holdUnverified(GroupRecord known, String node, String refusal, Now at) {
        String group = known.group();
        var member = known.members().get(node);
        Liveness last = liveness.getOrDefault(group, Map.of()).get(node);
        boolean mayServe = member.assigned() == Role.ACTIVE
                || member.owesFence()
                || (known.pending() != null
                        && (node.equals(known.pending().from())
                                || node.equals(known.pending().to())))
                || (last != null && (last.reportedRole() == Role.ACTIVE || last.reportedRole() == Role.STOPPING));
        if (!mayServe) {
            return;
        }
        Long before = unverified.computeIfAbsent(group, g -> new HashMap<>()).put(node, at.monoMs());
        long held = stats.heartbeatsUnverifiedHeld.incrementAndGet();
        if (Long.bitCount(held) == 1 || before == null) { // 1, 2, 4, ... and the first of each member: said
            log.atError()
                    .addKeyValue("group", group)
                    .addKeyValue("node", node)
                    .addKeyValue("reason", refusal)
                    .log(
                            "{}: {}'s service may run, so it is not judged silent while such beats arrive; no failover "
                                    + "of it can happen until its beats authenticate again ({} such beats so far)",
                            refusal,
                            node,
                            held);
        }
        reschedule(group, view(known), at.monoMs());
    }

    private void onCommand(Record<String, byte[]> record, String topic, Now now) {
        Command command = decode(commands, record, topic);
        if (command == null || !wellKeyed(record, command.getGroup(), command.getCommandId(), "command")) {
            return;
        }
        GroupRecord stored = load(command.getGroup());
        if (stored == null) {
            Decision refused = decider.unknownGroup(command.getGroup(), Translate.order(command), now.monoMs());
            publish(refused.change().orElseThrow(), view(refused.next()), now);
            return;
        }
        if (commandGate == null) {
            commandGate = new CommandGate(
                    settings.guards().operatorKeys(), settings.guards().commandMaxAgeMs());
        }
        String refusal = commandGate.refusal(
                record.key(),
                record.value(),
                record.headers(),
                command,
                stored.epoch(),
                now.wallMs(),
                memory(command.getGroup()));
        if (refusal != null) {
            long refused = stats.commandsUnauthenticated.incrementAndGet();
            if (Long.bitCount(refused) == 1) { // 1, 2, 4, 8, ...: said, never flooding the log
                log.atWarn()
                        .addKeyValue("group", command.getGroup())
                        .addKeyValue("commandId", command.getCommandId())
                        .log("{} ({} commands refused so far by this check)", refusal, refused);
            }
            apply(
                    command.getGroup(),
                    stored,
                    stored,
                    decider.refusal(stored, command.getCommandId(), refusal, now.monoMs()),
                    now);
            return;
        }
        apply(
                command.getGroup(),
                stored,
                stored,
                decider.command(view(stored), Translate.order(command), now.monoMs()),
                now);
    }

    private void onFence(Record<String, byte[]> record, String topic, Now now) {
        if (record.value() == null) {
            deadLetter(record, "an empty value (tombstone) on '" + topic + "' carries no Fence");
            return;
        }
        Fence marker;
        try {
            marker = fences.read(topic, record.value());
        } catch (WireFormatException e) {
            deadLetter(record, e.getMessage());
            return;
        }
        if (!settings.instanceId().equals(marker.getInstance())) {
            return; // another instance's marker (an earlier owner of this task): its clock is not ours
        }
        org.apache.kafka.common.header.Header seal = record.headers().lastHeader(FenceMarker.SEAL_HEADER);
        if (seal == null
                || !this.seal.verify(record.key(), record.value(), seal.value())
                || marker.getSentAtMs() > now.monoMs()) {
            // written by someone who knows this instance's id but not its secret (or a copy with a clock it has not
            // reached): crediting it could lift the self-guard, so it proves nothing
            long refused = stats.fenceMarkersRefused.incrementAndGet();
            if (Long.bitCount(refused) == 1) { // 1, 2, 4, 8, ...: said, never flooding the log
                log.atWarn()
                        .addKeyValue("key", record.key())
                        .addKeyValue("refused", refused)
                        .log(
                                "ignoring a fence marker with this instance's id that this process did not write ({}): {} "
                                        + "so far; someone who can write heartbeats tried to lift the self-guard",
                                seal == null
                                        ? "no seal"
                                        : marker.getSentAtMs() > now.monoMs()
                                                ? "sent in this clock's future"
                                                : "wrong seal",
                                refused);
            }
            return;
        }
        watch = watch.fencedAt(marker.getSentAtMs()); // our own monotonic clock, read back
        // only a marker sent since this task started watching measures its current input (an older one of ours, read
        // again after a thread replacement, would count its whole absence)
        markerCameBackLate =
                marker.getSentAtMs() >= watch.sinceMs() && CommitPacer.behind(marker.getSentAtMs(), now.monoMs());
        for (String group : List.copyOf(overdue)) {
            GroupRecord stored = load(group);
            if (stored != null) {
                apply(group, stored, stored, decider.decide(view(stored), now.monoMs()), now);
            }
        }
    }

    /** Runs a punctuation if at least {@code minGapMs} passed on the monotonic clock since the last one. */
    private void maybePunctuate(Now now, long minGapMs, boolean fromRecord) {
        if (now.monoMs() - lastPunctuationMs >= minGapMs) {
            lastPunctuationMs = now.monoMs();
            // no commit of its own (even when the wall clock is behind): its marker and decisions commit themselves,
            // and a commit requested at every record would bring back one record per task per loop
            punctuate(now);
        }
    }

    private void punctuate(Now at) {
        answerAsks(at);
        long now = at.monoMs();
        long began = System.nanoTime();
        for (String group : deadlines.due(now)) {
            GroupRecord stored = load(group);
            if (stored != null) {
                apply(group, stored, stored, decider.decide(view(stored), now), at);
            }
        }
        if (now >= nextCensusMs) {
            nextCensusMs = now + CENSUS_INTERVAL_MS;
            stats.census(context.taskId().partition(), census(now));
            fenceLeadMs = fenceLead();
        }
        // A marker only when a deadline is near (or past, waiting on one), else one a second: each is written in a
        // transaction and pins the heartbeat partition's last stable offset until committed, so every heartbeat
        // behind it waits for that commit; and each commit Streams makes every loop cuts its work to one record per
        // task per loop (on a three-node cluster, where a commit took ~170 ms, its input outgrew it). So a wanted
        // marker waits while the last one (written since this task started watching) is still on its way back: one
        // commit per round trip, not one per punctuation; if its transaction was lost, the keepalive, due at most a
        // second after it, writes the next. Otherwise a task
        // that falls behind (a burst of new groups all waiting on the fence for their election) commits every loop,
        // falls further behind and never reads its marker back. Fewer markers can only delay a decision: every use
        // of the fence enables one, none forbids one.
        boolean wanted = deadlines.earliest() - now <= fenceLeadMs
                || overdue.stream().anyMatch(group -> {
                    GroupRecord record = records.get(group);
                    return record == null
                            || !record.paused(now); // a paused group decides nothing a marker would enable
                });
        if ((wanted && !markerOut()) || keepaliveDue(now)) {
            lastMarkerMs = now;
            Fence marker = FenceMarker.body(settings.instanceId(), fenceSequence++, watch.sinceMs(), now);
            String key = FenceMarker.key(context.taskId().partition());
            byte[] value = fenceWriter.serialize(settings.topics().heartbeats(), marker);
            context.forward(
                    new Record<>(
                            key,
                            value,
                            at.wallMs(),
                            new org.apache.kafka.common.header.internals.RecordHeaders()
                                    .add(FenceMarker.SEAL_HEADER, seal.seal(key, value))),
                    FENCE_SINK);
            commit(now); // readable at once, and the partition is not held behind it
        }
        settleOwedCommit(now);
        long ended = System.nanoTime();
        stats.punctuated(context.taskId().partition(), ended - began, ended);
        pace();
    }

    /**
     * Whether a keepalive marker is due: a second since the last marker, or the first punctuation in a new whole second
     * of the (process-wide) monotonic clock at least half a second after it. The second rule lines up the keepalives
     * of every task of a stream thread, so that they share a loop and so one transaction.
     */
    private boolean keepaliveDue(long now) {
        long since = now - lastMarkerMs;
        return since >= MARKER_KEEPALIVE_MS
                || (since >= MARKER_KEEPALIVE_MS / 2
                        && Math.floorDiv(now, MARKER_KEEPALIVE_MS) != Math.floorDiv(lastMarkerMs, MARKER_KEEPALIVE_MS));
    }

    /** How often a task writes a fence marker when no deadline is near: it proves the task's input still flows. */
    public static final long MARKER_KEEPALIVE_MS = 1_000;
    /** When (monotonic) this task last wrote a fence marker. */
    private long lastMarkerMs = Long.MIN_VALUE / 2;

    private static final long CENSUS_INTERVAL_MS = 1_000;

    private long fenceLead() {
        long lead = 0;
        holdsGroups = records.values().stream().anyMatch(r -> !r.members().isEmpty());
        for (GroupRecord record : records.values()) {
            for (var member : record.members().values()) {
                lead = Math.max(
                        lead,
                        member.timing().failureTimeoutMs() - member.timing().leaseMs());
            }
        }
        return lead + 2 * settings.punctuationIntervalMs();
    }

    /** Counts what this task holds, for the gauges: once a second, as it walks every group. */
    private ShellStats.Census census(long now) {
        int paused = 0;
        int suspected = 0;
        Map<Role, Integer> byRole = new java.util.EnumMap<>(Role.class);
        for (GroupRecord record : records.values()) {
            if (record.paused(now)) {
                paused++;
            }
            Map<String, Liveness> live = liveness.getOrDefault(record.group(), Map.of());
            for (var member : record.members().values()) {
                byRole.merge(member.assigned(), 1, Integer::sum);
                Liveness l = live.get(member.node());
                if (l != null && l.suspected(now, member.timing().failureTimeoutMs())) {
                    suspected++;
                }
            }
        }
        int live = (int)
                records.values().stream().filter(r -> !r.members().isEmpty()).count();
        return new ShellStats.Census(
                live,
                paused,
                byRole,
                suspected,
                now - Math.max(watch.fencedUpToMs(), Math.max(watch.sinceMs(), busySinceMs)));
    }

    /**
     * Stores what changed, publishes the change and the new state, and files the group under its next deadline.
     * An automatic failover or stand-down first asks the {@link Brake}; a held one leaves {@code input} as it was.
     */
    private void apply(String group, GroupRecord stored, GroupRecord input, Decision decision, Now now) {
        decision = braked(group, input, decision, now.monoMs());
        if (decision.defect()) {
            long defects = stats.decisionDefects.incrementAndGet();
            if (Long.bitCount(defects) == 1) { // 1, 2, 4, 8, ...: said, never flooding the log (it repeats per look)
                log.atError()
                        .addKeyValue("group", group)
                        .addKeyValue("reason", decision.reason())
                        .log("{} ({} so far; failover_decision_defects_total)", decision.reason(), defects);
            }
        }
        GroupRecord next = decision.next();
        holdsGroups |= !next.members().isEmpty(); // the census recomputes it exactly
        for (var member : next.members().values()) { // the census recomputes it exactly; here it only grows
            fenceLeadMs = Math.max(
                    fenceLeadMs,
                    member.timing().failureTimeoutMs()
                            - member.timing().leaseMs()
                            + 2 * settings.punctuationIntervalMs());
        }
        Map<String, Liveness> live = liveness.get(group);
        if (live != null) {
            live.keySet().retainAll(next.members().keySet()); // forgotten members are forgotten here too
        }
        Map<String, Long> held = unverified.get(group);
        if (held != null) {
            held.keySet().retainAll(next.members().keySet());
        }
        GroupView view = view(next);
        decision.change().ifPresent(change -> publish(change, view, now));
        Decision.Conviction convicted = decision.conviction();
        if (convicted != null) {
            stats.convicted(convicted.silenceMs(), convicted.timeoutMs());
        }
        if (next.members().isEmpty() && stored != null && !stored.members().isEmpty()) {
            forget(group, next, now);
            return;
        }
        GroupMemory memory = memory(group);
        memory.retain(next.members().keySet());
        if (!next.equals(stored) || decision.change().isPresent() || memory.dirty()) {
            waitSaid.remove(group);
            groups.put(group, StoredGroups.toStored(next, now, memory));
            memory.stored();
            records.put(group, next);
            publishState(group, view, now, decision.reason());
        } else if (next.pending() != null && !decision.reason().equals(waitSaid.get(group))) {
            waitSaid.put(group, decision.reason());
            log.atInfo()
                    .addKeyValue("group", group)
                    .addKeyValue("epoch", next.epoch())
                    .addKeyValue("reason", decision.reason())
                    .log("{}", decision.reason());
            publishState(group, view, now, decision.reason());
        } else if (log.isDebugEnabled()) {
            log.debug("no change: {}", decision.reason());
        }
        reschedule(group, view, now.monoMs());
    }

    /** The group's current state on the compacted state topic, with the reason an operator reads. */
    private void publishState(String group, GroupView view, Now now, String reason) {
        byte[] value =
                WireSerdes.groupState().serialize(settings.topics().state(), Evidence.groupState(view, now, reason));
        context.forward(
                new Record<>(
                        group,
                        value,
                        now.wallMs(),
                        signed(dev.failover.wire.sign.RecordSigner.GROUP_STATE, group, value)),
                STATE_SINK);
        commit(now.monoMs()); // what agents and ctl read: visible at once, not at the commit interval
    }

    /** The decision as the {@link Brake} lets it through; says when the brake engages and releases. */
    private Decision braked(String group, GroupRecord input, Decision decision, long now) {
        if (!decision.automaticFailover()) {
            return decision;
        }
        long known = Math.max(1, groups.approximateNumEntries());
        Decision judged = brake.judge(group, input, decision, now, known);
        boolean engaged = brake.engaged(now, known);
        if (engaged && !brakeEngaged) {
            log.atError()
                    .addKeyValue("wanting", brake.wanting(now))
                    .addKeyValue("groups", known)
                    .addKeyValue("windowMs", brake.windowMs())
                    .log(
                            "BRAKE ENGAGED: {} of {} groups would fail over within {} ms; holding automatic failovers "
                                    + "beyond {} until fewer want to (pause the groups or fix the cause)",
                            brake.wanting(now),
                            known,
                            brake.windowMs(),
                            brake.limit(known));
        } else if (!engaged && brakeEngaged) {
            log.warn("brake released: {} groups want to fail over within {} ms", brake.wanting(now), brake.windowMs());
        }
        brakeEngaged = engaged;
        stats.brakeEngaged.set(engaged ? 1 : 0);
        if (judged.held()) {
            stats.brakeHolds.incrementAndGet();
        }
        return judged;
    }

    /** Headers carrying this coordinator's signature of the record, when it signs (signing.key); else none. */
    private org.apache.kafka.common.header.Headers signed(String kind, String key, byte[] value) {
        org.apache.kafka.common.header.Headers headers = new org.apache.kafka.common.header.internals.RecordHeaders();
        return settings.signer() == null ? headers : settings.signer().sign(kind, key, value, headers);
    }

    private void publish(Change change, GroupView view, Now now) {
        long[] previous = assignedAt.get(view.record().group());
        if (change.kind() != DecisionKind.COMMAND_REFUSED && (previous == null || change.epoch() > previous[0])) {
            assignedAt.put(view.record().group(), new long[] {change.epoch(), now.monoMs()});
        }
        RoleChange published = Evidence.roleChange(change, view, now);
        byte[] value = WireSerdes.roleChange().serialize(settings.topics().roleChanges(), published);
        org.apache.kafka.common.header.Headers headers = signed(
                dev.failover.wire.sign.RecordSigner.ROLE_CHANGE, view.record().group(), value);
        headers.add(WireHeaders.SETTINGS, decisionSettings);
        context.forward(new Record<>(view.record().group(), value, now.wallMs(), headers), ROLE_CHANGES_SINK);
        commit(now.monoMs()); // a decision is visible (read_committed) only once committed: at once
        GroupRecord before = records.get(view.record().group());
        stats.decided(change.kind(), change.epoch() > (before == null ? 0 : before.epoch()));
        log.atInfo()
                .addKeyValue("group", view.record().group())
                .addKeyValue("epoch", change.epoch())
                .addKeyValue("kind", change.kind())
                .addKeyValue("roles", change.roles())
                .addKeyValue("reason", change.reason())
                .log("decision: {}", change.reason());
    }

    /**
     * Deletes a group whose last member was forgotten: from memory and from the state topic (a tombstone, so late
     * subscribers and {@code ctl status} no longer see it). The store keeps its empty record, a few bytes: the epoch
     * is a fencing token, and a group of that name created again must start above every epoch it ever issued.
     */
    private void forget(String group, GroupRecord empty, Now now) {
        GroupMemory memory = memory(group); // the answered commands are kept: the epoch goes on, so would a copy
        memory.retain(java.util.Set.of());
        groups.put(group, StoredGroups.toStored(empty, now, memory));
        memory.stored();
        records.put(group, empty);
        liveness.remove(group);
        unverified.remove(group);
        overdue.remove(group);
        deadlines.schedule(group, Long.MAX_VALUE);
        refusalLoggedAtMs.remove(group);
        heardSince.remove(group);
        waitSaid.remove(group);
        assignedAt.remove(group);
        context.forward(
                new Record<String, byte[]>(
                        group,
                        null,
                        now.wallMs(),
                        signed(dev.failover.wire.sign.RecordSigner.GROUP_STATE, group, null)),
                STATE_SINK);
        commit(now.monoMs());
        log.atInfo()
                .addKeyValue("group", group)
                .addKeyValue("epoch", empty.epoch())
                .log("deleted group {}: no members left (its epoch {} is kept as a floor)", group, empty.epoch());
    }

    private void reschedule(String group, GroupView view, long now) {
        long at = decider.nextCheckAtMs(view, now);
        if (at <= now) {
            overdue.add(group); // silent past its timeout, not yet convictable: look again at each fence marker
            deadlines.schedule(group, Long.MAX_VALUE);
        } else {
            overdue.remove(group);
            deadlines.schedule(group, at);
        }
    }

    private GroupRecord load(String group) {
        return records.get(group);
    }

    private GroupMemory memory(String group) {
        return memories.computeIfAbsent(group, g -> new GroupMemory());
    }

    private GroupView view(GroupRecord record) {
        long[] assigned = assignedAt.get(record.group());
        return new GroupView(
                record,
                liveness.getOrDefault(record.group(), Map.of()),
                watch,
                assigned != null && assigned[0] == record.epoch() ? assigned[1] : Long.MIN_VALUE,
                unverified.getOrDefault(record.group(), Map.of()),
                heardSince.getOrDefault(record.group(), Long.MIN_VALUE));
    }

    private <T extends org.apache.avro.specific.SpecificRecordBase> T decode(
            AvroSerde<T> serde, Record<String, byte[]> record, String topic) {
        try {
            T value = serde.deserialize(topic, record.value());
            if (value == null) {
                deadLetter(
                        record,
                        "an empty value (tombstone) on '" + topic + "' carries no "
                                + serde.type().name());
            }
            return value;
        } catch (WireFormatException e) {
            deadLetter(record, e.getMessage());
            return null;
        }
    }

    private boolean wellKeyed(Record<String, byte[]> record, String group, String id, String what) {
        // IMPORTANT: the id rule applies to new groups and members only. One that joined before the rule existed keeps
        // being heard: dead-lettering a live member's beats would make it look silent while its lease renews.
        GroupRecord known = group == null ? null : records.get(group);
        java.util.Optional<String> badGroup = known != null
                ? java.util.Optional.empty()
                : dev.failover.wire.Ids.problem("the " + what + "'s group", group);
        if (badGroup.isPresent()) {
            deadLetter(record, badGroup.get());
            return false;
        }
        if (what.equals("heartbeat")) {
            java.util.Optional<String> badNode =
                    known != null && id != null && known.members().containsKey(id)
                            ? java.util.Optional.empty()
                            : dev.failover.wire.Ids.problem("the heartbeat's node", id);
            if (badNode.isPresent()) {
                deadLetter(record, badNode.get() + " (group '" + group + "')");
                return false;
            }
        } else if (id == null || id.isEmpty() || id.length() > dev.failover.wire.Ids.MAX_LENGTH) {
            deadLetter(
                    record,
                    "a command of group '" + group + "' needs a command id of 1 to " + dev.failover.wire.Ids.MAX_LENGTH
                            + " characters");
            return false;
        }
        if (!group.equals(record.key())) {
            deadLetter(
                    record,
                    "the key '" + record.key() + "' is not the " + what + "'s group '" + group
                            + "': records of a group must be keyed by it, or two tasks would decide for it");
            return false;
        }
        int partition = context.recordMetadata().map(RecordMetadata::partition).orElse(-1);
        int belongs = partitionOf(group);
        if (belongs >= 0 && partition >= 0 && partition != belongs) {
            // written with an explicit partition: another task would hold a second copy of the group (its own epochs,
            // its own elections, signed like any decision), a second writer of its role changes
            deadLetter(
                    record,
                    "a " + what + " of group '" + group + "' in partition " + partition + ", but the group's "
                            + "records belong in partition " + belongs + " of " + settings.inputPartitions()
                            + " (Kafka's "
                            + "default partitioner): written there on purpose, it would make a second copy of the group");
            return false;
        }
        return true;
    }

    /** The partition of {@code group}'s records, as Kafka's default partitioner places them; -1 if not known. */
    private int partitionOf(String group) {
        int partitions = settings.inputPartitions();
        return partitions <= 0 ? -1 : Keys.partitionOf(group, partitions);
    }

    private void deadLetter(Record<String, byte[]> record, String reason) {
        stats.deadLettered.incrementAndGet();
        var meta = context.recordMetadata();
        String source = meta.map(m -> m.topic() + "-" + m.partition() + "@" + m.offset())
                .orElse("unknown");
        log.atWarn()
                .addKeyValue("source", source)
                .addKeyValue("reason", reason)
                .log("dead-lettered a record: {}", reason);
        Record<String, byte[]> out = record.withHeaders(record.headers()
                .add(WireHeaders.ERROR, reason.getBytes(StandardCharsets.UTF_8))
                .add(WireHeaders.SOURCE, source.getBytes(StandardCharsets.UTF_8)));
        context.forward(out, DEAD_LETTER_SINK);
    }

    /** The live view of each group the status page asked about (null for a group this task does not hold). */
    private void answerAsks(Now now) {
        for (LiveGroups.Ask ask; (ask = asks.poll()) != null; ) {
            if (ask.answer().isDone()) {
                continue; // the asker gave up
            }
            GroupRecord record = records.get(ask.group());
            ask.answer()
                    .complete(
                            record == null
                                    ? null
                                    : Evidence.live(
                                            view(record),
                                            now,
                                            waitSaid.getOrDefault(ask.group(), ""),
                                            context.taskId().partition()));
        }
    }

    @Override
    public void close() {
        if (context != null) {
            stats.forget(context.taskId().partition());
        }
        if (asks != null) {
            stats.live().close(context.taskId().partition(), asks);
        }
        records.clear();
        memories.clear(); // a revived task reads them from its store again: an aborted transaction's answers are gone
        refusalLoggedAtMs.clear();
        heardSince.clear();
        liveness.clear();
        unverified.clear();
        deadlines.clear();
        overdue.clear();
        markerCameBackLate = false;
        owedSinceGranted = -1; // a closing task is committed by Streams; a revived one owes nothing
    }
}
