package dev.failover.coordinator.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.coordinator.app.HangingTransactions.Hang;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class HangingTransactionsTest {

    private static final TopicPartition OFFSETS = new TopicPartition("__consumer_offsets", 3);
    private static final long NOW = 1_000_000;
    private static final long THRESHOLD = 10_000;

    /** The candidates after a first sighting at {@code NOW - THRESHOLD - 1} and a second one at {@code NOW}. */
    private static List<Hang> seenTwice(Map<TopicPartition, List<ProducerState>> producers) {
        HangingTransactions.Sightings sightings = new HangingTransactions.Sightings();
        sightings.candidates(producers, NOW - THRESHOLD - 1, THRESHOLD);
        return sightings.candidates(producers, NOW, THRESHOLD);
    }

    private static ProducerState open(long producerId, long lastWriteMs) {
        return new ProducerState(producerId, 4, -1, lastWriteMs, OptionalInt.of(2), OptionalLong.of(77));
    }

    private static TransactionDescription description(long producerId, TransactionState state, TopicPartition... in) {
        return new TransactionDescription(1, state, producerId, 4, 5_000, OptionalLong.empty(), Set.of(in));
    }

    @Test
    void anOpenTransactionIsACandidateOnlyOnceThisInstanceHasSeenItOpenForLongerThanTheThreshold() {
        HangingTransactions.Sightings sightings = new HangingTransactions.Sightings();
        var producers = Map.of(OFFSETS, List.of(open(7, 0)));
        assertTrue(sightings.candidates(producers, NOW, THRESHOLD).isEmpty(), "first seen now, whatever its timestamp");
        assertTrue(sightings.candidates(producers, NOW + THRESHOLD, THRESHOLD).isEmpty(), "at the threshold");
        List<Hang> past = sightings.candidates(producers, NOW + THRESHOLD + 1, THRESHOLD);
        assertEquals(List.of(new Hang(OFFSETS, 7, (short) 4, 2, 77, THRESHOLD + 1, "")), past);
    }

    @Test
    void aTransactionThatClosedBetweenScansStartsAgainFromNothing() {
        HangingTransactions.Sightings sightings = new HangingTransactions.Sightings();
        sightings.candidates(Map.of(OFFSETS, List.of(open(7, 0))), NOW, THRESHOLD);
        sightings.candidates(Map.of(OFFSETS, List.of()), NOW + 1, THRESHOLD);
        assertTrue(
                sightings
                        .candidates(Map.of(OFFSETS, List.of(open(7, 0))), NOW + THRESHOLD + 2, THRESHOLD)
                        .isEmpty(),
                "a new transaction (or one seen again) is counted from its new sighting");
        ProducerState later = new ProducerState(7, 5, -1, 0, OptionalInt.of(2), OptionalLong.of(90));
        sightings.candidates(Map.of(OFFSETS, List.of(later)), NOW + THRESHOLD + 3, THRESHOLD);
        assertTrue(
                sightings
                        .candidates(Map.of(OFFSETS, List.of(later)), NOW + THRESHOLD + 4, THRESHOLD)
                        .isEmpty(),
                "another start offset is another transaction");
    }

    @Test
    void howLongEachInputPartitionHasHadATransactionOpenIsTheOldestSightingOnIt() {
        HangingTransactions.Sightings sightings = new HangingTransactions.Sightings();
        TopicPartition beats2 = new TopicPartition("beats", 2);
        TopicPartition beats3 = new TopicPartition("beats", 3);
        ProducerState newer = new ProducerState(8, 1, -1, 0, OptionalInt.of(2), OptionalLong.of(500));
        sightings.candidates(Map.of(beats2, List.of(open(7, 0))), NOW, THRESHOLD);
        sightings.candidates(
                Map.of(beats2, List.of(open(7, 0), newer), beats3, List.of(newer), OFFSETS, List.of(open(9, 0))),
                NOW + 4_000,
                THRESHOLD);
        assertEquals(Map.of(2, 4_000L, 3, 0L), sightings.openOn("beats", NOW + 4_000));
        sightings.candidates(Map.of(beats3, List.of(newer)), NOW + 9_000, THRESHOLD);
        assertEquals(Map.of(3, 5_000L), sightings.openOn("beats", NOW + 9_000), "the one on partition 2 closed");
    }

    @Test
    void aProducerWithoutAnOpenTransactionIsNeverACandidate() {
        ProducerState idle = new ProducerState(7, 4, 12, 0, OptionalInt.empty(), OptionalLong.empty());
        assertTrue(seenTwice(Map.of(OFFSETS, List.of(idle))).isEmpty());
    }

    @Test
    void aTransactionNoCoordinatorKnowsIsHanging() {
        List<Hang> hanging =
                HangingTransactions.hanging(seenTwice(Map.of(OFFSETS, List.of(open(7, 0)))), Map.of(), Map.of());
        assertEquals(1, hanging.size());
        assertTrue(hanging.get(0).why().contains("no transaction coordinator knows producer 7"), hanging.toString());
    }

    @Test
    void aTransactionItsCoordinatorCompletedWithoutThisPartitionIsHanging() {
        List<Hang> candidates = seenTwice(Map.of(OFFSETS, List.of(open(7, 0))));
        List<Hang> hanging = HangingTransactions.hanging(
                candidates, Map.of(7L, "app-1"), Map.of("app-1", description(7, TransactionState.COMPLETE_ABORT)));
        assertEquals(1, hanging.size());
        assertTrue(hanging.get(0).why().contains("without __consumer_offsets-3"), hanging.toString());
    }

    @Test
    void aTransactionItsCoordinatorStillHoldsIsLeftToIt() {
        List<Hang> candidates = seenTwice(Map.of(OFFSETS, List.of(open(7, 0))));
        assertTrue(HangingTransactions.hanging(
                        candidates,
                        Map.of(7L, "app-1"),
                        Map.of("app-1", description(7, TransactionState.PREPARE_ABORT, OFFSETS)))
                .isEmpty());
    }

    @Test
    void aTransactionalIdThatMovedToAnotherProducerLeavesTheOldOneHanging() {
        List<Hang> candidates = seenTwice(Map.of(OFFSETS, List.of(open(7, 0))));
        List<Hang> hanging = HangingTransactions.hanging(
                candidates, Map.of(7L, "app-1"), Map.of("app-1", description(8, TransactionState.ONGOING, OFFSETS)));
        assertTrue(hanging.get(0).why().contains("now belongs to producer 8"), hanging.toString());
    }

    @Test
    void aLaterTransactionOfTheSameProducerOnTheSamePartitionDoesNotHideTheOldOne() {
        List<Hang> candidates = seenTwice(Map.of(OFFSETS, List.of(open(7, 0))));
        TransactionDescription later = new TransactionDescription(
                1, TransactionState.ONGOING, 7, 6, 5_000, OptionalLong.empty(), Set.of(OFFSETS));
        List<Hang> hanging = HangingTransactions.hanging(candidates, Map.of(7L, "app-1"), Map.of("app-1", later));
        assertTrue(hanging.get(0).why().contains("at epoch 6, a later transaction"), hanging.toString());
        TransactionDescription writingMarkers = new TransactionDescription(
                1, TransactionState.PREPARE_ABORT, 7, 5, 5_000, OptionalLong.empty(), Set.of(OFFSETS));
        assertTrue(
                HangingTransactions.hanging(candidates, Map.of(7L, "app-1"), Map.of("app-1", writingMarkers))
                        .isEmpty(),
                "markers on their way under the next epoch: its coordinator finishes it");
    }

    private static ProducerState closed(long producerId, int epoch) {
        return new ProducerState(producerId, epoch, -1, 0, OptionalInt.of(2), OptionalLong.empty());
    }

    private static TransactionDescription at(long producerId, int epoch, TransactionState state) {
        return new TransactionDescription(1, state, producerId, epoch, 5_000, OptionalLong.empty(), Set.of());
    }

    @Test
    void aPartitionIsStuckOnlyOnceItHasBeenUnstableContinuouslyForLongerThanTheThreshold() {
        HangingTransactions.Unstable unstable = new HangingTransactions.Unstable();
        TopicPartition input = new TopicPartition("failover.heartbeats", 0);
        assertTrue(unstable.stuck(Set.of(input), NOW, THRESHOLD).isEmpty());
        assertTrue(unstable.stuck(Set.of(input), NOW + THRESHOLD, THRESHOLD).isEmpty(), "at the threshold");
        assertEquals(Map.of(input, THRESHOLD + 1), unstable.stuck(Set.of(input), NOW + THRESHOLD + 1, THRESHOLD));
        assertTrue(unstable.stuck(Set.of(), NOW + THRESHOLD + 2, THRESHOLD).isEmpty());
        assertTrue(
                unstable.stuck(Set.of(input), NOW + 2 * THRESHOLD, THRESHOLD).isEmpty(),
                "stable once in between: counted again from its new sighting");
    }

    @Test
    void aProducerWhoseTransactionCoordinatorHasMovedPastItsLastEpochHereIsClosedAtThatEpoch() {
        // the figures of the CI failure: the instances' last epochs on the offsets partition were 5227 and 1155,
        // their transaction coordinator had re-initialised them at 5228 and 1156
        List<Hang> stranded = HangingTransactions.stranded(
                OFFSETS,
                List.of(closed(0, 5227), closed(4, 1155)),
                Map.of(0L, "a-1", 4L, "b-1"),
                Map.of("a-1", at(0, 5228, TransactionState.EMPTY), "b-1", at(4, 1156, TransactionState.ONGOING)),
                31_000);
        assertEquals(List.of(0L, 4L), stranded.stream().map(Hang::producerId).toList());
        assertEquals((short) 5227, stranded.get(0).producerEpoch(), "the marker carries the epoch it last wrote here");
        assertEquals(2, stranded.get(0).coordinatorEpoch());
        assertTrue(
                stranded.get(0).toString().contains("nothing open"),
                stranded.get(0).toString());
    }

    @Test
    void aProducerThatMayStillWriteHereAtItsEpochOrHasSomethingOpenIsLeftAlone() {
        ProducerState open = new ProducerState(9, 3, -1, 0, OptionalInt.of(2), OptionalLong.of(40));
        List<Hang> stranded = HangingTransactions.stranded(
                OFFSETS,
                List.of(closed(0, 5228), closed(4, 1156), open, closed(5, 7)),
                Map.of(0L, "a-1", 4L, "b-1", 9L, "c-1", 5L, "d-1"),
                Map.of(
                        "a-1",
                        at(0, 5228, TransactionState.EMPTY),
                        "b-1",
                        at(4, 1156, TransactionState.COMPLETE_COMMIT),
                        "c-1",
                        at(9, 4, TransactionState.EMPTY)),
                31_000);
        assertEquals(
                List.of(),
                stranded,
                "same epoch as its coordinator (its next transaction starts there), an open "
                        + "transaction (judged as hanging or not elsewhere), or a transactional id not described");
    }

    @Test
    void aProducerWhoseCoordinatorIsWritingItsMarkersIsLeftToThem() {
        // transactions v2: a commit bumps the epoch and writes its markers under the new one; an abort at the old
        // epoch landing first would drop the pending offsets that commit is about to make
        for (TransactionState writing : List.of(
                TransactionState.PREPARE_COMMIT,
                TransactionState.PREPARE_ABORT,
                TransactionState.PREPARE_EPOCH_FENCE)) {
            assertEquals(
                    List.of(),
                    HangingTransactions.stranded(
                            OFFSETS,
                            List.of(closed(0, 5227)),
                            Map.of(0L, "a-1"),
                            Map.of("a-1", at(0, 5228, writing)),
                            31_000),
                    writing.toString());
        }
    }

    @Test
    void aProducerNoTransactionCoordinatorKnowsOrWhoseIdMovedToAnotherProducerIsClosed() {
        List<Hang> stranded = HangingTransactions.stranded(
                OFFSETS,
                List.of(closed(1, 2917), closed(3, 59)),
                Map.of(3L, "d-1"),
                Map.of("d-1", at(8, 0, TransactionState.EMPTY)),
                31_000);
        assertEquals(List.of(1L, 3L), stranded.stream().map(Hang::producerId).toList());
        assertTrue(
                stranded.get(0).why().contains("no transaction coordinator knows"),
                stranded.get(0).why());
        assertTrue(
                stranded.get(1).why().contains("now belongs to producer 8"),
                stranded.get(1).why());
    }

    private static final String GROUP = "failover-coordinator";
    private static final String LIVE_A = "6d50f7e4-5354-425d-bd53-694adfa43cce";
    private static final String LIVE_B = "190cc0a4-2472-4e94-b282-2bd60435f3a0";
    private static final String STOPPED = "70c9d041-b00b-466e-ae6a-33e788d49c86";
    private static final String GONE = "7126c0c7-3431-4a93-b5d1-2dc5bb0bdf5b";

    private static String thread(String process) {
        return GROUP + "-" + process + "-1";
    }

    private static String member(String process) {
        return GROUP + "-" + process + "-StreamThread-1-consumer";
    }

    private static final Optional<Set<String>> LIVE_MEMBERS = Optional.of(Set.of(LIVE_A, LIVE_B));

    /**
     * The figures of the CI failure on 6f82b58: the group coordinator came back with producer 0's pending offsets (a
     * stopped instance whose last transaction, at epoch 3980, had been committed at 3981 long before).
     */
    private static final List<ProducerState> CI_PRODUCERS =
            List.of(closed(0, 3981), closed(1, 3370), closed(3, 1779), closed(4, 1250));

    private static final Map<Long, String> CI_IDS =
            Map.of(0L, thread(STOPPED), 1L, thread(GONE), 3L, thread(LIVE_A), 4L, thread(LIVE_B));

    private static Map<String, TransactionDescription> ciDescriptions(TransactionState stopped) {
        return Map.of(
                thread(STOPPED),
                at(0, 3981, stopped),
                thread(GONE),
                at(1, 3371, TransactionState.COMPLETE_ABORT),
                thread(LIVE_A),
                at(3, 1780, TransactionState.EMPTY),
                thread(LIVE_B),
                at(4, 1252, TransactionState.EMPTY));
    }

    @Test
    void aStoppedInstancesProducerAtTheEpochItsCoordinatorHoldsIsFencedNotClosed() {
        assertEquals(
                List.of(1L, 3L, 4L),
                HangingTransactions.stranded(
                                OFFSETS, CI_PRODUCERS, CI_IDS, ciDescriptions(TransactionState.COMPLETE_COMMIT), 30_084)
                        .stream()
                        .map(Hang::producerId)
                        .toList(),
                "the stranded rule closes only producers whose coordinator is past the epoch");
        assertEquals(
                List.of(thread(STOPPED)),
                HangingTransactions.stoppedInstances(
                        GROUP, CI_PRODUCERS, CI_IDS, ciDescriptions(TransactionState.COMPLETE_COMMIT), LIVE_MEMBERS),
                "producer 0 is fenced first");
        for (TransactionState rest : List.of(TransactionState.EMPTY, TransactionState.COMPLETE_ABORT)) {
            assertEquals(
                    List.of(thread(STOPPED)),
                    HangingTransactions.stoppedInstances(
                            GROUP, CI_PRODUCERS, CI_IDS, ciDescriptions(rest), LIVE_MEMBERS),
                    rest.toString());
        }
    }

    @Test
    void aProducerIsNotFencedWhileItsInstanceIsAMemberItIsBusyOrTheMembersCannotBePlaced() {
        assertEquals(
                List.of(),
                HangingTransactions.stoppedInstances(
                        GROUP,
                        CI_PRODUCERS,
                        CI_IDS,
                        ciDescriptions(TransactionState.COMPLETE_COMMIT),
                        Optional.of(Set.of(LIVE_A, LIVE_B, STOPPED))),
                "another thread of it is a member");
        assertEquals(
                List.of(),
                HangingTransactions.stoppedInstances(
                        GROUP, CI_PRODUCERS, CI_IDS, ciDescriptions(TransactionState.ONGOING), LIVE_MEMBERS),
                "an ongoing transaction");
        assertEquals(
                List.of(),
                HangingTransactions.stoppedInstances(
                        GROUP,
                        CI_PRODUCERS,
                        CI_IDS,
                        ciDescriptions(TransactionState.COMPLETE_COMMIT),
                        Optional.empty()),
                "the group could not be described");
        Map<Long, String> foreign = Map.of(0L, "someone-elses-id-1");
        assertEquals(
                List.of(),
                HangingTransactions.stoppedInstances(
                        GROUP,
                        List.of(closed(0, 3981)),
                        foreign,
                        Map.of("someone-elses-id-1", at(0, 3981, TransactionState.EMPTY)),
                        LIVE_MEMBERS),
                "not a Streams thread of this group: never judged");
        assertEquals(
                List.of(),
                HangingTransactions.stoppedInstances(
                        GROUP,
                        List.of(closed(0, 3982)),
                        CI_IDS,
                        ciDescriptions(TransactionState.COMPLETE_COMMIT),
                        LIVE_MEMBERS),
                "written past what its coordinator "
                        + "was seen at: its coordinator was read first, so it has moved on");
    }

    @Test
    void classicMembersArePlacedInTheirInstancesByClientIdOrNobodyIs() {
        assertEquals(
                LIVE_MEMBERS,
                HangingTransactions.classicMemberProcesses(
                        GROUP,
                        Set.of(member(LIVE_A), member(LIVE_B), GROUP + "-" + LIVE_B + "-StreamThread-2-consumer")));
        assertEquals(
                Optional.of(Set.of()),
                HangingTransactions.classicMemberProcesses(GROUP, Set.of()),
                "an empty group: every producer's instance is gone");
        assertEquals(
                Optional.empty(),
                HangingTransactions.classicMemberProcesses(
                        GROUP, Set.of(member(LIVE_A), "my-client-id-StreamThread-1-consumer")),
                "a client.id of the user's hides who is who");
        assertEquals(
                Optional.empty(),
                HangingTransactions.classicMemberProcesses(
                        GROUP, Set.of("other-app-" + LIVE_A + "-StreamThread-1-consumer")),
                "another application's thread");
    }

    @Test
    void aProducerThatWroteHerePastTheEpochItsCoordinatorWasSeenAtIsNotClosed() {
        // descriptions are read before the partition: a later epoch there means it wrote after that read
        assertEquals(
                List.of(),
                HangingTransactions.stranded(
                        OFFSETS,
                        List.of(closed(3, 1781)),
                        Map.of(3L, "a-1"),
                        Map.of("a-1", at(3, 1780, TransactionState.EMPTY)),
                        31_000));
    }
}
