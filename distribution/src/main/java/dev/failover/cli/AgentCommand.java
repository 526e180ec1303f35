package dev.failover.cli;

import dev.failover.agent.Agent;
import dev.failover.agent.config.AgentSettings;
import dev.failover.agent.config.FailsafeSettings;
import dev.failover.wire.GroupMode;
import dev.failover.wire.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code failover agent}: runs beside a service, heartbeats for it, and activates or stands it down. */
@Command(name = "agent",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a heartbeat agent beside a service: probes it, heartbeats to Kafka, and runs --on-activate /",
            "--on-standby when the coordinator changes its role. GET /role answers 200 only while ACTIVE with a valid lease.",
            "Every option can also come from --config FILE (name=value, without dashes) or FAILOVER_<NAME> variables."})
public final class AgentCommand implements Callable<Integer> {

    enum Mode {
        ACTIVE_PASSIVE("active-passive", GroupMode.ACTIVE_PASSIVE), ACTIVE_ACTIVE("active-active", GroupMode.ACTIVE_ACTIVE);

        final String flag;
        final GroupMode wire;

        Mode(String flag, GroupMode wire) {
            this.flag = flag;
            this.wire = wire;
        }

        static Mode parse(String value) {
            for (Mode m : values()) {
                if (m.flag.equalsIgnoreCase(value)) {
                    return m;
                }
            }
            throw new CommandLine.TypeConversionException("'" + value + "' is not a mode: use active-passive or active-active");
        }
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT", description = "Kafka brokers.")
    String bootstrapServers;

    @Option(names = "--group", required = true, paramLabel = "G", description = "The failover group.")
    String group;

    @Option(names = "--node", required = true, paramLabel = "N", description = "This node's id in the group.")
    String node;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "active-passive", converter = ModeConverter.class,
            description = "active-passive (one ACTIVE) or active-active (every healthy member ACTIVE).")
    Mode mode;

    @Option(names = "--priority", paramLabel = "P", defaultValue = "0", description = "Higher is preferred as primary.")
    int priority;

    @Option(names = "--heartbeat-interval", paramLabel = "DURATION", defaultValue = "200ms", converter = Durations.class,
            description = "How often to heartbeat (default: ${DEFAULT-VALUE}).")
    Duration heartbeatInterval;

    @Option(names = "--failure-timeout", paramLabel = "DURATION", defaultValue = "2s", converter = Durations.class,
            description = "Silence after which the coordinator replaces this node (default: ${DEFAULT-VALUE}); the lease "
                    + "is 4/5 of it. 2s rides out a broker's controlled shutdown on a replicated cluster whose brokers "
                    + "set replica.fetch.backoff.ms=100 (README); 1s detects faster where no leader moves.")
    Duration failureTimeout;

    @ArgGroup(exclusive = true)
    Check check;

    static final class Check {
        @Option(names = "--check-http", paramLabel = "URL", description = "Healthy while GET URL answers 2xx.")
        String http;

        @Option(names = "--check-tcp", paramLabel = "HOST:PORT", description = "Healthy while HOST:PORT accepts.")
        String tcp;

        @Option(names = "--check-exec", paramLabel = "CMD", description = "Healthy while CMD exits 0 (no shell).")
        String exec;
    }

    @Option(names = "--check-timeout", paramLabel = "DURATION", defaultValue = "1s", converter = Durations.class,
            description = "Timeout of one check (default: ${DEFAULT-VALUE}).")
    Duration checkTimeout;

    @Option(names = "--rise", paramLabel = "R", defaultValue = "2", description = "Passing checks before healthy.")
    int rise;

    @Option(names = "--fall", paramLabel = "F", defaultValue = "2", description = "Failing checks before unhealthy.")
    int fall;

    @Option(names = "--on-activate", paramLabel = "CMD", description = "Run when this node becomes ACTIVE (no shell).")
    String onActivate;

    @Option(names = "--on-standby", paramLabel = "CMD", description = "Run when this node stands down (no shell).")
    String onStandby;

