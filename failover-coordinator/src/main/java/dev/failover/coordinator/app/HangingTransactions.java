package dev.failover.coordinator.app;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.TopicPartition;

/**
 * Which open transactions on a partition are hanging, by the rule of Kafka's own {@code kafka-transactions.sh
 * find-hanging}: the partition holds an open transaction (a start offset with no commit or abort marker after it) that
 * this instance has seen open for longer than a threshold ({@link Sightings}, on its monotonic clock), and the
 * transaction coordinator does not hold that partition in an ongoing transaction of that producer: no transactional
 * id maps to the producer, or its transaction has moved on (completed, a new one without this partition, or a later
 * one at another epoch while it is not writing markers). Nobody will ever write the marker that closes it, so the
 * partition's last stable offset (a data partition) or the group's pending offsets ({@code __consumer_offsets}) stay
 * stuck for ever. Pure: the caller asks Kafka and hands in the answers and the time.
 *
 * <p>After an unclean broker restart, Kafka 4.4 has been seen here to leave such a transaction in the coordinators'
 * {@code __consumer_offsets} partition: every instance then waits on "unstable offsets" and the groups of that task
 * get no decisions.
 */
final class HangingTransactions {

    /** One hanging transaction: what {@code Admin.abortTransaction} needs, and why it is judged hanging. */
    record Hang(TopicPartition partition, long producerId, short producerEpoch, int coordinatorEpoch,
                long startOffset, long openForMs, String why) {
        @Override
        public String toString() {
            return startOffset < 0
                    ? "producer " + producerId + " (epoch " + producerEpoch + ") on " + partition + ", nothing open in "
                    + "the log while the group's offsets have been unstable for " + openForMs + " ms: " + why
                    : "producer " + producerId + " (epoch " + producerEpoch + ") on " + partition + " from offset "
                    + startOffset + ", seen open for " + openForMs + " ms: " + why;
        }
    }

    private HangingTransactions() {
    }

    /** Its coordinator is writing the markers (under the next epoch with transactions v2). */
    private static boolean completing(TransactionState state) {
        return state == TransactionState.PREPARE_ABORT || state == TransactionState.PREPARE_COMMIT
                || state == TransactionState.PREPARE_EPOCH_FENCE;
    }

    /**
     * Since when this instance has seen each open transaction open, on its own monotonic clock. An open transaction is
     * a candidate only once it has been seen open, from the same start offset, for longer than the threshold: no
     * wall clock (the broker's, a producer's or ours) is trusted, and a transaction that closes between two scans is
     * forgotten.
     */
    static final class Sightings {
        private record Key(TopicPartition partition, long producerId, long startOffset) {
        }

        private Map<Key, Long> firstSeenMs = new java.util.HashMap<>();

        /** Records this scan's open transactions and returns those open for longer than {@code thresholdMs}. */
        List<Hang> candidates(Map<TopicPartition, List<ProducerState>> producers, long nowMs, long thresholdMs) {
            Map<Key, Long> seen = new java.util.HashMap<>();
            List<Hang> old = new ArrayList<>();
            producers.forEach((partition, states) -> {
                for (ProducerState p : states) {
                    if (p.currentTransactionStartOffset().isEmpty()) {
                        continue;
                    }
                    long start = p.currentTransactionStartOffset().getAsLong();
                    Key key = new Key(partition, p.producerId(), start);
                    long since = firstSeenMs.getOrDefault(key, nowMs);
                    seen.put(key, since);
                    if (nowMs - since > thresholdMs) {
                        old.add(new Hang(partition, p.producerId(), (short) p.producerEpoch(),
                                p.coordinatorEpoch().orElse(0), start, nowMs - since, ""));
                    }
                }
            });
            firstSeenMs = seen;
            return old;
        }
    }

    /**
     * Since when each partition of the group's input has had its committed offset refused as unstable by the group
     * coordinator, continuously, on this instance's monotonic clock. A live transaction keeps a partition unstable for
     * milliseconds (a timed-out one is aborted by the broker within {@code transaction.timeout.ms} plus its cleanup
     * interval); one unstable for longer than the threshold is stuck.
     */
    static final class Unstable {
        private Map<TopicPartition, Long> firstSeenMs = new java.util.HashMap<>();

