package dev.failover.testkit.check;

import dev.failover.testkit.check.Observations.Edge;
import dev.failover.testkit.check.Observations.Expect;
import dev.failover.testkit.check.Observations.Fault;
import dev.failover.testkit.check.Observations.Lifecycle;
import dev.failover.testkit.check.Observations.RoleSample;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Proves from {@link Observations} what an active/passive group promises, and reports per fault:
 * <ul>
 *   <li><b>No two actives by /role</b>: no two nodes of a group answered 200 to requests whose flight times overlap
 *       (zero tolerance: if two such answers exist, both nodes claimed ACTIVE within the same few milliseconds).</li>
 *   <li><b>No two actives by hooks</b>: a node holds ACTIVE from its on-activate hook to its on-standby hook or its
 *       death, and not while it is frozen (SIGSTOP freezes the node: agent and service). Any overlap is a violation,
 *       with one stated exception: a frozen primary that wakes up after its successor took over holds ACTIVE again
 *       until its stand-down hook has run, because a frozen agent cannot stop its service before it runs again. Such
 *       wake-up overlaps (they begin at the SIGCONT) are allowed up to the wake tolerance, counted and reported; the
 *       epoch is what fences the woken service's writes, and its /role answers 503 from its first request.</li>
 *   <li><b>Epochs only grow</b>: on each node, every ACTIVE edge has a higher epoch than any edge before it, no
 *       edge goes back, and no two nodes were activated at the same epoch.</li>
 *   <li><b>Takeover within the bound</b>: after a TAKEOVER fault on the primary, another node has run its activate
 *       hook and answered /role 200 within the fault's bound.</li>
 *   <li><b>No false failover</b>: every hook run lies inside the window of a fault that allows it.</li>
 * </ul>
 */
public final class SplitBrainChecker {

    public static final String STEADY = "steady state";

    private SplitBrainChecker() {}

    /** A broken promise, in words that say where and when. */
    public record Violation(String group, String message) {
        @Override
        public String toString() {
            return message;
        }
    }

    /** One row of the summary table. */
    public static final class Row {
        public final String fault;
        int trials;
        int failovers;
        final List<Long> takeoverNs = new ArrayList<>();
        int dualRole;
        long worstDualRoleNs;
        int dualHooksBeyondTolerance;
        int dualHooksWithinTolerance;
        long worstDualHooksNs;
        int falseFailovers;

        Row(String fault) {
            this.fault = fault;
        }

        public int trials() {
            return trials;
        }

        public int failovers() {
            return failovers;
        }

        public List<Long> takeoverNs() {
            return List.copyOf(takeoverNs);
        }

        public long worstTakeoverNs() {
            return takeoverNs.stream().mapToLong(Long::longValue).max().orElse(-1);
        }

        public int dualRoleWindows() {
            return dualRole;
        }

        public int dualHookWindows() {
            return dualHooksBeyondTolerance + dualHooksWithinTolerance;
        }

        public int dualHookWindowsBeyondTolerance() {
            return dualHooksBeyondTolerance;
        }

        public long worstDualHooksNs() {
            return worstDualHooksNs;
        }

        public int falseFailovers() {
            return falseFailovers;
        }
    }

    /** The rows by fault name (in the order faults were injected, steady state first) and every violation found. */
    public record Report(Map<String, Row> rows, List<Violation> violations) {
        public boolean ok() {
            return violations.isEmpty();
        }

        public List<String> messages() {
            return violations.stream().map(Violation::message).toList();
        }

        /** What went wrong in one group. */
        public List<String> messages(String group) {
            return violations.stream()
                    .filter(v -> v.group().equals(group))
                    .map(Violation::message)
                    .toList();
        }

