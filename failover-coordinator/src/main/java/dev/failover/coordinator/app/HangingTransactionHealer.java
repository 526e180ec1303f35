package dev.failover.coordinator.app;

import dev.failover.coordinator.app.HangingTransactions.Hang;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.ProducerState;
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
    private final Set<String> topics;
    private final long thresholdMs;
    private final LongSupplier monotonicMs;
    private final HangingTransactions.Sightings sightings = new HangingTransactions.Sightings();
    private final AtomicLong aborted = new AtomicLong();
    private final Set<String> warned = new HashSet<>();
    /** Old transactions already said to be held by their coordinator (said once each; bounded by what hangs). */
    private final Set<String> held = new HashSet<>();
    private volatile String lastAborted = "";

    /**
     * @param groupId     the consumer group whose {@code __consumer_offsets} partition is watched (the application id)
     * @param topics      every other topic to watch: the project's and the application's changelog
     * @param monotonicMs a monotonic clock in milliseconds
     */
    HangingTransactionHealer(Admin admin, String groupId, Collection<String> topics, long thresholdMs,
                             LongSupplier monotonicMs) {
        this.admin = admin;
        this.groupId = groupId;
        this.topics = Set.copyOf(topics);
        this.thresholdMs = thresholdMs;
        this.monotonicMs = monotonicMs;
    }

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
            List<Hang> candidates = sightings.candidates(producers, monotonicMs.getAsLong(), thresholdMs);
            if (candidates.isEmpty()) {
                return List.of();
            }
            TopicDescription transactionState = described.get(Topic.TRANSACTION_STATE_TOPIC_NAME);
            if (transactionState == null || transactionState.partitions().stream().anyMatch(p -> p.leader() == null)) {
                warnOnce("leaderless", "{} transaction(s) open for over {} ms, but {} has a partition without a leader: "
                        + "not judging them until every transaction coordinator answers", candidates.size(), thresholdMs,
                        Topic.TRANSACTION_STATE_TOPIC_NAME);
                return List.of();
            }
            Set<Long> ids = candidates.stream().map(Hang::producerId).collect(Collectors.toSet());
            Map<Long, String> transactionalIds = new HashMap<>();
            for (TransactionListing listing : get(admin.listTransactions(new ListTransactionsOptions()
                    .filterProducerIds(ids)).all())) {
                transactionalIds.put(listing.producerId(), listing.transactionalId());
            }
            Map<String, TransactionDescription> descriptions = transactionalIds.isEmpty() ? Map.of()
                    : get(admin.describeTransactions(new TreeSet<>(transactionalIds.values())).all());
            List<Hang> hanging = HangingTransactions.hanging(candidates, transactionalIds, descriptions);
            for (Hang old : candidates) {
                if (hanging.stream().noneMatch(h -> h.partition().equals(old.partition())
                        && h.producerId() == old.producerId()) && held.add(old.partition() + "/" + old.producerId()
                        + "/" + old.startOffset())) {
                    TransactionDescription d = descriptions.get(transactionalIds.get(old.producerId()));
                    log.info("a transaction has been open for over {} ms but its coordinator still holds it, so it is "
                            + "left to it: {} ({})", thresholdMs, old, d);
                }
            }
            List<Hang> done = new ArrayList<>();
            for (Hang hang : hanging) {
                if (abort(hang)) {
                    done.add(hang);
                }
            }
            return done;
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            warnOnce(cause.getClass().getName(), "could not look for hanging transactions ({}); trying again at every "
                    + "scan (said once per kind of failure)", cause.toString());
            return List.of();
        }
    }

    private boolean abort(Hang hang) throws InterruptedException, TimeoutException {
        try {
            // still open from the same offset? (a marker may have arrived since the first look)
            boolean stillOpen = describeProducers(List.of(hang.partition())).getOrDefault(hang.partition(), List.of())
                    .stream().anyMatch(p -> p.producerId() == hang.producerId()
                            && p.currentTransactionStartOffset().orElse(-1) == hang.startOffset());
            if (!stillOpen) {
                return false;
            }
            get(admin.abortTransaction(new AbortTransactionSpec(hang.partition(), hang.producerId(),
                    hang.producerEpoch(), hang.coordinatorEpoch())).all());
            aborted.incrementAndGet();
            lastAborted = hang.toString();
            log.atWarn().addKeyValue("partition", hang.partition()).addKeyValue("producerId", hang.producerId())
                    .addKeyValue("producerEpoch", hang.producerEpoch()).addKeyValue("reason", hang.why())
                    .log("aborted a hanging transaction (what kafka-transactions.sh abort does): {}", hang);
            return true;
        } catch (ExecutionException e) {
            warnOnce("abort " + e.getCause().getClass().getName(), "could not abort the hanging transaction {}: {} "
                    + "(aborting needs the cluster's ALTER permission)", hang, e.getCause().toString());
            return false;
        }
    }

    private Map<String, TopicDescription> describe() throws InterruptedException {
        Set<String> names = new TreeSet<>(topics);
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

    /** The watched topics' partitions and the group's offsets partition, as the broker picks it. */
    private List<TopicPartition> watchedPartitions(Map<String, TopicDescription> described) {
        List<TopicPartition> partitions = new ArrayList<>();
        described.forEach((name, description) -> {
            if (name.equals(Topic.GROUP_METADATA_TOPIC_NAME)) {
                int count = description.partitions().size();
                partitions.add(new TopicPartition(name, Utils.abs(groupId.hashCode()) % count));
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
                producers.put(partition, result.partitionResult(partition)
                        .get(REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS).activeProducers());
            } catch (ExecutionException e) {
                warnOnce("describe " + e.getCause().getClass().getName(), "cannot describe the producers of {} ({}); "
                        + "its transactions are not watched while that lasts", partition, e.getCause().toString());
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

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> future) throws InterruptedException,
            ExecutionException, TimeoutException {
        return future.get(REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }
}
