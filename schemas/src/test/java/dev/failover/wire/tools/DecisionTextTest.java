package dev.failover.wire.tools;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.wire.DecisionKind;
import dev.failover.wire.GroupMode;
import dev.failover.wire.GroupState;
import dev.failover.wire.Health;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.MemberView;
import dev.failover.wire.Role;
import dev.failover.wire.RoleChange;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DecisionTextTest {

    private static MemberView member(String node, Role role, Long seenAgo, Double suspicion) {
        return MemberView.newBuilder()
                .setNode(node)
                .setRole(role)
                .setHealth(Health.HEALTHY)
                .setPriority(0)
                .setLastSeenAgeMs(seenAgo)
                .setSuspicion(suspicion)
                .build();
    }

    private static RoleChange change(long epoch, DecisionKind kind, String reason, MemberView... members) {
        return RoleChange.newBuilder()
                .setGroup("orders")
                .setEpoch(epoch)
                .setMode(GroupMode.ACTIVE_PASSIVE)
                .setDecidedAtMs(1_700_000_000_000L + epoch)
                .setKind(kind)
                .setMembers(List.of(members))
                .setReason(reason)
                .build();
    }

    @Test
    void whySaysWhatChangedAndWhatTheCoordinatorSawOfEachMember() {
        RoleChange election = change(
                1,
                DecisionKind.ELECTION,
                "elected alpha",
                member("alpha", Role.ACTIVE, 10L, null),
                member("beta", Role.STANDBY, 12L, null));
        RoleChange failover = change(
                2,
                DecisionKind.FAILOVER,
                "promoted beta: alpha silent for 1012 ms > timeout 1000 ms",
                member("alpha", Role.STANDBY, 1012L, 9.5),
                member("beta", Role.ACTIVE, 40L, 0.2));
        String why = DecisionText.why(failover, election);
        assertTrue(why.startsWith("orders epoch 2: FAILOVER at "), why);
        assertTrue(why.contains("reason: promoted beta: alpha silent for 1012 ms"), why);
        assertTrue(
                why.matches("(?s).*alpha\\s+STANDBY\\s+\\(was ACTIVE\\) health HEALTHY.*last heartbeat 1012 ms before, "
                        + "suspicion 9\\.50.*"),
                why);
        assertTrue(why.matches("(?s).*beta\\s+ACTIVE\\s+\\(was STANDBY\\).*"), why);
        assertTrue(why.contains("decision before it: epoch 1 ELECTION"), why);
    }

    private static Heartbeat beat(String node, Role role, Health health, long sentAtMs) {
        return Heartbeat.newBuilder()
                .setGroup("orders")
                .setNode(node)
                .setSequence(1)
                .setIncarnation(1)
                .setSentAtMs(sentAtMs)
                .setHealth(health)
                .setRole(role)
                .setEpoch(7)
                .setMode(GroupMode.ACTIVE_PASSIVE)
                .setPriority(0)
                .setHeartbeatIntervalMs(200)
                .setLeaseMs(800)
                .setFailureTimeoutMs(1000)
                .build();
    }

    private static GroupState orders(MemberView... members) {
        return GroupState.newBuilder()
                .setGroup("orders")
                .setEpoch(7)
                .setMode(GroupMode.ACTIVE_PASSIVE)
                .setMembers(List.of(members))
                .setPaused(true)
                .setPausedUntilMs(null)
                .setUpdatedAtMs(1_000)
                .setLastReason("paused by ops")
                .build();
    }

    @Test
    void theStatusTableHasARowPerMemberAndMarksPausedGroups() {
        GroupState state = orders(member("alpha", Role.ACTIVE, 30L, 0.1), member("beta", Role.STANDBY, null, null));
        String table = DecisionText.statusTable(List.of(state), Map.of(), 61_000);
        assertTrue(
                table.lines()
                        .anyMatch(l -> l.startsWith("orders (paused)")
                                && l.contains("alpha")
                                && l.contains("ACTIVE")
                                && l.contains("unknown")
                                && l.contains("0.1")),
                table);
        assertTrue(
                table.lines()
                        .anyMatch(l -> l.contains("beta")
                                && l.contains("STANDBY")
                                && l.trim().endsWith("-")),
                table);
        assertTrue(table.contains("last decision 60 s ago: paused by ops"), table);
    }

    @Test
    void theStatusTableShowsTheNewestBeatAndThePrimarysLeaseLeft() {
        GroupState state = orders(member("alpha", Role.ACTIVE, 30L, 0.1), member("beta", Role.STANDBY, 20L, 0.2));
        Map<String, Map<String, Heartbeat>> beats = Map.of(
                "orders",
                Map.of(
                        "alpha", beat("alpha", Role.ACTIVE, Health.HEALTHY, 60_700),
                        "beta", beat("beta", Role.STANDBY, Health.UNHEALTHY, 60_900)));
        String table = DecisionText.statusTable(List.of(state), beats, 61_000);
        assertTrue(
                table.lines()
                        .anyMatch(
                                l -> l.matches("orders.*alpha\\s+ACTIVE\\s+HEALTHY\\s+0\\s+300 ms\\s+500 ms\\s+0\\.1")),
                "alpha's lease runs 800 ms from its beat sent 300 ms ago: " + table);
        assertTrue(
                table.lines()
                        .anyMatch(l -> l.matches("orders.*beta\\s+STANDBY\\s+UNHEALTHY\\s+0\\s+100 ms\\s+-\\s+0\\.2")),
                "a standby has no lease; health is the newest beat's: " + table);
        String lapsed = DecisionText.statusTable(List.of(state), beats, 61_600);
        assertTrue(
                lapsed.lines().anyMatch(l -> l.contains("alpha") && l.contains("900 ms") && l.contains("lapsed")),
                lapsed);
    }

    @Test
    void theStatusJsonIsTheStateRecordWithTheNewestBeatsAdded() {
        GroupState state = orders(member("alpha", Role.ACTIVE, 30L, 0.1));
        String json = DecisionText.statusJson(
                state, Map.of("alpha", beat("alpha", Role.ACTIVE, Health.HEALTHY, 60_700)), 61_000);
        assertTrue(json.startsWith("{\"group\": \"orders\""), json);
        assertTrue(
                json.endsWith(", \"beats\": {\"alpha\": {\"lastBeatAgeMs\": 300, \"health\": \"HEALTHY\", "
                        + "\"role\": \"ACTIVE\", \"leaseLeftMs\": 500}}}"),
                json);
    }

    @Test
    void aDecisionLineNamesTimeGroupEpochKindRolesAndReason() {
        String line = DecisionText.line(change(
                3,
                DecisionKind.SWITCHOVER,
                "promoted beta: switchover",
                member("alpha", Role.STANDBY, 5L, null),
                member("beta", Role.ACTIVE, 5L, null)));
        assertTrue(
                line.matches("2023-11-14T22:13:20\\.003Z\\s+orders\\s+epoch 3\\s+SWITCHOVER\\s+alpha=STANDBY "
                        + "beta=ACTIVE\\s+promoted beta: switchover"),
                line);
    }
}