        public String table() {
            StringBuilder out = new StringBuilder(String.format(
                    "%-44s %6s %9s %17s %14s %16s %15s%n",
                    "fault",
                    "trials",
                    "failovers",
                    "worst takeover ms",
                    "dual /role 200",
                    "dual hooks (ms)",
                    "false failovers"));
            for (Row r : rows.values()) {
                if (r.trials == 0
                        && r.dualRole == 0
                        && r.dualHookWindows() == 0
                        && r.falseFailovers == 0
                        && !r.fault.equals(STEADY)) {
                    continue;
                }
                out.append(String.format(
                        "%-44s %6s %9d %17s %14d %16s %15d%n",
                        r.fault,
                        r.fault.equals(STEADY) ? "-" : Integer.toString(r.trials),
                        r.failovers,
                        r.takeoverNs.isEmpty() ? "-" : Long.toString(r.worstTakeoverNs() / 1_000_000),
                        r.dualRole,
                        r.dualHookWindows()
                                + (r.dualHookWindows() == 0 ? "" : " (" + r.worstDualHooksNs / 1_000_000 + ")"),
                        r.falseFailovers));
            }
            return out.toString();
        }
    }

    /** Checks everything observed up to {@code endNs}; a node still holding ACTIVE then holds it until {@code endNs}. */
    public static Report check(Observations observations, long endNs, long wakeToleranceNs) {
        Observations.Snapshot s = observations.snapshot();
        Map<String, Row> rows = new LinkedHashMap<>();
        rows.put(STEADY, new Row(STEADY));
        for (Fault f : s.faults()) {
            if (f.expect() != Expect.SETUP) {
                rows.computeIfAbsent(f.name(), Row::new);
            }
        }
        List<Violation> violations = new ArrayList<>();
        Map<Key, List<long[]>> holding = holdings(s, endNs);

        for (var entry : s.activePassive().entrySet()) {
            String group = entry.getKey();
            if (entry.getValue()) {
                dualHooks(group, holding, s, rows, violations, wakeToleranceNs);
                dualRole(group, s, rows, violations);
            }
        }
        epochs(s, violations);
        unexplainedEdges(s, rows, violations);
        for (Fault f : s.faults()) {
            if (f.expect() != Expect.SETUP) {
                outcome(f, s, holding, rows.get(f.name()), violations);
            }
        }
        return new Report(rows, List.copyOf(violations));
    }

    private record Key(String group, String node) {}

    /** Per node, the intervals [from, to) in which it held ACTIVE by its hooks, alive and not frozen. */
    private static Map<Key, List<long[]>> holdings(Observations.Snapshot s, long endNs) {
        record Event(long atNs, Key key, int kind) {}
        final int active = 0;
        final int standby = 1;
        List<Event> events = new ArrayList<>();
        for (Edge e : s.edges()) {
            events.add(new Event(e.atNs(), new Key(e.group(), e.node()), e.active() ? active : standby));
        }
        for (Lifecycle l : s.lifecycle()) {
            events.add(new Event(
                    l.atNs(), new Key(l.group(), l.node()), 2 + l.event().ordinal()));
        }
        events.sort(Comparator.comparingLong(Event::atNs));
        Map<Key, boolean[]> state = new HashMap<>(); // holds, frozen
        Map<Key, Long> since = new HashMap<>();
        Map<Key, List<long[]>> out = new HashMap<>();
        for (Event e : events) {
            boolean[] st = state.computeIfAbsent(e.key(), k -> new boolean[2]);
            boolean before = st[0] && !st[1];
            switch (e.kind()) {
                case active -> st[0] = true;
                case standby -> st[0] = false;
                default -> {
                    switch (Observations.ProcessEvent.values()[e.kind() - 2]) {
                        case LAUNCH, DEATH -> {
                            st[0] = false;
                            st[1] = false;
                        }
                        case STOP -> st[1] = true;
                        case CONT -> st[1] = false;
                    }
                }
            }
            boolean after = st[0] && !st[1];
            if (!before && after) {
                since.put(e.key(), e.atNs());
            } else if (before && !after) {
                out.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(new long[] {since.remove(e.key()), e.atNs()});
            }
        }
        since.forEach(
                (k, from) -> out.computeIfAbsent(k, x -> new ArrayList<>()).add(new long[] {from, endNs}));
        return out;
    }

