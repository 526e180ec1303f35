package dev.failover.coordinator.app;

import dev.failover.coordinator.app.HangingTransactions.Hang;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
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
 * {@code kafka-transactions.sh find-hanging} and {@code abort}: the project's topics, the application's internal
 * topics (changelog), and the application's own {@code __consumer_offsets} partition. A scan is one metadata request
 * and one {@code DescribeProducers} per broker; only a transaction open for longer than the threshold costs more.
 * See {@link HangingTransactions} for the rule.
 *
 * <p>IMPORTANT: the threshold must exceed the longest transaction timeout of any producer writing to these
 * partitions (the coordinators' own, {@code transaction.timeout.ms}): before then, the transaction coordinator aborts a
 * stalled transaction itself, and its markers may still be on their way.
 */
final class HangingTransactionHealer {

    private static final Logger log = LoggerFactory.getLogger(HangingTransactionHealer.class);
    private static final long REQUEST_TIMEOUT_MS = 10_000;

    private final Admin admin;
    private final String applicationId;
    private final Set<String> topics;
    private final long thresholdMs;
    private final Clock clock;
    private final AtomicLong aborted = new AtomicLong();
    private volatile String lastAborted = "";

    HangingTransactionHealer(Admin admin, String applicationId, Collection<String> topics, long thresholdMs,
                             Clock clock) {
        this.admin = admin;
        this.applicationId = applicationId;
        this.topics = Set.copyOf(topics);
        this.thresholdMs = thresholdMs;
        this.clock = clock;
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
            Map<TopicPartition, List<ProducerState>> producers = describeProducers(watchedPartitions());
            List<Hang> candidates = HangingTransactions.candidates(producers, clock.millis(), thresholdMs);
            if (candidates.isEmpty()) {
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
            List<Hang> done = new ArrayList<>();
            for (Hang hang : HangingTransactions.hanging(candidates, transactionalIds, descriptions)) {
                if (abort(hang)) {
                    done.add(hang);
                }
            }
            return done;
        } catch (ExecutionException | TimeoutException e) {
            log.warn("could not look for hanging transactions ({}); trying again at the next scan", e.toString());
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
            log.warn("could not abort the hanging transaction {}: {}", hang, e.getCause().toString());
            return false;
        }
    }

    /** The project's topics, the application's internal topics, and the group's offsets partition. */
    private List<TopicPartition> watchedPartitions() throws InterruptedException, ExecutionException,
            TimeoutException {
        Set<String> names = new TreeSet<>(topics);
        for (String name : get(admin.listTopics().names())) {
            if (name.startsWith(applicationId + "-")) {
                names.add(name);
            }
        }
        names.add(Topic.GROUP_METADATA_TOPIC_NAME);
        Map<String, TopicDescription> described = new HashMap<>();
        admin.describeTopics(names).topicNameValues().forEach((name, future) -> {
            try {
                described.put(name, future.get(REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS));
            } catch (ExecutionException | TimeoutException e) {
                // not created yet, or not visible to us: nothing of ours can hang there
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedException("interrupted while describing topics");
        }
        List<TopicPartition> partitions = new ArrayList<>();
        described.forEach((name, description) -> {
            if (name.equals(Topic.GROUP_METADATA_TOPIC_NAME)) {
                // the partition of __consumer_offsets that holds this application's group, as the broker picks it
                int count = description.partitions().size();
                partitions.add(new TopicPartition(name, Utils.abs(applicationId.hashCode()) % count));
            } else {
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
                // a partition without a leader just now: looked at again at the next scan
            }
        }
        return producers;
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> future) throws InterruptedException,
            ExecutionException, TimeoutException {
        return future.get(REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }
}
