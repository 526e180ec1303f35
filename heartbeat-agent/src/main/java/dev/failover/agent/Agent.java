package dev.failover.agent;

import dev.failover.agent.config.AgentSettings;
import dev.failover.agent.core.BrokerLossPolicy;
import dev.failover.agent.core.Edge;
import dev.failover.agent.core.HealthTracker;
import dev.failover.agent.core.HookPlan;
import dev.failover.agent.core.HookStep;
import dev.failover.agent.core.RoleMachine;
import dev.failover.agent.core.SentBeats;
import dev.failover.agent.probe.Probe;
import dev.failover.agent.shell.AgentMetrics;
import dev.failover.agent.shell.AgentSnapshot;
import dev.failover.agent.shell.FailsafePeers;
import dev.failover.agent.shell.HeartbeatPublisher;
import dev.failover.agent.shell.HookDispatcher;
import dev.failover.agent.shell.HookRunner;
import dev.failover.agent.shell.LeaseTimer;
import dev.failover.agent.shell.RoleEndpoint;
import dev.failover.agent.shell.RoleFeed;
import dev.failover.wire.DecisionKind;
import dev.failover.wire.FailsafeReport;
import dev.failover.wire.GroupMode;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.MemberView;
import dev.failover.wire.Role;
import dev.failover.wire.RoleChange;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heartbeat agent: a {@link RoleMachine} (every rule: lease, serving gate, stand-down acknowledgement, retries
 * and fencing) inside a shell of parts with one job each: {@link HeartbeatPublisher} beats every interval and hands
 * the broker's acknowledgements to the machine, {@link RoleFeed} follows the group's role changes and proves the feed,
 * {@link LeaseTimer} ticks the machine at its lease end, {@link HookDispatcher} runs the hook steps the machine plans,
 * the probe checks the service and {@link RoleEndpoint} answers /role. Every time is read through the injected clocks.
 *
 * <p>Usable as a library: {@code Agent.create(settings).addListener(edge -> ...).start()}.
 */
