package dev.failover.wire.tools;

import dev.failover.wire.GroupMode;
import dev.failover.wire.GroupState;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.MemberView;
import dev.failover.wire.Role;
import dev.failover.wire.RoleChange;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** How {@code failover ctl} prints groups and decisions: plain tables for people, one JSON object per line for tools. */
public final class DecisionText {

    private DecisionText() {}

    /**
     * A Patroni-style table: one row per member, the group's epoch and state on each row. Role and suspicion come from
     * the group's state as of its last decision; last beat, health and the primary's lease left from {@code beats},
     * each member's newest heartbeat read just now (by group, then node), where there is one.
     */
    public static String statusTable(List<GroupState> groups, Map<String, Map<String, Heartbeat>> beats, long nowMs) {
        StringBuilder out = new StringBuilder(String.format(
                "%-16s %-14s %6s %-8s %-8s %-9s %8s %10s %10s %9s%n",
                "GROUP",
                "MODE",
                "EPOCH",
                "NODE",
                "ROLE",
                "HEALTH",
                "PRIORITY",
                "LAST BEAT",
                "LEASE LEFT",
                "SUSPICION"));
        for (GroupState g : groups) {
            String state = g.getPaused()
                    ? " (paused"
                            + (g.getPausedUntilMs() == null
                                    ? ")"
                                    : " until " + Instant.ofEpochMilli(g.getPausedUntilMs()) + ")")
                    : "";
            for (MemberView m : g.getMembers()) {
                Heartbeat beat = beats.getOrDefault(g.getGroup(), Map.of()).get(m.getNode());
                out.append(String.format(
                        "%-16s %-14s %6d %-8s %-8s %-9s %8d %10s %10s %9s%n",
                        g.getGroup() + state,
                        mode(g.getMode()),
                        g.getEpoch(),
                        m.getNode(),
                        m.getRole(),
                        beat == null ? m.getHealth() : beat.getHealth(),
                        m.getPriority(),
                        beat == null ? "none" : beatAgeMs(beat, nowMs) + " ms",
                        leaseLeft(m, beat, nowMs),
                        m.getSuspicion() == null ? "-" : String.format("%.1f", m.getSuspicion())));
            }
            out.append(
                    String.format("  last decision %s ago: %s%n", age(nowMs - g.getUpdatedAtMs()), g.getLastReason()));
        }
        out.append(
                        "(last beat, health and lease left from the newest heartbeats; role and suspicion as of each group's "
                                + "last decision)")
                .append(System.lineSeparator());
        return out.toString();
    }

    /**
     * The group's state record as JSON with a {@code "beats"} object added: per member with a heartbeat just now, its
     * age, health, the role it reports and, if ACTIVE, the lease left in ms (negative once lapsed).
     */
    public static String statusJson(GroupState g, Map<String, Heartbeat> beats, long nowMs) {
        String state = g.toString().strip();
        String live = beats.values().stream()
                .map(b -> JsonText.quote(b.getNode()) + ": {\"lastBeatAgeMs\": "
                        + beatAgeMs(b, nowMs) + ", \"health\": "
                        + JsonText.quote(b.getHealth().name())
                        + ", \"role\": " + JsonText.quote(b.getRole().name()) + ", \"leaseLeftMs\": "
                        + (b.getRole() == Role.ACTIVE ? Long.toString(leaseLeftMs(b, nowMs)) : "null") + "}")
                .collect(Collectors.joining(", ", "{", "}"));
        return state.substring(0, state.length() - 1) + ", \"beats\": " + live + "}";
    }

    /**
     * How long a member that says it is ACTIVE may keep serving without another acknowledged heartbeat: its lease runs
     * from the send time of its newest heartbeat (which is in the log, so acknowledged). "-" for the others.
     */
    static String leaseLeft(MemberView m, Heartbeat beat, long nowMs) {
        if (beat == null) {
            return m.getRole() == Role.ACTIVE ? "unknown" : "-";
        }
        if (beat.getRole() != Role.ACTIVE) {
            return "-";
        }
        long left = leaseLeftMs(beat, nowMs);
        return left > 0 ? left + " ms" : "lapsed";
    }