    private static boolean holds(Map<Key, List<long[]>> holding, String group, String node, long atNs) {
        return holding.getOrDefault(new Key(group, node), List.of()).stream()
                .anyMatch(i -> i[0] <= atNs && atNs < i[1]);
    }

    private static void dualHooks(
            String group,
            Map<Key, List<long[]>> holding,
            Observations.Snapshot s,
            Map<String, Row> rows,
            List<Violation> violations,
            long wakeToleranceNs) {
        TreeMap<Long, Integer> delta = new TreeMap<>();
        holding.forEach((k, intervals) -> {
            if (k.group().equals(group)) {
                for (long[] i : intervals) {
                    delta.merge(i[0], 1, Integer::sum);
                    delta.merge(i[1], -1, Integer::sum);
                }
            }
        });
        int count = 0;
        long openedAt = 0;
        for (var d : delta.entrySet()) {
            int next = count + d.getValue();
            if (count < 2 && next >= 2) {
                openedAt = d.getKey();
            } else if (count >= 2 && next < 2) {
                long length = d.getKey() - openedAt;
                long from = openedAt;
                boolean wakeUp = s.lifecycle().stream()
                        .anyMatch(l -> l.group().equals(group)
                                && l.atNs() == from
                                && l.event() == Observations.ProcessEvent.CONT);
                Row row = rows.get(attribute(s, group, openedAt));
                row.worstDualHooksNs = Math.max(row.worstDualHooksNs, length);
                if (!wakeUp || length > wakeToleranceNs) {
                    row.dualHooksBeyondTolerance++;
                    violate(
                            violations,
                            group,
                            "%s: two nodes held ACTIVE by their hooks for %.1f ms from %s (%s%s)",
                            group,
                            length / 1e6,
                            at(s, openedAt),
                            row.fault,
                            wakeUp ? ", a wake-up after SIGCONT" : "");
                } else {
                    row.dualHooksWithinTolerance++;
                }
            }
            count = next;
        }
    }

    private static void dualRole(
            String group, Observations.Snapshot s, Map<String, Row> rows, List<Violation> violations) {
        List<RoleSample> ok = s.samples().stream()
                .filter(r -> r.group().equals(group) && r.status() == 200)
                .toList();
        for (int i = 0; i < ok.size(); i++) {
            RoleSample a = ok.get(i);
            for (int j = i + 1; j < ok.size() && ok.get(j).sentNs() <= a.answeredNs(); j++) {
                RoleSample b = ok.get(j);
                if (!b.node().equals(a.node())) {
                    Row row = rows.get(attribute(s, group, a.sentNs()));
                    long overlap = Math.min(a.answeredNs(), b.answeredNs()) - b.sentNs();
                    row.dualRole++;
                    row.worstDualRoleNs = Math.max(row.worstDualRoleNs, overlap);
                    violate(
                            violations,
                            group,
                            "%s: %s and %s both answered /role 200 at %s (%s)",
                            group,
                            a.node(),
                            b.node(),
                            at(s, b.sentNs()),
                            row.fault);
                }
            }
        }
    }

    private static void epochs(Observations.Snapshot s, List<Violation> violations) {
        Map<Key, long[]> last = new HashMap<>(); // last epoch, last ACTIVE epoch
        Map<String, Map<Long, String>> activatedAt = new HashMap<>();
        for (Edge e : s.edges()) {
            Key key = new Key(e.group(), e.node());
            long[] l = last.computeIfAbsent(key, k -> new long[] {Long.MIN_VALUE, Long.MIN_VALUE});
            if (e.epoch() < l[0]) {
                violate(
                        violations,
                        e.group(),
                        "%s/%s: epoch went back from %d to %d (%s at %s)",
                        e.group(),
                        e.node(),
                        l[0],
                        e.epoch(),
                        e.role(),
                        at(s, e.atNs()));
            }
            if (e.active()) {
                if (e.epoch() <= l[1]) {
                    violate(
                            violations,
                            e.group(),
                            "%s/%s: activated at epoch %d after an activation at %d",
                            e.group(),
                            e.node(),
                            e.epoch(),
                            l[1]);
                }
                l[1] = Math.max(l[1], e.epoch());
                if (Boolean.TRUE.equals(s.activePassive().get(e.group()))) {
                    String other = activatedAt
                            .computeIfAbsent(e.group(), g -> new HashMap<>())
                            .putIfAbsent(e.epoch(), e.node());
                    if (other != null && !other.equals(e.node())) {
                        violate(
                                violations,
                                e.group(),
                                "%s: %s and %s were both activated at epoch %d",
                                e.group(),
                                other,
                                e.node(),
                                e.epoch());
                    }
                }
            }
            l[0] = Math.max(l[0], e.epoch());
        }
    }

