package dev.failover.coordinator.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.failover.wire.DecisionKind;
import dev.failover.wire.GroupMode;
import dev.failover.wire.Health;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.Role;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Randomised schedules of crashes, restarts, pauses (SIGSTOP), cut broker connections, coordinator stalls and
 * coordinator restarts, run against the real decider and a model of the agent's lease rules, with the heartbeat and
 * role-change topics as ordered logs. Every 5 ms of simulated time it checks that at most one agent holds a valid
 * ACTIVE role; it also checks that role-changing epochs strictly increase, that a crashed primary is replaced
 * within timeout + overhead, and that faults of the coordinator alone never cause a failover.
 *
 * <p>The agent model: ACTIVE only while assigned ACTIVE, not lapsed, and within a lease of the send time of its
 * newest acknowledged beat; a lapse is sticky until a newer epoch; a restarted agent ignores epochs not newer than
 * the newest it found at start-up. A paused agent counts as ACTIVE while its lease lasts (its service may serve).
 */
class SplitBrainSimulationTest {

    private static final int STEP = 5;
    private static final int INTERVAL = 200;
    private static final int LEASE = 800;
    private static final int TIMEOUT = 1000;

    @Test
    void neverTwoActiveUnderRandomFaults() {
        for (int trial = 0; trial < 150; trial++) {
            Sim sim = new Sim(new Random(1000 + trial), 2 + trial % 2, true, true);
            sim.run(40_000);
        }
    }

