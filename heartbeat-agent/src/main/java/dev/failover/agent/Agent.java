package dev.failover.agent;

import dev.failover.agent.core.BrokerLossPolicy;
import dev.failover.agent.core.Edge;
import dev.failover.agent.core.HealthTracker;
import dev.failover.agent.core.RoleMachine;
import dev.failover.agent.probe.Probe;
import dev.failover.agent.shell.AgentMetrics;
import dev.failover.agent.shell.HookRunner;
import dev.failover.agent.shell.RoleEndpoint;
import dev.failover.wire.GroupMode;
import dev.failover.wire.GroupState;
import dev.failover.wire.Health;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.MemberView;
import dev.failover.wire.Role;
import dev.failover.wire.RoleChange;
import dev.failover.wire.WireFormatException;
import dev.failover.wire.WireSerdes;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heartbeat agent: the thin shell around a {@link RoleMachine}. It heartbeats every interval and feeds the
 * broker's acknowledgements to the machine, follows its group's role changes (after reconciling to the compacted
 * state at start-up), checks its lease every 10 ms, runs hooks on edges, probes the service, and answers /role.
 *
 * <p>Usable as a library: {@code Agent.create(settings).addListener(edge -> ...).start()}.
 */
public final class Agent implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Agent.class);
    /** How often a failing stand-down hook is run in all before the service is fenced. */
    static final int STOP_ATTEMPTS = 3;
    /** The wait before the second attempt; it doubles for each later one. */
    static final long STOP_BACKOFF_MS = 1_000;
    /** A tick lands this long after the lease end it is for, so that the lease has surely run out by then. */
    private static final long TICK_SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /** Told about every role edge, after its hook ran. */
    public interface RoleListener {
        void onEdge(Edge edge, HookRunner.Outcome hook);
    }

    /**
     * What /role and embedders see.
     *
     * @param reported          what its heartbeats say: ACTIVE, STOPPING (a stand-down not yet done, or failed) or
     *                          STANDBY
     * @param standDownBudgetMs how long its --on-standby has, after a lease lapse, before a successor may start:
     *                          failure timeout - lease
     */
    public record Snapshot(String group, String node, Role role, long epoch, long leaseRemainingMs, Health health,
                           String healthDetail, long staleIgnored, boolean connected, Role reported,
                           long standDownBudgetMs) {
    }

    private final AgentSettings settings;
    private final Clock clock;
    private final LongSupplier nanos;
    private final HealthTracker health;
    private final HookRunner hooks;
    private final AgentMetrics metrics;
    private final Probe probe;
    private final List<RoleListener> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, daemon("agent-timer"));
    private final ExecutorService hookThread = Executors.newSingleThreadExecutor(daemon("agent-hooks"));
    private final ExecutorService probeThread = Executors.newSingleThreadExecutor(daemon("agent-probe"));
    private final AtomicLong sequence = new AtomicLong();
    private final long incarnation;
    private final Object lock = new Object();
    private volatile RoleMachine machine;
    private volatile boolean running;
    private volatile boolean reportedUnreachable;
    /** The one pending tick (under the lock) and the machine deadline it is for. */
    private java.util.concurrent.ScheduledFuture<?> nextTick;
    private long tickAtNanos = Long.MIN_VALUE;
    private KafkaProducer<String, Heartbeat> producer;
    private KafkaConsumer<String, byte[]> consumer;
    /** The feed thread's pending proof: {sent at, end offset} of a check it has not read up to yet, or null. */
    private long[] feedTarget;
    private Thread feed;
    private RoleEndpoint endpoint;

    public Agent(AgentSettings settings, Clock clock, LongSupplier nanoTime) {
        this.settings = settings;
        this.clock = clock;
        this.nanos = nanoTime;
        this.health = new HealthTracker(settings.rise(), settings.fall(), settings.check() != null);
        this.hooks = new HookRunner(settings.group(), settings.node(), settings.hookTimeout());
        this.metrics = new AgentMetrics(this::snapshot);
        this.probe = settings.check() == null ? null : Probe.of(settings.check(), settings.checkTimeout());
        this.incarnation = clock.millis();
    }

    public static Agent create(AgentSettings settings) {
        return new Agent(settings, Clock.systemUTC(), System::nanoTime);
    }

    public Agent addListener(RoleListener listener) {
        listeners.add(listener);
        return this;
    }

    public synchronized Agent start() {
        running = true;
        producer = new KafkaProducer<>(producerSettings(), new StringSerializer(), WireSerdes.heartbeat());
        consumer = new KafkaConsumer<>(consumerSettings(), new StringDeserializer(), new ByteArrayDeserializer());
        if (settings.httpPort() >= 0) {
            endpoint = new RoleEndpoint(this::snapshot, metrics::scrape, settings.httpHost(), settings.httpPort());
            endpoint.start();
        }
        feed = new Thread(this::followRoleChanges, "agent-role-feed");
        feed.setDaemon(true);
        feed.start();
        long interval = settings.heartbeatInterval().toMillis();
        // Fixed delay, not fixed rate: after a pause (SIGSTOP, a long GC) a fixed rate would replay every missed
        // run back to back (hundreds of ticks, a burst of stale beats) while the stand-down waits its turn.
        timers.scheduleWithFixedDelay(this::beat, 0, interval, TimeUnit.MILLISECONDS);
        if (probe != null) {
            timers.scheduleWithFixedDelay(() -> probeThread.execute(this::runProbe), 0, interval, TimeUnit.MILLISECONDS);
        }
        log.atInfo().addKeyValue("group", settings.group()).addKeyValue("node", settings.node())
                .addKeyValue("mode", settings.mode()).addKeyValue("leaseMs", settings.leaseMs())
                .addKeyValue("http", endpoint == null ? "off" : endpoint.address())
                .log("agent started as STANDBY; it serves only when the coordinator says so. If this node loses Kafka "
                        + "while ACTIVE, its --on-standby has {} ms (failure timeout - lease) to stop the service "
                        + "before a successor may start", settings.standDownBudgetMs());
        return this;
    }

    public Optional<String> httpAddress() {
        return Optional.ofNullable(endpoint).map(RoleEndpoint::address);
    }

    public Snapshot snapshot() {
        long now = nanos.getAsLong();
        RoleMachine m = machine;
        synchronized (lock) {
            boolean leaving = m != null && m.leaving();
            Role serving = m != null ? m.servingRole(now) : Role.STANDBY;
            return new Snapshot(settings.group(), settings.node(), serving,
                    m == null ? 0 : m.appliedEpoch(), m == null ? 0 : m.leaseRemainingMs(now),
                    health.reported(leaving), health.detail(), m == null ? 0 : m.staleIgnored(), m != null,
                    m == null ? Role.STANDBY : m.reportedRole(), settings.standDownBudgetMs());
        }
    }

    private void beat() {
        RoleMachine m = machine;
        if (m == null || !running) {
            return; // not reconciled to the group's state yet: nothing truthful to report
        }
        try {
            send(m, false);
        } catch (RuntimeException e) {
            log.warn("heartbeat not sent: {}", e.toString());
        }
    }

    private Future<?> send(RoleMachine m, boolean leaving) {
        Heartbeat beat;
        long sentAt = nanos.getAsLong();
        synchronized (lock) {
            beat = Heartbeat.newBuilder().setGroup(settings.group()).setNode(settings.node())
                    .setSequence(sequence.getAndIncrement()).setIncarnation(incarnation).setSentAtMs(clock.millis())
                    .setHealth(health.reported(leaving || m.leaving())).setHealthDetail(health.detail())
                    .setRole(m.reportedRole()).setEpoch(m.appliedEpoch()).setMode(settings.mode())
                    .setPriority(settings.priority())
                    .setHeartbeatIntervalMs((int) settings.heartbeatInterval().toMillis())
                    .setLeaseMs((int) settings.leaseMs())
                    .setFailureTimeoutMs((int) settings.failureTimeout().toMillis())
                    .setReplicationPosition(null).setReplicationLagMs(null).build();
        }
        metrics.heartbeatSent();
        return producer.send(new ProducerRecord<>(settings.heartbeatTopic(), settings.group(), beat), (meta, error) -> {
            if (error != null) {
                metrics.heartbeatFailed();
            }
            if (error == null) {
                metrics.heartbeatAcknowledged();
                if (reportedUnreachable) {
                    reportedUnreachable = false;
                    log.info("heartbeats acknowledged again by {}", settings.bootstrapServers());
                }
                dispatch(() -> m.onHeartbeatAcknowledged(sentAt, nanos.getAsLong()));
            } else if (!reportedUnreachable) {
                reportedUnreachable = true;
                log.warn("heartbeat not acknowledged ({}); the broker at {} may be unreachable: retrying, and "
                        + "an ACTIVE node stands down when its lease runs out", error.toString(), settings.bootstrapServers());
            }
        });
    }

    private void tick() {
        RoleMachine m = machine;
        if (m != null) {
            dispatch(() -> m.tick(nanos.getAsLong()));
        }
    }

    private void runProbe() {
        long began = System.nanoTime();
        Probe.Result result = probe.check();
        metrics.probed(result.ok(), System.nanoTime() - began);
        health.onProbe(result.ok(), result.detail());
    }

    /**
     * Runs one machine step under the lock, hands any edge to the hook thread, in order, and sets the one timer that
     * ticks the machine when time alone can next change its role (an ACTIVE node's lease end), instead of polling it.
     */
    private void dispatch(java.util.function.Supplier<Optional<Edge>> step) {
        Optional<Edge> edge;
        synchronized (lock) {
            edge = step.get();
            armTick();
            edge.ifPresent(e -> hookThread.execute(() -> runHook(e)));
        }
        edge.ifPresent(e -> log.atInfo().addKeyValue("group", settings.group()).addKeyValue("node", settings.node())
                .addKeyValue("role", e.to()).addKeyValue("epoch", e.epoch()).addKeyValue("reason", e.reason())
                .log("now {} at epoch {}: {}", e.to(), e.epoch(), e.reason()));
    }

    /** Under the lock: (re)schedules {@link #tick} for just after the machine's next deadline, if it has one. */
    private void armTick() {
        RoleMachine m = machine;
        java.util.OptionalLong at = m == null ? java.util.OptionalLong.empty() : m.nextTickNanos();
        if (at.isPresent() && at.getAsLong() == tickAtNanos) {
            return;
        }
        if (nextTick != null) {
            nextTick.cancel(false);
            nextTick = null;
        }
        tickAtNanos = at.orElse(Long.MIN_VALUE);
        if (at.isPresent() && running) {
            long delay = Math.max(0, at.getAsLong() - nanos.getAsLong()) + TICK_SLACK_NANOS;
            nextTick = timers.schedule(this::tick, delay, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Runs the hook of an edge and reports its outcome to the machine: that opens the serving gate after an
     * activation and acknowledges a stand-down. A stand-down hook that fails is tried again ({@link #STOP_ATTEMPTS}
     * times in all, {@link #STOP_BACKOFF_MS} then twice that apart, while the edge is still the latest), then the
     * service is fenced with {@code --on-fence} if there is one; until one of them succeeds the node reports
     * STOPPING and the coordinator promotes nobody while it is alive.
     */
    private void runHook(Edge edge) {
        if (edge.to() == Role.ACTIVE && !isLatest(edge)) {
            // a newer edge came while this one waited its turn (a stand-down being retried holds the hook thread):
            // starting the service for an assignment that is already over could run it beside a successor
            log.info("skipping --on-activate for epoch {}: a newer role edge superseded it", edge.epoch());
            return;
        }
        String command = edge.to() == Role.ACTIVE ? settings.onActivate() : settings.onStandby();
        HookRunner.Outcome outcome = runOnce(command, edge);
        if (edge.to() == Role.STANDBY && !outcome.ok()) {
            outcome = escalate(edge, outcome);
        }
        boolean acknowledged;
        synchronized (lock) {
            machine.onHookDone(edge.number(), outcome.ok(), outcome.detail());
            acknowledged = edge.to() == Role.STANDBY && machine.reportedRole() == Role.STANDBY;
        }
        health.onHook(outcome.ok(), outcome.detail());
        if (acknowledged && running) {
            beat(); // the coordinator promotes a successor on this report: do not keep it waiting for the next beat
        }
        for (RoleListener listener : listeners) {
            try {
                listener.onEdge(edge, outcome);
            } catch (RuntimeException e) {
                log.error("a role listener failed", e);
            }
        }
    }

    private HookRunner.Outcome runOnce(String command, Edge edge) {
        if (command == null) {
            return new HookRunner.Outcome(true, "no hook");
        }
        long began = System.nanoTime();
        HookRunner.Outcome outcome = hooks.run(command, edge);
        metrics.hookRan(edge.to(), outcome.ok(), System.nanoTime() - began);
        return outcome;
    }

    /** A stand-down hook failed: tries it again, then fences; returns the first success or the last failure. */
    private HookRunner.Outcome escalate(Edge edge, HookRunner.Outcome failed) {
        HookRunner.Outcome outcome = failed;
        long backoff = STOP_BACKOFF_MS;
        for (int attempt = 2; attempt <= STOP_ATTEMPTS && !outcome.ok(); attempt++, backoff *= 2) {
            log.warn("the stand-down hook failed ({}); reporting STOPPING and trying again in {} ms (attempt {} of {})",
                    outcome.detail(), backoff, attempt, STOP_ATTEMPTS);
            pause(backoff);
            if (!isLatest(edge)) {
                return outcome; // a newer edge took over: its own hook decides now
            }
            outcome = runOnce(settings.onStandby(), edge);
        }
        if (outcome.ok()) {
            return outcome;
        }
        if (settings.onFence() != null && isLatest(edge)) {
            log.error("the stand-down hook failed {} times ({}); fencing the service with --on-fence", STOP_ATTEMPTS,
                    outcome.detail());
            HookRunner.Outcome fenced = runOnce(settings.onFence(), edge);
            if (fenced.ok()) {
                return new HookRunner.Outcome(true, "stand-down failed (" + outcome.detail() + "); fenced by "
                        + "--on-fence");
            }
            outcome = new HookRunner.Outcome(false, "stand-down failed (" + outcome.detail() + ") and --on-fence "
                    + "failed too (" + fenced.detail() + ")");
        }
        log.error("STOP FAILED: {}. This node keeps reporting STOPPING, so the coordinator promotes nobody while it is "
                + "alive. Stop the service by hand, then say so with failover ctl confirm-stopped --node " + settings.node()
                + ", or restart this agent: a starting agent runs --on-standby first, and its success confirms the "
                + "stand-down.", outcome.detail());
        return outcome;
    }

    private boolean isLatest(Edge edge) {
        synchronized (lock) {
            return machine.isLatest(edge.number());
        }
    }

    private void followRoleChanges() {
        TopicPartition roles = null;
        while (running) {
            try {
                if (roles == null) {
                    roles = reconcile();
                    reportedUnreachable = false;
                }
                long interval = settings.heartbeatInterval().toMillis();
                long nextCheck = 0;
                while (running) {
                    List<ConsumerRecord<String, byte[]>> mine = new java.util.ArrayList<>();
                    // at most one empty fetch per poll, and never past the next feed check: measured here, polls
                    // longer than the fetch wait delayed decisions (decision to hook p50 85 ms against 69 ms)
                    long waitMs = Math.max(1, Math.min(fetchWaitMs(), (nextCheck - System.nanoTime()) / 1_000_000));
                    consumer.poll(Duration.ofMillis(waitMs)).records(roles).forEach(r -> {
                        if (settings.group().equals(r.key())) {
                            mine.add(r);
                        }
                    });
                    // the newest record of a batch is the assignment: never flap through older ones
                    for (int i = mine.size() - 1; i >= 0; i--) {
                        RoleChange change = decode(mine.get(i));
                        if (change != null) {
                            apply(change);
                            break;
                        }
                    }
                    if (System.nanoTime() >= nextCheck) {
                        nextCheck = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(interval);
                        confirmFeed(roles);
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
                pause(settings.heartbeatInterval().toMillis());
            }
        }
    }

    /**
     * Reads the group's latest state from the compacted topic, remembering first where the role-change log ended, so
     * that nothing decided in between is missed; the machine starts at that state's epoch.
     */
    private TopicPartition reconcile() {
        TopicPartition roles = partitionFor(settings.roleChangeTopic());
        TopicPartition state = partitionFor(settings.stateTopic());
        long rolesEnd = consumer.endOffsets(Set.of(roles), Duration.ofSeconds(5)).get(roles);
        consumer.assign(List.of(state));
        consumer.seekToBeginning(List.of(state));
        long stateEnd = consumer.endOffsets(Set.of(state), Duration.ofSeconds(5)).get(state);
        GroupState latest = null;
        while (consumer.position(state, Duration.ofSeconds(5)) < stateEnd) {
            for (var r : consumer.poll(Duration.ofMillis(100))) {
                if (settings.group().equals(r.key()) && r.value() != null) {
                    try {
                        latest = WireSerdes.groupState().deserialize(r.topic(), r.value());
                    } catch (WireFormatException e) {
                        metrics.unreadableRecord();
                        log.warn("skipping an unreadable state record: {}", e.getMessage());
                    }
                }
            }
        }
        long epoch = latest == null ? 0 : latest.getEpoch();
        consumer.assign(List.of(roles));
        consumer.seek(roles, rolesEnd);
        RoleMachine fresh = new RoleMachine(TimeUnit.MILLISECONDS.toNanos(settings.leaseMs()),
                settings.mode() == GroupMode.ACTIVE_ACTIVE ? BrokerLossPolicy.KEEP_SERVING : BrokerLossPolicy.STAND_DOWN,
                epoch);
        // its first edge is the start-up stand-down, taken before any beat can report the machine
        Edge startUp = fresh.startUp();
        synchronized (lock) {
            machine = fresh;
            hookThread.execute(() -> runHook(startUp));
        }
        log.atInfo().addKeyValue("group", settings.group()).addKeyValue("epoch", epoch)
                .log("reconciled to the group's state at epoch {}: STANDBY until a newer decision makes me ACTIVE", epoch);
        return roles;
    }

    /**
     * Renews the feed's half of the lease for the moment a check was sent, once every role change committed before
     * that moment has been read: the end offset answered to a check sent at {@code t} covers everything committed
     * before {@code t}, so reaching it proves the feed up to {@code t}, even if more has been written since. (Waiting
     * for a moment with nothing new would let a burst of writes on the partition, anyone's, starve the lease.)
     */
    private void confirmFeed(TopicPartition roles) {
        long sentAt = nanos.getAsLong();
        long end = consumer.endOffsets(Set.of(roles), Duration.ofMillis(settings.leaseMs())).get(roles);
        long position = consumer.position(roles);
        RoleMachine m = machine;
        if (position >= end) {
            feedTarget = null;
            dispatch(() -> m.onRoleFeedAnswered(sentAt, nanos.getAsLong()));
            return;
        }
        long[] target = feedTarget;
        if (target != null && position >= target[1]) {
            dispatch(() -> m.onRoleFeedAnswered(target[0], nanos.getAsLong()));
        }
        if (target == null || position >= target[1]) {
            feedTarget = new long[] {sentAt, end};
        }
    }

    private void apply(RoleChange change) {
        Role assigned = change.getMembers().stream().filter(v -> v.getNode().equals(settings.node()))
                .map(MemberView::getRole).findFirst().orElse(Role.STANDBY);
        RoleMachine m = machine;
        dispatch(() -> m.onRoleChange(change.getEpoch(), assigned, change.getReason(), nanos.getAsLong()));
    }

    private RoleChange decode(ConsumerRecord<String, byte[]> record) {
        try {
            return WireSerdes.roleChange().deserialize(record.topic(), record.value());
        } catch (WireFormatException e) {
            metrics.unreadableRecord();
            log.warn("skipping an unreadable role change at offset {}: {}", record.offset(), e.getMessage());
            return null;
        }
    }

    private TopicPartition partitionFor(String topic) {
        int partitions = consumer.partitionsFor(topic, Duration.ofSeconds(5)).size();
        if (partitions == 0) {
            throw new IllegalStateException("topic " + topic + " does not exist yet (the coordinator creates it)");
        }
        // the producer's default partitioner for a keyed record: where the coordinator's decisions for us land
        int partition = Utils.toPositive(Utils.murmur2(settings.group().getBytes(StandardCharsets.UTF_8))) % partitions;
        return new TopicPartition(topic, partition);
    }

    /**
     * Graceful shutdown: stands down (the on-standby hook runs to completion), sends a LEAVING heartbeat so the
     * coordinator hands over at once, then stops.
     */
    @Override
    public void close() {
        RoleMachine m = machine;
        if (m != null && running) {
            Optional<Edge> edge;
            synchronized (lock) {
                edge = m.leave(nanos.getAsLong());
            }
            edge.ifPresent(e -> {
                log.info("shutting down: standing down first");
                hookThread.execute(() -> runHook(e));
            });
            // wait for every hook queued or running, the stand-down included (or one already being retried when no
            // new edge was needed): a hook queued ahead (an activation), every attempt of the stand-down, the waits
            // between them and the fence
            long budgetMs = (STOP_ATTEMPTS + 2) * settings.hookTimeout().toMillis()
                    + STOP_BACKOFF_MS * ((1L << (STOP_ATTEMPTS - 1)) - 1) + 1_000;
            try {
                hookThread.submit(() -> { }).get(budgetMs, TimeUnit.MILLISECONDS);
            } catch (Exception failure) {
                log.error("the hooks did not finish within {} ms: {}", budgetMs, failure.toString());
            }
            synchronized (lock) {
                if (m.reportedRole() == Role.STOPPING) {
                    log.error("leaving with the service's stand-down unconfirmed ({}); the coordinator promotes a "
                            + "successor only after this node has been silent for its failure timeout", m.stopFailure());
                }
            }
            try {
                send(m, true).get(2, TimeUnit.SECONDS);
                log.info("sent LEAVING; the coordinator hands over without waiting for the timeout");
            } catch (Exception e) {
                log.warn("could not send LEAVING ({}); the coordinator will notice the silence instead", e.toString());
            }
        }
        running = false;
        timers.shutdownNow();
        probeThread.shutdownNow();
        if (consumer != null) {
            consumer.wakeup();
        }
        if (feed != null) {
            try {
                feed.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (consumer != null) {
            consumer.close(Duration.ofSeconds(2));
        }
        if (producer != null) {
            producer.close(Duration.ofSeconds(2));
        }
        hookThread.shutdown();
        if (endpoint != null) {
            endpoint.stop();
        }
    }

    private Map<String, Object> producerSettings() {
        Map<String, Object> p = new HashMap<>(settings.kafka());
        long lease = settings.leaseMs();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 1 << 20);
        // a beat acknowledged after its lease could not renew it anyway
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) lease);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) lease);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, settings.heartbeatInterval().toMillis());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        p.put(ProducerConfig.RETRIES_CONFIG, 0);
        p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
        return p;
    }

    /** How long an empty fetch of the role feed waits in the broker: a sixteenth of the lease, 10 to 500 ms. */
    private long fetchWaitMs() {
        return Math.max(10, Math.min(500, settings.leaseMs() / 16));
    }

    private Map<String, Object> consumerSettings() {
        Map<String, Object> c = new HashMap<>(settings.kafka());
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // The broker answers a fetch as soon as a committed decision is there, so the wait only bounds an empty fetch.
        // But the broker serves one request per connection at a time: the feed check's end-offset request waits behind
        // an empty fetch, and the lease counts from when that request was sent. A sixteenth of the lease keeps that delay
        // small; a long lease (a slow heartbeat) gets long, cheap fetches.
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, (int) fetchWaitMs());
        c.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
        c.put(ConsumerConfig.RECEIVE_BUFFER_CONFIG, 64 * 1024);
        return c;
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