    private static void unexplainedEdges(Observations.Snapshot s, Map<String, Row> rows, List<Violation> violations) {
        for (Edge e : s.edges()) {
            List<Fault> covering = s.faults().stream()
                    .filter(f -> f.group().equals(e.group()) && f.covers(e.atNs()))
                    .toList();
            boolean allowed = covering.stream().anyMatch(f -> switch (f.expect()) {
                case TAKEOVER, RECOVERY, SETUP -> true;
                case MEMBER_LOSS -> e.node().equals(f.node());
                case NO_CHANGE -> false;
            });
            if (!allowed) {
                String blame = covering.stream()
                        .filter(f -> f.expect() != Expect.SETUP)
                        .map(Fault::name)
                        .findFirst()
                        .orElse(STEADY);
                rows.get(blame).falseFailovers++;
                violate(
                        violations,
                        e.group(),
                        "%s/%s: %s hook at epoch %d at %s without a fault that allows it (%s)",
                        e.group(),
                        e.node(),
                        e.role(),
                        e.epoch(),
                        at(s, e.atNs()),
                        blame);
            }
        }
    }

    private static void outcome(
            Fault f, Observations.Snapshot s, Map<Key, List<long[]>> holding, Row row, List<Violation> violations) {
        row.trials++;
        Set<String> movedTo = new HashSet<>();
        for (Edge e : s.edges()) {
            if (e.group().equals(f.group())
                    && e.active()
                    && f.covers(e.atNs())
                    && !e.node().equals(f.node())) {
                movedTo.add(e.node());
            }
        }
        boolean activePassive = Boolean.TRUE.equals(s.activePassive().get(f.group()));
        if (activePassive) {
            row.failovers += movedTo.size();
        }
        List<String> nodes = s.edges().stream()
                .filter(e -> e.group().equals(f.group()))
                .map(Edge::node)
                .distinct()
                .toList();
        switch (f.expect()) {
            case TAKEOVER -> {
                if (!holds(holding, f.group(), f.node(), f.startNs() - 1)) {
                    violate(
                            violations,
                            f.group(),
                            "%s: %s hit %s, which did not hold ACTIVE at %s",
                            f.group(),
                            f.name(),
                            f.node(),
                            at(s, f.startNs()));
                }
                Optional<Long> takeover = takeover(f, s);
                if (takeover.isEmpty()) {
                    violate(
                            violations,
                            f.group(),
                            "%s: nobody took over from %s after %s at %s",
                            f.group(),
                            f.node(),
                            f.name(),
                            at(s, f.startNs()));
                } else {
                    row.takeoverNs.add(takeover.get());
                    if (takeover.get() > f.boundNs()) {
                        violate(
                                violations,
                                f.group(),
                                "%s: takeover after %s took %d ms > bound %d ms (%s)",
                                f.group(),
                                f.name(),
                                takeover.get() / 1_000_000,
                                f.boundNs() / 1_000_000,
                                takeoverTimeline(f, s, takeover.get()));
                    }
                }
            }
            case RECOVERY -> {
                long holders = nodes.stream()
                        .filter(n -> holds(holding, f.group(), n, f.windowEndNs()))
                        .count();
                if (activePassive ? holders != 1 : holders == 0) {
                    violate(
                            violations,
                            f.group(),
                            "%s: %d nodes held ACTIVE when %s's window ended at %s",
                            f.group(),
                            holders,
                            f.name(),
                            at(s, f.windowEndNs()));
                }
            }
            case MEMBER_LOSS -> {
                if (!holds(holding, f.group(), f.node(), f.windowEndNs())) {
                    violate(
                            violations,
                            f.group(),
                            "%s: %s was not ACTIVE again when %s's window ended",
                            f.group(),
                            f.node(),
                            f.name());
                }
            }
            case NO_CHANGE, SETUP -> {
                // every edge in the window is already a violation
            }
        }
    }