        /** Records this scan's unstable partitions and returns those unstable for longer than {@code thresholdMs}. */
        Map<TopicPartition, Long> stuck(java.util.Set<TopicPartition> unstable, long nowMs, long thresholdMs) {
            Map<TopicPartition, Long> seen = new java.util.HashMap<>();
            Map<TopicPartition, Long> stuck = new java.util.TreeMap<>(java.util.Comparator.comparing(
                    TopicPartition::toString));
            for (TopicPartition partition : unstable) {
                long since = firstSeenMs.getOrDefault(partition, nowMs);
                seen.put(partition, since);
                if (nowMs - since > thresholdMs) {
                    stuck.put(partition, nowMs - since);
                }
            }
            firstSeenMs = seen;
            return stuck;
        }
    }

    /**
     * The producers whose pending offsets may be stranded in the group coordinator's memory, and whose end marker
     * (an abort at the producer's last epoch on the group's offsets partition) can be written without touching any
     * live transaction.
     *
     * <p>After an unclean broker restart, Kafka 4.4's group coordinator has been seen here to keep pending
     * transactional offsets that no record in its log holds: the log shows every transaction of the group closed
     * ({@code DescribeProducers} finds nothing open), yet the coordinator answers "unstable offsets" for the partitions
     * of each instance's last transaction before the crash, for ever. Only an end marker for that producer clears
     * them, and nobody will write one: as far as the log and the transaction coordinator know, nothing is open.
     *
     * <p>IMPORTANT: {@code descriptions} must have been read <b>before</b> {@code producers}. Epochs only grow, so a
     * transaction coordinator epoch seen first and still above the partition's last epoch seen after means nothing
     * at that epoch or below is open there, and everything written there later carries a later epoch.
     *
     * <p>A producer qualifies when it has nothing open on the offsets partition and the transaction coordinator has
     * moved past the epoch it last wrote there (and is not writing markers right now): its transactional id now has a
     * later epoch or another producer, or no transaction coordinator knows it at all. Then no write at that epoch can reach the partition again (the
     * transaction coordinator fences it), so an abort marker at that epoch closes nothing but stranded state. If the
     * producer writes there at its new epoch before the marker lands, the broker rejects the marker as older. A
     * producer at the same epoch as its transaction coordinator holds (a live instance between two transactions) never
     * qualifies: its next transaction starts at that epoch.
     *
     * <p>Unless its instance has left the group: a transaction at rest (empty or completed) at the epoch it last wrote
     * here, whose instance (its transactional id up to the thread number, {@code <application>-<process>-<n>}) has no
     * member in the group, qualifies too. A group coordinator refuses the offset commit of a non-member, and an
     * instance that comes back re-initialises its producer (a later epoch) before it commits offsets again. Seen in CI:
     * after an unclean restart the group coordinator went back to its state of ~7,000 records earlier (generation 4
     * of 9), with the pending offsets of a stopped instance whose transaction had long been committed in the log, at
     * the very epoch its coordinator still held.
     *
     * @param transactionalIds the transactional id the transaction coordinators know for each producer id
     * @param descriptions     the transaction coordinators' description of each of those transactional ids
     * @param memberClientIds  the client ids of the group's members, or empty when they could not be read (then no
     *                         producer at its coordinator's epoch qualifies)
     */
    static List<Hang> stranded(TopicPartition offsetsPartition, List<ProducerState> producers,
                               Map<Long, String> transactionalIds, Map<String, TransactionDescription> descriptions,
                               java.util.Optional<Set<String>> memberClientIds, long stuckForMs) {
        List<Hang> stranded = new ArrayList<>();
        for (ProducerState p : producers) {
            if (p.currentTransactionStartOffset().isPresent() || p.producerEpoch() < 0) {
                continue; // open transactions are judged by hanging(); -1 is a non-transactional producer
            }
            String id = transactionalIds.get(p.producerId());
            TransactionDescription d = id == null ? null : descriptions.get(id);
            String why = abandoned(p.producerId(), id, d);
            if (why == null) {
                // known but not described: not judged; writing its markers: let them land first; at the epoch its
                // coordinator holds: it may start its next transaction at this very epoch
                if (d == null || completing(d.state()) || d.producerEpoch() < p.producerEpoch()) {
                    continue;
                }
                if (d.producerEpoch() > p.producerEpoch()) {
                    why = "transaction '" + id + "' is at epoch " + d.producerEpoch() + ", past epoch "
                            + p.producerEpoch() + " it last wrote here";
                } else if (atRest(d.state()) && memberClientIds.isPresent()
                        && !instanceIsMember(id, memberClientIds.get())) {
                    why = "transaction '" + id + "' is " + d.state() + " at epoch " + d.producerEpoch()
                            + ", the epoch it last wrote here, and its instance is no member of the group";
                } else {
                    continue;
                }
            }
            stranded.add(new Hang(offsetsPartition, p.producerId(), (short) p.producerEpoch(),
                    p.coordinatorEpoch().orElse(0), -1, stuckForMs, why));
        }
        return stranded;
    }

