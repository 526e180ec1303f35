package dev.failover.testkit.check;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a fault-injection run saw, on one clock ({@link System#nanoTime()}, which on Linux is the system-wide
 * CLOCK_MONOTONIC, so the harness and the processes it starts agree): the role edges each node's hooks took, the
 * answers of each node's {@code /role}, what happened to each process, and the faults injected with what each of
 * them allows. Safe to append to from several threads; {@link SplitBrainChecker} reads a snapshot.
 */
public final class Observations {

    /** A hook run: node {@code node} of {@code group} took {@code role} ("ACTIVE" or "STANDBY") at {@code epoch}. */
    public record Edge(long atNs, String group, String node, String role, long epoch) {
        boolean active() {
            return "ACTIVE".equals(role);
        }
    }

    /** One GET /role: asked at {@code sentNs}, answered (or given up) at {@code answeredNs}; status -1 = no answer. */
    public record RoleSample(long sentNs, long answeredNs, String group, String node, int status) {}

    public enum ProcessEvent {
        /** A new incarnation of the node started: it holds nothing. */
        LAUNCH,
        /** SIGKILL or an exit: from here on it holds nothing. */
        DEATH,
        /** SIGSTOP: the node (agent and the service it guards) is frozen and serves nothing until CONT. */
        STOP,
        CONT
    }

    public record Lifecycle(long atNs, String group, String node, ProcessEvent event) {}

    /** What a fault allows inside its window. */
    public enum Expect {
        /** The ACTIVE {@code node} fails: another node must be ACTIVE (hook run, /role 200) within the bound. */
        TAKEOVER,
        /** Nothing may change in the group: no hook may run. */
        NO_CHANGE,
        /** Roles may move (for example stand down while Kafka is gone) but the group must end with a primary. */
        RECOVERY,
        /** Active/active: only {@code node} may take edges, and it must be ACTIVE again by the window's end. */
        MEMBER_LOSS,
        /** Setting a group up: anything goes, nothing is reported. */
        SETUP
    }

    /**
     * A fault injected at {@code startNs} into {@code group} (on {@code node}, or null when it hits no node), whose
     * consequences may last until {@code windowEndNs}; {@code boundNs} is the longest takeover allowed for TAKEOVER.
     */
    public record Fault(
            String name, String group, String node, Expect expect, long startNs, long windowEndNs, long boundNs) {
        boolean covers(long atNs) {
            return atNs >= startNs && atNs <= windowEndNs;
        }
    }

    private final List<Edge> edges = new ArrayList<>();
    private final List<RoleSample> samples = new ArrayList<>();
    private final List<Lifecycle> lifecycle = new ArrayList<>();
    private final List<Fault> faults = new ArrayList<>();
    private final Map<String, Boolean> activePassive = new LinkedHashMap<>();

    public synchronized void group(String group, boolean isActivePassive) {
        activePassive.put(group, isActivePassive);
    }

    public synchronized void edge(Edge edge) {
        edges.add(edge);
    }

    public synchronized void sample(RoleSample sample) {
        samples.add(sample);
    }

    public synchronized void lifecycle(long atNs, String group, String node, ProcessEvent event) {
        lifecycle.add(new Lifecycle(atNs, group, node, event));
    }

    public synchronized void fault(Fault fault) {
        faults.add(fault);
    }

    synchronized Snapshot snapshot() {
        Comparator<Edge> byTime = Comparator.comparingLong(Edge::atNs);
        return new Snapshot(
                edges.stream().sorted(byTime).toList(),
                samples.stream()
                        .sorted(Comparator.comparingLong(RoleSample::sentNs))
                        .toList(),
                lifecycle.stream()
                        .sorted(Comparator.comparingLong(Lifecycle::atNs))
                        .toList(),
                List.copyOf(faults),
                Map.copyOf(activePassive));
    }

    record Snapshot(
            List<Edge> edges,
            List<RoleSample> samples,
            List<Lifecycle> lifecycle,
            List<Fault> faults,
            Map<String, Boolean> activePassive) {}
}