    /**
     * Where a slow takeover's time went, in ms after the fault: the successor's activate hook reaching the ledger, and
     * its /role samples from the hook on (status, sent, answered), so a late 200 reads as the agent answering 503, a
     * slow answer (a stalled agent), or a gap between samples (a starved poller).
     */
    private static String takeoverTimeline(Fault f, Observations.Snapshot s, long takeoverNs) {
        long end = f.startNs() + takeoverNs;
        Optional<Edge> hook = s.edges().stream()
                .filter(e -> e.group().equals(f.group())
                        && !e.node().equals(f.node())
                        && e.active()
                        && e.atNs() >= f.startNs()
                        && e.atNs() <= end)
                .findFirst();
        StringBuilder out = new StringBuilder();
        hook.ifPresent(e -> out.append(e.node())
                .append("'s activate hook at ")
                .append((e.atNs() - f.startNs()) / 1_000_000)
                .append(" ms; its /role samples from then:"));
        long from = hook.map(Edge::atNs).orElse(f.startNs());
        s.samples().stream()
                .filter(r -> r.group().equals(f.group())
                        && hook.map(e -> e.node().equals(r.node()))
                                .orElse(!r.node().equals(f.node()))
                        && r.answeredNs() >= from
                        && r.sentNs() <= end)
                .limit(40)
                .forEach(r -> out.append(' ')
                        .append(r.status())
                        .append('@')
                        .append((r.sentNs() - f.startNs()) / 1_000_000)
                        .append('-')
                        .append((r.answeredNs() - f.startNs()) / 1_000_000));
        return out.toString();
    }

    /** From the fault to the first /role 200 of another node whose activate hook ran after the fault. */
    private static Optional<Long> takeover(Fault f, Observations.Snapshot s) {
        for (RoleSample r : s.samples()) {
            if (r.group().equals(f.group())
                    && r.status() == 200
                    && r.sentNs() >= f.startNs()
                    && !r.node().equals(f.node())) {
                boolean hookRan = s.edges().stream()
                        .anyMatch(e -> e.group().equals(f.group())
                                && e.node().equals(r.node())
                                && e.active()
                                && e.atNs() >= f.startNs()
                                && e.atNs() <= r.answeredNs());
                if (hookRan) {
                    return Optional.of(r.answeredNs() - f.startNs());
                }
            }
        }
        return Optional.empty();
    }

    private static void violate(List<Violation> violations, String group, String format, Object... args) {
        violations.add(new Violation(group, String.format(format, args)));
    }

    private static String attribute(Observations.Snapshot s, String group, long atNs) {
        return s.faults().stream()
                .filter(f -> f.group().equals(group) && f.covers(atNs) && f.expect() != Expect.SETUP)
                .map(Fault::name)
                .findFirst()
                .orElse(STEADY);
    }

    /** A time as milliseconds after the first fault or edge, which reads better in a message than raw nanos. */
    private static String at(Observations.Snapshot s, long atNs) {
        long origin = s.lifecycle().stream()
                .mapToLong(Lifecycle::atNs)
                .min()
                .orElse(s.edges().stream().mapToLong(Edge::atNs).min().orElse(atNs));
        return "+" + (atNs - origin) / 1_000_000 + " ms";
    }
}
