package dev.failover.coordinator.replay;

import dev.failover.wire.RoleChange;
import dev.failover.wire.tools.DecisionText;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Recorded decisions against replayed ones, group by group in order: the same decisions are those with the same epoch,
 * kind, roles after, fence, operator command and reason (its figures masked: "silent for 1012 ms" and "silent for
 * 1004 ms" are the same reason), each made within {@code toleranceMs} of the recorded one.
 */
public final class Comparison {

    private Comparison() {}

    /** The differences, empty when the replay made the same decisions; only decisions made in the window count. */
    public static List<String> differences(
            List<RoleChange> recorded, List<RoleChange> replayed, long sinceMs, long untilMs, long toleranceMs) {
        Map<String, List<RoleChange>> rec = byGroup(recorded, sinceMs, untilMs);
        Map<String, List<RoleChange>> rep = byGroup(replayed, sinceMs, untilMs);
        List<String> out = new ArrayList<>();
        for (String group : new TreeSet<>(union(rec.keySet(), rep.keySet()))) {
            List<RoleChange> a = rec.getOrDefault(group, List.of());
            List<RoleChange> b = rep.getOrDefault(group, List.of());
            for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
                if (i >= b.size()) {
                    out.add("recorded, not replayed: " + DecisionText.line(a.get(i)));
                } else if (i >= a.size()) {
                    out.add("replayed, not recorded: " + DecisionText.line(b.get(i)));
                } else if (!same(a.get(i), b.get(i))) {
                    out.add("recorded: " + DecisionText.line(a.get(i)) + System.lineSeparator() + "  replayed: "
                            + DecisionText.line(b.get(i)));
                } else if (Math.abs(a.get(i).getDecidedAtMs() - b.get(i).getDecidedAtMs()) > toleranceMs) {
                    out.add(String.format(
                            "the same decision %d ms %s (tolerance %d ms): %s",
                            Math.abs(a.get(i).getDecidedAtMs() - b.get(i).getDecidedAtMs()),
                            b.get(i).getDecidedAtMs() < a.get(i).getDecidedAtMs() ? "earlier" : "later",
                            toleranceMs,
                            DecisionText.line(a.get(i))));
                }
            }
        }
        return out;
    }

    /** The largest time between a recorded decision and its replayed twin, in the window. */
    public static long largestTimeDifference(
            List<RoleChange> recorded, List<RoleChange> replayed, long sinceMs, long untilMs) {
        Map<String, List<RoleChange>> rec = byGroup(recorded, sinceMs, untilMs);
        Map<String, List<RoleChange>> rep = byGroup(replayed, sinceMs, untilMs);
        long largest = 0;
        for (var e : rec.entrySet()) {
            List<RoleChange> b = rep.getOrDefault(e.getKey(), List.of());
            for (int i = 0; i < Math.min(e.getValue().size(), b.size()); i++) {
                largest = Math.max(
                        largest,
                        Math.abs(e.getValue().get(i).getDecidedAtMs() - b.get(i).getDecidedAtMs()));
            }
        }
        return largest;
    }

    static boolean same(RoleChange a, RoleChange b) {
        return a.getEpoch() == b.getEpoch()
                && a.getKind() == b.getKind()
                && roles(a).equals(roles(b))
                && new TreeSet<>(a.getFence()).equals(new TreeSet<>(b.getFence()))
                && java.util.Objects.equals(a.getCommandId(), b.getCommandId())
                && masked(a.getReason()).equals(masked(b.getReason()));
    }

    static String masked(String reason) {
        return reason.replaceAll("\\d+", "N");
    }

    private static String roles(RoleChange c) {
        return c.getMembers().stream()
                .map(m -> m.getNode() + "=" + m.getRole())
                .sorted()
                .collect(Collectors.joining(" "));
    }

    private static Map<String, List<RoleChange>> byGroup(List<RoleChange> decisions, long sinceMs, long untilMs) {
        Map<String, List<RoleChange>> out = new LinkedHashMap<>();
        for (RoleChange c : decisions) {
            if (c.getDecidedAtMs() >= sinceMs && c.getDecidedAtMs() <= untilMs) {
                out.computeIfAbsent(c.getGroup(), g -> new ArrayList<>()).add(c);
            }
        }
        return out;
    }

    private static java.util.Set<String> union(java.util.Set<String> a, java.util.Set<String> b) {
        java.util.Set<String> u = new java.util.HashSet<>(a);
        u.addAll(b);
        return u;
    }
}
