package dev.failover.coordinator.app;

import dev.failover.coordinator.app.HangingTransactions.Hang;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.StreamsGroupDescription;
import org.apache.kafka.clients.admin.StreamsGroupMemberDescription;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds and aborts hanging transactions on the partitions the coordinator depends on, as an operator would with
 * {@code kafka-transactions.sh find-hanging} and {@code abort}: the project's topics, the application's changelog,
 * and the application's own {@code __consumer_offsets} partition. A scan is one metadata request and one
 * {@code DescribeProducers} per broker; only a transaction seen open for longer than the threshold costs more. See
 * {@link HangingTransactions} for the rule.
 *
 * <p>IMPORTANT: the threshold must exceed the longest time the broker itself may take to abort a timed-out transaction
 * and deliver its markers (the producers' {@code transaction.timeout.ms} plus the broker's
 * {@code transaction.abort.timed.out.transaction.cleanup.interval.ms}, 10 s by default). And "no transaction
 * coordinator knows this producer" is trusted only while every {@code __transaction_state} partition has a leader:
 * a leaderless one answers nothing, and a committed transaction whose markers it still owes would look hanging.
 */
final class HangingTransactionHealer {

    private static final Logger log = LoggerFactory.getLogger(HangingTransactionHealer.class);
    private static final long REQUEST_TIMEOUT_MS = 10_000;

    private final Admin admin;
    private final String groupId;
    /** Whether the group runs on the Streams rebalance protocol (members report their process ids themselves). */
    private final boolean streamsProtocol;

    private final Set<String> topics;
    private final long thresholdMs;
    private final LongSupplier monotonicMs;
    private final Set<String> inputTopics;
    private final HangingTransactions.Sightings sightings = new HangingTransactions.Sightings();
    private final HangingTransactions.Unstable unstable = new HangingTransactions.Unstable();
    private final AtomicLong aborted = new AtomicLong();
    private final Set<String> warned = new HashSet<>();
    /** Old transactions already said to be held by their coordinator (said once each; bounded by what hangs). */
    private final Set<String> held = new HashSet<>();

    private volatile String lastAborted = "";
    /** Producers (partition/id/epoch) closed as stranded while offsets stay stuck: each once; cleared when none are. */
    private final Set<String> closed = new HashSet<>();

    /**
     * @param groupId     the consumer group whose {@code __consumer_offsets} partition is watched (the application id)
     * @param inputTopics the topics the group consumes, whose committed offsets must become stable
     * @param topics      every topic whose transactions are watched: the project's (inputs included) and the
     *                    application's changelog
     * @param monotonicMs a monotonic clock in milliseconds
     */
    HangingTransactionHealer(
            Admin admin,
            String groupId,
            boolean streamsProtocol,
            Collection<String> inputTopics,
            Collection<String> topics,
            long thresholdMs,
            LongSupplier monotonicMs) {
        this.admin = admin;
        this.streamsProtocol = streamsProtocol;
        this.groupId = groupId;
        this.inputTopics = Set.copyOf(inputTopics);
        this.topics = Set.copyOf(topics);
        this.thresholdMs = thresholdMs;
        this.monotonicMs = monotonicMs;
    }

    /**
     * Per task (its partition), how long the oldest transaction open on its input partitions had been seen open at
     * the last scan that answered: whatever was appended behind it waits, a first beat of an idle task's group too.
     * Nothing when that scan is older than {@code maxAgeMs} (the scans fail: what they last saw is not repeated as
     * news; the log says why they fail).
     */
    Map<Integer, Long> inputsHeld(long maxAgeMs) {
        Held held = inputsHeld;
        return monotonicMs.getAsLong() - held.scannedAtMs() > maxAgeMs ? Map.of() : held.openMs();
    }

    private record Held(Map<Integer, Long> openMs, long scannedAtMs) {}