    /** The lease of the node that sent {@code beat} runs from the beat's send time (it is in the log: acknowledged). */
    private static long leaseLeftMs(Heartbeat beat, long nowMs) {
        return beat.getSentAtMs() + beat.getLeaseMs() - nowMs;
    }

    private static long beatAgeMs(Heartbeat beat, long nowMs) {
        return Math.max(0, nowMs - beat.getSentAtMs());
    }

    /** One line per decision: time, group, epoch, kind, the roles after it, the reason. */
    public static String line(RoleChange c) {
        return String.format(
                "%s  %-16s epoch %-5d %-15s %-30s %s",
                Instant.ofEpochMilli(c.getDecidedAtMs()),
                c.getGroup(),
                c.getEpoch(),
                c.getKind(),
                roles(c.getMembers()),
                c.getReason());
    }

    /** {@code alpha=ACTIVE beta=STANDBY}. */
    public static String roles(List<MemberView> members) {
        return members.stream().map(m -> m.getNode() + "=" + m.getRole()).collect(Collectors.joining(" "));
    }

    /**
     * A decision explained from its recorded evidence: what changed against the decision before it, and what the
     * coordinator saw of each member when it decided.
     */
    public static String why(RoleChange c, RoleChange previous) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(
                "%s epoch %d: %s at %s%n",
                c.getGroup(), c.getEpoch(), c.getKind(), Instant.ofEpochMilli(c.getDecidedAtMs())));
        out.append("reason: ").append(c.getReason()).append(System.lineSeparator());
        if (!c.getFence().isEmpty()) {
            out.append("fence: ")
                    .append(String.join(", ", c.getFence()))
                    .append(" (nobody saw its service stop; a "
                            + "successor with --fence-peer fences it before activating)")
                    .append(System.lineSeparator());
        }
        if (c.getCommandId() != null) {
            out.append("answers operator command ").append(c.getCommandId()).append(System.lineSeparator());
        }
        Map<String, MemberView> before = previous == null
                ? Map.of()
                : previous.getMembers().stream().collect(Collectors.toMap(MemberView::getNode, m -> m));
        out.append("members when it decided:").append(System.lineSeparator());
        for (MemberView m : c.getMembers()) {
            MemberView b = before.get(m.getNode());
            String change = b == null
                    ? (previous == null ? "" : " (new member)")
                    : b.getRole() == m.getRole() ? "" : " (was " + b.getRole() + ")";
            out.append(String.format(
                    "  %-12s %-8s%s health %s, priority %d, last heartbeat %s before, suspicion %s%n",
                    m.getNode(),
                    m.getRole(),
                    change,
                    m.getHealth(),
                    m.getPriority(),
                    m.getLastSeenAgeMs() == null ? "never seen by this coordinator" : m.getLastSeenAgeMs() + " ms",
                    m.getSuspicion() == null ? "- (too little history)" : String.format("%.2f", m.getSuspicion())));
        }
        if (previous != null) {
            out.append(String.format(
                    "decision before it: epoch %d %s at %s: %s%n",
                    previous.getEpoch(),
                    previous.getKind(),
                    Instant.ofEpochMilli(previous.getDecidedAtMs()),
                    previous.getReason()));
        }
        return out.toString();
    }

    static String mode(GroupMode mode) {
        return mode == GroupMode.ACTIVE_ACTIVE
                ? "active-active"
                : mode == GroupMode.ACTIVE_PASSIVE ? "active-passive" : mode.toString();
    }

    /** A duration as people say it: 40 s, 5 min, 3 h. */
    public static String age(long ms) {
        if (ms < 0) {
            return "0 s";
        }
        long s = ms / 1000;
        return s < 120 ? s + " s" : s < 7200 ? s / 60 + " min" : s / 3600 + " h";
    }
}
