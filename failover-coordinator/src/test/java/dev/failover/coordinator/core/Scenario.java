package dev.failover.coordinator.core;

import dev.failover.wire.Command;
import dev.failover.wire.CommandType;
import dev.failover.wire.FailsafeReport;
import dev.failover.wire.GroupMode;
import dev.failover.wire.Health;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.Role;
import dev.failover.wire.Timing;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Drives the decider the way the Streams shell does, with time in the test's hands. Agents are modelled as obedient:
 * each reports the role and epoch of the newest change published, unless a test says what it reports.
 */
final class Scenario {

    static final int INTERVAL = 200;
    static final int LEASE = 800;
    static final int TIMEOUT = 1000;

    long now = 1_000_000;
    final Decider decider;
    GroupRecord record;
    final Map<String, Liveness> liveness = new HashMap<>();
    /** When a beat in each member's name last failed authentication (the shell's record of it). */
    final Map<String, Long> unverified = new HashMap<>();

    Watch watch;
    final List<Change> published = new ArrayList<>();
    String lastReason;
    /** The newest epoch published and when, as the coordinator's shell remembers it. */
    private long assignedEpoch = Long.MIN_VALUE;

    private long assignedAtMs = Long.MIN_VALUE;
    private final Map<String, Integer> priorities = new HashMap<>();
    private final Map<String, Long> positions = new HashMap<>();
    private final Map<String, Timing> timings = new HashMap<>();
    private final Set<String> muted = new HashSet<>();
    private final Map<String, FailsafeReport> failsafe = new HashMap<>();
    private final GroupMode mode;

    private Scenario(GroupMode mode, Policy policy) {
        this.mode = mode;
        this.decider = new Decider(policy);
        this.record = GroupRecord.empty("orders", GroupMode.UNKNOWN);
        this.watch = Watch.startedAt(now);
    }

    static Scenario activePassive() {
        return new Scenario(GroupMode.ACTIVE_PASSIVE, Policy.defaults());
    }

    static Scenario activePassive(Policy policy) {
        return new Scenario(GroupMode.ACTIVE_PASSIVE, policy);
    }

    static Scenario activeActive(Policy policy) {
        return new Scenario(GroupMode.ACTIVE_ACTIVE, policy);
    }

    /** alpha (priority 100), beta (50), gamma (10), alpha elected and every member eligible. */
    static Scenario groupWithPrimaryAndTwoStandbys() {
        return groupWithPrimaryAndTwoStandbys(Policy.defaults());
    }

    static Scenario groupWithPrimaryAndTwoStandbys(Policy policy) {
        Scenario s =
                activePassive(policy).member("alpha", 100).member("beta", 50).member("gamma", 10);
        s.run(TIMEOUT + 2 * INTERVAL);
        if (!s.activeNode().equals(Optional.of("alpha"))) {
            throw new AssertionError("setup failed: " + s.lastReason);
        }
        return s;
    }

    Scenario member(String node, int priority) {
        priorities.put(node, priority);
        timings.put(node, new Timing(INTERVAL, LEASE, TIMEOUT));
        return this;
    }

    Scenario timing(String node, Timing timing) {
        timings.put(node, timing);
        return this;
    }

    Scenario position(String node, long position) {
        positions.put(node, position);
        return this;
    }

    /** From now on {@code node}'s beats announce failsafe (Heartbeat v3) with this maximum, state and ask set. */
    Scenario failsafe(String node, int maxMs, boolean onGrants, String... askSet) {
        failsafe.put(
                node,
                FailsafeReport.newBuilder()
                        .setMaxMs(maxMs)
                        .setOnGrants(onGrants)
                        .setAskSet(List.of(askSet))
                        .build());
        return this;
    }

    Scenario mute(String node) {
        muted.add(node);
        return this;
    }

    Scenario unmute(String node) {
        muted.remove(node);
        return this;
    }

    /** A beat in {@code node}'s name arrives that fails authentication (heartbeat keys): nothing in it is read. */
    Scenario unverifiedBeat(String node) {
        unverified.put(node, now);
        return this;
    }

    /** A healthy beat reporting what an obedient agent holds. */
    Scenario beat(String node) {
        return beat(node, Health.HEALTHY);
    }

    /** Beats are numbered as an agent numbers them: one run, strictly increasing. */
    private long sequence;

    Scenario beat(String node, Health health) {
        return beat(node, health, obeyedRole(node), obeyedEpoch());
    }

