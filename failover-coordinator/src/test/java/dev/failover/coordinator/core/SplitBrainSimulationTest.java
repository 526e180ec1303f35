package dev.failover.coordinator.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.failover.agent.core.BrokerLossPolicy;
import dev.failover.agent.core.Edge;
import dev.failover.agent.core.HookPlan;
import dev.failover.agent.core.HookStep;
import dev.failover.agent.core.RoleMachine;
import dev.failover.wire.Command;
import dev.failover.wire.CommandType;
import dev.failover.wire.DecisionKind;
import dev.failover.wire.GroupMode;
import dev.failover.wire.Health;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.Role;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Randomised schedules of crashes (of the host, or of the agent alone), restarts, pauses (SIGSTOP), cut broker
 * connections, graceful leaves, unhealthy probes, switchovers, wall-clock steps, late acknowledgements, coordinator
 * stalls, lags and restarts, run against the real decider and the agents' real {@link RoleMachine}, with the
 * heartbeat and role-change topics as ordered logs.
 *
 * <p><b>Judged at the service.</b> Each agent's hooks take simulated time (instant, up to 300 ms, or up to 3 s: longer
 * than the failure timeout) and may fail; a step of a hook runs one at a time per agent, as the machine plans them
 * (retries after a backoff, {@code --on-fence}, {@code --fence-peer}). A service is up from the moment its
 * {@code --on-activate} starts until a {@code --on-standby} or {@code --on-fence} of its node ends successfully, a
 * successor's {@code --fence-peer} ends successfully, or its host crashes. Every 5 ms of simulated time the check is:
 * at most one service up, with zero tolerance.
 *
 * <p>Two kinds of service: one that keeps the README's contract (it stops on its own within failure timeout - lease
 * of its agent's lease running out, e.g. a service that polls its agent's /role), and one that never stops on its
 * own, whose nodes have {@code --fence-peer}.
 */
class SplitBrainSimulationTest {

    private static final int STEP = 5;
    private static final int INTERVAL = 200;
    private static final int LEASE = 800;
    private static final int TIMEOUT = 1000;
    private static final int HOOK_TIMEOUT = 5000;
    private static final long MS = 1_000_000;

    enum Hooks {
        INSTANT(0),
        SHORT(300),
        SLOW(3000);

        final int maxMs;

        Hooks(int maxMs) {
            this.maxMs = maxMs;
        }
    }

    /** How a trial's services and hooks behave. */
    record Profile(Hooks hooks, double stopFails, double activateFails, boolean selfFencing, double fenceFails) {}

    @Test
    void neverTwoServicesUpUnderRandomFaults() {
        int trials = 0;
        for (Hooks hooks : Hooks.values()) {
            for (double stopFails : new double[] {0, 0.3, 1}) {
                for (boolean selfFencing : new boolean[] {true, false}) {
                    for (int seed = 0; seed < 12; seed++, trials++) {
                        Profile profile = new Profile(hooks, stopFails, 0.1, selfFencing, 0.2);
                        Sim sim = new Sim(new Random(1000L + trials), 2 + seed % 2, profile, true, true);
                        sim.run(40_000);
                    }
                }
            }
        }
        assertEquals(216, trials);
    }

    @Test
    void aCrashedPrimaryIsReplacedWithinTimeoutPlusOverhead() {
        List<Long> takeovers = new ArrayList<>();
        for (int trial = 0; trial < 60; trial++) {
            Sim sim = new Sim(new Random(5000 + trial), 2, new Profile(Hooks.INSTANT, 0, 0, true, 0), false, false);
            sim.run(3_000);
            String primary = sim.serving();
            assertTrue(primary != null, "trial " + trial + ": no primary after start-up");
            long crashAt = sim.now;
            sim.agents.get(primary).crashHost();
            long takeover = -1;
            while (sim.now < crashAt + 5_000) {
                sim.step();
                if (sim.serving() != null) {
                    takeover = sim.now - crashAt;
                    break;
                }
            }
            assertTrue(takeover > 0, "trial " + trial + ": nobody took over");
            takeovers.add(takeover);
        }
        long worst = takeovers.stream().mapToLong(Long::longValue).max().orElseThrow();
        // the last beat was sent up to one interval before the crash; detection needs timeout + 1 ms after it was
        // received, plus a fence marker, a commit and a delivery: 100 ms of overhead at most in this model
        assertTrue(worst <= TIMEOUT + 100, "worst takeover " + worst + " ms, all " + takeovers);
    }

