package dev.failover.agent.shell;

import dev.failover.agent.config.AgentSettings;
import dev.failover.wire.GroupState;
import dev.failover.wire.Keys;
import dev.failover.wire.RoleChange;
import dev.failover.wire.WireFormatException;
import dev.failover.wire.WireSerdes;
import dev.failover.wire.sign.RecordSigner;
import dev.failover.wire.sign.RecordVerifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's role feed, on a thread of its own: reconciles to the group's compacted state at start-up, then follows
 * the group's partition of the role-change topic (read_committed) and, once per heartbeat interval, checks that it
 * has read everything committed before the check was sent: that is the feed's half of the lease.
 */
public final class RoleFeed {

    private static final Logger log = LoggerFactory.getLogger(RoleFeed.class);

    /** What the feed tells the agent, from its own thread. */
    public interface Listener {
        /** The group's state at start-up: its newest epoch (0 if none). Comes before anything else. */
        void reconciled(long epoch);

        /** The newest decision for the group in a batch just read (older ones of the batch are skipped). */
        void roleChange(RoleChange change);

        /** Everything committed before {@code sentAtNanos} has been read. */
        void answered(long sentAtNanos);
    }

    private final AgentSettings settings;
    private final AgentMetrics metrics;
    private final LongSupplier nanos;
    private final Listener listener;
    private final KafkaConsumer<String, byte[]> consumer;
    /**
     * The feed check's own client, used by the feed thread only: its end-offset requests go on a connection of their
     * own. On the feed's connection they waited behind its fetches (the broker serves one request per connection at
     * a time), and a burst of large records on the partition, on a loaded machine, had a primary's lease lapse for
     * want of answered checks while Kafka itself was fine.
     */
    private final KafkaConsumer<String, byte[]> checker;

    private final Thread thread;
    private volatile boolean running;
    private volatile boolean reportedUnreachable;
    /** A check not proven yet: {sent at, end offset then}, or null. Only the feed thread touches it. */
    private long[] target;
    /** Checks every record's signature against --trust-key, or null: every record is acted on. */
    private final dev.failover.agent.config.TrustedKeys trust;
    /** How many records were not acted on for want of a valid signature (said in the log at 1, 2, 4, 8, ...). */
    private long unverified;

    public RoleFeed(AgentSettings settings, AgentMetrics metrics, LongSupplier nanos, Listener listener) {
        this.settings = settings;
        this.metrics = metrics;
        this.nanos = nanos;
        this.listener = listener;
        this.trust = settings.trustKeys();
        this.consumer =
                new KafkaConsumer<>(consumerSettings(settings), new StringDeserializer(), new ByteArrayDeserializer());
        this.checker =
                new KafkaConsumer<>(checkerSettings(settings), new StringDeserializer(), new ByteArrayDeserializer());
        this.thread = new Thread(this::follow, "agent-role-feed");
        this.thread.setDaemon(true);
    }

    public void start() {
        running = true;
        thread.start();
    }