    private static boolean atRest(TransactionState state) {
        return state == TransactionState.EMPTY || state == TransactionState.COMPLETE_COMMIT
                || state == TransactionState.COMPLETE_ABORT;
    }

    /**
     * Whether the instance a Kafka Streams transactional id belongs to ({@code <application>-<process>-<thread>}, the
     * process a random UUID) has a member in the group: a member's client id starts with
     * {@code <application>-<process>-}.
     */
    static boolean instanceIsMember(String transactionalId, Set<String> memberClientIds) {
        int cut = transactionalId.lastIndexOf('-');
        if (cut <= 0 || !transactionalId.substring(cut + 1).matches("[0-9]+")) {
            return true; // not a Streams thread's id: not judged, so treated as a member
        }
        String instance = transactionalId.substring(0, cut + 1);
        return memberClientIds.stream().anyMatch(client -> client.startsWith(instance));
    }

    /**
     * Why no transaction coordinator speaks for {@code producerId} any more (none knows it, or its transactional id
     * now belongs to another producer), or null when one may.
     */
    private static String abandoned(long producerId, String id, TransactionDescription d) {
        if (id == null) {
            return "no transaction coordinator knows producer " + producerId;
        }
        if (d != null && d.producerId() != producerId) {
            return "transaction '" + id + "' now belongs to producer " + d.producerId();
        }
        return null;
    }

    /**
     * The candidates that are hanging.
     *
     * @param transactionalIds the transactional id the transaction coordinators know for each producer id
     * @param descriptions     the transaction coordinators' description of each of those transactional ids
     */
    static List<Hang> hanging(List<Hang> candidates, Map<Long, String> transactionalIds,
                              Map<String, TransactionDescription> descriptions) {
        List<Hang> hanging = new ArrayList<>();
        for (Hang c : candidates) {
            String id = transactionalIds.get(c.producerId());
            TransactionDescription d = id == null ? null : descriptions.get(id);
            String why = abandoned(c.producerId(), id, d);
            if (why == null) {
                if (d == null) {
                    why = "transaction '" + id + "' has no description";
                } else if (!d.topicPartitions().contains(c.partition())) {
                    why = "transaction '" + id + "' is " + d.state() + " without " + c.partition();
                } else if (!completing(d.state()) && d.producerEpoch() != c.producerEpoch()) {
                    why = "transaction '" + id + "' is at epoch " + d.producerEpoch() + ", a later transaction than "
                            + "this one";
                } else {
                    continue; // its coordinator still holds it and will finish it (or time it out) itself
                }
            }
            hanging.add(new Hang(c.partition(), c.producerId(), c.producerEpoch(), c.coordinatorEpoch(),
                    c.startOffset(), c.openForMs(), why));
        }
        return hanging;
    }
}