    @Test
    void faultsOfTheCoordinatorAloneNeverCauseAFailover() {
        for (int trial = 0; trial < 60; trial++) {
            Sim sim = new Sim(new Random(9000 + trial), 3, new Profile(Hooks.SHORT, 0, 0, true, 0), false, true);
            sim.run(2_500);
            int failovers = sim.roleChangingDecisions;
            sim.run(30_000);
            assertEquals(failovers, sim.roleChangingDecisions, "trial " + trial + ": " + sim.lastReason);
        }
    }

    @Test
    void aStandDownThatAlwaysFailsNeverLetsASuccessorStartWhileItsNodeLives() {
        for (int trial = 0; trial < 20; trial++) {
            Sim sim = new Sim(new Random(7000 + trial), 2, new Profile(Hooks.SHORT, 0, 0, false, 0), false, false);
            sim.run(3_000);
            String primary = sim.serving();
            assertTrue(primary != null, "trial " + trial + ": no primary after start-up");
            sim.profile = new Profile(Hooks.SHORT, 1, 0, false, 1); // its --on-fence fails too
            sim.switchover(null);
            sim.run(20_000);
            assertTrue(sim.agents.get(primary).serviceUp, "trial " + trial + ": its stop always fails");
            assertEquals(primary, sim.serving(), "trial " + trial + ": " + sim.lastReason);
            assertTrue(sim.lastReason.contains("FAILED"), sim.lastReason);
        }
    }

    @Test
    void theCheckSeesTwoServicesWhenTheCoordinatorPromotesOnAStandbyReportBeforeTheHookEnds() {
        // the hand-over as it was before STOPPING: the node reported STANDBY as soon as it took the edge
        Sim sim = new Sim(new Random(42), 2, new Profile(Hooks.SLOW, 0, 0, true, 0), false, false);
        sim.reportStandbyAtOnce = true;
        sim.run(4_000);
        assertTrue(sim.serving() != null, sim.lastReason);
        AssertionError seen = null;
        for (int attempt = 0; attempt < 10 && seen == null; attempt++) {
            sim.switchover(null);
            try {
                sim.run(8_000);
            } catch (AssertionError e) {
                seen = e;
            }
        }
        assertTrue(
                seen != null && seen.getMessage().startsWith("two services up"),
                "the check must catch a successor starting before the old stand-down ended: " + seen);
    }

    private final class Agent {
        final Sim sim;
        final String node;
        final int priority;
        final long monoOffset;
        RoleMachine machine;
        long incarnation;
        /** The next beat's number in this run, as the agent numbers them. */
        long sequence;

        boolean crashed;
        boolean gone;
        long restartAt = Long.MAX_VALUE;
        long pausedUntil;
        long cutUntil;
        long consumerBackAt;
        long unhealthyUntil;
        long nextBeatAt;
        long nextFeedCheckAt;
        long wallOffset;
        int rolesRead;
        final List<long[]> acksDue = new ArrayList<>(); // {ackArrivesAt, sentAtNanos}
        /** Hook steps handed to the dispatcher: {due at, order}; one runs at a time. */
        final List<Object[]> queued = new ArrayList<>();

        long order;
        /** The hook this agent runs now (its outcome is read when it ends), or null. */
        Hook running;
        /** Every hook process started and not ended yet, orphans of a dead agent included: they act when they end. */
        final List<Hook> processes = new ArrayList<>();

        String hookFailure;
        /** The service itself. */
        boolean serviceUp;

        long leaseLapsedAt = Long.MIN_VALUE;

        Agent(Sim sim, String node, int priority, long monoOffset) {
            this.sim = sim;
            this.node = node;
            this.priority = priority;
            this.monoOffset = monoOffset;
        }

        long nanos(long ms) {
            return monoOffset + ms * MS;
        }

        boolean awake() {
            return !crashed && !gone && sim.now >= pausedUntil;
        }

        boolean connected() {
            return sim.now >= cutUntil;
        }

        void crashHost() {
            crashAgent();
            serviceUp = false;
            processes.clear(); // its hooks died with the host
        }

