package dev.failover.agent.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.wire.Role;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Failsafe mode (issue 13, Patroni's {@code failsafe_mode} over the agents' peers), simulated with the real
 * {@link RoleMachine} before any of it is built into the agent: the gate the issue sets for building it at all.
 *
 * <p>One active/passive group of three agents (the third joins late) and a coordinator, on one discrete-event clock
 * with a monotonic clock per process that drifts (up to 500 ppm). Kafka is one heartbeat partition the coordinator
 * reads in order (with its fence markers in it, as the real one) and one role-change log the agents fetch; every
 * agent's link to Kafka, the broker, every directed HTTP link between agents, and the processes themselves fail at
 * random: links cut for up to 6 s, broker outages, agent crashes and restarts, coordinator pauses, the primary cut
 * off while a peer restarts quickly, the primary's link flapping about when it is convicted, and (where
 * {@code --fence-peer} is set) agent pauses with the service running on. The agents' shells are modelled as the real
 * one runs them: heartbeat and feed every 200 ms, the lease timer, one hook at a time, hooks that take time (a
 * stand-down within the stand-down budget, an activation of up to 300 ms). The coordinator is a small model of the
 * real decider's rules: a primary is convicted only after its failure timeout of silence on the coordinator's clock
 * and once a fence marker written at or after {@code lastSeen + lease} has been read back; nobody is promoted while
 * another member that is alive or not yet proven silent reports ACTIVE or STOPPING; a successor of a convicted
 * primary is told to fence it.
 *
 * <p>Failsafe as designed (plan, issue 13, section 4): a primary whose lease Kafka no longer renews asks every peer
 * it knows at its epoch (announced in its heartbeats) every 200 ms; if all grant, its lease extends (from the round's
 * send time, at most 5 s past its last renewal through Kafka); a peer that grants holds its activations for the
 * promise plus the stand-down budget; an agent that starts holds them as long; the coordinator promotes nobody
 * outside the convicted primary's announced peers before {@code lastSeen + timeout + max}.
 *
 * <p>The judge is the service: the time from an activation hook's start to the end of the stand-down hook (or a
 * peer's fence, or, without {@code --fence-peer}, the agent's death, which takes its service with it: the contract
 * the README asks for). Two services running at once in any run is a failure. The same simulation without any one
 * of the rules that close the ways to two services it found ({@link Rule}) must find two services at once: it can
 * fail. (One rule has no such test because it has no switch: Kafka does not renew a lease failsafe kept alive,
 * {@link RoleMachine#onFailsafe}; with that rule patched out by hand, the flapping-link fault finds two services.)
 */
class FailsafeSimulationTest {

    private static final long MS = 1_000_000L;
    private static final long INTERVAL = 200 * MS;
    private static final long LEASE = 800 * MS;
    private static final long TIMEOUT = 1_000 * MS;
    private static final long BUDGET = TIMEOUT - LEASE;
    private static final FailsafeTerms TERMS = new FailsafeTerms(400 * MS, BUDGET, 5_000 * MS);
    private static final long RUN = 60_000 * MS;

    /** A rule of the design that a run can drop, to show that the simulation finds what it is there for. */
    enum Rule {
        /** Coordinator: nobody outside a convicted primary's announced peers before lastSeen + timeout + max. */
        PEER_SET,
        /** Agent: activations held for one promise after start. */
        START_HOLD,
        /** RoleChange v4: activate only within a lease of the heartbeat the decision was based on. */
        BASIS,
        /** Coordinator: a member named for fencing stays named until it reports STANDBY at that epoch or later. */
        FENCE_OWED
    }

    /**
     * What differs between runs: failsafe on or off, --fence-peer set or not, whether the coordinator re-confirms a
     * primary serving on grants (the way back onto Kafka's lease), and the rules in force.
     */
    record Config(boolean failsafe, boolean fencePeer, boolean reconfirm, Set<Rule> rules) {
        static Config of(boolean failsafe, boolean fencePeer) {
            return new Config(failsafe, fencePeer, false, java.util.EnumSet.allOf(Rule.class));
        }

        Config reconfirming() {
            return new Config(failsafe, fencePeer, true, rules);
        }

        Config without(Rule rule) {
            Set<Rule> fewer = java.util.EnumSet.allOf(Rule.class);
            fewer.retainAll(rules);
            fewer.remove(rule);
            return new Config(failsafe, fencePeer, reconfirm, fewer);
        }

        boolean has(Rule rule) {
            return rules.contains(rule);
        }
    }

    @Test
    void withoutFailsafeTwoServicesNeverRunAtOnce() {
        for (boolean fencePeer : new boolean[] {true, false}) {
            Totals totals = runMany(Config.of(false, fencePeer), 150);
            assertEquals(List.of(), totals.violations, "fence-peer " + fencePeer + ": " + totals);
            assertTrue(totals.failovers > 150, "the faults made failovers happen: " + totals);
        }
    }

    @Test
    void withFailsafeTwoServicesNeverRunAtOnce() {
        for (boolean fencePeer : new boolean[] {true, false}) {
            Totals totals = runMany(Config.of(true, fencePeer), 300);
            assertEquals(List.of(), totals.violations, "fence-peer " + fencePeer + ": " + totals);
            assertTrue(totals.failovers > 300, "the faults made failovers happen: " + totals);
            assertTrue(totals.servedOnPeersMs > 60_000, "primaries served on their peers' grants: " + totals);
        }
    }

    /**
     * The way back from grants to Kafka's lease (plan 13, "A way back"): the coordinator, reading a beat the primary
     * sent while it served on grants, re-confirms it at a newer epoch based on that beat, and the primary, still on
     * grants and within a lease of that beat, continues without a hook, its lease renewed by Kafka again
     * ({@link RoleMachine#onReconfirmation}); one that is not never activates on it. Never two services, and the
     * re-confirmations are taken (counted by the agents' machines, not by the coordinator's decisions).
     *
     * <p>What this does not show: that the model would notice a re-confirmation rule done wrong. Rooting the lease at
     * the decision's arrival instead of its basis heartbeat, the one mutation tried, was not found unsafe in 300 runs
     * (here reading the feed and sending beats share one link, so the two roots differ by less than an interval). So
     * this is not yet the gate plan 13 sets for building the re-confirmation into the shells.
     */
    @Test
    void withFailsafeAndReconfirmationTwoServicesNeverRunAtOnce() {
        for (boolean fencePeer : new boolean[] {true, false}) {
            Totals totals = runMany(Config.of(true, fencePeer).reconfirming(), 300);
            assertEquals(List.of(), totals.violations, "fence-peer " + fencePeer + ": " + totals);
            assertTrue(totals.accepted > 50, "primaries went back onto Kafka's lease: " + totals);
            System.out.println("failsafe with re-confirmation, fence-peer " + fencePeer + ": " + totals);
        }
    }

    @Test
    void withoutTheCoordinatorsPeerRuleAPrimaryOnFailsafeRunsBesideAPromotedNewcomer() {
        assertFindsTwoServices(Config.of(true, false).without(Rule.PEER_SET), 300);
    }

    @Test
    void withoutTheStartUpHoldARestartedPeerForgetsItsPromise() {
        assertFindsTwoServices(Config.of(true, false).without(Rule.START_HOLD), 300);
    }

    /**
     * Found by this simulation in the design as it was (--fence-peer): a primary that crashes right after activating,
     * before any ACTIVE report of it was read, is named for fencing by the promotion that replaces it; if that
     * successor never activates, the next promotion must name it again, though its last report read says STANDBY.
     */
    @Test
    void withoutTheOwedFenceAPrimaryNoReportShowedActiveIsNotFencedTwice() {
        assertFindsTwoServices(Config.of(false, true).without(Rule.FENCE_OWED), 500);
    }

    /**
     * Found by this simulation in the design as it was (no failsafe, no --fence-peer): a standby cut off across its
     * own promotion renews its lease with beats the coordinator has not read when it convicts it, then reads the
     * promotion late and activates beside its successor. RoleChange v4's basis closes it (the baseline above); without
     * it the simulation finds two services again.
     */
    @Test
    void withoutTheBasisAStandbyThatReadsItsPromotionLateRunsBesideItsSuccessor() {
        assertFindsTwoServices(Config.of(false, false).without(Rule.BASIS), 150);
    }

    /** A variant without one of the rules: some run of seeds 1..{@code seeds} must have two services at once. */
    private static void assertFindsTwoServices(Config unsafe, int seeds) {
        Totals totals = runMany(unsafe, seeds);
        assertTrue(!totals.violations.isEmpty(), "the simulation finds the unsafe variant unsafe: " + totals);
    }

    private static Totals runMany(Config config, int seeds) {
        Totals totals = new Totals();
        for (int seed = 1; seed <= seeds; seed++) {
            Sim sim = new Sim(config, seed);
            sim.run();
            totals.add(sim);
        }
        System.out.println("failsafe simulation " + config + ": " + totals);
        return totals;
    }

    static final class Totals {
        final List<String> violations = new ArrayList<>();
        long failovers;
        long reconfirmations;
        long accepted;
        long late;
        long lapses;
        long servedOnPeersMs;
        long servingMs;

        void add(Sim sim) {
            if (sim.violation != null && violations.size() < 3) {
                violations.add(sim.violation);
            }
            failovers += sim.coordinator.promotions;
            reconfirmations += sim.coordinator.reconfirmations;
            accepted += sim.accepted;
            late += sim.late;
            lapses += sim.lapses;
            servedOnPeersMs += sim.servedOnPeersNs / MS;
            servingMs += sim.servingNs / MS;
        }

        @Override
        public String toString() {
            return "violations " + violations + ", promotions " + failovers + ", re-confirmations " + reconfirmations
                    + " (taken " + accepted + ", read too late and served on grants on " + late + "), lapses " + lapses
                    + ", served " + servingMs
                    + " ms, of which on peers' grants " + servedOnPeersMs + " ms";
        }
    }

    /** A decision on the role-change log. */
    record Decision(
            long epoch,
            int primary,
            List<Integer> fence,
            Set<Integer> members,
            long basisIncarnation,
            long basisSequence,
            boolean reconfirm) {}

    /** An entry of the heartbeat partition: a beat (node >= 0) or a fence marker (node -1, at coordinator time). */
    record Entry(
            long readableAt,
            int node,
            Role role,
            long epoch,
            Set<Integer> peers,
            long markerMono,
            long incarnation,
            long sequence,
            boolean onGrants) {}

    static final class Sim {
        final Config config;
        final Random random;
        final PriorityQueue<long[]> queue =
                new PriorityQueue<>((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        final Map<Long, Runnable> actions = new HashMap<>();
        long seq;
        long now;
        boolean brokerUp = true;
        final List<Entry> partition = new ArrayList<>();
        final List<Decision> decisions = new ArrayList<>();
        final Agent[] agents = new Agent[3];
        final Coordinator coordinator;
        String violation;
        long servingNs;
        long servedOnPeersNs;
        long lapses;
        long accepted;
        long late;
        private final Deque<String> trace = new ArrayDeque<>();

        Sim(Config config, long seed) {
            this.config = config;
            this.random = new Random(seed);
            for (int i = 0; i < agents.length; i++) {
                agents[i] = new Agent(this, i);
            }
            coordinator = new Coordinator(this);
        }

        void at(long when, Runnable action) {
            long id = seq++;
            actions.put(id, action);
            queue.add(new long[] {Math.max(when, now), id});
        }

        long between(long lo, long hi) {
            return lo + (long) (random.nextDouble() * (hi - lo));
        }

        void note(String what) {
            trace.addLast(String.format("%8.3f %s", now / 1e9, what));
            if (trace.size() > 40) {
                trace.removeFirst();
            }
        }

        void run() {
            agents[0].start(0);
            agents[1].start(between(0, 50 * MS));
            agents[2].start(between(2_000 * MS, 30_000 * MS)); // a member that joins late
            coordinator.start();
            scheduleFaults();
            at(0, this::sample);
            while (!queue.isEmpty() && violation == null) {
                long[] next = queue.poll();
                if (next[0] > RUN) {
                    break;
                }
                now = next[0];
                actions.remove(next[1]).run();
            }
        }

        /** Every 10 ms: how long some service ran, and how long on peers' grants alone. */
        private void sample() {
            for (Agent a : agents) {
                if (a.serviceRunning) {
                    servingNs += 10 * MS;
                    if (a.machine != null && a.machine.onFailsafe(a.mono())) {
                        servedOnPeersNs += 10 * MS;
                    }
                }
            }
            at(now + 10 * MS, this::sample);
        }

        private void scheduleFaults() {
            long t = between(3_000 * MS, 5_000 * MS);
            while (t < RUN - 5_000 * MS) {
                long start = t;
                int kind = random.nextInt(config.fencePeer ? 9 : 8);
                Agent a = agents[random.nextInt(agents.length)];
                Agent b = agents[random.nextInt(agents.length)];
                switch (kind) {
                    case 0, 1 -> { // an agent loses Kafka, the HTTP links stay: failsafe's case
                        long d = between(200 * MS, 6_000 * MS);
                        at(start, () -> {
                            a.kafkaUp = false;
                            note(a + " loses Kafka");
                        });
                        at(start + d, () -> {
                            a.kafkaUp = true;
                            note(a + " reaches Kafka again");
                        });
                    }
                    case 2 -> { // the broker is down for everybody
                        long d = between(500 * MS, 6_000 * MS);
                        at(start, () -> {
                            brokerUp = false;
                            note("broker down");
                        });
                        at(start + d, () -> {
                            brokerUp = true;
                            note("broker up");
                        });
                    }
                    case 3 -> { // an HTTP link fails one way
                        if (a != b) {
                            long d = between(200 * MS, 5_000 * MS);
                            at(start, () -> {
                                a.httpUp[b.id] = false;
                                note(a + " cannot reach " + b);
                            });
                            at(start + d, () -> {
                                a.httpUp[b.id] = true;
                                note(a + " reaches " + b + " again");
                            });
                        }
                    }
                    case 4 -> { // an agent crashes and restarts
                        long d = between(50 * MS, 5_000 * MS);
                        at(start, () -> a.crash());
                        at(start + d, () -> a.start(now));
                    }
                    case 5 -> { // the coordinator pauses
                        long d = between(100 * MS, 2_000 * MS);
                        at(start, () -> {
                            coordinator.pausedUntil = now + d;
                            note("coordinator paused");
                        });
                    }
                    case 6 -> { // the primary loses Kafka for a while, and meanwhile another agent restarts quickly
                        long d = between(2_000 * MS, 6_000 * MS);
                        long restartAt = start + between(500 * MS, 1_800 * MS);
                        long down = between(20 * MS, 200 * MS);
                        at(start, () -> {
                            int p = coordinator.primary;
                            if (p < 0) {
                                return;
                            }
                            Agent primary = agents[p];
                            Agent other = agents[(p + 1 + random.nextInt(agents.length - 1)) % agents.length];
                            primary.kafkaUp = false;
                            note(primary + " loses Kafka");
                            at(start + d, () -> {
                                primary.kafkaUp = true;
                                note(primary + " reaches Kafka again");
                            });
                            at(restartAt, () -> other.crash());
                            at(restartAt + down, () -> other.start(now));
                        });
                    }
                    case 7 -> { // the primary's link to Kafka flaps: cut, up for a moment, cut again
                        long first = between(700 * MS, 1_100 * MS); // up again about when it is convicted
                        long up = between(10 * MS, 300 * MS);
                        long second = between(500 * MS, 3_000 * MS);
                        at(start, () -> {
                            int p = coordinator.primary;
                            if (p < 0) {
                                return;
                            }
                            Agent primary = agents[p];
                            primary.kafkaUp = false;
                            note(primary + " loses Kafka (flapping)");
                            at(start + first, () -> {
                                primary.kafkaUp = true;
                                note(primary + " reaches Kafka");
                            });
                            at(start + first + up, () -> {
                                primary.kafkaUp = false;
                                note(primary + " loses Kafka");
                            });
                            at(start + first + up + second, () -> {
                                primary.kafkaUp = true;
                                note(primary + " back");
                            });
                        });
                    }
                    default -> { // an agent pauses (its service runs on: only safe with --fence-peer)
                        long d = between(100 * MS, 3_000 * MS);
                        at(start, () -> {
                            a.pausedUntil = Math.max(a.pausedUntil, now + d);
                            note(a + " paused");
                        });
                    }
                }
                t += between(300 * MS, 3_000 * MS);
            }
        }

        void serviceStarted(Agent a) {
            a.serviceRunning = true;
            note(a + " service STARTS");
            for (Agent other : agents) {
                if (other != a && other.serviceRunning && violation == null) {
                    violation = "two services at " + now / MS + " ms: " + other + " and " + a + "\n  "
                            + String.join("\n  ", trace);
                }
            }
        }

        void serviceStopped(Agent a, String why) {
            if (a.serviceRunning) {
                note(a + " service stops: " + why);
            }
            a.serviceRunning = false;
        }
    }

    /** An agent's process and its shell, around the real {@link RoleMachine}. */
    static final class Agent {
        final Sim sim;
        final int id;
        final long base;
        final double rho;
        final boolean[] httpUp = new boolean[3];
        boolean kafkaUp = true;
        boolean alive;
        int incarnation;
        long pausedUntil;
        RoleMachine machine;
        int feedCursor;
        boolean serviceRunning;
        /** Everyone this node has seen in a decision since it became primary at its epoch: whom it asks. */
        final Set<Integer> askSet = new TreeSet<>();

        long askSetEpoch = -1;
        long lastAckSentAt = Long.MIN_VALUE;
        final Deque<HookStep> steps = new ArrayDeque<>();
        boolean hookRunning;
        long round;
        long nextSequence;
        SentBeats sentBeats;

        Agent(Sim sim, int id) {
            this.sim = sim;
            this.id = id;
            this.base = sim.random.nextInt(1_000_000) * MS;
            this.rho = (sim.random.nextDouble() - 0.5) * 1e-3;
            java.util.Arrays.fill(httpUp, true);
        }

        @Override
        public String toString() {
            return "agent-" + id;
        }

        long mono() {
            return base + sim.now + (long) (sim.now * rho);
        }

        /** The real time at which this agent's clock reads {@code mono}. */
        long realAt(long mono) {
            return (long) ((mono - base) / (1 + rho));
        }

        /** Runs {@code action} now as this incarnation of the agent (see {@link #guard}). */
        void act(Runnable action) {
            guard(incarnation, action).run();
        }

        /** {@code action} as incarnation {@code inc} of this agent: never after a crash, and after a pause ends. */
        Runnable guard(int inc, Runnable action) {
            return new Runnable() {
                @Override
                public void run() {
                    if (!alive || incarnation != inc) {
                        return;
                    }
                    if (sim.now < pausedUntil) {
                        sim.at(pausedUntil, this);
                        return;
                    }
                    action.run();
                }
            };
        }

        /** {@code action} after {@code delay}, for this incarnation only. */
        void later(long delay, Runnable action) {
            sim.at(sim.now + delay, guard(incarnation, action));
        }

        void start(long when) {
            sim.at(when, () -> {
                if (alive) {
                    return; // the late member's first start, after a crash fault already started it
                }
                alive = true;
                incarnation++;
                nextSequence = 0;
                sentBeats = new SentBeats(incarnation);
                machine = null;
                steps.clear();
                hookRunning = false;
                feedCursor = 0;
                askSet.clear();
                askSetEpoch = -1;
                lastAckSentAt = Long.MIN_VALUE;
                sim.note(this + " starts");
                later(0, this::cycle);
            });
        }

        void crash() {
            if (!alive) {
                return;
            }
            alive = false;
            sim.note(this + " crashes");
            if (!sim.config.fencePeer) {
                sim.serviceStopped(this, "its agent died (the service keeps the contract)");
            }
        }

        /** Every heartbeat interval: a beat, a feed fetch, and failsafe's round when Kafka no longer renews. */
        void cycle() {
            long sentAt = mono();
            int inc = incarnation;
            boolean reachable = kafkaUp && sim.brokerUp;
            if (machine != null) {
                Role reported = machine.reportedRole();
                long epoch = machine.appliedEpoch();
                Set<Integer> peers = reported == Role.ACTIVE ? Set.copyOf(askSet) : Set.of();
                long sequence = nextSequence++;
                boolean onGrants = machine.onFailsafe(sentAt);
                sentBeats.sent(sequence, sentAt);
                long send =
                        sim.random.nextInt(20) == 0 ? sim.between(100 * MS, 700 * MS) : sim.between(MS / 2, 20 * MS);
                if (reachable) {
                    sim.at(sim.now + send, () -> {
                        if (sim.brokerUp) {
                            sim.partition.add(new Entry(
                                    sim.now + sim.between(MS, 30 * MS),
                                    id,
                                    reported,
                                    epoch,
                                    peers,
                                    0,
                                    inc,
                                    sequence,
                                    onGrants));
                            long ack = sim.between(MS / 2, 20 * MS);
                            sim.at(sim.now + ack, guard(inc, () -> {
                                if (kafkaUp && mono() - sentAt <= LEASE) { // the producer's delivery timeout
                                    lastAckSentAt = Math.max(lastAckSentAt, sentAt);
                                    dispatch(machine.onHeartbeatAcknowledged(sentAt, mono()));
                                }
                            }));
                        }
                    });
                }
            }
            if (reachable) {
                long fetch = sim.between(MS / 2, 20 * MS);
                sim.at(sim.now + fetch, () -> {
                    if (!sim.brokerUp) {
                        return;
                    }
                    int upTo = sim.decisions.size();
                    sim.at(sim.now + sim.between(MS / 2, 20 * MS), guard(inc, () -> {
                        if (kafkaUp) {
                            feedAnswered(sentAt, upTo);
                        }
                    }));
                });
            }
            // asked while Kafka does not renew the lease: no beat acknowledged lately, or on grants (rule 9: Kafka
            // renews nothing then, acknowledged beats or not)
            if (sim.config.failsafe
                    && machine != null
                    && machine.role() == Role.ACTIVE
                    && machine.leaseValid(mono())
                    && (machine.onFailsafe(mono())
                            || lastAckSentAt == Long.MIN_VALUE
                            || mono() - lastAckSentAt > 2 * INTERVAL)) {
                askPeers(sentAt);
            }
            long next = realAt(sentAt + INTERVAL);
            sim.at(next, guard(inc, this::cycle));
        }

        private void feedAnswered(long sentAt, int upTo) {
            if (machine == null) { // reconciling: start at the group's newest epoch, standing the service down first
                long startupEpoch = upTo == 0 ? 0 : sim.decisions.get(upTo - 1).epoch();
                long start = mono();
                machine = new RoleMachine(
                        LEASE,
                        BrokerLossPolicy.STAND_DOWN,
                        startupEpoch,
                        HookPlan.DEFAULT.withFencing(false, sim.config.fencePeer),
                        sim.config.failsafe ? TERMS : null,
                        sim.config.has(Rule.START_HOLD) ? start : start - TERMS.holdNanos());
                feedCursor = upTo;
                submit(machine.firstStep(machine.startUp()));
            }
            for (; feedCursor < upTo; feedCursor++) {
                Decision d = sim.decisions.get(feedCursor);
                if (d.epoch() > askSetEpoch && d.primary() == id) {
                    askSet.clear();
                    askSetEpoch = d.epoch();
                }
                if (askSetEpoch >= 0) {
                    d.members().stream().filter(m -> m != id).forEach(askSet::add);
                }
                Role role = d.primary() == id ? Role.ACTIVE : Role.STANDBY;
                List<String> fence = d.fence().stream().map(n -> "agent-" + n).toList();
                if (d.reconfirm() && role == Role.ACTIVE) {
                    long basisEnd = sentBeats.activateBefore(d.basisIncarnation(), d.basisSequence(), LEASE);
                    long before = machine.reconfirmations();
                    long lateBefore = machine.lateReconfirmations();
                    dispatch(machine.onReconfirmation(d.epoch(), basisEnd, mono()));
                    sim.accepted += machine.reconfirmations() - before;
                    sim.late += machine.lateReconfirmations() - lateBefore;

                    continue;
                }
                long activateBefore = !sim.config.has(Rule.BASIS) || role != Role.ACTIVE
                        ? Long.MAX_VALUE
                        : sentBeats.activateBefore(d.basisIncarnation(), d.basisSequence(), LEASE);
                dispatch(machine.onRoleChange(d.epoch(), role, "decision", fence, activateBefore, mono()));
            }
            dispatch(machine.onRoleFeedAnswered(sentAt, mono()));
        }

        /** Failsafe's round: every peer asked at once; the lease extends only if all grant. */
        private void askPeers(long sentAt) {
            long epoch = machine.appliedEpoch();
            long edge = machine.latestEdge();
            List<Integer> peers = List.copyOf(askSet);
            long thisRound = ++round;
            int inc = incarnation;
            Set<Integer> granted = new HashSet<>();
            if (peers.isEmpty()) {
                dispatch(machine.onFailsafeGranted(edge, sentAt, mono()));
                return;
            }
            for (int p : peers) {
                Agent peer = sim.agents[p];
                if (!httpUp[p]) {
                    continue;
                }
                sim.at(
                        sim.now + http(),
                        () -> peer.act(() -> {
                            boolean grant = peer.machine != null && peer.machine.grantPromise(epoch, peer.mono());
                            if (peer.httpUp[id]) {
                                sim.at(sim.now + http(), guard(inc, () -> {
                                    if (grant && round - thisRound < 5) {
                                        granted.add(p);
                                        if (granted.size() == peers.size()) {
                                            dispatch(machine.onFailsafeGranted(edge, sentAt, mono()));
                                        }
                                    }
                                }));
                            }
                        }));
            }
        }

        private long http() {
            return sim.random.nextInt(30) == 0 ? sim.between(50 * MS, 500 * MS) : sim.between(MS / 2, 30 * MS);
        }

        void dispatch(Optional<Edge> edge) {
            edge.ifPresent(e -> {
                sim.note(this + " edge " + e.to() + " at epoch " + e.epoch() + ": " + e.reason());
                if (e.to() == Role.STANDBY && e.reason().startsWith("lease expired")) {
                    sim.lapses++;
                }
                submit(machine.firstStep(e));
            });
            machine.nextTickNanos()
                    .ifPresent(at -> later(realAt(at) + 1 - sim.now, () -> dispatch(machine.tick(mono()))));
        }

        void submit(HookStep step) {
            steps.addLast(step);
            pump();
        }

        /** One hook at a time, each when its time has come; a step waiting for its time holds up nothing. */
        private void pump() {
            if (hookRunning) {
                return;
            }
            long t = mono();
            for (var it = steps.iterator(); it.hasNext(); ) {
                HookStep step = it.next();
                if (step.delayNanos(t) == 0) {
                    it.remove();
                    runStep(step);
                    return;
                }
            }
            steps.stream()
                    .mapToLong(s -> s.notBeforeNanos())
                    .min()
                    .ifPresent(at -> later(realAt(at) + 1 - sim.now, this::pump));
        }

        private void runStep(HookStep step) {
            dispatch(machine.tick(mono()));
            if (!machine.shouldRun(step, mono())) {
                machine.deferred(step, mono()).ifPresent(steps::addLast);
                pump();
                return;
            }
            hookRunning = true;
            long took = switch (step.kind()) {
                case ACTIVATE -> sim.between(0, 300 * MS);
                case STAND_DOWN, FENCE -> sim.between(0, BUDGET * 8 / 10);
                case FENCE_PEER -> sim.between(0, 100 * MS);
            };
            if (step.kind() == HookStep.Kind.ACTIVATE) {
                sim.serviceStarted(this);
            }
            int inc = incarnation;
            sim.at(sim.now + took, () -> {
                // the hook's process ends on its own, paused agent or not; a dead agent's hook dies with it
                if (!alive || incarnation != inc) {
                    return;
                }
                switch (step.kind()) {
                    case STAND_DOWN, FENCE ->
                        sim.serviceStopped(
                                this, "stand-down hook at epoch " + step.edge().epoch());
                    case FENCE_PEER ->
                        sim.serviceStopped(
                                sim.agents[Integer.parseInt(step.peer().substring(6))], "fenced by " + this);
                    default -> {}
                }
                act(() -> {
                    hookRunning = false;
                    machine.onHookDone(step, true, "ok", mono()).ifPresent(this::submit);
                    pump();
                });
            });
        }
    }

    /** A small model of the coordinator's decider for one active/passive group (see the class comment). */
    static final class Coordinator {
        final Sim sim;
        final long base;
        final double rho;
        long pausedUntil;
        long fencedUpTo = Long.MIN_VALUE;
        int readCursor;
        long epoch;
        int primary = -1;
        int promotions;
        int reconfirmations;
        final long startedAt;
        /** Per node: whether its newest beat read was sent on grants. */
        final Map<Integer, Boolean> onGrants = new HashMap<>();

        final Map<Integer, long[]> seen = new HashMap<>(); // node -> lastSeen, role ordinal, epoch, incarnation, seq
        final Map<Integer, Set<Integer>> announced = new HashMap<>();
        /** Members named for fencing, and the epoch of the first decision that named them. */
        final Map<Integer, Long> owed = new HashMap<>();

        final Map<Integer, Long> announcedEpoch = new HashMap<>();

        Coordinator(Sim sim) {
            this.sim = sim;
            this.base = sim.random.nextInt(1_000_000) * MS;
            this.rho = (sim.random.nextDouble() - 0.5) * 1e-3;
            this.startedAt = base;
        }

        long mono() {
            return base + sim.now + (long) (sim.now * rho);
        }

        void start() {
            sim.at(0, this::loop);
        }

        /** Every 20 ms: read what is readable, write a marker, decide; nothing while paused or without a broker. */
        private void loop() {
            if (sim.now >= pausedUntil && sim.brokerUp) {
                read();
                long marker = mono();
                sim.partition.add(
                        new Entry(sim.now + sim.between(MS, 30 * MS), -1, null, 0, Set.of(), marker, 0, 0, false));
                decide();
            }
            sim.at(Math.max(sim.now + 20 * MS, pausedUntil), this::loop);
        }

        private void read() {
            while (readCursor < sim.partition.size()
                    && sim.partition.get(readCursor).readableAt() <= sim.now) {
                Entry e = sim.partition.get(readCursor++);
                if (e.node() < 0) {
                    fencedUpTo = Math.max(fencedUpTo, e.markerMono());
                    continue;
                }
                seen.put(e.node(), new long[] {mono(), e.role().ordinal(), e.epoch(), e.incarnation(), e.sequence()});
                onGrants.put(e.node(), e.onGrants());
                if (e.role() == Role.STANDBY && e.epoch() >= owed.getOrDefault(e.node(), Long.MAX_VALUE)) {
                    owed.remove(e.node()); // it stood down at or after the decision that named it
                }
                if (e.role() == Role.ACTIVE) {
                    long known = announcedEpoch.getOrDefault(e.node(), -1L);
                    if (e.epoch() > known) {
                        announced.put(e.node(), new TreeSet<>(e.peers()));
                        announcedEpoch.put(e.node(), e.epoch());
                    } else if (e.epoch() == known) {
                        announced.get(e.node()).addAll(e.peers());
                    }
                }
            }
        }

        private boolean alive(int node) {
            long[] s = seen.get(node);
            return s != null && mono() - s[0] < TIMEOUT;
        }

        /** Silent for the failure timeout, and every beat acknowledged within its lease has been read. */
        private boolean convicted(int node) {
            long[] s = seen.get(node);
            return s == null || (mono() - s[0] >= TIMEOUT && fencedUpTo >= s[0] + LEASE);
        }

        private Role reported(int node) {
            long[] s = seen.get(node);
            return s == null ? Role.UNKNOWN : Role.values()[(int) s[1]];
        }

        private void decide() {
            if (fencedUpTo < startedAt + TIMEOUT) {
                return; // a full timeout of fresh heartbeats first
            }
            boolean silent = primary >= 0 && convicted(primary);
            boolean stoodDown =
                    primary >= 0 && !silent && reported(primary) == Role.STANDBY && seen.get(primary)[2] >= epoch;
            if (primary >= 0 && !silent && !stoodDown) {
                reconfirm();
                return;
            }
            List<Integer> eligible = new ArrayList<>();
            for (int n : new TreeSet<>(seen.keySet())) {
                if (!alive(n)
                        || reported(n) != Role.STANDBY
                        || (n == primary && silent)
                        || (stoodDown && n != primary)) {
                    continue; // a primary that stood down on its own is re-activated itself, as the decider does
                }
                boolean blocked = false;
                for (int m : seen.keySet()) {
                    Role r = reported(m);
                    if (m != n && (r == Role.ACTIVE || r == Role.STOPPING) && !convicted(m)) {
                        blocked = true;
                    }
                }
                if (blocked) {
                    continue;
                }
                if (sim.config.failsafe
                        && sim.config.has(Rule.PEER_SET)
                        && silent
                        && primary >= 0
                        && announcedEpoch.getOrDefault(primary, -1L) == epoch
                        && !announced.get(primary).contains(n)
                        && mono() < seen.get(primary)[0] + TIMEOUT + TERMS.maxNanos()) {
                    continue; // the convicted primary may serve on its peers' grants, and it never asked n
                }
                if (sim.config.failsafe
                        && sim.config.has(Rule.PEER_SET)
                        && silent
                        && primary >= 0
                        && announcedEpoch.getOrDefault(primary, -1L) != epoch
                        && mono() < seen.get(primary)[0] + TIMEOUT + TERMS.maxNanos()) {
                    continue; // nothing announced at this epoch: whom it asks is unknown
                }
                eligible.add(n);
            }
            if (eligible.isEmpty()) {
                return;
            }
            int best = eligible.get(sim.random.nextInt(eligible.size())); // any choice must be safe
            List<Integer> fence = new ArrayList<>(); // every member convicted while it may still serve, every time
            for (int m : new TreeSet<>(seen.keySet())) {
                if (m != best
                        && ((silent && m == primary)
                                || reported(m) == Role.ACTIVE
                                || reported(m) == Role.STOPPING
                                || (sim.config.has(Rule.FENCE_OWED) && owed.containsKey(m)))) {
                    fence.add(m);
                }
            }
            epoch++;
            for (int m : fence) {
                owed.put(m, epoch); // the newest naming counts (Member.owingFenceSince)
            }
            promotions++;
            sim.note("coordinator promotes agent-" + best + " at epoch " + epoch
                    + (silent ? ", agent-" + primary + " convicted by silence" : ""));
            primary = best;
            long[] basis = seen.get(best);
            sim.decisions.add(new Decision(epoch, best, fence, Set.copyOf(seen.keySet()), basis[3], basis[4], false));
        }

        /**
         * The primary, heard and not convicted, says in its newest beat that it serves on its peers' grants at the
         * current epoch: re-confirm it at the next epoch, based on that beat. It names nobody to fence and promotes
         * nobody: an agent never activates on a re-confirmation.
         */
        private void reconfirm() {
            long[] s = seen.get(primary);
            if (!sim.config.reconfirm
                    || s == null
                    || s[2] != epoch
                    || reported(primary) != Role.ACTIVE
                    || !onGrants.getOrDefault(primary, false)) {
                return;
            }
            epoch++;
            reconfirmations++;
            sim.note("coordinator re-confirms agent-" + primary + " at epoch " + epoch);
            sim.decisions.add(new Decision(epoch, primary, List.of(), Set.copyOf(seen.keySet()), s[3], s[4], true));
        }
    }
}