public final class Agent implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Agent.class);

    /** Told about every role edge once its hooks have run to an end (the last step's outcome). */
    public interface RoleListener {
        void onEdge(Edge edge, HookRunner.Outcome hook);
    }

    private final AgentSettings settings;
    private final Clock clock;
    private final LongSupplier nanos;
    private final HookPlan plan;
    private final HealthTracker health;
    private final HookRunner hooks;
    private final AgentMetrics metrics;
    private final Probe probe;
    private final List<RoleListener> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, daemon("agent-timer"));
    private final ExecutorService probeThread = Executors.newSingleThreadExecutor(daemon("agent-probe"));
    private final HookDispatcher dispatcher;
    private final LeaseTimer leaseTimer;
    private final AtomicLong sequence = new AtomicLong();
    private final long incarnation;
    /** When this run sent its recent heartbeats: a decision's basis is checked against them. */
    private final SentBeats sentBeats;
    /** Guards the machine: every step of it, and every read of more than one of its fields. */
    private final Object lock = new Object();

    private volatile RoleMachine machine;
    private volatile boolean running;
    private HeartbeatPublisher publisher;
    private RoleFeed feed;
    private RoleEndpoint endpoint;
    /** Failsafe's HTTP to the peers, or null when it is off. */
    private final FailsafePeers failsafe;
    /**
     * Failsafe: every member named in a decision read since this node was made primary at {@link #askSetEpoch}: whom
     * it asks for grants, and what its heartbeats announce (the coordinator promotes nobody outside it while this node
     * may serve on grants). Guarded by {@link #lock}.
     */
    private final java.util.SortedSet<String> askSet = new java.util.TreeSet<>();

    private long askSetEpoch = -1;
    /**
     * Failsafe: the newest decision this node read (its epoch, and the node it makes ACTIVE or null). A peer asking
     * at an older epoch is still granted if that decision keeps it primary (a re-confirmation this node read first).
     * Guarded by {@link #lock}.
     */
    private long newestDecisionEpoch = -1;

    private String newestDecisionPrimary;
    /** The send time of the newest heartbeat acknowledged, or MIN_VALUE: a round is asked when it grows old. */
    private final AtomicLong lastAckSentAt = new AtomicLong(Long.MIN_VALUE);

    public Agent(AgentSettings settings, Clock clock, LongSupplier nanoTime) {
        this.settings = settings;
        this.clock = clock;
        this.nanos = nanoTime;
        this.plan = HookPlan.DEFAULT.withFencing(settings.onFence() != null, settings.fencePeer() != null);
        this.health = new HealthTracker(settings.rise(), settings.fall(), settings.check() != null);
        this.hooks = new HookRunner(settings.group(), settings.node(), settings.hookTimeout(), nanoTime);
        this.metrics = new AgentMetrics(this::snapshot);
        this.probe = settings.check() == null ? null : Probe.of(settings.check(), settings.checkTimeout());
        this.dispatcher = new HookDispatcher(nanoTime, this::runStep);
        this.leaseTimer = new LeaseTimer(timers, nanoTime, this::tick);
        this.incarnation = clock.millis();
        this.sentBeats = new SentBeats(incarnation);
        this.failsafe = settings.failsafe() == null
                ? null
                : new FailsafePeers(
                        settings.group(), settings.node(), settings.failsafe(), settings.heartbeatInterval());
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
        publisher = new HeartbeatPublisher(settings, metrics, nanos);
        feed = new RoleFeed(settings, metrics, nanos, new RoleFeed.Listener() {
            @Override
            public void reconciled(long epoch) {
                onReconciled(epoch);
            }

            @Override
            public void roleChange(RoleChange change) {
                apply(change);
            }

            @Override
            public void answered(long sentAtNanos) {
                RoleMachine m = machine;
                dispatch(() -> m.onRoleFeedAnswered(sentAtNanos, nanos.getAsLong()));
            }
        });
        if (settings.httpPort() >= 0) {
            endpoint = new RoleEndpoint(this::snapshot, metrics::scrape, settings.httpHost(), settings.httpPort());
            if (failsafe != null) {
                endpoint.add("/failsafe", exchange -> failsafe.handle(exchange, this::grant));
            }
            endpoint.start();
        }
        feed.start();
        long interval = settings.heartbeatInterval().toMillis();
        // Fixed delay, not fixed rate: after a pause (SIGSTOP, a long GC) a fixed rate would replay every missed
        // run back to back (hundreds of ticks, a burst of stale beats) while the stand-down waits its turn.
        timers.scheduleWithFixedDelay(this::beat, 0, interval, TimeUnit.MILLISECONDS);
        if (probe != null) {
            timers.scheduleWithFixedDelay(
                    () -> probeThread.execute(this::runProbe), 0, interval, TimeUnit.MILLISECONDS);
        }
        log.atInfo()
                .addKeyValue("group", settings.group())
                .addKeyValue("node", settings.node())
                .addKeyValue("mode", settings.mode())
                .addKeyValue("leaseMs", settings.leaseMs())
                .addKeyValue("http", endpoint == null ? "off" : endpoint.address())
                .log(
                        "agent started as STANDBY; it serves only when the coordinator says so. If this node loses Kafka "
                                + "while ACTIVE, its --on-standby has {} ms (failure timeout - lease) to stop the service "
                                + "before a successor may start{}",
                        settings.standDownBudgetMs(),
                        settings.fencePeer() == null
                                ? ""
                                : "; a successor fences a primary it replaced without seeing it stop (--fence-peer)");
        if (settings.trustKeys().isEmpty()) {
            log.warn(
                    "no --trust-key: acting on any role change anyone who can write {} writes (give the "
                            + "coordinator's public key to act only on what it signed)",
                    settings.roleChangeTopic());
        } else {
            log.info(
                    "acting only on role changes and state records signed by {} (--trust-key; the files are read "
                            + "again when they change)",
                    settings.trustKeys().keyIds());
        }
        return this;
    }

    public Optional<String> httpAddress() {
        return Optional.ofNullable(endpoint).map(RoleEndpoint::address);
    }

    public AgentSnapshot snapshot() {
        long now = nanos.getAsLong();
        RoleMachine m = machine;
        synchronized (lock) {
            boolean leaving = m != null && m.leaving();
            Role serving = m != null ? m.servingRole(now) : Role.STANDBY;
            return new AgentSnapshot(
                    settings.group(),
                    settings.node(),
                    serving,
                    m == null ? 0 : m.appliedEpoch(),
                    m == null ? 0 : m.leaseRemainingMs(now),
                    health.reported(leaving),
                    health.detail(),
                    m == null ? 0 : m.staleIgnored(),
                    m != null,
                    m == null ? Role.STANDBY : m.reportedRole(),
                    settings.standDownBudgetMs());
        }
    }

    /** The feed reconciled to the group's state: the machine starts at its epoch, with the start-up stand-down. */
    private void onReconciled(long epoch) {
        // with failsafe, activations are held for one promise from here: this node may have promised before it
        // restarted, and forgotten
        RoleMachine fresh = new RoleMachine(
                TimeUnit.MILLISECONDS.toNanos(settings.leaseMs()),
                settings.mode() == GroupMode.ACTIVE_ACTIVE
                        ? BrokerLossPolicy.KEEP_SERVING
                        : BrokerLossPolicy.STAND_DOWN,
                epoch,
                plan,
                settings.failsafeTerms(),
                nanos.getAsLong());
        synchronized (lock) {
            machine = fresh;
            // its first edge is the start-up stand-down, taken before any beat can report the machine
            dispatcher.submit(fresh.firstStep(fresh.startUp()));
        }
        log.atInfo()
                .addKeyValue("group", settings.group())
                .addKeyValue("epoch", epoch)
                .log(
                        "reconciled to the group's state at epoch {}: STANDBY until a newer decision makes me ACTIVE",
                        epoch);
    }

    private void beat() {
        RoleMachine m = machine;
        if (m == null || !running) {
            return; // not reconciled to the group's state yet: nothing truthful to report
        }
        long sentAt;
        try {
            sentAt = nanos.getAsLong();
            send(m, false);
        } catch (RuntimeException e) {
            log.warn("heartbeat not sent: {}", e.toString());
            return;
        }
        if (failsafe != null) {
            askPeers(m, sentAt);
        }
    }

    /**
     * Failsafe's round, every heartbeat interval while Kafka does not renew this primary's lease (no beat acknowledged
     * for two intervals, or serving on grants already, when Kafka renews nothing until a re-confirmation): every peer
     * of the ask set is asked at once, at the epoch this node applied, and the lease extends only if all grant.
     */
    private void askPeers(RoleMachine m, long sentAt) {
        long interval = settings.heartbeatInterval().toNanos();
        List<String> peers;
        long epoch;
        long edge;
        synchronized (lock) {
            long lastAck = lastAckSentAt.get();
            boolean renewing = lastAck != Long.MIN_VALUE && sentAt - lastAck <= 2 * interval;
            if (m.role() != Role.ACTIVE || !m.leaseValid(sentAt) || (renewing && !m.onFailsafe(sentAt))) {
                return;
            }
            peers = List.copyOf(askSet);
            epoch = m.appliedEpoch();
            edge = m.latestEdge();
        }
        metrics.failsafeRound();
        failsafe.ask(peers, epoch, settings.heartbeatInterval()).thenAccept(all -> {
            if (all) {
                dispatch(() -> m.onFailsafeGranted(edge, sentAt, nanos.getAsLong()));
            }
        });
    }

    /** Failsafe: a peer primary at {@code epoch} asks this node to promise not to activate. */
    private FailsafePeers.Answer grant(String asker, long epoch) {
        RoleMachine m = machine;
        if (m == null) {
            return new FailsafePeers.Answer(false, "not reconciled to the group's state yet");
        }
        boolean granted;
        long heldUntil;
        long applied;
        synchronized (lock) {
            // a decision newer than the asker's epoch that keeps the asker primary (a re-confirmation read here before
            // the asker read it) replaces nobody: granting at it holds this node's activations just the same
            long asked = m.appliedEpoch() > epoch
                            && newestDecisionEpoch == m.appliedEpoch()
                            && asker.equals(newestDecisionPrimary)
                    ? m.appliedEpoch()
                    : epoch;
            granted = m.grantPromise(asked, nanos.getAsLong());
            heldUntil = m.heldUntilNanos();
            applied = m.appliedEpoch();
        }
        if (granted) {
            metrics.failsafeGranted();
            return new FailsafePeers.Answer(
                    true,
                    settings.node() + " holds its activations for "
                            + Math.max(0, (heldUntil - nanos.getAsLong()) / 1_000_000) + " ms");
        }
        return new FailsafePeers.Answer(
                false,
                settings.node() + " is (or is made) primary, is leaving, or applied " + "epoch " + applied + " > "
                        + epoch);
    }

    private Future<?> send(RoleMachine m, boolean leaving) {
        Heartbeat beat;
        long sentAt = nanos.getAsLong();
        synchronized (lock) {
            beat = Heartbeat.newBuilder()
                    .setGroup(settings.group())
                    .setNode(settings.node())
                    .setSequence(sequence.getAndIncrement())
                    .setIncarnation(incarnation)
                    .setSentAtMs(clock.millis())
                    .setHealth(health.reported(leaving || m.leaving()))
                    .setHealthDetail(health.detail())
                    .setRole(m.reportedRole())
                    .setEpoch(m.appliedEpoch())
                    .setMode(settings.mode())
                    .setPriority(settings.priority())
                    .setHeartbeatIntervalMs((int) settings.heartbeatInterval().toMillis())
                    .setLeaseMs((int) settings.leaseMs())
                    .setFailureTimeoutMs((int) settings.failureTimeout().toMillis())
                    .setReplicationPosition(null)
                    .setReplicationLagMs(null)
                    .setFailsafe(failsafeReport(m, sentAt))
                    .build();
            sentBeats.sent(beat.getSequence(), sentAt);
        }
        return publisher.publish(beat, sentAt, acknowledgedSentAt -> {
            lastAckSentAt.accumulateAndGet(acknowledgedSentAt, Math::max);
            dispatch(() -> m.onHeartbeatAcknowledged(acknowledgedSentAt, nanos.getAsLong()));
        });
    }

    /** What a beat says about failsafe (Heartbeat v3): null when it is off. Under the lock. */
    private FailsafeReport failsafeReport(RoleMachine m, long nowNanos) {
        if (failsafe == null) {
            return null;
        }
        boolean primary = m.reportedRole() == Role.ACTIVE;
        return FailsafeReport.newBuilder()
                .setMaxMs((int) settings.failsafe().max().toMillis())
                .setAskSet(primary ? List.copyOf(askSet) : List.of())
                .setOnGrants(m.onFailsafe(nowNanos))
                .build();
    }

    private void tick() {
        RoleMachine m = machine;
        if (m != null) {
            dispatch(() -> m.tick(nanos.getAsLong()));
        }
    }

    private void runProbe() {
        long began = nanos.getAsLong();
        Probe.Result result = probe.check();
        metrics.probed(result.ok(), nanos.getAsLong() - began);
        health.onProbe(result.ok(), result.detail());
    }

    /**
     * Runs one machine step under the lock, hands the first hook step of any edge to the dispatcher, in order, and
     * re-arms the lease timer for the machine's next deadline.
     */
    private void dispatch(Supplier<Optional<Edge>> step) {
        Optional<Edge> edge;
        synchronized (lock) {
            RoleMachine m = machine;
            edge = step.get();
            leaseTimer.arm(m == null ? java.util.OptionalLong.empty() : m.nextTickNanos());
            edge.ifPresent(e -> dispatcher.submit(m.firstStep(e)));
        }
        edge.ifPresent(this::logEdge);
    }

    private void logEdge(Edge e) {
        log.atInfo()
                .addKeyValue("group", settings.group())
                .addKeyValue("node", settings.node())
                .addKeyValue("role", e.to())
                .addKeyValue("epoch", e.epoch())
                .addKeyValue("reason", e.reason())
                .log("now {} at epoch {}: {}", e.to(), e.epoch(), e.reason());
    }

    /**
     * The dispatcher's work: runs one hook step the machine planned, if the machine still wants it, reports its
     * outcome to the machine and returns the next step it plans. A stand-down acknowledged this way is beaten at
     * once: the coordinator promotes a successor on that report.
     */
    private Optional<HookStep> runStep(HookStep step) {
        RoleMachine m = machine;
        Optional<Edge> lapse;
        boolean run;
        synchronized (lock) {
            // the lease first, as at every entry point: this thread may be waking from a pause that outlived it
            long now = nanos.getAsLong();
            lapse = m.tick(now);
            leaseTimer.arm(m.nextTickNanos());
            lapse.ifPresent(e -> dispatcher.submit(m.firstStep(e)));
            run = m.shouldRun(step, now);
        }
        lapse.ifPresent(this::logEdge);
        if (!run) {
            Optional<HookStep> later;
            synchronized (lock) {
                later = m.deferred(step, nanos.getAsLong());
            }
            if (later.isPresent()) {
                log.info(
                        "holding the {} hook for epoch {} for {} ms: this node promised a primary not to activate "
                                + "(failsafe), or has just started and may have promised before",
                        step.kind(),
                        step.edge().epoch(),
                        later.get().delayNanos(nanos.getAsLong()) / 1_000_000);
                return later;
            }
            log.info(
                    "skipping the {} hook for epoch {}: a newer role edge superseded it, or the lease ran out",
                    step.kind(),
                    step.edge().epoch());
            return Optional.empty();
        }
        announce(step);
        String command = switch (step.kind()) {
            case FENCE_PEER -> settings.fencePeer();
            case ACTIVATE -> settings.onActivate();
            case STAND_DOWN -> settings.onStandby();
            case FENCE -> settings.onFence();
        };
        HookRunner.Outcome outcome;
        try {
            outcome = command == null ? new HookRunner.Outcome(true, "no hook") : hooks.run(command, step);
        } catch (RuntimeException e) {
            // a hook that cannot even be started failed: the machine must hear of it (retry, fence, STOP FAILED)
            outcome = new HookRunner.Outcome(false, "cannot run " + command + ": " + e.getMessage());
        }
        if (command != null) {
            metrics.hookRan(step.edge().to(), outcome.ok(), outcome.nanos());
        }
        Optional<HookStep> next;
        boolean acknowledged;
        boolean latest;
        String failure;
        synchronized (lock) {
            next = m.onHookDone(step, outcome.ok(), outcome.detail(), nanos.getAsLong());
            latest = m.isLatest(step.edge().number());
            acknowledged = latest && step.edge().to() == Role.STANDBY && m.reportedRole() == Role.STANDBY;
            failure = step.edge().to() == Role.ACTIVE ? m.activationFailure() : m.stopFailure();
        }
        if (latest) {
            health.onHook(outcome.ok(), outcome.ok() ? outcome.detail() : failure == null ? outcome.detail() : failure);
        }
        if (acknowledged && running) {
            beat();
        }
        if (next.isEmpty()) {
            if (latest && !outcome.ok() && step.edge().to() == Role.STANDBY) {
                log.error(
                        "STOP FAILED: {}. This node keeps reporting STOPPING, so the coordinator promotes nobody "
                                + "while it is alive. Stop the service by hand, then say so with failover ctl confirm-stopped "
                                + "--node {}, or restart this agent: a starting agent runs --on-standby first, and its success "
                                + "confirms the stand-down.",
                        failure,
                        settings.node());
            }
            HookRunner.Outcome last = step.kind() == HookStep.Kind.FENCE && outcome.ok()
                    ? new HookRunner.Outcome(true, "stand-down failed; fenced by --on-fence", outcome.nanos())
                    : outcome;
            for (RoleListener listener : listeners) {
                try {
                    listener.onEdge(step.edge(), last);
                } catch (RuntimeException e) {
                    log.error("a role listener failed", e);
                }
            }
        }
        return next;
    }

    /** Says in the log why a step beyond the plain hook of an edge runs. */
    private void announce(HookStep step) {
        switch (step.kind()) {
            case STAND_DOWN -> {
                if (step.attempt() > 1) {
                    log.warn(
                            "the stand-down hook failed; reporting STOPPING and trying it again (attempt {} of {})",
                            step.attempt(),
                            plan.stopAttempts());
                }
            }
            case FENCE ->
                log.error(
                        "the stand-down hook failed {} times; fencing the service with --on-fence",
                        plan.stopAttempts());
            case FENCE_PEER ->
                log.warn(
                        "fencing {} with --fence-peer before activating: the coordinator did not see "
                                + "its service stop",
                        step.peer());
            case ACTIVATE -> {}
        }
    }

    private void apply(RoleChange change) {
        Role assigned = change.getMembers().stream()
                .filter(v -> v.getNode().equals(settings.node()))
                .map(MemberView::getRole)
                .findFirst()
                .orElse(Role.STANDBY);
        List<String> fence = change.getFence().stream()
                .filter(n -> !n.equals(settings.node()))
                .toList();
        long activateBefore = activateBefore(change);
        RoleMachine m = machine;
        if (failsafe != null) {
            noteAskSet(change, assigned, m);
        }
        if (change.getKind() == DecisionKind.RECONFIRMED && assigned == Role.ACTIVE) {
            long[] taken = new long[4];
            dispatch(() -> {
                taken[0] = m.reconfirmations();
                taken[1] = m.lateReconfirmations();
                Optional<Edge> edge = m.onReconfirmation(change.getEpoch(), activateBefore, nanos.getAsLong());
                taken[2] = m.reconfirmations();
                taken[3] = m.lateReconfirmations();
                return edge;
            });
            log.atInfo()
                    .addKeyValue("group", settings.group())
                    .addKeyValue("epoch", change.getEpoch())
                    .log(
                            taken[2] > taken[0]
                                    ? "re-confirmed at epoch {}: back on Kafka's lease after serving on the "
                                            + "peers' grants"
                                    : taken[3] > taken[1]
                                            ? "the re-confirmation at epoch {} came more than "
                                                    + "the lease after the heartbeat it was based on: serving on the peers' grants on, at that "
                                                    + "epoch, until one based on a fresher heartbeat"
                                            : "not acting on the re-confirmation at "
                                                    + "epoch {}: not serving on grants now",
                            change.getEpoch());
            return;
        }
        dispatch(() -> m.onRoleChange(
                change.getEpoch(), assigned, change.getReason(), fence, activateBefore, nanos.getAsLong()));
        boolean tooLate;
        synchronized (lock) {
            tooLate = m.appliedEpoch() == change.getEpoch() && m.assignmentCameTooLate();
        }
        if (tooLate) {
            log.atWarn()
                    .addKeyValue("group", settings.group())
                    .addKeyValue("epoch", change.getEpoch())
                    .log(
                            "not activating on the decision at epoch {}: it came more than the lease after the heartbeat "
                                    + "it was based on, so a newer one may already have replaced it; reporting STANDBY at that "
                                    + "epoch until the coordinator decides again",
                            change.getEpoch());
        }
    }

    /**
     * Failsafe: a decision newer than the ask set's that makes this node ACTIVE starts the set over; every decision
     * from then on adds its members (a newest-of-a-batch read skips none: every decision names all members).
     */
    private void noteAskSet(RoleChange change, Role assigned, RoleMachine m) {
        synchronized (lock) {
            if (change.getEpoch() <= m.appliedEpoch()) {
                return; // stale: the machine ignores it too
            }
            newestDecisionEpoch = change.getEpoch();
            newestDecisionPrimary = change.getMembers().stream()
                    .filter(v -> v.getRole() == Role.ACTIVE)
                    .map(MemberView::getNode)
                    .findFirst()
                    .orElse(null);
            if (assigned == Role.ACTIVE && change.getEpoch() > askSetEpoch) {
                askSet.clear();
                askSetEpoch = change.getEpoch();
            }
            if (askSetEpoch >= 0) {
                change.getMembers().stream()
                        .map(MemberView::getNode)
                        .filter(n -> !n.equals(settings.node()))
                        .forEach(askSet::add);
            }
        }
    }

    /**
     * Until when {@code change} may make this node ACTIVE (RoleChange v4 {@code basis}): the lease after sending the
     * heartbeat of this node it was based on; {@link Long#MAX_VALUE} for a decision of an older coordinator, which
     * names no basis.
     */
    private long activateBefore(RoleChange change) {
        if (change.getBasis().isEmpty()) {
            return Long.MAX_VALUE;
        }
        long lease = TimeUnit.MILLISECONDS.toNanos(settings.leaseMs());
        return change.getBasis().stream()
                .filter(b -> b.getNode().equals(settings.node()))
                .findFirst()
                .map(b -> sentBeats.activateBefore(b.getIncarnation(), b.getSequence(), lease))
                .orElse(Long.MIN_VALUE);
    }

    /**
     * Graceful shutdown: stands down (the on-standby hook runs to completion, retried and fenced as the machine
     * plans), sends a LEAVING heartbeat so the coordinator hands over at once, then stops.
     */
    @Override
    public void close() {
        RoleMachine m = machine;
        if (m != null && running) {
            boolean stoodDownBefore;
            synchronized (lock) {
                stoodDownBefore = m.role() == Role.STANDBY;
            }
            dispatch(() -> m.leave(nanos.getAsLong()));
            if (!stoodDownBefore) {
                log.info("shutting down: standing down first");
            }
            // wait for every hook step queued, waiting or running: an activation ahead (with its peer's fence), every
            // attempt of the stand-down, the waits between them and the fence
            long budgetNanos = plan.worstStandDownNanos(settings.hookTimeout().toNanos())
                    + 2 * settings.hookTimeout().toNanos()
                    + TimeUnit.SECONDS.toNanos(1);
            try {
                if (!dispatcher.awaitIdle(Duration.ofNanos(budgetNanos))) {
                    log.error("the hooks did not finish within {} ms", budgetNanos / 1_000_000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (lock) {
                if (m.reportedRole() == Role.STOPPING) {
                    log.error(
                            "leaving with the service's stand-down unconfirmed ({}); the coordinator promotes a "
                                    + "successor only after this node has been silent for its failure timeout",
                            m.stopFailure());
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
        leaseTimer.stop();
        timers.shutdownNow();
        probeThread.shutdownNow();
        if (feed != null) {
            feed.close();
        }
        if (publisher != null) {
            publisher.close();
        }
        dispatcher.shutdown();
        if (endpoint != null) {
            endpoint.stop();
        }
        if (failsafe != null) {
            failsafe.close();
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