        void crashAgent() {
            crashed = true;
            restartAt = sim.now + 500 + sim.random.nextInt(4000);
            // a hook already running is an orphan now: it goes on and acts when it ends; nobody reads its outcome
            running = null;
        }

        void start(long startupEpoch) {
            crashed = false;
            gone = false;
            restartAt = Long.MAX_VALUE;
            acksDue.clear();
            queued.clear();
            running = null;
            hookFailure = null;
            incarnation = sim.now;
            sequence = 0;
            HookPlan plan = new HookPlan(3, 1_000 * MS, true, !sim.profile.selfFencing());
            machine = new RoleMachine(LEASE * MS, BrokerLossPolicy.STAND_DOWN, startupEpoch, plan);
            submit(machine.firstStep(machine.startUp()));
            rolesRead = sim.visibleRoleChanges();
            nextBeatAt = sim.now;
            nextFeedCheckAt = sim.now;
        }

        void submit(HookStep step) {
            long due = sim.now + step.delayNanos(nanos(sim.now)) / MS;
            queued.add(new Object[] {due, order++, step});
        }

        void edge(Optional<Edge> edge) {
            edge.ifPresent(e -> submit(machine.firstStep(e)));
        }

        /** What the service does on its own, paused agent or not. */
        void stepService() {
            for (var it = processes.iterator(); it.hasNext(); ) {
                Hook h = it.next();
                if (sim.now >= h.endsAt) {
                    it.remove();
                    if (h.ok) {
                        switch (h.step.kind()) {
                            case STAND_DOWN, FENCE -> serviceUp = false;
                            case FENCE_PEER -> sim.agents.get(h.step.peer()).serviceUp = false;
                            case ACTIVATE -> {}
                        }
                    }
                }
            }
            if (machine != null && !machine.leaseValid(nanos(sim.now))) {
                leaseLapsedAt = leaseLapsedAt == Long.MIN_VALUE ? sim.now : leaseLapsedAt;
            } else {
                leaseLapsedAt = Long.MIN_VALUE;
            }
            // the README's contract: a service stops within failure timeout - lease of its agent's lease running out
            if (sim.profile.selfFencing()
                    && serviceUp
                    && leaseLapsedAt != Long.MIN_VALUE
                    && sim.now - leaseLapsedAt >= TIMEOUT - LEASE) {
                serviceUp = false;
            }
        }

        void step() {
            if (crashed || gone) {
                if (sim.now >= restartAt) {
                    start(sim.newestVisibleEpoch());
                }
                return;
            }
            if (!awake()) {
                return;
            }
            long t = nanos(sim.now);
            edge(machine.tick(t));
            for (var it = acksDue.iterator(); it.hasNext(); ) {
                long[] ack = it.next();
                if (ack[0] <= sim.now) {
                    it.remove();
                    if (connected()) {
                        edge(machine.onHeartbeatAcknowledged(ack[1], t));
                    }
                }
            }
            if (connected() && sim.now >= consumerBackAt) {
                Sim.Published newest = null;
                while (rolesRead < sim.roleLog.size()
                        && sim.roleLog.get(rolesRead).visibleAt() <= sim.now) {
                    newest = sim.roleLog.get(rolesRead++);
                }
                if (newest != null) {
                    Change c = newest.change();
                    List<String> fence =
                            c.fence().stream().filter(n -> !n.equals(node)).toList();
                    edge(machine.onRoleChange(
                            c.epoch(), c.roles().getOrDefault(node, Role.STANDBY), c.reason(), fence, t));
                }
                if (sim.now >= nextFeedCheckAt) {
                    nextFeedCheckAt = sim.now + INTERVAL;
                    edge(machine.onRoleFeedAnswered(t, t));
                }
            }
            runHooks();
            if (machine.leaving() && running == null && queued.isEmpty()) {
                if (connected()) {
                    sim.publishBeat(this, true);
                }
                gone = true; // the process exits; its service is as its hooks left it
                restartAt = sim.now + 1000 + sim.random.nextInt(4000);
                return;
            }
            if (sim.now >= nextBeatAt) {
                nextBeatAt = sim.now + INTERVAL;
                if (connected()) {
                    sim.publishBeat(this, false);
                }
            }
        }

