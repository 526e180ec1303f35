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
    record Hang(
            TopicPartition partition,
            long producerId,
            short producerEpoch,
            int coordinatorEpoch,
            long startOffset,
            long openForMs,
            String why) {
        @Override
        public String toString() {
            return startOffset < 0
                    ? "producer " + producerId + " (epoch " + producerEpoch + ") on " + partition + ", nothing open in "
                            + "the log while the group's offsets have been unstable for " + openForMs + " ms: " + why
                    : "producer " + producerId + " (epoch " + producerEpoch + ") on " + partition + " from offset "
                            + startOffset + ", seen open for " + openForMs + " ms: " + why;
        }
    }

    private HangingTransactions() {}

    /** Its coordinator is writing the markers (under the next epoch with transactions v2). */
    private static boolean completing(TransactionState state) {
        return state == TransactionState.PREPARE_ABORT
                || state == TransactionState.PREPARE_COMMIT
                || state == TransactionState.PREPARE_EPOCH_FENCE;
    }

    /**
     * Since when this instance has seen each open transaction open, on its own monotonic clock. An open transaction is
     * a candidate only once it has been seen open, from the same start offset, for longer than the threshold: no
     * wall clock (the broker's, a producer's or ours) is trusted, and a transaction that closes between two scans is
     * forgotten.
     */
    static final class Sightings {
        private record Key(TopicPartition partition, long producerId, long startOffset) {}

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
                        old.add(new Hang(
                                partition,
                                p.producerId(),
                                (short) p.producerEpoch(),
                                p.coordinatorEpoch().orElse(0),
                                start,
                                nowMs - since,
                                ""));
                    }
                }
            });
            firstSeenMs = seen;
            return old;
        }

        /**
         * Per partition of {@code topic}, how long the oldest transaction open on it at the last scan had been seen
         * open then (at least: it may have opened before it was first seen). Records behind it are not read.
         */
        Map<Integer, Long> openOn(String topic, long lastScanMs) {
            Map<Integer, Long> oldest = new java.util.HashMap<>();
            firstSeenMs.forEach((key, since) -> {
                if (key.partition().topic().equals(topic)) {
                    oldest.merge(key.partition().partition(), lastScanMs - since, Math::max);
                }
            });
            return oldest;
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
            Map<TopicPartition, Long> stuck =
                    new java.util.TreeMap<>(java.util.Comparator.comparing(TopicPartition::toString));
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
     * @param transactionalIds the transactional id the transaction coordinators know for each producer id
     * @param descriptions     the transaction coordinators' description of each of those transactional ids
     */
    static List<Hang> stranded(
            TopicPartition offsetsPartition,
            List<ProducerState> producers,
            Map<Long, String> transactionalIds,
            Map<String, TransactionDescription> descriptions,
            long stuckForMs) {
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
                if (d == null || completing(d.state()) || d.producerEpoch() <= p.producerEpoch()) {
                    continue;
                }
                why = "transaction '" + id + "' is at epoch " + d.producerEpoch() + ", past epoch " + p.producerEpoch()
                        + " it last wrote here";
            }
            stranded.add(new Hang(
                    offsetsPartition,
                    p.producerId(),
                    (short) p.producerEpoch(),
                    p.coordinatorEpoch().orElse(0),
                    -1,
                    stuckForMs,
                    why));
        }
        return stranded;
    }

    private static boolean atRest(TransactionState state) {
        return state == TransactionState.EMPTY
                || state == TransactionState.COMPLETE_COMMIT
                || state == TransactionState.COMPLETE_ABORT;
    }

    private static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

    /**
     * The transactional ids to fence ({@code Admin.fenceProducers}) so that {@link #stranded} can close their
     * producers at the next scan: producers with nothing open on the offsets partition whose transaction is at rest
     * (empty or completed) at the very epoch they last wrote there, and whose Kafka Streams instance has no member in
     * the group. {@link #stranded} leaves such a producer alone, since its next transaction would start at that epoch;
     * fencing moves its transaction coordinator past it, so the abort marker can then touch nothing live: a live
     * writer at that epoch is refused from then on (a Streams thread re-initialises its producer), and a transaction
     * in flight is aborted by its own coordinator, its data and offsets together. Membership only decides whom to
     * disturb; the fence makes it safe.
     *
     * <p>Seen in CI: after an unclean restart the group coordinator came back with the group as it was ~7,000 records
     * earlier, with the pending offsets of a stopped instance whose transaction had been committed long before, at
     * the epoch its transaction coordinator still held.
     *
     * <p>Judged only when every member could be placed in its instance ({@link #classicMemberProcesses}); a
     * transactional id that is not a Streams thread's ({@code <group>-<process UUID>-<n>}) is never judged.
     *
     * @param memberProcesses the process ids (UUIDs) of the instances that have a member in the group, or empty when
     *                        the group could not be described or a member could not be placed
     */
    static List<String> stoppedInstances(
            String groupId,
            List<ProducerState> producers,
            Map<Long, String> transactionalIds,
            Map<String, TransactionDescription> descriptions,
            java.util.Optional<Set<String>> memberProcesses) {
        if (memberProcesses.isEmpty()) {
            return List.of();
        }
        Set<String> processes = memberProcesses.get();
        java.util.regex.Pattern thread =
                java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(groupId) + "-(" + UUID + ")-[0-9]+");
        List<String> fence = new ArrayList<>();
        for (ProducerState p : producers) {
            String id = transactionalIds.get(p.producerId());
            TransactionDescription d = id == null ? null : descriptions.get(id);
            if (p.currentTransactionStartOffset().isPresent()
                    || p.producerEpoch() < 0
                    || d == null
                    || d.producerId() != p.producerId()
                    || !atRest(d.state())
                    || d.producerEpoch() != p.producerEpoch()) {
                continue;
            }
            java.util.regex.Matcher m = thread.matcher(id);
            if (m.matches() && !processes.contains(m.group(1)) && !fence.contains(id)) {
                fence.add(id);
            }
        }
        return fence;
    }

    /**
     * The instances (process UUIDs) of a classic group's members, read from their client ids ({@code <group>-<process
     * UUID>-StreamThread-<n>-consumer}), or empty when one is not a Streams thread's: a {@code client.id} of the
     * user's hides which instance a member is, so then nobody can be judged absent. (On the Streams protocol every
     * member reports its process id itself.)
     */
    static java.util.Optional<Set<String>> classicMemberProcesses(String groupId, Set<String> clientIds) {
        java.util.regex.Pattern member = java.util.regex.Pattern.compile(
                java.util.regex.Pattern.quote(groupId) + "-(" + UUID + ")-StreamThread-[0-9]+-consumer");
        Set<String> processes = new java.util.HashSet<>();
        for (String client : clientIds) {
            java.util.regex.Matcher m = member.matcher(client);
            if (!m.matches()) {
                return java.util.Optional.empty();
            }
            processes.add(m.group(1));
        }
        return java.util.Optional.of(processes);
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
    static List<Hang> hanging(
            List<Hang> candidates,
            Map<Long, String> transactionalIds,
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
            hanging.add(new Hang(
                    c.partition(),
                    c.producerId(),
                    c.producerEpoch(),
                    c.coordinatorEpoch(),
                    c.startOffset(),
                    c.openForMs(),
                    why));
        }
        return hanging;
    }
}
