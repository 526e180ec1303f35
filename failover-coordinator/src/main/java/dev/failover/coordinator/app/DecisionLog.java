package dev.failover.coordinator.app;

import dev.failover.wire.AvroSerde;
import dev.failover.wire.GroupState;
import dev.failover.wire.RoleChange;
import dev.failover.wire.WireSerdes;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the status page shows of groups this instance may not host: every group's state record (the compacted state
 * topic, read from its start) and the last {@value #DECISIONS_PER_GROUP} committed decisions of each group (the
 * role-change topic, from {@value #DECISIONS_BACK} records before its end per partition, then live). One consumer per
 * instance, in no consumer group, read_committed: it sees what agents and {@code ctl} see, on every instance, after
 * restarts too. Bounded: the states of at most {@value #MAX_GROUPS} groups (more are counted, not shown), and the last
 * decisions of the {@value #MAX_TIMELINES} groups decided most recently (about 25k records, some tens of MB at most).
 * Errors (a broker down, a refused read) are retried every second and said on the page.
 */
final class DecisionLog implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DecisionLog.class);
    static final int DECISIONS_PER_GROUP = 25;
    static final int DECISIONS_BACK = 200;
    static final int MAX_GROUPS = 10_000;
    static final int MAX_TIMELINES = 1_000;

    private final String roleChangesTopic;
    private final String stateTopic;
    private final Consumer<byte[], byte[]> consumer;
    private final AvroSerde<RoleChange> roleChanges = WireSerdes.roleChange();
    private final AvroSerde<GroupState> states = WireSerdes.groupState();
    private final Map<String, GroupState> groups = new ConcurrentHashMap<>();
    /** Per group, its last decisions, oldest first; the least recently decided group goes first past the bound. */
    private final Map<String, Deque<RoleChange>> decisions = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Deque<RoleChange>> eldest) {
            return size() > MAX_TIMELINES;
        }
    };

    private final AtomicLong unreadable = new AtomicLong();
    private final AtomicLong groupsNotKept = new AtomicLong();
    private final java.util.Set<String> notKept = ConcurrentHashMap.newKeySet();
    private volatile boolean assigned;
    /** Why it does not read now, or null. */
    private volatile String problem;

    private final Thread thread;

    DecisionLog(Properties consumerSettings, String roleChangesTopic, String stateTopic, String clientId) {
        this.roleChangesTopic = roleChangesTopic;
        this.stateTopic = stateTopic;
        Properties p = new Properties();
        p.putAll(consumerSettings);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        // Kafka's default long poll (500 ms): an idle coordinator's page reader costs the brokers two empty fetches a
        // second; a committed decision is returned as soon as it is there
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.thread = new Thread(this::run, "coordinator-decision-log");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        try {
            while (true) {
                try {
                    while (!assign()) {
                        problem = "the topics " + roleChangesTopic + " and " + stateTopic + " do not exist yet";
                        Thread.sleep(1000);
                    }
                    assigned = true;
                    problem = null;
                    while (true) {
                        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                            read(r);
                        }
                    }
                } catch (WakeupException | InterruptedException e) {
                    throw e;
                } catch (RuntimeException e) { // a broker down, a refused read: said, and tried again from the start
                    if (!e.toString().equals(problem)) {
                        log.warn(
                                "the status page's decision log cannot read (trying again every second): {}",
                                e.toString());
                    }
                    problem = e.toString();
                    assigned = false;
                    Thread.sleep(1000);
                }
            }
        } catch (WakeupException | InterruptedException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    /** Assigns every partition of both topics once both exist: the state topic from its start, decisions near the end. */
    private boolean assign() {
        List<TopicPartition> decided = partitions(roleChangesTopic);
        List<TopicPartition> state = partitions(stateTopic);
        if (decided.isEmpty() || state.isEmpty()) {
            return false;
        }
        List<TopicPartition> all = new ArrayList<>(decided);
        all.addAll(state);
        consumer.assign(all);
        synchronized (decisions) { // read again below (after an error): not twice
            decisions.clear();
        }
        consumer.seekToBeginning(state);
        Map<TopicPartition, Long> ends = consumer.endOffsets(decided);
        Map<TopicPartition, Long> starts = consumer.beginningOffsets(decided);
        for (TopicPartition tp : decided) {
            consumer.seek(tp, Math.max(starts.get(tp), ends.get(tp) - DECISIONS_BACK));
        }
        return true;
    }

    private List<TopicPartition> partitions(String topic) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
        return infos == null
                ? List.of()
                : infos.stream()
                        .map(i -> new TopicPartition(topic, i.partition()))
                        .toList();
    }

    private void read(ConsumerRecord<byte[], byte[]> r) {
        String group = r.key() == null ? null : new String(r.key(), java.nio.charset.StandardCharsets.UTF_8);
        if (group == null) {
            unreadable.incrementAndGet();
            return;
        }
        try {
            if (r.topic().equals(stateTopic)) {
                if (r.value() == null) {
                    groups.remove(group);
                } else if (groups.size() < MAX_GROUPS || groups.containsKey(group)) {
                    groups.put(group, states.deserialize(stateTopic, r.value()));
                } else if (notKept.add(group)) {
                    groupsNotKept.incrementAndGet();
                }
            } else if (r.value() != null) {
                RoleChange change = roleChanges.deserialize(roleChangesTopic, r.value());
                synchronized (decisions) {
                    Deque<RoleChange> last = decisions.computeIfAbsent(change.getGroup(), g -> new ArrayDeque<>());
                    last.addLast(change);
                    if (last.size() > DECISIONS_PER_GROUP) {
                        last.removeFirst();
                    }
                }
            }
        } catch (RuntimeException e) { // not ours to judge (the coordinator dead-letters its input): not shown
            unreadable.incrementAndGet();
        }
    }

    /** Whether it has found both topics and reads them. */
    boolean reading() {
        return assigned && thread.isAlive();
    }

    /** Why it does not read now (missing topics, the last error), or null. */
    String problem() {
        return problem;
    }

    /** The group's last decisions, oldest first, as committed. */
    List<RoleChange> decisions(String group) {
        synchronized (decisions) {
            Deque<RoleChange> last = decisions.get(group);
            return last == null ? List.of() : List.copyOf(last);
        }
    }

    Optional<GroupState> state(String group) {
        return Optional.ofNullable(groups.get(group));
    }

    /** Up to {@code limit} group states whose name contains {@code filter}, by name. */
    List<GroupState> states(String filter, int limit) {
        return groups.values().stream()
                .filter(g -> filter == null || g.getGroup().contains(filter))
                .sorted(Comparator.comparing(GroupState::getGroup))
                .limit(limit)
                .toList();
    }

    int groupCount() {
        return groups.size();
    }

    long unreadable() {
        return unreadable.get();
    }

    long groupsNotKept() {
        return groupsNotKept.get();
    }

    @Override
    public void close() {
        if (thread.getState() == Thread.State.NEW) {
            consumer.close(Duration.ZERO);
            return;
        }
        consumer.wakeup();
        try {
            thread.join(3000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
