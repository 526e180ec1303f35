package dev.failover.coordinator.app;

import dev.failover.coordinator.streams.CoordinatorTopology;
import dev.failover.coordinator.streams.ShellSettings;
import dev.failover.coordinator.streams.ShellStats;
import dev.failover.wire.StoredGroup;
import dev.failover.wire.TopicNames;
import dev.failover.wire.Topics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One coordinator instance: provisions the topics, runs the Streams topology under exactly-once, and serves
 * {@code /health} and {@code /groups/{group}}. Several instances with the same application id share the groups.
 */
public final class CoordinatorApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CoordinatorApp.class);

    private final CoordinatorConfig config;
    private final java.time.Clock clock = java.time.Clock.systemUTC();
    private final String instanceId = UUID.randomUUID().toString();
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ShellStats stats = new ShellStats(metrics);
    private final io.micrometer.core.instrument.binder.jvm.JvmGcMetrics gcMetrics =
            new io.micrometer.core.instrument.binder.jvm.JvmGcMetrics();
    private final StallWatch stallWatch;
    private final java.util.concurrent.ScheduledExecutorService watchdog =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "coordinator-watchdog");
                t.setDaemon(true);
                return t;
            });
    private volatile StallWatch.Verdict stall = StallWatch.Verdict.OK;
    private final TaskHealth taskHealth;
    /** Why the instance cannot decide for all its groups (besides a stall), as the watchdog last saw it. */
    private volatile List<String> unhealthy = List.of();

    private volatile long lastThreadDeathMs = Long.MIN_VALUE;
    private volatile String lastThreadDeath = "";
    private final java.util.function.UnaryOperator<Processor<String, byte[], String, byte[]>> processorWrap;
    /** Per stream thread, ms since its consumer last polled, as the watchdog last read it. */
    private volatile Map<String, Long> lastPollAges = Map.of();

    private final java.util.concurrent.ScheduledExecutorService healing =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "coordinator-txn-healer");
                t.setDaemon(true);
                return t;
            });
    private KafkaStreams streams;
    private HttpEndpoint http;
    /** The committed decisions and states the status page shows (with the HTTP endpoint only). */
    private DecisionLog decisionLog;

    private Admin healerAdmin;
    private volatile HangingTransactionHealer healer;
    /** How often the healer scans (0: it does not). */
    private volatile long healEveryMs;
    /** The rebalance protocol chosen at start. */
    private volatile GroupProtocolChoice.Choice protocol;
    /** Completed with the reason once this instance cannot be a member of its group (GroupProtocolChoice#cannotJoin). */
    private final java.util.concurrent.CompletableFuture<String> cannotJoin =
            new java.util.concurrent.CompletableFuture<>();

    public CoordinatorApp(CoordinatorConfig config) {
        this(config, java.util.function.UnaryOperator.identity());
    }

    /** With each processor passed through {@code processorWrap}: for tests that inject a processor fault. */
    CoordinatorApp(
            CoordinatorConfig config,
            java.util.function.UnaryOperator<Processor<String, byte[], String, byte[]>> processorWrap) {
        this.config = config;
        this.processorWrap = processorWrap;
        this.taskHealth = new TaskHealth(
                config.getLong(CoordinatorConfig.HEALTH_TASK_LIMIT_MS_CONFIG),
                config.getLong(CoordinatorConfig.HEALTH_DEATH_WINDOW_MS_CONFIG));
        this.stallWatch = new StallWatch(config.getLong(CoordinatorConfig.STALL_LIMIT_MS_CONFIG));
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(metrics);
        gcMetrics.bindTo(metrics);
        new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(metrics);
    }

    public void start() throws InterruptedException {
        int partitions;
        try (Admin admin = Admin.create(adminProperties())) {
            partitions = new TopicProvisioner(admin, config).provision();
            protocol = new GroupProtocolChoice(
                            admin,
                            config.getString(CoordinatorConfig.APPLICATION_ID_CONFIG),
                            config.getInt(CoordinatorConfig.SESSION_TIMEOUT_MS_CONFIG))
                    .choose(
                            config.getString(CoordinatorConfig.GROUP_PROTOCOL_CONFIG),
                            Optional.ofNullable(config.kafkaSettings().get(StreamsConfig.GROUP_PROTOCOL_CONFIG))
                                    .map(Object::toString));
        }
        int httpPort = config.getInt(CoordinatorConfig.HTTP_PORT_CONFIG);
        if (httpPort >= 0) {
            decisionLog = new DecisionLog(
                    consumerProperties(),
                    config.topics().roleChanges(),
                    config.topics().state(),
                    config.getString(CoordinatorConfig.APPLICATION_ID_CONFIG) + "-status-" + instanceId);
            http = new HttpEndpoint(
                    this,
                    config.getString(CoordinatorConfig.HTTP_HOST_CONFIG),
                    httpPort,
                    config::advertisedHttpAddress,
                    config.httpSecurity(),
                    decisionLog);
        }
        ShellSettings settings = new ShellSettings(
                config.topics(),
                config.getLong(CoordinatorConfig.PUNCTUATION_INTERVAL_MS_CONFIG),
                instanceId,
                config.policy(),
                config.brake(),
                config.guards(),
                partitions);
        streams = new KafkaStreams(
                CoordinatorTopology.build(settings, stats, processorWrap),
                streamsProperties(),
                new BoundedCloseClients());
        streams.setUncaughtExceptionHandler(exception -> {
            // Nothing in the processor is expected to throw: bad input is dead-lettered. An exception here is a bug or
            // a lost broker; a fresh thread resumes from the last committed transaction, so nothing is decided twice.
            Throwable cause = exception.getCause() != null ? exception.getCause() : exception;
            lastThreadDeath = cause.toString();
            lastThreadDeathMs = monotonicMs();
            stats.threadDeaths.incrementAndGet();
            Optional<String> outside = GroupProtocolChoice.cannotJoin(exception);
            if (outside.isPresent()) {
                // a replaced thread would fail the same way for ever; a restart chooses the protocol again
                log.error(
                        "this instance cannot be a member of group '{}' on the {} protocol: {}; stopping it",
                        config.getString(CoordinatorConfig.APPLICATION_ID_CONFIG),
                        protocol.protocol(),
                        outside.get(),
                        exception);
                cannotJoin.complete(outside.get());
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            log.error("BUG or infrastructure failure in a coordinator thread; replacing the thread", exception);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.setStateListener((now, before) -> log.atInfo()
                .addKeyValue("state", now)
                .addKeyValue("was", before)
                .log("coordinator {}", now));
        streams.start();
        watchdog.scheduleWithFixedDelay(this::watch, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
        startHealer();
        if (http != null) {
            http.start();
        }
        log.atInfo()
                .addKeyValue("instance", instanceId)
                .addKeyValue("bootstrap", config.bootstrapServers())
                .addKeyValue("http", http == null ? "off" : http.address())
                .log("coordinator started");
        if (settings.signer() == null) {
            log.warn(
                    "signing nothing (no signing.key): agents given --trust-key will act on none of this coordinator's "
                            + "decisions, and agents without it obey anyone who can write the role-change topic");
        } else {
            log.info(
                    "signing every role change and state record with key {}",
                    dev.failover.wire.sign.SigningKeys.idHex(settings.signer().keyId()));
        }
        String httpHost = config.getString(CoordinatorConfig.HTTP_HOST_CONFIG);
        boolean loopback = httpHost.equals("localhost") || httpHost.startsWith("127.") || httpHost.equals("::1");
        if (http != null
                && !loopback
                && (config.httpSecurity().server() == null
                        || config.httpSecurity().token() == null)) {
            log.warn(
                    "HTTP listens on {} without {}: whoever reaches it reads /groups (every member, role and epoch) "
                            + "and /metrics; set http.tls.keystore.file and http.token.file",
                    httpHost,
                    config.httpSecurity().server() == null ? "TLS" : "a token");
        }
        if (settings.guards().operatorKeys() == null) {
            log.warn("acting on any command (no operator.trust.keys): anyone who can write the command topic can pause "
                    + "or switch over every group");
        } else {
            log.info(
                    "acting only on commands signed by operator key(s) {}",
                    settings.guards().operatorKeys().keyIds());
        }
        if (settings.guards().heartbeatKeys() != null) {
            log.info(
                    "{} group(s) accept only authenticated heartbeats (heartbeat.key.dir)",
                    settings.guards().heartbeatKeys().groups());
        }
    }

    /**
     * Looks for hanging transactions every {@code hanging.transaction.check.ms}: one the broker's transaction
     * coordinator no longer holds, seen open for longer than {@code hanging.transaction.after.ms}, is aborted.
     */
    private void startHealer() {
        long every = config.getLong(CoordinatorConfig.HANGING_TRANSACTION_CHECK_MS_CONFIG);
        if (every <= 0) {
            log.warn("hanging.transaction.check.ms=0: a hanging transaction on this coordinator's partitions will "
                    + "stop decisions until someone aborts it with kafka-transactions.sh, and /health will not see one "
                    + "on the input of a task that holds no group yet");
            return;
        }
        healEveryMs = every;
        healerAdmin = Admin.create(adminProperties());
        TopicNames t = config.topics();
        String applicationId = config.getString(CoordinatorConfig.APPLICATION_ID_CONFIG);
        healer = new HangingTransactionHealer(
                healerAdmin,
                applicationId,
                protocol.streams(),
                java.util.List.of(t.heartbeats(), t.commands()),
                java.util.List.of(
                        t.heartbeats(),
                        t.commands(),
                        t.roleChanges(),
                        t.state(),
                        t.deadLetters(),
                        Topics.groupStoreChangelog(applicationId)),
                config.getLong(CoordinatorConfig.HANGING_TRANSACTION_AFTER_MS_CONFIG),
                CoordinatorApp::monotonicMs);
        io.micrometer.core.instrument.FunctionCounter.builder(
                        "failover.hanging.transactions.aborted", healer, HangingTransactionHealer::aborted)
                .description("hanging transactions found and aborted")
                .register(metrics);
        healing.scheduleWithFixedDelay(
                () -> {
                    try {
                        healer.healOnce();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (RuntimeException e) {
                        log.error("BUG: the hanging-transaction scan failed; it runs again at the next interval", e);
                    }
                },
                every,
                every,
                java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /**
     * Once a second: is a stream thread stuck? Says so once in the log with the stuck threads' stacks (what they wait
     * for is what an operator needs), and on {@code /health}, until it moves again.
     */
    private void watch() {
        try {
            Map<String, Long> pollAges = new java.util.TreeMap<>();
            streams.metrics().forEach((name, metric) -> {
                String client = name.tags().getOrDefault("client-id", "");
                if (name.name().equals("last-poll-seconds-ago")
                        && name.group().equals("consumer-metrics")
                        && client.endsWith("-consumer")
                        && !client.endsWith("restore-consumer")
                        && metric.metricValue() instanceof Number seconds
                        && seconds.doubleValue() >= 0) {
                    pollAges.put(client.substring(0, client.length() - "-consumer".length()), (long)
                            (seconds.doubleValue() * 1000));
                }
            });
            lastPollAges = pollAges;
            java.util.Set<Integer> assigned = new java.util.HashSet<>();
            streams.metadataForLocalThreads()
                    .forEach(thread -> thread.activeTasks()
                            .forEach(task -> assigned.add(task.taskId().partition())));
            java.util.Set<Integer> idle = stats.idleTasks(); // before the punctuation times: see ShellStats.idle
            HangingTransactionHealer scanner = healer;
            List<String> reasons = taskHealth.check(
                    streams.state() == KafkaStreams.State.REBALANCING,
                    assigned,
                    stats.lastPunctuatedMs(),
                    idle,
                    stats.fenceLagMs(),
                    scanner == null ? Map.of() : scanner.inputsHeld(2 * healEveryMs + 10_000),
                    lastThreadDeathMs,
                    lastThreadDeath,
                    monotonicMs());
            if (!reasons.isEmpty() && !withoutFigures(reasons).equals(withoutFigures(unhealthy))) {
                log.warn("unhealthy: {}", String.join("; ", reasons));
            } else if (reasons.isEmpty() && !unhealthy.isEmpty()) {
                log.info("healthy again: every assigned task runs");
            }
            unhealthy = reasons;
            stats.unhealthy.set(healthy() ? 0 : 1);
            StallWatch.Verdict was = stall;
            stall = stallWatch.check(streams.state(), pollAges, clock.millis());
            stats.stalled.set(stall.stalled() ? 1 : 0);
            if (stall.stalled() && !was.stalled()) {
                StringBuilder stacks = new StringBuilder();
                Thread.getAllStackTraces().forEach((thread, frames) -> {
                    if (thread.getName().contains("StreamThread-")) {
                        stacks.append("\n\"")
                                .append(thread.getName())
                                .append("\" ")
                                .append(thread.getState());
                        for (StackTraceElement frame : frames) {
                            stacks.append("\n\tat ").append(frame);
                        }
                    }
                });
                log.warn(
                        "coordinator stalled: {}; its groups get no decisions until it moves again{}",
                        stall.stall().orElseThrow(),
                        stacks);
            } else if (!stall.stalled() && was.stalled()) {
                log.info("coordinator moving again after {} ms stalled", clock.millis() - was.sinceMs());
            }
        } catch (RuntimeException e) {
            log.warn("the watchdog could not read the stream threads' state", e);
        }
    }

    Properties streamsProperties() {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.getString(CoordinatorConfig.APPLICATION_ID_CONFIG));
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(StreamsConfig.STATE_DIR_CONFIG, config.getString(CoordinatorConfig.STATE_DIR_CONFIG));
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.getLong(CoordinatorConfig.COMMIT_INTERVAL_MS_CONFIG));
        p.put(StreamsConfig.POLL_MS_CONFIG, config.getLong(CoordinatorConfig.POLL_MS_CONFIG));
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 1);
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        // there is no global state; opting in now silences a start-up warning and matches Kafka 5.0's default
        p.put("processing.exception.handler.global.enabled", true);
        short replication = config.getShort(CoordinatorConfig.TOPIC_REPLICATION_FACTOR_CONFIG);
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) replication);
        if (http != null) {
            p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, http.address());
        }
        if (!protocol.streams()) {
            // on the Streams protocol the session and heartbeat are the group's configuration (GroupProtocolChoice)
            int session = protocol.classicSessionMs();
            p.put(StreamsConfig.GROUP_PROTOCOL_CONFIG, GroupProtocolChoice.CLASSIC);
            p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), session);
            p.put(
                    StreamsConfig.mainConsumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG),
                    Math.max(100, session / 4));
        } else {
            p.put(StreamsConfig.GROUP_PROTOCOL_CONFIG, GroupProtocolChoice.STREAMS);
        }
        // a stream thread that has not polled for the stall limit (stuck) leaves the group, so its groups move to
        // another instance instead of waiting out Streams' default of 5 minutes. It is also how long a rebalance waits
        // for members that will never come back: after an unclean broker restart the group coordinator reloads the
        // old incarnations of every instance and waits this long for them to rejoin
        p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG), (int)
                Math.min(Integer.MAX_VALUE, config.getLong(CoordinatorConfig.STALL_LIMIT_MS_CONFIG)));
        // A task that starts waits for its committed offsets to be stable (read_committed), each try bounded by this.
        // After an unclean broker restart Kafka 4.4 can keep answering "unstable offsets" for a producer whose every
        // transaction is closed in the log, and end markers written by the healer do not always clear it (seen in CI:
        // markers for all three producers, still unstable 60 s later). What cleared it every time was the thread
        // giving up on the wait, losing its partitions (it had also missed the poll interval) and rejoining with a
        // re-initialised producer. Streams' 60 s default made that take over a minute; the stall limit bounds it.
        p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG), (int)
                Math.min(Integer.MAX_VALUE, config.getLong(CoordinatorConfig.STALL_LIMIT_MS_CONFIG)));
        p.put(
                StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG),
                config.getInt(CoordinatorConfig.TRANSACTION_TIMEOUT_MS_CONFIG));
        p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 0);
        p.putAll(config.kafkaSettings());
        return p;
    }

    /**
     * The settings of a plain consumer of this deployment's topics (the status page's {@link DecisionLog}): the
     * bootstrap servers and the connection and security settings among {@code kafka.*}, nothing else (a Streams
     * setting such as {@code group.protocol=streams} is not a plain consumer's).
     */
    private Properties consumerProperties() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        config.kafkaSettings().forEach((k, v) -> {
            if (k.startsWith("security.")
                    || k.startsWith("ssl.")
                    || k.startsWith("sasl.")
                    || k.equals(ConsumerConfig.CLIENT_DNS_LOOKUP_CONFIG)) {
                p.put(k, v);
            }
        });
        return p;
    }

    private Properties adminProperties() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        config.kafkaSettings().forEach((k, v) -> {
            if (AdminClientConfig.configNames().contains(k)) {
                p.put(k, v);
            }
        });
        return p;
    }

    /** RUNNING, not stalled, every assigned task running, no recent thread death: what {@code /health} answers 200 for. */
    boolean healthy() {
        return state() == KafkaStreams.State.RUNNING && !stall.stalled() && unhealthy.isEmpty();
    }

    /** The reasons with their durations left out: the log says a reason once, not once a second. */
    private static List<String> withoutFigures(List<String> reasons) {
        return reasons.stream().map(r -> r.replaceAll("\\d+ ms", "N ms")).toList();
    }

    private static long monotonicMs() {
        return System.nanoTime() / 1_000_000;
    }

    public KafkaStreams.State state() {
        return streams == null ? KafkaStreams.State.CREATED : streams.state();
    }

    /** Every meter in the Prometheus text format, for {@code GET /metrics}. */
    String scrape() {
        return metrics.scrape();
    }

    public ShellStats stats() {
        return stats;
    }

    public String instanceId() {
        return instanceId;
    }

    public Optional<String> httpAddress() {
        return Optional.ofNullable(http).map(HttpEndpoint::address);
    }

    /** The stored group if this instance hosts it, else where it lives ({@code host:port}), else nothing. */
    Lookup lookup(String group) {
        KeyQueryMetadata meta = streams.queryMetadataForKey(
                Topics.GROUP_STORE, group, Serdes.String().serializer());
        if (meta == null || meta.activeHost() == null || meta.activeHost().port() < 0) {
            return new Lookup(null, null, -1);
        }
        String owner = meta.activeHost().host() + ":" + meta.activeHost().port();
        if (http != null && !owner.equals(http.address())) {
            return new Lookup(null, owner, meta.partition());
        }
        ReadOnlyKeyValueStore<String, StoredGroup> store = streams.store(StoreQueryParameters.fromNameAndType(
                Topics.GROUP_STORE, QueryableStoreTypes.<String, StoredGroup>keyValueStore()));
        return new Lookup(store.get(group), null, meta.partition());
    }

    /** What {@link #lookup} found: the stored group (hosted here), or its owner's address; and its partition. */
    record Lookup(StoredGroup group, String remoteOwner, int partition) {}

    /** A planned shutdown: leaves the group at once so another instance takes the tasks without a session timeout. */
    @Override
    public void close() {
        watchdog.shutdownNow();
        healing.shutdownNow();
        if (healerAdmin != null) {
            healerAdmin.close(Duration.ofSeconds(5));
        }
        gcMetrics.close();
        if (http != null) {
            http.stop();
        }
        if (decisionLog != null) {
            decisionLog.close();
        }
        if (streams != null) {
            streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                    .withTimeout(Duration.ofSeconds(30)));
        }
        log.info("coordinator stopped");
    }

    /**
     * Completes with the reason when this instance finds that it cannot be a member of its group (the group runs on
     * the other rebalance protocol, or its stored topology is another version's); its stream threads are then stopped.
     */
    public java.util.concurrent.CompletableFuture<String> cannotJoin() {
        return cannotJoin;
    }

    /** The rebalance protocol chosen at start ({@code streams} or {@code classic}), or empty before. */
    public Optional<String> groupProtocol() {
        return Optional.ofNullable(protocol).map(GroupProtocolChoice.Choice::protocol);
    }

    Map<String, Object> status() {
        Map<String, Object> status = new java.util.LinkedHashMap<>();
        status.put("state", state().toString());
        groupProtocol().ifPresent(p -> status.put("groupProtocol", p));
        if (cannotJoin.isDone()) {
            status.put("cannotJoin", cannotJoin.join());
        }
        stall.stall().ifPresent(reason -> status.put("stalled", reason));
        if (!unhealthy.isEmpty()) {
            status.put("unhealthy", String.join("; ", unhealthy));
        }
        status.put("msSinceLastPoll", lastPollAges);
        status.put("instance", instanceId);
        status.put("heartbeats", stats.heartbeats.get());
        status.put("decisions", stats.decisions.get());
        status.put("deadLettered", stats.deadLettered.get());
        status.put("inconsistentMembers", stats.inconsistentMembers.get());
        status.put("brakeEngaged", stats.brakeEngaged.get());
        status.put("brakeHolds", stats.brakeHolds.get());
        status.put("decisionDefects", stats.decisionDefects.get()); // a bug in the decider: see the ERROR log
        status.put("lastPunctuationMicros", stats.lastPunctuationNanos.get() / 1_000);
        if (healer != null) {
            status.put("hangingTransactionsAborted", healer.aborted());
            if (!healer.lastAborted().isEmpty()) {
                status.put("lastHangingTransactionAborted", healer.lastAborted());
            }
        }
        return status;
    }
}