    private volatile Held inputsHeld = new Held(Map.of(), Long.MIN_VALUE / 2);

    /** How many hanging transactions this instance has aborted. */
    long aborted() {
        return aborted.get();
    }

    /** The last one this instance aborted, in words, or empty. */
    String lastAborted() {
        return lastAborted;
    }

    /** One scan: finds the hanging transactions and aborts each; returns what it aborted. */
    List<Hang> healOnce() throws InterruptedException {
        try {
            Map<String, TopicDescription> described = describe();
            Map<TopicPartition, List<ProducerState>> producers = describeProducers(watchedPartitions(described));
            long now = monotonicMs.getAsLong();
            List<Hang> candidates = sightings.candidates(producers, now, thresholdMs);
            Map<Integer, Long> open = new HashMap<>();
            for (String input : inputTopics) {
                sightings.openOn(input, now).forEach((partition, ms) -> open.merge(partition, ms, Math::max));
            }
            inputsHeld = new Held(Map.copyOf(open), now);
            Map<TopicPartition, Long> stuck = unstable.stuck(unstableInputs(described), now, thresholdMs);
            if (stuck.isEmpty()) {
                closed.clear(); // only while offsets stay stuck does it matter what was closed: bounded
            }
            if (candidates.isEmpty() && stuck.isEmpty()) {
                return List.of();
            }
            TopicDescription transactionState = described.get(Topic.TRANSACTION_STATE_TOPIC_NAME);
            if (transactionState == null
                    || transactionState.partitions().stream().anyMatch(p -> p.leader() == null)) {
                warnOnce(
                        "leaderless",
                        "{} transaction(s) open and {} partition(s) with unstable offsets for over {} ms, "
                                + "but {} has a partition without a leader: not judging them until every transaction "
                                + "coordinator answers",
                        candidates.size(),
                        stuck.size(),
                        thresholdMs,
                        Topic.TRANSACTION_STATE_TOPIC_NAME);
                return List.of();
            }
            List<Hang> done = new ArrayList<>();
            if (!stuck.isEmpty()) {
                TopicPartition offsets = offsetsPartition(described);
                done.addAll(closeStranded(offsets, producers.getOrDefault(offsets, List.of()), stuck));
            }
            if (candidates.isEmpty()) {
                return done;
            }
            Set<Long> ids = candidates.stream().map(Hang::producerId).collect(Collectors.toSet());
            Map<Long, String> transactionalIds = transactionalIds(ids);
            Map<String, TransactionDescription> descriptions = describeTransactions(transactionalIds);
            List<Hang> hanging = HangingTransactions.hanging(candidates, transactionalIds, descriptions);
            for (Hang old : candidates) {
                if (hanging.stream()
                                .noneMatch(h ->
                                        h.partition().equals(old.partition()) && h.producerId() == old.producerId())
                        && held.add(old.partition() + "/" + old.producerId() + "/" + old.startOffset())) {
                    TransactionDescription d = descriptions.get(transactionalIds.get(old.producerId()));
                    log.info(
                            "a transaction has been open for over {} ms but its coordinator still holds it, so it is "
                                    + "left to it: {} ({})",
                            thresholdMs,
                            old,
                            d);
                }
            }
            for (Hang hang : hanging) {
                if (abort(hang)) {
                    done.add(hang);
                }
            }
            return done;
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            warnOnce(
                    cause.getClass().getName(),
                    "could not look for hanging transactions ({}); trying again at every "
                            + "scan (said once per kind of failure)",
                    cause.toString());
            return List.of();
        }
    }