        void runHooks() {
            if (running != null && sim.now >= running.endsAt) {
                HookStep done = running.step;
                boolean ok = running.ok;
                running = null;
                Optional<HookStep> next =
                        machine.onHookDone(done, ok, ok ? "exited with 0" : "exited with 1", nanos(sim.now));
                if (machine.isLatest(done.edge().number())) {
                    hookFailure = ok ? null : "hook failed";
                }
                next.ifPresent(this::submit);
                if (done.edge().to() == Role.STANDBY && machine.reportedRole() == Role.STANDBY) {
                    nextBeatAt = sim.now; // the acknowledgement is beaten at once
                }
            }
            while (running == null && !queued.isEmpty()) {
                Object[] first = queued.stream()
                        .min((x, y) -> {
                            int byDue = Long.compare((long) x[0], (long) y[0]);
                            return byDue != 0 ? byDue : Long.compare((long) x[1], (long) y[1]);
                        })
                        .orElseThrow();
                if ((long) first[0] > sim.now) {
                    return;
                }
                queued.remove(first);
                HookStep step = (HookStep) first[2];
                if (!machine.shouldRun(step, nanos(sim.now))) {
                    continue;
                }
                Profile p = sim.profile;
                int duration = p.hooks().maxMs == 0 ? 0 : sim.random.nextInt(p.hooks().maxMs + 1);
                double fails = switch (step.kind()) {
                    case STAND_DOWN -> p.stopFails();
                    case ACTIVATE -> p.activateFails();
                    case FENCE, FENCE_PEER -> p.fenceFails();
                };
                running = new Hook(step, sim.now + Math.min(duration, HOOK_TIMEOUT), sim.random.nextDouble() >= fails);
                processes.add(running);
                if (step.kind() == HookStep.Kind.ACTIVATE) {
                    serviceUp = true; // it may serve from the moment its start begins
                }
                if (duration == 0) {
                    stepService();
                    runHooks();
                    return;
                }
            }
        }

        Role reported() {
            if (sim.reportStandbyAtOnce && machine.role() == Role.STANDBY) {
                return Role.STANDBY;
            }
            return machine.reportedRole();
        }

        Health health(boolean leaving) {
            if (leaving) {
                return Health.LEAVING;
            }
            return sim.now < unhealthyUntil || hookFailure != null ? Health.UNHEALTHY : Health.HEALTHY;
        }
    }

    private record Entry(long visibleAt, Heartbeat beat, long markerSentAt) {}

    /** A hook process: what it runs, when it ends, whether it succeeds. */
    private record Hook(HookStep step, long endsAt, boolean ok) {}

    private final class Sim {
        record Published(long visibleAt, Change change) {}

        final Random random;
        Profile profile;
        final boolean agentFaults;
        final boolean coordinatorFaults;
        boolean reportStandbyAtOnce;
        final Map<String, Agent> agents = new HashMap<>();
        final List<Entry> heartbeatLog = new ArrayList<>();
        final List<Published> roleLog = new ArrayList<>();
        final Decider decider = new Decider(Policy.defaults());
        GroupRecord record = GroupRecord.empty("g", GroupMode.UNKNOWN);
        final Map<String, Liveness> liveness = new HashMap<>();
        Watch watch;
        int readPosition;
        long stalledUntil;
        long lagUntil;
        long lagMs;
        long nextMarkerAt;
        long now;
        long lastChangeEpoch;
        long assignedEpoch = Long.MIN_VALUE;
        long assignedAtMs = Long.MIN_VALUE;
        int roleChangingDecisions;
        int commands;
        String lastReason = "";

        Sim(Random random, int agentCount, Profile profile, boolean agentFaults, boolean coordinatorFaults) {
            this.random = random;
            this.profile = profile;
            this.agentFaults = agentFaults;
            this.coordinatorFaults = coordinatorFaults;
            watch = Watch.startedAt(0);
            for (int i = 0; i < agentCount; i++) {
                Agent a = new Agent(this, "n" + i, random.nextInt(3), random.nextLong() >>> 2);
                agents.put(a.node, a);
                a.start(0);
                a.nextBeatAt = random.nextInt(INTERVAL);
            }
        }

        void run(long ms) {
            long end = now + ms;
            while (now < end) {
                step();
            }
        }