    @Test
    void aCrashedPrimaryIsReplacedWithinTimeoutPlusOverhead() {
        List<Long> takeovers = new ArrayList<>();
        for (int trial = 0; trial < 60; trial++) {
            Sim sim = new Sim(new Random(5000 + trial), 2, false, false);
            sim.run(3_000);
            String primary = sim.activeAgent();
            assertTrue(primary != null, "trial " + trial + ": no primary after start-up");
            long crashAt = sim.now;
            sim.agents.get(primary).crashed = true;
            long takeover = -1;
            while (sim.now < crashAt + 5_000) {
                sim.step();
                if (sim.activeAgent() != null) {
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
            Sim sim = new Sim(new Random(9000 + trial), 3, false, true);
            sim.run(2_500);
            int failovers = sim.roleChangingDecisions;
            sim.run(30_000);
            assertEquals(failovers, sim.roleChangingDecisions, "trial " + trial + ": " + sim.lastReason);
        }
    }

    private static final class Agent {
        final String node;
        final int priority;
        boolean crashed;
        long restartAt = Long.MAX_VALUE;
        long pausedUntil;
        long cutUntil;
        long consumerBackAt;
        long nextBeatAt;
        long appliedEpoch;
        long startupEpoch;
        Role assigned = Role.STANDBY;
        boolean lapsed;
        long leaseUntil = Long.MIN_VALUE;
        int rolesRead;
        final List<long[]> acksDue = new ArrayList<>(); // {ackArrivesAt, sentAt}

        Agent(String node, int priority) {
            this.node = node;
            this.priority = priority;
        }

        boolean awake(long now) {
            return !crashed && now >= pausedUntil;
        }

        boolean connected(long now) {
            return now >= cutUntil;
        }

        boolean active(long now) {
            return !crashed && assigned == Role.ACTIVE && !lapsed && now < leaseUntil;
        }
    }

    private record Entry(long visibleAt, Heartbeat beat, long markerSentAt) {
    }

    private record Published(long visibleAt, Change change) {
    }

    private static final class Sim {
        final Random random;
        final boolean agentFaults;
        final boolean coordinatorFaults;
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
        /** What the coordinator's shell remembers in memory: the newest epoch it published and when. */
        long assignedEpoch = Long.MIN_VALUE;
        long assignedAtMs = Long.MIN_VALUE;
        int roleChangingDecisions;
        String lastReason = "";

        Sim(Random random, int agentCount, boolean agentFaults, boolean coordinatorFaults) {
            this.random = random;
            this.agentFaults = agentFaults;
            this.coordinatorFaults = coordinatorFaults;
            for (int i = 0; i < agentCount; i++) {
                Agent a = new Agent("n" + i, random.nextInt(3));
                a.nextBeatAt = random.nextInt(INTERVAL);
                agents.put(a.node, a);
            }
            watch = Watch.startedAt(0);
        }

        void run(long ms) {
            long end = now + ms;
            while (now < end) {
                step();
            }
        }

        String activeAgent() {
            return agents.values().stream().filter(a -> a.active(now)).map(a -> a.node).findFirst().orElse(null);
        }

        void step() {
            now += STEP;
            injectFaults();
            for (Agent a : agents.values()) {
                stepAgent(a);
            }
            stepCoordinator();
            long active = agents.values().stream().filter(a -> a.active(now)).count();
            if (active > 1) {
                fail("two ACTIVE at " + now + " ms: " + describe() + "; last reason: " + lastReason);
            }
        }

        void injectFaults() {
            if (agentFaults && random.nextInt(4000) == 0) {
                Agent a = pick();
                switch (random.nextInt(4)) {
                    case 0 -> {
                        a.crashed = true;
                        a.restartAt = now + 500 + random.nextInt(4000);
                    }
                    case 1 -> a.pausedUntil = now + 100 + random.nextInt(4000);
                    case 2 -> a.cutUntil = now + 100 + random.nextInt(4000);
                    default -> a.pausedUntil = now + 100 + random.nextInt(TIMEOUT - 100);
                }
                // the role-change consumer catches up some time after the producer is back
                a.consumerBackAt = Math.max(a.pausedUntil, a.cutUntil) + random.nextInt(600);
            }
            if (coordinatorFaults && random.nextInt(5000) == 0) {
                switch (random.nextInt(3)) {
                    case 0 -> stalledUntil = now + 100 + random.nextInt(4000);
                    case 1 -> {
                        // reads the heartbeat log late while its wall-clock punctuation keeps deciding
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

        Agent pick() {
            List<Agent> all = new ArrayList<>(agents.values());
            all.sort((x, y) -> x.node.compareTo(y.node));
            return all.get(random.nextInt(all.size()));
        }

        void stepAgent(Agent a) {
            if (a.crashed) {
                if (now >= a.restartAt) {
                    restart(a);
                }
                return;
            }
            if (!a.awake(now)) {
                return;
            }
            // the lease check comes first, also on waking from a pause
            if (a.assigned == Role.ACTIVE && !a.lapsed && now >= a.leaseUntil) {
                a.lapsed = true;
            }
            for (var it = a.acksDue.iterator(); it.hasNext(); ) {
                long[] ack = it.next();
                if (ack[0] <= now) {
                    it.remove();
                    if (a.connected(now)) {
                        a.leaseUntil = Math.max(a.leaseUntil, ack[1] + LEASE);
                    }
                }
            }
            if (a.connected(now) && now >= a.consumerBackAt) {
                while (a.rolesRead < roleLog.size() && roleLog.get(a.rolesRead).visibleAt() <= now) {
                    Change c = roleLog.get(a.rolesRead++).change();
                    if (c.epoch() > a.appliedEpoch && c.epoch() > a.startupEpoch) {
                        a.appliedEpoch = c.epoch();
                        a.assigned = c.roles().getOrDefault(a.node, Role.STANDBY);
                        a.lapsed = false;
                    }
                }
            }
            if (now >= a.nextBeatAt) {
                a.nextBeatAt = now + INTERVAL;
                if (a.connected(now)) {
                    long appendAt = now + 1 + random.nextInt(20);
                    Role reported = a.active(now) ? Role.ACTIVE : Role.STANDBY;
                    heartbeatLog.add(new Entry(appendAt, beat(a, reported), Long.MIN_VALUE));
                    a.acksDue.add(new long[] {appendAt + 1 + random.nextInt(10), now});
                }
            }
        }

        void restart(Agent a) {
            a.crashed = false;
            a.restartAt = Long.MAX_VALUE;
            a.acksDue.clear();
            a.assigned = Role.STANDBY;
            a.lapsed = false;
            a.leaseUntil = Long.MIN_VALUE;
            long newest = roleLog.stream().filter(p -> p.visibleAt() <= now).mapToLong(p -> p.change().epoch()).max()
                    .orElse(0);
            a.startupEpoch = newest;
            a.appliedEpoch = newest;
            a.rolesRead = (int) roleLog.stream().filter(p -> p.visibleAt() <= now).count();
            a.nextBeatAt = now;
        }

        Heartbeat beat(Agent a, Role reported) {
            return Heartbeat.newBuilder().setGroup("g").setNode(a.node).setSequence(0).setIncarnation(0)
                    .setSentAtMs(now).setHealth(Health.HEALTHY).setRole(reported).setEpoch(a.appliedEpoch)
                    .setMode(GroupMode.ACTIVE_PASSIVE).setPriority(a.priority).setHeartbeatIntervalMs(INTERVAL)
                    .setLeaseMs(LEASE).setFailureTimeoutMs(TIMEOUT).build();
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
            while (readPosition < heartbeatLog.size() && heartbeatLog.get(readPosition).visibleAt() <= readUpTo) {
                Entry e = heartbeatLog.get(readPosition++);
                if (e.beat() == null) {
                    watch = watch.fencedAt(e.markerSentAt());
                } else {
                    record = decider.join(record, e.beat());
                    Liveness previous = liveness.get(e.beat().getNode());
                    liveness.put(e.beat().getNode(), previous == null ? Liveness.first(e.beat(), now, decider.policy())
                            : previous.next(e.beat(), now, decider.policy()));
                }
            }
            Decision d = decider.decide(new GroupView(record, Map.copyOf(liveness), watch,
                    assignedEpoch == record.epoch() ? assignedAtMs : Long.MIN_VALUE), now);
            record = d.next();
            lastReason = d.reason();
            d.change().ifPresent(c -> {
                boolean changesRoles = c.kind() != DecisionKind.PAUSED && c.kind() != DecisionKind.RESUMED
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
            agents.values().forEach(a -> out.append(a.node).append("{").append(a.assigned).append(" e")
                    .append(a.appliedEpoch).append(" lease ").append(a.leaseUntil - now).append(" lapsed ")
                    .append(a.lapsed).append("} "));
            return out.toString();
        }
    }
}
