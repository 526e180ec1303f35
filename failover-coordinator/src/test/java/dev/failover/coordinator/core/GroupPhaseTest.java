package dev.failover.coordinator.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.wire.CommandType;
import dev.failover.wire.DecisionKind;
import dev.failover.wire.GroupMode;
import dev.failover.wire.Role;
import java.util.EnumSet;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class GroupPhaseTest {

    private static final long NOW = 1_000_000;

    @Test
    void thePhaseIsReadFromTheRecordWithAHandoverBeforeAPause() {
        GroupRecord empty = GroupRecord.empty("orders", GroupMode.ACTIVE_PASSIVE);
        assertEquals(GroupPhase.EMPTY, GroupPhase.of(empty, NOW));
        assertEquals(GroupPhase.EMPTY, GroupPhase.of(empty.withPausedUntil(NOW + 1), NOW), "nothing to pause");

        GroupRecord standbys = empty.withMember(member("alpha", Role.STANDBY)).withMember(member("beta", Role.STANDBY));
        assertEquals(GroupPhase.ELECTING, GroupPhase.of(standbys, NOW));

        GroupRecord steady = standbys.withMember(member("alpha", Role.ACTIVE));
        assertEquals(GroupPhase.STEADY, GroupPhase.of(steady, NOW));
        assertEquals(GroupPhase.PAUSED, GroupPhase.of(steady.withPausedUntil(NOW + 1), NOW));
        assertEquals(GroupPhase.STEADY, GroupPhase.of(steady.withPausedUntil(NOW), NOW), "the pause ended at NOW");
        assertEquals(GroupPhase.PAUSED, GroupPhase.of(steady.withPausedUntil(GroupRecord.PAUSED_INDEFINITELY), NOW));

        GroupRecord handingOver = standbys.withPending(new Handover("alpha", "beta", 2, "switchover", "cmd", NOW));
        assertEquals(GroupPhase.HANDING_OVER, GroupPhase.of(handingOver, NOW));
        assertEquals(
                GroupPhase.HANDING_OVER,
                GroupPhase.of(handingOver.withPausedUntil(NOW + 1), NOW),
                "a handover started finishes while paused, else the group has no primary");

        GroupRecord activeActive = GroupRecord.empty("web", GroupMode.ACTIVE_ACTIVE)
                .withMember(member("a", Role.STANDBY))
                .withMember(member("b", Role.STANDBY));
        assertEquals(GroupPhase.STEADY, GroupPhase.of(activeActive, NOW), "active/active never elects");
    }

    @Test
    void theMovesThatCannotHappenAreRefusedByTheTable() {
        for (GroupPhase phase : GroupPhase.values()) {
            assertTrue(phase.allows(phase), phase + " may stay");
        }
        assertEquals(EnumSet.of(GroupPhase.EMPTY), GroupPhase.EMPTY.next(), "members come by heartbeats only");
        assertFalse(GroupPhase.ELECTING.allows(GroupPhase.HANDING_OVER), "no primary to stand down");
        assertFalse(GroupPhase.HANDING_OVER.allows(GroupPhase.ELECTING), "a handover ends in a promotion");
        assertFalse(GroupPhase.HANDING_OVER.allows(GroupPhase.EMPTY), "its members are never forgotten meanwhile");
        assertTrue(GroupPhase.STEADY.allows(GroupPhase.HANDING_OVER));
        assertTrue(GroupPhase.HANDING_OVER.allows(GroupPhase.STEADY));
        assertTrue(GroupPhase.HANDING_OVER.allows(GroupPhase.PAUSED), "promoted while paused");
        assertTrue(GroupPhase.PAUSED.allows(GroupPhase.HANDING_OVER), "an operator's switchover while paused");
    }

    @Test
    void aDecisionThatWouldLeaveItsPhaseIllegallyIsRefusedAndTheGroupLeftAsItWas() {
        Decider decider = new Decider(Policy.defaults());
        GroupRecord electing = GroupRecord.empty("orders", GroupMode.ACTIVE_PASSIVE)
                .withMember(member("alpha", Role.STANDBY))
                .withMember(member("beta", Role.STANDBY));
        GroupRecord handingOver = electing.assign(1, new TreeMap<>())
                .withPending(new Handover("alpha", "beta", 1, "a defect", null, NOW));
        Decision illegal = Decision.of(
                handingOver, new Change(DecisionKind.STAND_DOWN, 1, handingOver.roles(), "standing down nobody", null));

        Decision checked = decider.checked(electing, illegal, NOW);

        assertEquals(electing, checked.next(), "left as it was");
        assertEquals(Optional.empty(), checked.change());
        assertTrue(checked.reason().startsWith("DEFECT"), checked.reason());
        assertTrue(checked.reason().contains("from ELECTING to HANDING_OVER"), checked.reason());
        assertEquals(GroupPhase.ELECTING, checked.from());
        assertTrue(checked.defect(), "the shell logs it at ERROR and counts it");

        Decision legal = Decision.of(
                electing.assign(1, new TreeMap<>(java.util.Map.of("alpha", Role.ACTIVE))),
                new Change(DecisionKind.ELECTION, 1, new TreeMap<>(), "elected alpha", null));
        assertEquals(legal.next(), decider.checked(electing, legal, NOW).next());
    }

    @Test
    void twoActivesARoleChangedAtTheSameEpochAndAHandoverEndingInNobodyAreDefectsToo() {
        Decider decider = new Decider(Policy.defaults());
        GroupRecord steady = GroupRecord.empty("orders", GroupMode.ACTIVE_PASSIVE)
                .withMember(member("alpha", Role.ACTIVE))
                .withMember(member("beta", Role.STANDBY))
                .assign(3, new TreeMap<>());
        TreeMap<String, Role> both = new TreeMap<>(java.util.Map.of("alpha", Role.ACTIVE, "beta", Role.ACTIVE));
        Decision twoActive = decider.checked(
                steady,
                Decision.of(steady.assign(4, both), new Change(DecisionKind.FAILOVER, 4, both, "both", null)),
                NOW);
        assertTrue(twoActive.defect() && twoActive.reason().contains("2 members assigned ACTIVE"), twoActive.reason());
        assertEquals(steady, twoActive.next());

        TreeMap<String, Role> swapped = new TreeMap<>(java.util.Map.of("alpha", Role.STANDBY, "beta", Role.ACTIVE));
        Decision sameEpoch = decider.checked(
                steady,
                Decision.of(steady.assign(3, swapped), new Change(DecisionKind.FAILOVER, 3, swapped, "swap", null)),
                NOW);
        assertTrue(sameEpoch.defect() && sameEpoch.reason().contains("without a new epoch"), sameEpoch.reason());

        GroupRecord handingOver = steady.assign(4, new TreeMap<>(java.util.Map.of("alpha", Role.STANDBY)))
                .withPending(new Handover("alpha", "beta", 4, "unhealthy", null, NOW))
                .withPausedUntil(NOW + 60_000);
        Decision nobody = decider.checked(handingOver, Decision.none(handingOver.withPending(null), "cleared"), NOW);
        assertTrue(
                nobody.defect() && nobody.reason().contains("a handover ended without promoting anyone"),
                "HANDING_OVER to PAUSED is legal, but not without a promotion: " + nobody.reason());
    }

    @Test
    void aCommandWhoseAnswerIsADefectIsRefusedSoTheOperatorHearsBack() {
        Decider decider = new Decider(Policy.defaults());
        GroupRecord electing = GroupRecord.empty("orders", GroupMode.ACTIVE_PASSIVE)
                .withMember(member("alpha", Role.STANDBY))
                .withMember(member("beta", Role.STANDBY));
        GroupRecord handingOver = electing.assign(1, new TreeMap<>())
                .withPending(new Handover("alpha", "beta", 1, "a defect", "cmd-7", NOW));
        Decision answer = Decision.of(
                handingOver,
                new Change(DecisionKind.SWITCHOVER, 1, handingOver.roles(), "switching over from nobody", "cmd-7"));

        Decision checked = decider.checked(electing, answer, NOW);

        Change refusal = checked.change().orElseThrow();
        assertEquals(DecisionKind.COMMAND_REFUSED, refusal.kind());
        assertEquals("cmd-7", refusal.commandId(), "the answer names the command");
        assertTrue(refusal.reason().startsWith("DEFECT"), refusal.reason());
        assertEquals(electing, checked.next());
        assertTrue(checked.defect());
    }

    @Test
    void eachDecisionSaysWhichPhaseItLeftAndWhereItTakesTheGroup() {
        Scenario s = Scenario.groupWithPrimaryAndTwoStandbys();
        assertEquals(GroupPhase.ELECTING, s.lastChanging.from());
        assertEquals(GroupPhase.STEADY, s.lastChanging.to(s.now));

        Decision standDown = s.command(CommandType.SWITCHOVER, "gamma", null);
        assertEquals(GroupPhase.STEADY, standDown.from());
        assertEquals(GroupPhase.HANDING_OVER, standDown.to(s.now));
        assertFalse(standDown.automaticFailover(), "an operator's switchover is not the brake's");

        s.run(3 * Scenario.INTERVAL); // alpha obeys: it reports STANDBY at the new epoch
        assertEquals(Optional.of("gamma"), s.activeNode(), s.lastReason);
        assertEquals(GroupPhase.HANDING_OVER, s.lastChanging.from());
        assertEquals(GroupPhase.STEADY, s.lastChanging.to(s.now));

        Decision paused = s.command(CommandType.PAUSE, null, null);
        assertEquals(GroupPhase.PAUSED, paused.to(s.now));
        s.mute("gamma").run(3 * Scenario.TIMEOUT);
        assertEquals(Optional.of("gamma"), s.activeNode(), "paused: nobody fails over");
        assertEquals("paused: no automatic failover", s.lastReason);
    }

    private static Member member(String node, Role assigned) {
        return new Member(node, 10, new dev.failover.wire.Timing(200, 800, 1000), assigned, null, Member.NO_FENCE_OWED);
    }
}
