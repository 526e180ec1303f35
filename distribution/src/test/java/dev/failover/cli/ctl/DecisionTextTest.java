package dev.failover.cli.ctl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.wire.DecisionKind;
import dev.failover.wire.GroupMode;
import dev.failover.wire.GroupState;
import dev.failover.wire.Health;
import dev.failover.wire.MemberView;
import dev.failover.wire.Role;
import dev.failover.wire.RoleChange;
import java.util.List;
import org.junit.jupiter.api.Test;

class DecisionTextTest {

    private static MemberView member(String node, Role role, Long seenAgo, Double suspicion) {
        return MemberView.newBuilder().setNode(node).setRole(role).setHealth(Health.HEALTHY).setPriority(0)
                .setLastSeenAgeMs(seenAgo).setSuspicion(suspicion).build();
    }

    private static RoleChange change(long epoch, DecisionKind kind, String reason, MemberView... members) {
        return RoleChange.newBuilder().setGroup("orders").setEpoch(epoch).setMode(GroupMode.ACTIVE_PASSIVE)
                .setDecidedAtMs(1_700_000_000_000L + epoch).setKind(kind).setMembers(List.of(members))
                .setReason(reason).build();
    }

    @Test
    void whySaysWhatChangedAndWhatTheCoordinatorSawOfEachMember() {
        RoleChange election = change(1, DecisionKind.ELECTION, "elected alpha", member("alpha", Role.ACTIVE, 10L, null),
                member("beta", Role.STANDBY, 12L, null));
        RoleChange failover = change(2, DecisionKind.FAILOVER, "promoted beta: alpha silent for 1012 ms > timeout 1000 ms",
                member("alpha", Role.STANDBY, 1012L, 9.5), member("beta", Role.ACTIVE, 40L, 0.2));
        String why = DecisionText.why(failover, election);
        assertTrue(why.startsWith("orders epoch 2: FAILOVER at "), why);
        assertTrue(why.contains("reason: promoted beta: alpha silent for 1012 ms"), why);
        assertTrue(why.matches("(?s).*alpha\\s+STANDBY\\s+\\(was ACTIVE\\) health HEALTHY.*last heartbeat 1012 ms before, "
                + "suspicion 9\\.50.*"), why);
        assertTrue(why.matches("(?s).*beta\\s+ACTIVE\\s+\\(was STANDBY\\).*"), why);
        assertTrue(why.contains("decision before it: epoch 1 ELECTION"), why);
    }

    @Test
    void theStatusTableHasARowPerMemberAndMarksPausedGroups() {
        GroupState state = GroupState.newBuilder().setGroup("orders").setEpoch(7).setMode(GroupMode.ACTIVE_PASSIVE)
                .setMembers(List.of(member("alpha", Role.ACTIVE, 30L, 0.1), member("beta", Role.STANDBY, null, null)))
                .setPaused(true).setPausedUntilMs(null).setUpdatedAtMs(1_000).setLastReason("paused by ops").build();
        String table = DecisionText.statusTable(List.of(state), 61_000);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("orders (paused)") && l.contains("alpha")
                && l.contains("ACTIVE") && l.contains("30 ms") && l.contains("0.1")), table);
        assertTrue(table.lines().anyMatch(l -> l.contains("beta") && l.contains("STANDBY") && l.trim().endsWith("-")),
                table);
        assertTrue(table.contains("last decision 60 s ago: paused by ops"), table);
    }

    @Test
    void aDecisionLineNamesTimeGroupEpochKindRolesAndReason() {
        String line = DecisionText.line(change(3, DecisionKind.SWITCHOVER, "promoted beta: switchover",
                member("alpha", Role.STANDBY, 5L, null), member("beta", Role.ACTIVE, 5L, null)));
        assertTrue(line.matches("2023-11-14T22:13:20\\.003Z\\s+orders\\s+epoch 3\\s+SWITCHOVER\\s+alpha=STANDBY "
                + "beta=ACTIVE\\s+promoted beta: switchover"), line);
    }
}
