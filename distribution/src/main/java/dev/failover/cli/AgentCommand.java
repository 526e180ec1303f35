package dev.failover.cli;

import dev.failover.agent.Agent;
import dev.failover.agent.config.AgentConfig;
import dev.failover.agent.config.AgentSettings;
import dev.failover.wire.SettingKeys;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code failover agent}: runs beside a service, heartbeats for it, and activates or stands it down. Its settings are
 * the agent's keys ({@link AgentConfig}), resolved as the coordinator's are, later winning: defaults, {@code --config}
 * file, {@code FAILOVER_*} environment variables, {@code --set}, flags. Each flag sets one key; the spellings from
 * before the keys ({@code failure-timeout=2s} in the file, {@code FAILOVER_FAILURE_TIMEOUT=2s}) still work, under the
 * keys' own at the same level.
 */
@Command(
        name = "agent",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a heartbeat agent beside a service: probes it, heartbeats to Kafka, and runs --on-activate /",
            "--on-standby when the coordinator changes its role. GET /role answers 200 only while ACTIVE with a valid lease."
        })
public final class AgentCommand extends KeyedCommand implements Callable<Integer> {

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "Kafka brokers.")
    String bootstrapServers;

    @Option(names = "--group", paramLabel = "G", description = "The failover group.")
    String group;

    @Option(names = "--node", paramLabel = "N", description = "This node's id in the group.")
    String node;

    @Option(
            names = "--mode",
            paramLabel = "MODE",
            description = "active-passive (one ACTIVE) or active-active (every healthy member ACTIVE).")
    String mode;

    @Option(names = "--priority", paramLabel = "P", description = "Higher is preferred as primary.")
    Integer priority;

    @Option(
            names = "--heartbeat-interval",
            paramLabel = "DURATION",
            converter = Durations.class,
            description = "How often to heartbeat.")
    Duration heartbeatInterval;

    @Option(
            names = "--failure-timeout",
            paramLabel = "DURATION",
            converter = Durations.class,
            description = "Silence after which the coordinator replaces this node; the lease is 4/5 of it.")
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

    @Option(
            names = "--check-timeout",
            paramLabel = "DURATION",
            converter = Durations.class,
            description = "Timeout of one check.")
    Duration checkTimeout;

    @Option(names = "--rise", paramLabel = "R", description = "Passing checks before healthy.")
    Integer rise;

    @Option(names = "--fall", paramLabel = "F", description = "Failing checks before unhealthy.")
    Integer fall;

    @Option(names = "--on-activate", paramLabel = "CMD", description = "Run when this node becomes ACTIVE (no shell).")
    String onActivate;

    @Option(names = "--on-standby", paramLabel = "CMD", description = "Run when this node stands down (no shell).")
    String onStandby;

    @Option(names = "--on-fence", paramLabel = "CMD", description = "Run when --on-standby failed every attempt.")
    String onFence;

    @Option(
            names = "--fence-peer",
            paramLabel = "CMD",
            description = "Run before --on-activate in place of a primary convicted by silence (STONITH).")
    String fencePeer;

    @Option(
            names = "--hook-timeout",
            paramLabel = "DURATION",
            converter = Durations.class,
            description = "A hook still running after this is killed and counts as failed.")
    Duration hookTimeout;

    @Option(names = "--http-port", paramLabel = "P", description = "Port of GET /role and /health (0 = any, -1 = off).")
    Integer httpPort;

    @Option(names = "--http-host", paramLabel = "ADDR", description = "Address the HTTP endpoint binds to.")
    String httpHost;

    @Option(names = "--failsafe", description = "Failsafe mode (Patroni's failsafe_mode).")
    boolean failsafe;

    @Option(
            names = "--failsafe-max",
            paramLabel = "DURATION",
            converter = Durations.class,
            description = "With --failsafe: the longest a primary serves on grants alone.")
    Duration failsafeMax;

    @Option(
            names = "--failsafe-peer",
            paramLabel = "NODE=URL",
            description =
                    "With --failsafe: another member's HTTP endpoint, e.g. beta=http://10.0.0.2:8091; repeatable.")
    List<String> failsafePeers = new ArrayList<>();

    @Option(
            names = "--failsafe-token-file",
            paramLabel = "FILE",
            description = "With --failsafe: a file holding the group's shared secret (16 characters or more).")
    Path failsafeTokenFile;

    @Option(
            names = "--trust-key",
            paramLabel = "FILE",
            description = "A coordinator's Ed25519 public key: act on nothing it did not sign. Repeatable.")
    List<Path> trustKeyFiles = new ArrayList<>();

    @Option(
            names = "--heartbeat-key",
            paramLabel = "FILE",
            description = "A key (failover keys hmac) that authenticates this node's heartbeats.")
    Path heartbeatKeyFile;

    @Option(
            names = "--kafka",
            paramLabel = "KEY=VALUE",
            description =
                    "A Kafka client setting passed through (TLS, SASL), repeatable, e.g. --kafka security.protocol=SSL.")
    Map<String, String> kafka = new LinkedHashMap<>();

    public AgentCommand() {
        super(AgentConfig.DEFINITION, KEY_OF_FLAG);
    }

    /** Each flag's key, in the order the help lists them. */
    static final Map<String, String> KEY_OF_FLAG = flagsAndKeys();

    private static Map<String, String> flagsAndKeys() {
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("--bootstrap-servers", AgentConfig.BOOTSTRAP_SERVERS_CONFIG);
        keys.put("--group", AgentConfig.GROUP_CONFIG);
        keys.put("--node", AgentConfig.NODE_CONFIG);
        keys.put("--mode", AgentConfig.MODE_CONFIG);
        keys.put("--priority", AgentConfig.PRIORITY_CONFIG);
        keys.put("--heartbeat-interval", AgentConfig.HEARTBEAT_INTERVAL_MS_CONFIG);
        keys.put("--failure-timeout", AgentConfig.FAILURE_TIMEOUT_MS_CONFIG);
        keys.put("--check-http", AgentConfig.CHECK_CONFIG);
        keys.put("--check-tcp", AgentConfig.CHECK_CONFIG);
        keys.put("--check-exec", AgentConfig.CHECK_CONFIG);
        keys.put("--check-timeout", AgentConfig.CHECK_TIMEOUT_MS_CONFIG);
        keys.put("--rise", AgentConfig.RISE_CONFIG);
        keys.put("--fall", AgentConfig.FALL_CONFIG);
        keys.put("--on-activate", AgentConfig.ON_ACTIVATE_CONFIG);
        keys.put("--on-standby", AgentConfig.ON_STANDBY_CONFIG);
        keys.put("--on-fence", AgentConfig.ON_FENCE_CONFIG);
        keys.put("--fence-peer", AgentConfig.FENCE_PEER_CONFIG);
        keys.put("--hook-timeout", AgentConfig.HOOK_TIMEOUT_MS_CONFIG);
        keys.put("--http-host", AgentConfig.HTTP_HOST_CONFIG);
        keys.put("--http-port", AgentConfig.HTTP_PORT_CONFIG);
        keys.put("--failsafe", AgentConfig.FAILSAFE_CONFIG);
        keys.put("--failsafe-max", AgentConfig.FAILSAFE_MAX_MS_CONFIG);
        keys.put("--failsafe-peer", AgentConfig.FAILSAFE_PEERS_CONFIG);
        keys.put("--failsafe-token-file", AgentConfig.FAILSAFE_TOKEN_FILE_CONFIG);
        keys.put("--trust-key", AgentConfig.TRUST_KEYS_CONFIG);
        keys.put("--heartbeat-key", AgentConfig.HEARTBEAT_KEY_CONFIG);
        return keys;
    }

    @Override
    public Integer call() throws Exception {
        AgentSettings agentSettings;
        try {
            agentSettings = AgentConfig.parse(resolve()).settings();
        } catch (ConfigException | IllegalArgumentException e) {
            throw invalid(e);
        }
        Agent agent = Agent.create(agentSettings);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            agent.close();
                            stopped.countDown();
                        },
                        "agent-stopper"));
        agent.start();
        spec.commandLine()
                .getOut()
                .printf(
                        "agent %s in group %s (%s, lease %d ms): /role on %s%n",
                        agentSettings.node(),
                        agentSettings.group(),
                        agentSettings.mode() == dev.failover.wire.GroupMode.ACTIVE_ACTIVE
                                ? "active-active"
                                : "active-passive",
                        agentSettings.leaseMs(),
                        agent.httpAddress().map(a -> "http://" + a + "/role").orElse("(HTTP off)"));
        spec.commandLine().getOut().flush();
        stopped.await();
        return 0;
    }

    /** The settings by key: defaults (left to the definition), file, environment, --set, then flags. */
    Map<String, String> resolve() throws IOException {
        Map<String, String> merged = layersUnderTheFlags();
        KafkaClientSettings.warnAboutSecrets(
                kafka.keySet(), "--kafka", spec.commandLine().getErr());
        kafka.forEach((k, v) -> merged.put(SettingKeys.KAFKA_PREFIX + k, v));
        put(merged, AgentConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        put(merged, AgentConfig.GROUP_CONFIG, group);
        put(merged, AgentConfig.NODE_CONFIG, node);
        put(merged, AgentConfig.MODE_CONFIG, mode);
        put(merged, AgentConfig.PRIORITY_CONFIG, priority);
        put(merged, AgentConfig.HEARTBEAT_INTERVAL_MS_CONFIG, millis(heartbeatInterval));
        put(merged, AgentConfig.FAILURE_TIMEOUT_MS_CONFIG, millis(failureTimeout));
        if (check != null) {
            put(
                    merged,
                    AgentConfig.CHECK_CONFIG,
                    check.http != null ? check.http : check.tcp != null ? "tcp:" + check.tcp : "exec:" + check.exec);
        }
        put(merged, AgentConfig.CHECK_TIMEOUT_MS_CONFIG, millis(checkTimeout));
        put(merged, AgentConfig.RISE_CONFIG, rise);
        put(merged, AgentConfig.FALL_CONFIG, fall);
        put(merged, AgentConfig.ON_ACTIVATE_CONFIG, onActivate);
        put(merged, AgentConfig.ON_STANDBY_CONFIG, onStandby);
        put(merged, AgentConfig.ON_FENCE_CONFIG, onFence);
        put(merged, AgentConfig.FENCE_PEER_CONFIG, fencePeer);
        put(merged, AgentConfig.HOOK_TIMEOUT_MS_CONFIG, millis(hookTimeout));
        put(merged, AgentConfig.HTTP_HOST_CONFIG, httpHost);
        put(merged, AgentConfig.HTTP_PORT_CONFIG, httpPort);
        put(merged, AgentConfig.FAILSAFE_CONFIG, failsafe ? "true" : null);
        put(merged, AgentConfig.FAILSAFE_MAX_MS_CONFIG, millis(failsafeMax));
        put(
                merged,
                AgentConfig.FAILSAFE_PEERS_CONFIG,
                failsafePeers.isEmpty() ? null : String.join(",", failsafePeers));
        put(merged, AgentConfig.FAILSAFE_TOKEN_FILE_CONFIG, failsafeTokenFile);
        put(
                merged,
                AgentConfig.TRUST_KEYS_CONFIG,
                trustKeyFiles.isEmpty()
                        ? null
                        : String.join(
                                ",", trustKeyFiles.stream().map(Path::toString).toList()));
        put(merged, AgentConfig.HEARTBEAT_KEY_CONFIG, heartbeatKeyFile);
        require(merged, AgentConfig.BOOTSTRAP_SERVERS_CONFIG, AgentConfig.GROUP_CONFIG, AgentConfig.NODE_CONFIG);
        return merged;
    }

    private static void put(Map<String, String> merged, String key, Object value) {
        if (value != null) {
            merged.put(key, value.toString());
        }
    }

    private static Long millis(Duration duration) {
        return duration == null ? null : duration.toMillis();
    }
}