        /** The node whose service is up, if exactly one is. */
        String serving() {
            return agents.values().stream()
                    .filter(a -> a.serviceUp)
                    .map(a -> a.node)
                    .findFirst()
                    .orElse(null);
        }

        void step() {
            now += STEP;
            injectFaults();
            for (Agent a : sorted()) {
                a.stepService();
                a.step();
                a.stepService();
            }
            stepCoordinator();
            long up = agents.values().stream().filter(a -> a.serviceUp).count();
            if (up > 1) {
                fail("two services up at " + now + " ms (" + profile + "): " + describe() + "; last reason: "
                        + lastReason);
            }
        }

        List<Agent> sorted() {
            List<Agent> all = new ArrayList<>(agents.values());
            all.sort((x, y) -> x.node.compareTo(y.node));
            return all;
        }

        void injectFaults() {
            if (agentFaults && random.nextInt(3000) == 0) {
                Agent a = sorted().get(random.nextInt(agents.size()));
                if (!a.crashed && !a.gone) {
                    switch (random.nextInt(8)) {
                        case 0 -> a.crashHost();
                        case 1 -> a.crashAgent();
                        case 2 -> a.pausedUntil = now + 100 + random.nextInt(4000);
                        case 3 -> a.cutUntil = now + 100 + random.nextInt(4000);
                        case 4 -> a.pausedUntil = now + 100 + random.nextInt(TIMEOUT - 100);
                        case 5 -> a.edge(a.machine.leave(a.nanos(now)));
                        case 6 -> a.unhealthyUntil = now + 500 + random.nextInt(3000);
                        default -> a.wallOffset += random.nextBoolean() ? 5_000 : -5_000;
                    }
                    // the role-change consumer catches up some time after the producer is back
                    a.consumerBackAt = Math.max(a.pausedUntil, a.cutUntil) + random.nextInt(600);
                }
            }
            if (agentFaults && random.nextInt(4000) == 0) {
                Agent target = sorted().get(random.nextInt(agents.size()));
                switchover(random.nextBoolean() ? null : target.node);
            }
            if (coordinatorFaults && random.nextInt(5000) == 0) {
                switch (random.nextInt(3)) {
                    case 0 -> stalledUntil = now + 100 + random.nextInt(4000);
                    case 1 -> {
                        // reads the heartbeat log late while its punctuation keeps deciding
                        lagUntil = now + 1000 + random.nextInt(5000);
                        lagMs = 200 + random.nextInt(3000);
                    }
                    default -> {
                        liveness.clear();
                        watch = Watch.startedAt(now);
                        assignedEpoch = Long.MIN_VALUE;
                    }
                }
            }
        }

        void switchover(String target) {
            Command c = Command.newBuilder()
                    .setGroup("g")
                    .setCommandId("cmd-" + commands++)
                    .setIssuedAtMs(now)
                    .setType(CommandType.SWITCHOVER)
                    .setTargetNode(target)
                    .setPauseForMs(null)
                    .setIssuedBy("sim")
                    .build();
            publish(decider.command(view(), dev.failover.coordinator.streams.Translate.order(c), now));
        }

        void publishBeat(Agent a, boolean leaving) {
            long appendAt = now + 1 + random.nextInt(20);
            Heartbeat beat = Heartbeat.newBuilder()
                    .setGroup("g")
                    .setNode(a.node)
                    .setSequence(a.sequence++)
                    .setIncarnation(a.incarnation)
                    .setSentAtMs(now + a.wallOffset)
                    .setHealth(a.health(leaving))
                    .setRole(a.reported())
                    .setEpoch(a.machine.appliedEpoch())
                    .setMode(GroupMode.ACTIVE_PASSIVE)
                    .setPriority(a.priority)
                    .setHeartbeatIntervalMs(INTERVAL)
                    .setLeaseMs(LEASE)
                    .setFailureTimeoutMs(TIMEOUT)
                    .build();
            heartbeatLog.add(new Entry(appendAt, beat, Long.MIN_VALUE));
            // mostly at once; sometimes late (the producer's delivery timeout is the lease)
            long ackAt = random.nextInt(10) == 0 ? now + random.nextInt(LEASE) : appendAt + 1 + random.nextInt(10);
            a.acksDue.add(new long[] {Math.max(ackAt, appendAt), a.nanos(now)});
        }