    private void follow() {
        TopicPartition roles = null;
        while (running) {
            try {
                if (roles == null) {
                    roles = reconcile();
                    reportedUnreachable = false;
                }
                long interval = TimeUnit.MILLISECONDS.toNanos(
                        settings.heartbeatInterval().toMillis());
                long nextCheck = nanos.getAsLong();
                while (running) {
                    List<ConsumerRecord<String, byte[]>> mine = new ArrayList<>();
                    // at most one empty fetch per poll, and never past the next feed check: measured here, polls
                    // longer than the fetch wait delayed decisions (decision to hook p50 85 ms against 69 ms)
                    long waitMs =
                            Math.max(1, Math.min(fetchWaitMs(settings), (nextCheck - nanos.getAsLong()) / 1_000_000));
                    consumer.poll(Duration.ofMillis(waitMs)).records(roles).forEach(r -> {
                        if (settings.group().equals(r.key())) {
                            mine.add(r);
                        }
                    });
                    // the decision of the highest epoch in a batch is the assignment: never flap through older ones.
                    // Not simply the newest record: a copy of an old (even genuinely signed) decision appended behind
                    // the new one must not hide it
                    RoleChange newest = null;
                    for (int i = mine.size() - 1; i >= 0; i--) {
                        RoleChange change = decode(mine.get(i));
                        if (change != null && (newest == null || change.getEpoch() > newest.getEpoch())) {
                            newest = change;
                        }
                    }
                    if (newest != null) {
                        listener.roleChange(newest);
                    }
                    if (nanos.getAsLong() - nextCheck >= 0) {
                        nextCheck = nanos.getAsLong() + interval;
                        check(roles);
                    }
                }
            } catch (WakeupException e) {
                return;
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                if (!reportedUnreachable) {
                    reportedUnreachable = true;
                    log.warn("cannot follow role changes yet ({}); staying STANDBY and retrying", e.toString());
                }
                try {
                    Thread.sleep(settings.heartbeatInterval().toMillis());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * Reads the group's latest state from the compacted topic, remembering first where the role-change log ended, so
     * that nothing decided in between is missed.
     */
    private TopicPartition reconcile() {
        TopicPartition roles = partitionFor(settings.roleChangeTopic());
        TopicPartition state = partitionFor(settings.stateTopic());
        // beats start once this returns: the producer would create a missing topic (its metadata requests always
        // allow auto-creation), with the broker's defaults rather than the coordinator's partition count
        partitionFor(settings.heartbeatTopic());
        long rolesEnd =
                consumer.endOffsets(Set.of(roles), Duration.ofSeconds(5)).get(roles);
        consumer.assign(List.of(state));
        consumer.seekToBeginning(List.of(state));
        long stateEnd =
                consumer.endOffsets(Set.of(state), Duration.ofSeconds(5)).get(state);
        GroupState latest = null;
        while (consumer.position(state, Duration.ofSeconds(5)) < stateEnd) {
            for (var r : consumer.poll(Duration.ofMillis(100))) {
                if (settings.group().equals(r.key()) && r.value() != null && verified(RecordSigner.GROUP_STATE, r)) {
                    try {
                        GroupState read = WireSerdes.groupState().deserialize(r.topic(), r.value());
                        // the highest epoch, not the last record: a copy of an older state must not lower the floor
                        if (latest == null || read.getEpoch() >= latest.getEpoch()) {
                            latest = read;
                        }
                    } catch (WireFormatException e) {
                        metrics.unreadableRecord();
                        log.warn("skipping an unreadable state record: {}", e.getMessage());
                    }
                }
            }
        }
        consumer.assign(List.of(roles));
        consumer.seek(roles, rolesEnd);
        listener.reconciled(latest == null ? 0 : latest.getEpoch());
        return roles;
    }

    /**
     * Renews the feed's half of the lease for the moment a check was sent, once every role change committed before
     * that moment has been read: the end offset answered to a check sent at {@code t} covers everything committed
     * before {@code t}, so reaching it proves the feed up to {@code t}, even if more has been written since. (Waiting
     * for a moment with nothing new would let a burst of writes on the partition, anyone's, starve the lease.)
     */
    private void check(TopicPartition roles) {
        long sentAt = nanos.getAsLong();
        long end;
        long position;
        try {
            Duration bound = Duration.ofMillis(checkTimeoutMs(settings));
            end = checker.endOffsets(Set.of(roles), bound).get(roles); // its own connection: never behind a fetch
            position = consumer.position(roles, bound); // known locally once the feed has fetched
        } catch (TimeoutException e) {
            // a partition whose leader just moved: the next check, an interval from now, asks the new leader. Waiting
            // here would hold up the fetches of a decision and the checks after it (it used to wait up to twice the
            // lease, which alone lapsed a primary's lease in a rolling restart)
            metrics.feedCheckMissed();
            log.debug("role feed check not answered within {} ms: {}", checkTimeoutMs(settings), e.toString());
            return;
        }
        if (position >= end) {
            target = null;
            listener.answered(sentAt);
            return;
        }
        long[] pending = target;
        if (pending != null && position >= pending[1]) {
            listener.answered(pending[0]);
        }
        if (pending == null || position >= pending[1]) {
            target = new long[] {sentAt, end};
        }
    }

    private RoleChange decode(ConsumerRecord<String, byte[]> record) {
        if (!verified(RecordSigner.ROLE_CHANGE, record)) {
            return null;
        }
        try {
            return WireSerdes.roleChange().deserialize(record.topic(), record.value());
        } catch (WireFormatException e) {
            metrics.unreadableRecord();
            log.warn("skipping an unreadable role change at offset {}: {}", record.offset(), e.getMessage());
            return null;
        }
    }

    /** Whether {@code record} may be acted on: no key is trusted, or one of them signed it as a {@code kind}. */
    private boolean verified(String kind, ConsumerRecord<String, byte[]> record) {
        RecordVerifier verifier = trust.current();
        if (verifier == null) {
            return true;
        }
        RecordVerifier.Outcome outcome = verifier.check(kind, record.key(), record.value(), record.headers());
        if (outcome == RecordVerifier.Outcome.VALID) {
            return true;
        }
        metrics.unverifiedRecord(outcome.label());
        unverified++;
        if (Long.bitCount(unverified) == 1) { // 1, 2, 4, 8, ...: said, never flooding the log
            log.warn(
                    "ignoring a {} record of group {} at {}-{} offset {}: {} (not signed by a key given with "
                            + "--trust-key; someone other than the coordinator wrote it); {} so far",
                    kind,
                    settings.group(),
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    outcome.label(),
                    unverified);
        }
        return false;
    }

    private TopicPartition partitionFor(String topic) {
        int partitions = consumer.partitionsFor(topic, Duration.ofSeconds(5)).size();
        if (partitions == 0) {
            throw new IllegalStateException("topic " + topic + " does not exist yet: waiting for the coordinator to "
                    + "create it (agents never create topics)");
        }
        // the producer's default partitioner for a keyed record: where the coordinator's decisions for us land
        int partition = Keys.partitionOf(settings.group(), partitions);
        return new TopicPartition(topic, partition);
    }

    /** Stops the thread (waiting up to 5 s) and closes the consumer and the checker. */
    public void close() {
        running = false;
        consumer.wakeup();
        if (thread.isAlive()) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        consumer.close(Duration.ofSeconds(2));
        checker.close(Duration.ofSeconds(2));
    }

    /**
     * How long one feed check may wait for the end offset and the position: an interval, at most a quarter of the
     * lease, so that a missed check leaves the next ones time to renew the lease.
     */
    static long checkTimeoutMs(AgentSettings settings) {
        return Math.max(10, Math.min(settings.heartbeatInterval().toMillis(), settings.leaseMs() / 4));
    }

    /**
     * How long an empty fetch of the role feed waits in the broker (a decision ends it at once, so this sets only the
     * rate of empty fetches): a sixteenth of the lease, at most 500 ms, below 1 s heartbeats; from 1 s on, a quarter
     * of what the lease leaves after an interval, at most 1 s; never under 10 ms nor over three quarters of a feed
     * check's timeout, so that a check queued behind an empty fetch is still answered in time. Such a check renews
     * from when it was sent, so a longer wait delays a renewal without backdating it: at 1 s / 5 s (lease 4 s) the wait is 750 ms, and a renewal lands within 1.75 s of the previous.
     */
    static long fetchWaitMs(AgentSettings settings) {
        long interval = settings.heartbeatInterval().toMillis();
        long wait = interval < 1000
                ? Math.min(500, settings.leaseMs() / 16)
                : Math.min(1000, (settings.leaseMs() - interval) / 4);
        return Math.max(10, Math.min(wait, checkTimeoutMs(settings) * 3 / 4));
    }

    /** The checker's settings: the feed's, under a client id of its own when one is set. */
    static Map<String, Object> checkerSettings(AgentSettings settings) {
        Map<String, Object> c = consumerSettings(settings);
        Object clientId = c.get(ConsumerConfig.CLIENT_ID_CONFIG);
        if (clientId != null && !clientId.toString().isEmpty()) {
            c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId + "-feed-check");
        }
        return c;
    }

    static Map<String, Object> consumerSettings(AgentSettings settings) {
        Map<String, Object> c = HeartbeatPublisher.passedThrough(settings);
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // The broker answers a fetch as soon as a committed decision is there, so the wait only bounds an empty fetch.
        // The feed check asks for end offsets on a connection of its own (the checker), so a fetch waiting in the
        // broker delays no check; a sixteenth of the lease still bounds how late an empty fetch notices the stop of
        // the feed thread; a long lease (a slow heartbeat) gets long, cheap fetches.
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, (int) fetchWaitMs(settings));
        c.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
        // a fetch or end-offset request to a broker that stopped answering is given up after half the lease (not
        // Kafka's 30 s), so that the feed asks the partition's new leader while the lease can still be renewed
        c.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int)
                Math.max(2 * fetchWaitMs(settings), settings.leaseMs() / 2));
        c.put(ConsumerConfig.RECEIVE_BUFFER_CONFIG, 64 * 1024);
        // not overridable: a topic the agent created would have the broker's defaults (partitions, no compaction)
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        c.putAll(HeartbeatPublisher.leaderMoveBackoff(settings));
        return c;
    }
}