    Scenario beat(String node, Health health, Role role, long epoch) {
        Timing t = timings.get(node);
        Heartbeat hb = Heartbeat.newBuilder()
                .setGroup("orders")
                .setNode(node)
                .setSequence(sequence++)
                .setIncarnation(1)
                .setSentAtMs(now)
                .setHealth(health)
                .setRole(role)
                .setEpoch(epoch)
                .setMode(mode)
                .setPriority(priorities.get(node))
                .setHeartbeatIntervalMs(t.heartbeatIntervalMs())
                .setLeaseMs(t.leaseMs())
                .setFailureTimeoutMs(t.failureTimeoutMs())
                .setReplicationPosition(positions.get(node))
                .setFailsafe(failsafe.get(node))
                .build();
        Beat said = dev.failover.coordinator.streams.Translate.beat(hb);
        record = decider.join(record, said);
        if (heardSinceMs == Long.MIN_VALUE) {
            heardSinceMs = now;
        }
        Liveness previous = liveness.get(node);
        liveness.put(
                node,
                previous == null
                        ? Liveness.first(said, now, decider.policy())
                        : previous.next(said, now, decider.policy()));
        return this;
    }

    /** A healthy STANDBY beat of {@code node} sent at {@code sentAtMs}, for tests of liveness alone. */
    static Heartbeat heartbeat(String node, long sentAtMs) {
        // numbered by send time: later beats of one run have higher numbers, as the agent's do
        return Heartbeat.newBuilder()
                .setGroup("orders")
                .setNode(node)
                .setSequence(1_000_000_000L + sentAtMs)
                .setIncarnation(1)
                .setSentAtMs(sentAtMs)
                .setHealth(Health.HEALTHY)
                .setRole(Role.STANDBY)
                .setEpoch(0)
                .setMode(GroupMode.ACTIVE_PASSIVE)
                .setPriority(1)
                .setHeartbeatIntervalMs(INTERVAL)
                .setLeaseMs(LEASE)
                .setFailureTimeoutMs(TIMEOUT)
                .build();
    }

    Role obeyedRole(String node) {
        if (published.isEmpty()) {
            return Role.STANDBY;
        }
        return published.get(published.size() - 1).roles().getOrDefault(node, Role.STANDBY);
    }

    long obeyedEpoch() {
        return record.epoch();
    }

    Scenario advance(long ms) {
        now += ms;
        return this;
    }

    /** The coordinator reads back a fence marker it wrote just now. */
    Scenario fence() {
        watch = watch.fencedAt(now);
        return this;
    }

    Decision decide() {
        Decision d = decider.decide(view(), now);
        return apply(brake == null ? d : brake.judge(brakeAs, record, d, now, knownGroups));
    }

    /** When this instance first heard the group (the election grace runs from it), as the shell remembers it. */
    long heardSinceMs = Long.MIN_VALUE;

    private Brake brake;
    private String brakeAs;
    private long knownGroups;

    /** Decisions pass through {@code brake} as the shell's do, as group {@code name} of {@code known} groups. */
    Scenario braked(Brake brake, String name, long known) {
        this.brake = brake;
        this.brakeAs = name;
        this.knownGroups = known;
        return this;
    }

    Decision command(CommandType type, String target, Long pauseForMs) {
        Command c = Command.newBuilder()
                .setGroup("orders")
                .setCommandId("cmd-" + published.size())
                .setIssuedAtMs(now)
                .setType(type)
                .setTargetNode(target)
                .setPauseForMs(pauseForMs)
                .setIssuedBy("test")
                .build();
        return apply(decider.command(view(), dev.failover.coordinator.streams.Translate.order(c), now));
    }

    GroupView view() {
        return new GroupView(
                record,
                Map.copyOf(liveness),
                watch,
                assignedEpoch == record.epoch() ? assignedAtMs : Long.MIN_VALUE,
                Map.copyOf(unverified),
                heardSinceMs);
    }

    /** The newest decision that published a change. */
    Decision lastChanging;

    private Decision apply(Decision d) {
        if (d.change().isPresent()) {
            lastChanging = d;
        }
        record = d.next();
        d.change().ifPresent(published::add);
        d.change().filter(c -> c.epoch() > assignedEpoch).ifPresent(c -> {
            assignedEpoch = c.epoch();
            assignedAtMs = now;
        });
        lastReason = d.reason();
        return d;
    }

    /**
     * Runs for {@code ms} in 10 ms steps: unmuted members beat every interval, the coordinator reads a fence marker
     * every 100 ms and decides every step.
     */
    Scenario run(long ms) {
        long end = now + ms;
        while (now < end) {
            now += 10;
            if ((now / 10) % (INTERVAL / 10) == 0) {
                for (String node : priorities.keySet()) {
                    if (!muted.contains(node)) {
                        beat(node);
                    }
                }
            }
            if ((now / 10) % 10 == 0) {
                fence();
            }
            decide();
        }
        return this;
    }

    /** Restarts the coordinator: durable record kept, liveness and watch gone. */
    Scenario restartCoordinator() {
        liveness.clear();
        unverified.clear();
        assignedEpoch = Long.MIN_VALUE; // in memory only
        heardSinceMs = Long.MIN_VALUE;
        watch = Watch.startedAt(now);
        return this;
    }

    Optional<String> activeNode() {
        return record.primary().map(Member::node);
    }

    Change lastChange() {
        return published.get(published.size() - 1);
    }
}
