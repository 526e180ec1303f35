package dev.failover.coordinator.streams;

import dev.failover.coordinator.core.Liveness;
import dev.failover.wire.DecisionKind;
import dev.failover.wire.Role;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;

/**
 * Counters and meters the shell keeps for {@code /health} and {@code /metrics}, shared by every task of one
 * instance. Meter names are what Prometheus shows (dots become underscores, units are appended).
 */
public final class ShellStats {
    public final AtomicLong heartbeats = new AtomicLong();
    public final AtomicLong decisions = new AtomicLong();
    public final AtomicLong deadLettered = new AtomicLong();
    public final AtomicLong punctuations = new AtomicLong();
    public final AtomicLong lastPunctuationNanos = new AtomicLong();
    public final AtomicLong brakeHolds = new AtomicLong();
    public final AtomicLong brakeEngaged = new AtomicLong();
    public final AtomicLong inconsistentMembers = new AtomicLong();
    public final AtomicLong membersRefused = new AtomicLong();
    public final AtomicLong fenceMarkersRefused = new AtomicLong();
    /** Decisions the decider refused as breaking one of its own rules (a defect: the group was left as it was). */
    public final AtomicLong decisionDefects = new AtomicLong();
    /** Commands refused by the operator-key check (unsigned, wrongly signed, stale epoch, too old, repeated). */
    public final AtomicLong commandsUnauthenticated = new AtomicLong();
    /** Heartbeats of keyed groups dead-lettered for no or a wrong authentication code. */
    public final AtomicLong heartbeatsUnauthenticated = new AtomicLong();
    /** Of those, beats claiming to be a known member: each holds that member's judgement (it may be alive). */
    public final AtomicLong heartbeatsUnverifiedHeld = new AtomicLong();
    /** Authenticated heartbeats dropped as not newer than the member's last accepted one (a copy, or a replay). */
    public final AtomicLong heartbeatsStale = new AtomicLong();
    /** Heartbeats reporting an epoch above their group's current one (adopted by the next epoch below 2^53 only). */
    public final AtomicLong epochsAboveCurrent = new AtomicLong();
    /** 1 while /health answers 503 for any reason (set by the application's watchdog). */
    public final AtomicLong unhealthy = new AtomicLong();
    /** Stream threads that died and were replaced. */
    public final AtomicLong threadDeaths = new AtomicLong();
    /** 1 while a stream thread of this instance is stuck (set by the application's watchdog). */
    public final AtomicLong stalled = new AtomicLong();

    /** What one task holds, counted about once a second. */
    public record Census(
            int groups, int pausedGroups, Map<Role, Integer> nodesByRole, int suspectedNodes, long fenceLagMs) {}

    private final MeterRegistry registry;
    private final LiveGroups live = new LiveGroups();
    private final Map<Integer, Census> census = new ConcurrentHashMap<>();
    /** Per task (its partition), when it last punctuated, in monotonic milliseconds. */
    private final Map<Integer, Long> lastPunctuatedMs = new ConcurrentHashMap<>();
    /** The tasks (their partitions) that hold no group, and so do not punctuate. */
    private final Set<Integer> idle = ConcurrentHashMap.newKeySet();

    private final Map<DecisionKind, Counter> decisionsByKind = new EnumMap<>(DecisionKind.class);
    private final Counter epochIncrements;
    private final Timer detection;
    private final Timer decisionLag;
    private final Timer punctuation;

    public ShellStats() {
        this(new SimpleMeterRegistry());
    }