    private Map<Long, String> transactionalIds(Set<Long> producerIds)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<Long, String> transactionalIds = new HashMap<>();
        for (TransactionListing listing :
                get(admin.listTransactions(new ListTransactionsOptions().filterProducerIds(producerIds))
                        .all())) {
            transactionalIds.put(listing.producerId(), listing.transactionalId());
        }
        return transactionalIds;
    }

    private Map<String, TransactionDescription> describeTransactions(Map<Long, String> transactionalIds)
            throws InterruptedException, ExecutionException, TimeoutException {
        return transactionalIds.isEmpty()
                ? Map.of()
                : get(admin.describeTransactions(new TreeSet<>(transactionalIds.values()))
                        .all());
    }

    /**
     * The input partitions whose committed offset the group coordinator refuses to give as stable (an
     * {@code OffsetFetch} with {@code require_stable}, as the stream threads send it): the admin client leaves a
     * partition out of its answer when the broker answered it with an error.
     */
    Set<TopicPartition> unstableInputs() throws InterruptedException, ExecutionException, TimeoutException {
        return unstableInputs(describe());
    }

    private Set<TopicPartition> unstableInputs(Map<String, TopicDescription> described)
            throws InterruptedException, ExecutionException, TimeoutException {
        List<TopicPartition> inputs = new ArrayList<>();
        for (String topic : inputTopics) {
            TopicDescription description = described.get(topic);
            if (description != null) {
                description.partitions().forEach(p -> inputs.add(new TopicPartition(topic, p.partition())));
            }
        }
        if (inputs.isEmpty()) {
            return Set.of();
        }
        Map<TopicPartition, ?> answered = get(admin.listConsumerGroupOffsets(
                        Map.of(groupId, new ListConsumerGroupOffsetsSpec().topicPartitions(inputs)),
                        new ListConsumerGroupOffsetsOptions().requireStable(true))
                .partitionsToOffsetAndMetadata(groupId));
        Set<TopicPartition> refused = new HashSet<>(inputs);
        refused.removeAll(answered.keySet());
        return refused;
    }

    /**
     * The group's offsets have been unstable for longer than the threshold: closes the producers whose pending
     * offsets can only be stranded ({@link HangingTransactions#stranded}) with an abort marker each.
     *
     * @param scanned the offsets partition's producers as this scan first saw them: which producers to ask about
     */
    private List<Hang> closeStranded(
            TopicPartition offsets, List<ProducerState> scanned, Map<TopicPartition, Long> stuck)
            throws InterruptedException, ExecutionException, TimeoutException {
        if (offsets == null) {
            return List.of();
        }
        // which producers (the scan's look), then what their transaction coordinators hold, then (after) what the
        // partition holds: see HangingTransactions.stranded for why this order
        Set<Long> ids = scanned.stream().map(ProducerState::producerId).collect(Collectors.toSet());
        Map<Long, String> transactionalIds = transactionalIds(ids);
        Map<String, TransactionDescription> descriptions = describeTransactions(transactionalIds);
        List<ProducerState> producers = describeProducers(List.of(offsets)).getOrDefault(offsets, List.of()).stream()
                .filter(p -> ids.contains(p.producerId()))
                .toList();
        long stuckForMs =
                stuck.values().stream().mapToLong(Long::longValue).max().orElse(0);
        List<Hang> stranded =
                HangingTransactions.stranded(offsets, producers, transactionalIds, descriptions, stuckForMs);
        List<String> fenced = fenceStoppedInstances(producers, transactionalIds, descriptions, stuck);
        if (stranded.isEmpty() && fenced.isEmpty()) {
            warnOnce(
                    "stuck",
                    "the group's committed offsets of {} have been unstable for over {} ms, "
                            + "but no producer on {} can be closed without touching a live transaction: {}",
                    stuck.keySet(),
                    thresholdMs,
                    offsets,
                    producers);
            return List.of();
        }
        List<Hang> done = new ArrayList<>();
        for (Hang hang : stranded) {
            if (!closed.add(hang.partition() + "/" + hang.producerId() + "/" + hang.producerEpoch())) {
                warnOnce(
                        "closed again",
                        "the group's committed offsets of {} are still unstable after closing "
                                + "producer {} at epoch {}; not closing it again",
                        stuck.keySet(),
                        hang.producerId(),
                        hang.producerEpoch());
                continue;
            }
            if (markEnd(
                    hang,
                    "closed the stranded pending offsets of a producer (an abort marker at its last epoch, "
                            + "for the unstable offsets of " + stuck.keySet() + ")")) {
                done.add(hang);
            }
        }
        return done;
    }

    /**
     * Fences ({@code Admin.fenceProducers}) the producers of stopped instances that {@link HangingTransactions#stranded}
     * cannot close yet ({@link HangingTransactions#stoppedInstances}), each once while the offsets stay stuck; the
     * next scan closes them by the stranded rule. Returns the transactional ids fenced now.
     */
    private List<String> fenceStoppedInstances(
            List<ProducerState> producers,
            Map<Long, String> transactionalIds,
            Map<String, TransactionDescription> descriptions,
            Map<TopicPartition, Long> stuck)
            throws InterruptedException {
        List<String> candidates = HangingTransactions.stoppedInstances(
                groupId, producers, transactionalIds, descriptions, memberProcesses());
        List<String> fenced = new ArrayList<>();
        for (String id : candidates) {
            if (!closed.add("fence/" + id)) {
                continue;
            }
            try {
                get(admin.fenceProducers(List.of(id)).all());
                fenced.add(id);
                log.atWarn()
                        .addKeyValue("transactionalId", id)
                        .log(
                                "fenced the producer of '{}', an instance that is "
                                        + "no member of the group, at rest at the epoch it last wrote on the group's offsets partition, "
                                        + "while the offsets of {} stay unstable: its stranded pending offsets (if they are its) are "
                                        + "closed at the next scan, when its transaction coordinator is past that epoch",
                                id,
                                stuck.keySet());
            } catch (ExecutionException | TimeoutException e) {
                Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
                warnOnce(
                        "fence " + cause.getClass().getName(),
                        "could not fence the producer of '{}': {} (fencing " + "needs WRITE on the transactional id)",
                        id,
                        cause.toString());
            }
        }
        return fenced;
    }

    /**
     * The instances (process UUIDs) with a member in the group, or empty if the group cannot be described or a member
     * cannot be placed.
     */
    private Optional<Set<String>> memberProcesses() throws InterruptedException {
        try {
            if (streamsProtocol) {
                StreamsGroupDescription group = get(admin.describeStreamsGroups(List.of(groupId))
                        .describedGroups()
                        .get(groupId));
                return Optional.of(group.members().stream()
                        .map(StreamsGroupMemberDescription::processId)
                        .collect(Collectors.toSet()));
            }
            ConsumerGroupDescription group = get(admin.describeConsumerGroups(List.of(groupId))
                    .describedGroups()
                    .get(groupId));
            return HangingTransactions.classicMemberProcesses(
                    groupId,
                    group.members().stream().map(MemberDescription::clientId).collect(Collectors.toSet()));
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            warnOnce(
                    "members " + cause.getClass().getName(),
                    "cannot describe group {} ({}); a stopped instance's " + "producer is not judged while that lasts",
                    groupId,
                    cause.toString());
            return Optional.empty();
        }
    }

    private boolean abort(Hang hang) throws InterruptedException, TimeoutException {
        // still open from the same offset? (a marker may have arrived since the first look)
        boolean stillOpen =
                describeProducers(List.of(hang.partition())).getOrDefault(hang.partition(), List.of()).stream()
                        .anyMatch(p -> p.producerId() == hang.producerId()
                                && p.currentTransactionStartOffset().orElse(-1) == hang.startOffset());
        return stillOpen && markEnd(hang, "aborted a hanging transaction (what kafka-transactions.sh abort does)");
    }

    /** Writes an abort marker for the producer at its epoch on the partition ({@code Admin.abortTransaction}). */
    private boolean markEnd(Hang hang, String what) throws InterruptedException, TimeoutException {
        try {
            get(admin.abortTransaction(new AbortTransactionSpec(
                            hang.partition(), hang.producerId(), hang.producerEpoch(), hang.coordinatorEpoch()))
                    .all());
            aborted.incrementAndGet();
            lastAborted = hang.toString();
            log.atWarn()
                    .addKeyValue("partition", hang.partition())
                    .addKeyValue("producerId", hang.producerId())
                    .addKeyValue("producerEpoch", hang.producerEpoch())
                    .addKeyValue("reason", hang.why())
                    .log("{}: {}", what, hang);
            return true;
        } catch (ExecutionException e) {
            warnOnce(
                    "abort " + e.getCause().getClass().getName(),
                    "could not write the abort marker for {}: {} "
                            + "(aborting needs the cluster's ALTER permission; a producer that wrote there at a later epoch "
                            + "meanwhile makes the broker refuse it, as it should)",
                    hang,
                    e.getCause().toString());
            return false;
        }
    }

    private Map<String, TopicDescription> describe() throws InterruptedException {
        Set<String> names = new TreeSet<>(topics);
        names.addAll(inputTopics);
        names.add(Topic.GROUP_METADATA_TOPIC_NAME);
        names.add(Topic.TRANSACTION_STATE_TOPIC_NAME);
        Map<String, TopicDescription> described = new HashMap<>();
        var futures = admin.describeTopics(names).topicNameValues();
        for (var entry : futures.entrySet()) {
            try {
                described.put(entry.getKey(), entry.getValue().get(REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS));
            } catch (ExecutionException | TimeoutException e) {
                // not created yet, or not visible to us: nothing of ours can hang there
            }
        }
        return described;
    }

    /** The group's {@code __consumer_offsets} partition, as the broker picks it, or null if not visible. */
    private TopicPartition offsetsPartition(Map<String, TopicDescription> described) {
        TopicDescription description = described.get(Topic.GROUP_METADATA_TOPIC_NAME);
        return description == null
                ? null
                : new TopicPartition(
                        Topic.GROUP_METADATA_TOPIC_NAME,
                        Utils.abs(groupId.hashCode()) % description.partitions().size());
    }

    /** The watched topics' partitions and the group's offsets partition, as the broker picks it. */
    private List<TopicPartition> watchedPartitions(Map<String, TopicDescription> described) {
        List<TopicPartition> partitions = new ArrayList<>();
        described.forEach((name, description) -> {
            if (name.equals(Topic.GROUP_METADATA_TOPIC_NAME)) {
                partitions.add(offsetsPartition(described));
            } else if (topics.contains(name)) {
                description.partitions().forEach(p -> partitions.add(new TopicPartition(name, p.partition())));
            }
        });
        return partitions;
    }

    private Map<TopicPartition, List<ProducerState>> describeProducers(List<TopicPartition> partitions)
            throws InterruptedException, TimeoutException {
        Map<TopicPartition, List<ProducerState>> producers = new HashMap<>();
        var result = admin.describeProducers(partitions);
        for (TopicPartition partition : partitions) {
            try {
                producers.put(
                        partition,
                        result.partitionResult(partition)
                                .get(REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                                .activeProducers());
            } catch (ExecutionException e) {
                warnOnce(
                        "describe " + e.getCause().getClass().getName(),
                        "cannot describe the producers of {} ({}); "
                                + "its transactions are not watched while that lasts",
                        partition,
                        e.getCause().toString());
            }
        }
        return producers;
    }

    /** Warns the first time a kind of failure happens, and at DEBUG after that. */
    private void warnOnce(String kind, String format, Object... args) {
        if (warned.add(kind)) {
            log.warn(format, args);
        } else if (log.isDebugEnabled()) {
            log.debug(format, args);
        }
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> future)
            throws InterruptedException, ExecutionException, TimeoutException {
        return future.get(REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }
}
