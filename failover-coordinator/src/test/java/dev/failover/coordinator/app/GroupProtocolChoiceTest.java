package dev.failover.coordinator.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.apache.kafka.common.GroupType;
import org.junit.jupiter.api.Test;

class GroupProtocolChoiceTest {

    private static GroupProtocolChoice.Facts facts(
            String requested, Optional<Short> level, Optional<GroupType> type, boolean members) {
        return new GroupProtocolChoice.Facts(requested, Optional.empty(), level, Optional.empty(), type, members);
    }

    @Test
    void autoTakesTheStreamsProtocolWhenTheBrokerRunsItAndFallsBackWhenTheGroupConfigIsRefused() {
        GroupProtocolChoice.Verdict v =
                GroupProtocolChoice.decide(facts("auto", Optional.of((short) 1), Optional.empty(), false));
        assertEquals("streams", v.protocol());
        assertTrue(v.configureGroup(), "the session is the group's own configuration");
        assertFalse(v.keepOnRefusal(), "a refused configuration falls back to classic");
    }

    @Test
    void autoFallsBackToClassicWithoutTheFeatureOrBesideRunningClassicInstances() {
        GroupProtocolChoice.Verdict noFeature =
                GroupProtocolChoice.decide(facts("auto", Optional.empty(), Optional.empty(), false));
        assertEquals("classic", noFeature.protocol());
        assertTrue(noFeature.reason().contains("streams.version"), noFeature.reason());
        assertEquals(
                "classic",
                GroupProtocolChoice.decide(facts("auto", Optional.of((short) 0), Optional.empty(), false))
                        .protocol(),
                "level 0 is the feature off");
        GroupProtocolChoice.Verdict classicRunning =
                GroupProtocolChoice.decide(facts("auto", Optional.of((short) 1), Optional.of(GroupType.CLASSIC), true));
        assertEquals("classic", classicRunning.protocol());
        assertTrue(classicRunning.reason().contains("classic protocol"), classicRunning.reason());
        assertEquals(
                "streams",
                GroupProtocolChoice.decide(facts("auto", Optional.of((short) 1), Optional.of(GroupType.CLASSIC), false))
                        .protocol(),
                "an empty classic group is migrated offline");
        GroupProtocolChoice.Verdict unreadable = GroupProtocolChoice.decide(new GroupProtocolChoice.Facts(
                "auto", Optional.empty(), Optional.empty(), Optional.of("TimeoutException"), Optional.empty(), false));
        assertEquals("classic", unreadable.protocol());
        assertTrue(unreadable.reason().contains("TimeoutException"), unreadable.reason());
    }

    @Test
    void aGroupRunningOnTheStreamsProtocolIsJoinedOnItWhateverTheFeatureSays() {
        GroupProtocolChoice.Verdict v =
                GroupProtocolChoice.decide(facts("auto", Optional.empty(), Optional.of(GroupType.STREAMS), true));
        assertEquals("streams", v.protocol());
        assertTrue(v.keepOnRefusal(), "falling back would fail to join a group of the other protocol");
    }

    @Test
    void anExplicitChoiceIsObeyed() {
        assertEquals(
                "classic",
                GroupProtocolChoice.decide(
                                facts("classic", Optional.of((short) 1), Optional.of(GroupType.STREAMS), false))
                        .protocol());
        GroupProtocolChoice.Verdict streams =
                GroupProtocolChoice.decide(facts("streams", Optional.of((short) 1), Optional.empty(), false));
        assertEquals("streams", streams.protocol());
        assertTrue(streams.keepOnRefusal());
        GroupProtocolChoice.Verdict kafka = GroupProtocolChoice.decide(new GroupProtocolChoice.Facts(
                "auto", Optional.of("CLASSIC"), Optional.of((short) 1), Optional.empty(), Optional.empty(), false));
        assertEquals("classic", kafka.protocol(), "kafka.group.protocol wins over auto");
        assertFalse(kafka.configureGroup());
    }

    @Test
    void anExplicitStreamsChoiceOnABrokerWithoutTheProtocolFailsTheStartInsteadOfLoopingInTheGroup() {
        IllegalStateException e = assertThrows(
                IllegalStateException.class,
                () -> GroupProtocolChoice.decide(facts("streams", Optional.empty(), Optional.empty(), false)));
        assertTrue(e.getMessage().contains("streams.version"), e.getMessage());
        assertThrows(
                IllegalStateException.class,
                () -> GroupProtocolChoice.decide(new GroupProtocolChoice.Facts(
                        "auto",
                        Optional.of("streams"),
                        Optional.of((short) 0),
                        Optional.empty(),
                        Optional.empty(),
                        false)),
                "kafka.group.protocol=streams is held to the same");
        assertEquals(
                "streams",
                GroupProtocolChoice.decide(new GroupProtocolChoice.Facts(
                                "streams",
                                Optional.empty(),
                                Optional.empty(),
                                Optional.of("TimeoutException"),
                                Optional.empty(),
                                false))
                        .protocol(),
                "features that cannot be read do not overrule an explicit choice");
    }

    @Test
    void anUnknownGroupIsDecidedOnTheFeatureAlone() {
        assertEquals(
                "streams",
                GroupProtocolChoice.decide(facts("auto", Optional.of((short) 1), Optional.empty(), true))
                        .protocol(),
                "members of an unknown type: a wrong guess is caught at the first heartbeat");
        assertEquals(
                "classic",
                GroupProtocolChoice.decide(
                                facts("classic", Optional.of((short) 1), Optional.of(GroupType.STREAMS), true))
                        .protocol(),
                "an explicit classic stays, even beside streams");
    }

    @Test
    void failuresThatNoReplacedThreadCanGetPastAreTold() {
        assertTrue(GroupProtocolChoice.cannotJoin(new org.apache.kafka.streams.errors.StreamsException(
                        new org.apache.kafka.common.errors.InvalidRequestException(
                                "Topology updates are not supported yet.")))
                .orElseThrow()
                .contains("group.protocol=classic"));
        assertTrue(GroupProtocolChoice.cannotJoin(
                        new org.apache.kafka.common.errors.GroupIdNotFoundException("Group g is not a streams group."))
                .isPresent());
        assertTrue(GroupProtocolChoice.cannotJoin(
                        new org.apache.kafka.common.errors.InconsistentGroupProtocolException("x"))
                .isPresent());
        assertTrue(GroupProtocolChoice.cannotJoin(new org.apache.kafka.common.errors.UnsupportedVersionException(
                        "The cluster does not support the STREAMS group protocol"))
                .isPresent());
        assertEquals(
                Optional.empty(),
                GroupProtocolChoice.cannotJoin(new org.apache.kafka.streams.errors.StreamsException(
                        new org.apache.kafka.common.errors.TimeoutException("broker gone"))));
        assertEquals(
                Optional.empty(),
                GroupProtocolChoice.cannotJoin(
                        new org.apache.kafka.common.errors.InvalidRequestException("something else")),
                "only the topology refusal");
    }

    @Test
    void theHeartbeatIsASixthOfTheSession() {
        assertEquals(500, GroupProtocolChoice.heartbeatMs(3000));
        assertEquals(1000, GroupProtocolChoice.heartbeatMs(6000));
        assertEquals(100, GroupProtocolChoice.heartbeatMs(300), "never below the broker's usual minimum");
    }
}