    public ShellStats(MeterRegistry registry) {
        this.registry = registry;
        FunctionCounter.builder("failover.heartbeats", heartbeats, AtomicLong::get)
                .description("heartbeats received")
                .register(registry);
        FunctionCounter.builder("failover.dead.letters", deadLettered, AtomicLong::get)
                .description("records dead-lettered (malformed, mis-keyed, ...)")
                .register(registry);
        FunctionCounter.builder("failover.brake.holds", brakeHolds, AtomicLong::get)
                .description("automatic failovers held by the brake")
                .register(registry);
        FunctionCounter.builder("failover.inconsistent.members", inconsistentMembers, AtomicLong::get)
                .description("members refused for inconsistent timing")
                .register(registry);
        FunctionCounter.builder("failover.members.refused", membersRefused, AtomicLong::get)
                .description("heartbeats of new nodes refused because their group is full (max.members.per.group)")
                .register(registry);
        FunctionCounter.builder("failover.fence.markers.refused", fenceMarkersRefused, AtomicLong::get)
                .description("fence markers with this instance's id that this process did not write (no or a wrong "
                        + "seal, or a send time ahead of its clock): ignored")
                .register(registry);
        FunctionCounter.builder("failover.decision.defects", decisionDefects, AtomicLong::get)
                .description("decisions the decider refused because they broke one of its own rules (an illegal "
                        + "phase move, two ACTIVE, roles changed without a new epoch): a bug; the group was left as "
                        + "it was, and the log says which at ERROR")
                .register(registry);
        FunctionCounter.builder("failover.commands.unauthenticated", commandsUnauthenticated, AtomicLong::get)
                .description("commands refused by the operator-key check (unsigned, wrongly signed, for another "
                        + "epoch, too old, or repeated)")
                .register(registry);
        FunctionCounter.builder("failover.heartbeats.unauthenticated", heartbeatsUnauthenticated, AtomicLong::get)
                .description("heartbeats of groups that require authentication without a valid code: dead-lettered")
                .register(registry);
        FunctionCounter.builder("failover.heartbeats.unverified.held", heartbeatsUnverifiedHeld, AtomicLong::get)
                .description("unauthenticated heartbeats claiming to be a known member: each holds any failover of it "
                        + "(alert on any increase)")
                .register(registry);
        FunctionCounter.builder("failover.heartbeats.stale", heartbeatsStale, AtomicLong::get)
                .description("authenticated heartbeats not newer than the member's last accepted one (a retried copy, "
                        + "or a replay): dropped")
                .register(registry);
        FunctionCounter.builder("failover.epochs.above.current", epochsAboveCurrent, AtomicLong::get)
                .description("heartbeats reporting an epoch above their group's current one (a store that lost a "
                        + "write, or a forger); the next epoch exceeds them, up to 2^53")
                .register(registry);
        Gauge.builder("failover.unhealthy", unhealthy, AtomicLong::get)
                .description("1 while /health answers 503: some group of this instance may get no decisions")
                .register(registry);
        FunctionCounter.builder("failover.stream.thread.deaths", threadDeaths, AtomicLong::get)
                .description("stream threads that died and were replaced")
                .register(registry);
        Gauge.builder("failover.brake.engaged", brakeEngaged, AtomicLong::get)
                .description("1 while the brake holds mass failovers")
                .register(registry);
        Gauge.builder("failover.stalled", stalled, AtomicLong::get)
                .description("1 while a stream thread has not polled Kafka for stall.limit.ms (no decisions)")
                .register(registry);
        for (DecisionKind kind : DecisionKind.values()) {
            decisionsByKind.put(
                    kind,
                    Counter.builder("failover.decisions")
                            .tag("kind", kind.name())
                            .description("decisions published, by kind")
                            .register(registry));
        }
        epochIncrements = Counter.builder("failover.epoch.increments")
                .description("new epochs (fencing tokens) issued")
                .register(registry);
        detection = Timer.builder("failover.detection")
                .description("silence of a convicted primary at its conviction")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(100))
                .maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
        decisionLag = Timer.builder("failover.decision.lag")
                .description("from a primary's failure deadline (last heartbeat + timeout) to the decision")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
        punctuation = Timer.builder("failover.punctuation")
                .description("one wall-clock punctuation of one task")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000))
                .maximumExpectedValue(Duration.ofSeconds(1))
                .register(registry);
        gauge("failover.groups", "groups hosted by this instance", Census::groups);
        gauge("failover.groups.paused", "paused groups hosted by this instance", Census::pausedGroups);
        gauge(
                "failover.nodes.suspected",
                "members silent past their timeout or with suspicion >= " + (int) Liveness.SUSPECTED_PHI,
                Census::suspectedNodes);
        for (Role role : Role.values()) {
            gauge(
                    "failover.nodes",
                    "members by assigned role",
                    c -> c.nodesByRole().getOrDefault(role, 0),
                    "role",
                    role.name());
        }
        Gauge.builder(
                        "failover.fence.lag",
                        census,
                        c -> c.values().stream()
                                        .mapToLong(Census::fenceLagMs)
                                        .max()
                                        .orElse(0)
                                / 1000.0)
                .description("the oldest task's age of proven input (self-guard: nobody is convicted while it "
                        + "exceeds a lease)")
                .baseUnit("seconds")
                .register(registry);
    }

    private void gauge(String name, String description, ToLongFunction<Census> field, String... tags) {
        Gauge.builder(name, census, c -> c.values().stream().mapToLong(field).sum())
                .description(description)
                .tags(tags)
                .register(registry);
    }

    /** The inboxes through which the HTTP threads ask the stream threads for a group's live view. */
    public LiveGroups live() {
        return live;
    }

    public MeterRegistry registry() {
        return registry;
    }

    void decided(DecisionKind kind, boolean newEpoch) {
        decisions.incrementAndGet();
        decisionsByKind.get(kind).increment();
        if (newEpoch) {
            epochIncrements.increment();
        }
    }

    /** A primary convicted after {@code silentMs} of silence against a timeout of {@code timeoutMs}. */
    void convicted(long silentMs, long timeoutMs) {
        detection.record(silentMs, TimeUnit.MILLISECONDS);
        decisionLag.record(Math.max(0, silentMs - timeoutMs), TimeUnit.MILLISECONDS);
    }

    /** A task started (was initialised) at {@code atNanos}: it counts as having run then. */
    void started(int task, long atNanos) {
        lastPunctuatedMs.put(task, atNanos / 1_000_000);
    }

    void punctuated(int task, long nanos, long endedAtNanos) {
        lastPunctuatedMs.put(task, endedAtNanos / 1_000_000);
        punctuations.incrementAndGet();
        lastPunctuationNanos.set(nanos);
        punctuation.record(nanos, TimeUnit.NANOSECONDS);
    }

    void census(int task, Census counted) {
        census.put(task, counted);
    }

    /** A task holds no group and stops punctuating ({@code true}), or holds one again and punctuates. */
    void idle(int task, boolean holdsNone) {
        if (holdsNone) {
            if (idle.add(task)) {
                census.put(task, new Census(0, 0, Map.of(), 0, 0));
            }
        } else if (idle.contains(task)) {
            // it runs: it just took a group's record. Refreshed before it leaves the idle set, so that a reader of
            // idleTasks() then lastPunctuatedMs() never sees it busy with a punctuation from before its idle time
            lastPunctuatedMs.put(task, System.nanoTime() / 1_000_000);
            idle.remove(task);
        }
    }

    void forget(int task) {
        census.remove(task);
        lastPunctuatedMs.remove(task);
        idle.remove(task);
    }

    /** The tasks (their partitions) that hold no group: they have nobody to judge and do not punctuate. */
    public Set<Integer> idleTasks() {
        return Set.copyOf(idle);
    }

    /**
     * Per task (its partition), how old the newest fence marker it read back was at its last census (counted from no
     * earlier than when it began to hold a group; 0 for a task that holds none).
     */
    public Map<Integer, Long> fenceLagMs() {
        Map<Integer, Long> lags = new java.util.HashMap<>();
        census.forEach((task, c) -> lags.put(task, c.fenceLagMs()));
        return lags;
    }

    /** Per task (its partition), when it last punctuated, in monotonic milliseconds ({@code System.nanoTime}). */
    public Map<Integer, Long> lastPunctuatedMs() {
        return Map.copyOf(lastPunctuatedMs);
    }
}