    @Option(names = "--on-fence", paramLabel = "CMD", description = {
            "Run when --on-standby failed every attempt (it is tried 3 times, 1 s then 2 s apart): a harder stop",
            "(kill the service, take its address down). Its success counts as the stand-down; without it, or if it",
            "fails too, the node keeps reporting STOPPING and the coordinator promotes nobody while it is alive."})
    String onFence;

    @Option(names = "--fence-peer", paramLabel = "CMD", description = {
            "Run before --on-activate when the coordinator made this node primary in place of one it convicted by",
            "silence (its agent gone quiet, its service perhaps still running): STONITH, e.g. power the old host off or",
            "revoke its storage. FAILOVER_FENCED_NODE names it. If it fails, this node does not activate and reports",
            "unhealthy, so the coordinator looks for another. Without it, a service must stop on its own within",
            "failure timeout - lease of losing Kafka (the stand-down budget the agent prints)."})
    String fencePeer;

    @Option(names = "--hook-timeout", paramLabel = "DURATION", defaultValue = "10s", converter = Durations.class,
            description = "A hook still running after this is killed and counts as failed (default: ${DEFAULT-VALUE}).")
    Duration hookTimeout;

    @Option(names = "--http-port", paramLabel = "P", defaultValue = "8091",
            description = "Port of GET /role and /health on --http-host (default: ${DEFAULT-VALUE}; 0 = any, -1 = off).")
    int httpPort;