        int visibleRoleChanges() {
            return (int) roleLog.stream().filter(p -> p.visibleAt() <= now).count();
        }

        long newestVisibleEpoch() {
            return roleLog.stream()
                    .filter(p -> p.visibleAt() <= now)
                    .mapToLong(p -> p.change().epoch())
                    .max()
                    .orElse(0);
        }

        GroupView view() {
            return new GroupView(
                    record,
                    Map.copyOf(liveness),
                    watch,
                    assignedEpoch == record.epoch() ? assignedAtMs : Long.MIN_VALUE);
        }

        void stepCoordinator() {
            if (now < stalledUntil) {
                return;
            }
            if (now >= nextMarkerAt) {
                nextMarkerAt = now + 100;
                heartbeatLog.add(new Entry(now + 1 + random.nextInt(15), null, now));
            }
            heartbeatLog.sort((x, y) -> Long.compare(x.visibleAt(), y.visibleAt()));
            long readUpTo = now < lagUntil ? now - lagMs : now;
            while (readPosition < heartbeatLog.size()
                    && heartbeatLog.get(readPosition).visibleAt() <= readUpTo) {
                Entry e = heartbeatLog.get(readPosition++);
                if (e.beat() == null) {
                    watch = watch.fencedAt(e.markerSentAt());
                } else {
                    Beat said = dev.failover.coordinator.streams.Translate.beat(e.beat());
                    record = decider.join(record, said);
                    Liveness previous = liveness.get(e.beat().getNode());
                    liveness.put(
                            e.beat().getNode(),
                            previous == null
                                    ? Liveness.first(said, now, decider.policy())
                                    : previous.next(said, now, decider.policy()));
                }
            }
            publish(decider.decide(view(), now));
        }

        void publish(Decision d) {
            // the decider refuses a decision that breaks its rules (an illegal phase move, two ACTIVE, roles changed
            // without a new epoch) by keeping the group as it was: a run that ever meets one has found such a branch
            if (d.defect()) {
                fail(d.reason());
            }
            record = d.next();
            lastReason = d.reason();
            d.change().ifPresent(c -> {
                boolean changesRoles = c.kind() != DecisionKind.PAUSED
                        && c.kind() != DecisionKind.RESUMED
                        && c.kind() != DecisionKind.COMMAND_REFUSED;
                if (changesRoles) {
                    if (c.epoch() <= lastChangeEpoch) {
                        fail("epoch " + c.epoch() + " after " + lastChangeEpoch + ": " + c.reason());
                    }
                    lastChangeEpoch = c.epoch();
                    assignedEpoch = c.epoch();
                    assignedAtMs = now;
                    if (c.kind() != DecisionKind.ELECTION) {
                        roleChangingDecisions++;
                    }
                }
                roleLog.add(new Published(now + 5 + random.nextInt(40), c));
            });
        }

        String describe() {
            StringBuilder out = new StringBuilder();
            out.append("decisions: ");
            roleLog.subList(Math.max(0, roleLog.size() - 6), roleLog.size())
                    .forEach(p -> out.append("[e")
                            .append(p.change().epoch())
                            .append(" at ")
                            .append(p.visibleAt())
                            .append(": ")
                            .append(p.change().reason())
                            .append(
                                    p.change().fence().isEmpty()
                                            ? ""
                                            : " fence " + p.change().fence())
                            .append("] "));
            out.append("; agents: ");
            sorted().forEach(a -> out.append(a.node)
                    .append("{service ")
                    .append(a.serviceUp ? "UP" : "down")
                    .append(", ")
                    .append(a.crashed ? "crashed" : a.gone ? "gone" : a.awake() ? "awake" : "paused")
                    .append(a.connected() ? "" : " cut")
                    .append(", role ")
                    .append(a.machine == null ? "-" : a.machine.role() + "/" + a.machine.reportedRole())
                    .append(" e")
                    .append(a.machine == null ? 0 : a.machine.appliedEpoch())
                    .append(", hook ")
                    .append(
                            a.running == null
                                    ? "-"
                                    : a.running.step.kind() + " ends in " + (a.running.endsAt - now)
                                            + (a.running.ok ? " ok" : " fails"))
                    .append("} "));
            return out.toString();
        }
    }
}