    @Option(names = "--http-host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "Address the HTTP endpoint binds to (default: ${DEFAULT-VALUE}).")
    String httpHost;

    @Option(names = "--failsafe", description = {
        "Failsafe mode (Patroni's failsafe_mode): a primary whose lease Kafka cannot renew serves on while every peer",
        "it knows of grants it over HTTP (each then holds its own activations). Needs --failsafe-peer for each other",
        "member, --failsafe-token-file, and the HTTP endpoint reachable by the peers (--http-host)."})
    boolean failsafe;

    @Option(names = "--failsafe-max", paramLabel = "DURATION", defaultValue = "10s", converter = Durations.class,
            description = "With --failsafe: the longest a primary serves on grants alone (default: ${DEFAULT-VALUE}).")
    Duration failsafeMax;

    @Option(names = "--failsafe-peer", paramLabel = "NODE=URL",
            description = "With --failsafe: another member's HTTP endpoint, e.g. beta=http://10.0.0.2:8091; repeatable.")
    java.util.List<String> failsafePeers = new java.util.ArrayList<>();

    @Option(names = "--failsafe-token-file", paramLabel = "FILE",
            description = "With --failsafe: a file holding the group's shared secret (16 characters or more).")
    Path failsafeTokenFile;

    @Option(names = "--trust-key", paramLabel = "FILE", description = {
        "A coordinator's Ed25519 public key (PEM; failover keys generate): act on no role change or state record",
        "that one of these keys did not sign. Repeatable (key rotation). Without it, any writer of the topics is obeyed."})
    java.util.List<Path> trustKeyFiles = new java.util.ArrayList<>();

    @Option(names = "--heartbeat-key", paramLabel = "FILE", description = {
        "A key (failover keys hmac) that authenticates this node's heartbeats, for coordinators given the same key in",
        "their heartbeat.key.dir: without it, anyone who can write the heartbeat topic can speak for this node."})
    Path heartbeatKeyFile;

    @Option(names = "--config", paramLabel = "FILE", description = "Options as name=value lines, e.g. failure-timeout=2s.")
    Path config;

    @Option(names = "--kafka", paramLabel = "KEY=VALUE",
            description = "A Kafka client setting passed through (TLS, SASL), repeatable, e.g. --kafka security.protocol=SSL.")
    Map<String, String> kafka = new LinkedHashMap<>();

    @Option(names = "--kafka-config", paramLabel = "FILE", description = {
        "Kafka client properties (TLS, SASL: where passwords belong, in a file readable by you only); --kafka wins."})
    Path kafkaConfig;

    @Override
    public Integer call() throws Exception {
        AgentSettings settings;
        try {
            String probe = check == null ? null : check.http != null ? check.http
                    : check.tcp != null ? "tcp:" + check.tcp : "exec:" + check.exec;
            settings = new AgentSettings(bootstrapServers, group, node, mode.wire, priority, heartbeatInterval,
                    failureTimeout, probe, checkTimeout, rise, fall, onActivate, onStandby, onFence, fencePeer, hookTimeout, httpHost,
                    httpPort, new LinkedHashMap<>(KafkaClientSettings.merged(kafkaConfig, kafka, "--kafka",
                            spec.commandLine().getErr())), Topics.HEARTBEATS, Topics.ROLE_CHANGES, Topics.STATE,
                    failsafeSettings(), dev.failover.agent.config.TrustedKeys.fromFiles(trustKeyFiles),
                    heartbeatKey());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        Agent agent = Agent.create(settings);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            stopped.countDown();
        }, "agent-stopper"));
        agent.start();
        spec.commandLine().getOut().printf("agent %s in group %s (%s, lease %d ms): /role on %s%n", node, group, mode.flag,
                settings.leaseMs(), agent.httpAddress().map(a -> "http://" + a + "/role").orElse("(HTTP off)"));
        spec.commandLine().getOut().flush();
        stopped.await();
        return 0;
    }

    /**
     * The heartbeat key of {@code --heartbeat-key}, or null: its file is read again when it changes (a rotation puts
     * the new key first), and a removed or unreadable file keeps the key read before (a beat signed with it is refused
     * at worst, which holds the coordinator's judgement of this node; a beat with no code at all would be no better).
     */
    private java.util.function.Supplier<dev.failover.wire.sign.HeartbeatMac> heartbeatKey() {
        if (heartbeatKeyFile == null) {
            return null;
        }
        dev.failover.wire.sign.WatchedFile<dev.failover.wire.sign.HeartbeatMac> file;
        try {
            file = dev.failover.wire.sign.WatchedFile.read(heartbeatKeyFile, dev.failover.wire.sign.HeartbeatMac::load,
                    System::nanoTime, (f, what) -> org.slf4j.LoggerFactory.getLogger(AgentCommand.class)
                            .warn("--heartbeat-key {} {}", f, what));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("--heartbeat-key: cannot read " + heartbeatKeyFile + " (" + e + ")");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--heartbeat-key: " + e.getMessage());
        }
        return new java.util.function.Supplier<>() {
            private dev.failover.wire.sign.HeartbeatMac last = file.current();

            @Override
            public synchronized dev.failover.wire.sign.HeartbeatMac get() {
                dev.failover.wire.sign.HeartbeatMac now = file.current();
                if (now != null) {
                    last = now;
                }
                return last;
            }
        };
    }

    /** Failsafe's settings from the flags, or null when --failsafe is not given (its other flags then refused). */
    private FailsafeSettings failsafeSettings() {
        if (!failsafe) {
            if (!failsafePeers.isEmpty() || failsafeTokenFile != null) {
                throw new IllegalArgumentException("--failsafe-peer and --failsafe-token-file need --failsafe");
            }
            return null;
        }
        if (failsafeTokenFile == null) {
            throw new IllegalArgumentException("--failsafe needs --failsafe-token-file");
        }
        String token;
        try {
            token = java.nio.file.Files.readString(failsafeTokenFile);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("--failsafe-token-file: cannot read " + failsafeTokenFile + " ("
                    + e.getMessage() + ")");
        }
        Map<String, java.net.URI> peers = new LinkedHashMap<>();
        for (String spec : failsafePeers) {
            Map.Entry<String, java.net.URI> peer = FailsafeSettings.peer(spec);
            if (peers.put(peer.getKey(), peer.getValue()) != null) {
                throw new IllegalArgumentException("--failsafe-peer names " + peer.getKey() + " twice");
            }
        }
        return new FailsafeSettings(failsafeMax, peers, token);
    }

    static final class ModeConverter implements CommandLine.ITypeConverter<Mode> {
        @Override
        public Mode convert(String value) {
            return Mode.parse(value);
        }
    }
}
