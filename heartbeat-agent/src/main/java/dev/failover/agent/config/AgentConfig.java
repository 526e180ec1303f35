package dev.failover.agent.config;

import dev.failover.wire.GroupMode;
import dev.failover.wire.SettingKeys;
import dev.failover.wire.Timing;
import dev.failover.wire.TopicNames;
import dev.failover.wire.Topics;
import dev.failover.wire.sign.HeartbeatMac;
import dev.failover.wire.sign.WatchedFile;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.LoggerFactory;

/**
 * The agent's settings, one definition per key with its doc, default and validator, as the coordinator's
 * ({@code CoordinatorConfig}) are: the same dotted keys from a file, {@code FAILOVER_*} variables
 * ({@link SettingKeys#environmentName}) or flags, Kafka client settings under {@value SettingKeys#KAFKA_PREFIX}, and
 * any other key an error naming it. {@link #settings()} turns them into the {@link AgentSettings} the agent runs with
 * (reading the files they name), where the rules that span keys are checked.
 */
public final class AgentConfig extends AbstractConfig {

    public static final String BOOTSTRAP_SERVERS_CONFIG = "bootstrap.servers";
    public static final String GROUP_CONFIG = "group";
    public static final String NODE_CONFIG = "node";
    public static final String MODE_CONFIG = "mode";
    public static final String PRIORITY_CONFIG = "priority";
    public static final String HEARTBEAT_INTERVAL_MS_CONFIG = "heartbeat.interval.ms";
    public static final String FAILURE_TIMEOUT_MS_CONFIG = "failure.timeout.ms";
    public static final String CHECK_CONFIG = "check";
    public static final String CHECK_TIMEOUT_MS_CONFIG = "check.timeout.ms";
    public static final String RISE_CONFIG = "rise";
    public static final String FALL_CONFIG = "fall";
    public static final String ON_ACTIVATE_CONFIG = "on.activate";
    public static final String ON_STANDBY_CONFIG = "on.standby";
    public static final String ON_FENCE_CONFIG = "on.fence";
    public static final String FENCE_PEER_CONFIG = "fence.peer";
    public static final String HOOK_TIMEOUT_MS_CONFIG = "hook.timeout.ms";
    public static final String HTTP_HOST_CONFIG = "http.host";
    public static final String HTTP_PORT_CONFIG = "http.port";
    public static final String FAILSAFE_CONFIG = "failsafe";
    public static final String FAILSAFE_MAX_MS_CONFIG = "failsafe.max.ms";
    public static final String FAILSAFE_PEERS_CONFIG = "failsafe.peers";
    public static final String FAILSAFE_TOKEN_FILE_CONFIG = "failsafe.token.file";
    public static final String TRUST_KEYS_CONFIG = "trust.keys";
    public static final String HEARTBEAT_KEY_CONFIG = "heartbeat.key";

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(
                    BOOTSTRAP_SERVERS_CONFIG,
                    Type.LIST,
                    ConfigDef.NO_DEFAULT_VALUE,
                    Importance.HIGH,
                    "Kafka brokers to start from, host:port[,host:port...].")
            .define(GROUP_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH, "The failover group.")
            .define(
                    NODE_CONFIG,
                    Type.STRING,
                    ConfigDef.NO_DEFAULT_VALUE,
                    Importance.HIGH,
                    "This node's id in the group.")
            .define(
                    MODE_CONFIG,
                    Type.STRING,
                    "active-passive",
                    ConfigDef.CaseInsensitiveValidString.in("active-passive", "active-active"),
                    Importance.HIGH,
                    "active-passive (one ACTIVE) or active-active (every healthy member ACTIVE).")
            .define(PRIORITY_CONFIG, Type.INT, 0, Importance.MEDIUM, "Higher is preferred as primary.")
            .define(
                    HEARTBEAT_INTERVAL_MS_CONFIG,
                    Type.LONG,
                    200L,
                    Range.atLeast(Timing.MIN_HEARTBEAT_INTERVAL_MS),
                    Importance.MEDIUM,
                    "How often to heartbeat; must be shorter than the lease.")
            .define(
                    FAILURE_TIMEOUT_MS_CONFIG,
                    Type.LONG,
                    2_000L,
                    Range.between(1L, (long) Integer.MAX_VALUE),
                    Importance.HIGH,
                    "Silence after which the coordinator replaces this node. The lease is 4/5 of it, "
                            + "and failure timeout - lease is what --on-standby has after a lease lapse. 2000 rides out a "
                            + "broker's controlled shutdown on a replicated cluster whose brokers set "
                            + "replica.fetch.backoff.ms=100 (README); 1000 detects faster where no leader moves.")
            .define(
                    CHECK_CONFIG,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "The probe: http://URL or https://URL (healthy while it answers 2xx), tcp:HOST:PORT (while it "
                            + "accepts) or exec:CMD (while CMD exits 0, no shell). Empty: no probe, always healthy.")
            .define(
                    CHECK_TIMEOUT_MS_CONFIG,
                    Type.LONG,
                    1_000L,
                    Range.atLeast(1L),
                    Importance.LOW,
                    "Timeout of one check.")
            .define(RISE_CONFIG, Type.INT, 2, Range.atLeast(1), Importance.LOW, "Passing checks before healthy.")
            .define(FALL_CONFIG, Type.INT, 2, Range.atLeast(1), Importance.LOW, "Failing checks before unhealthy.")
            .define(
                    ON_ACTIVATE_CONFIG,
                    Type.STRING,
                    "",
                    Importance.HIGH,
                    "Run when this node becomes ACTIVE (no shell). Empty: nothing.")
            .define(
                    ON_STANDBY_CONFIG,
                    Type.STRING,
                    "",
                    Importance.HIGH,
                    "Run when this node stands down (no shell); tried 3 times, 1 s then 2 s apart. Empty: nothing.")
            .define(
                    ON_FENCE_CONFIG,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "Run when on.standby failed every attempt: a harder stop (kill the service, take its address "
                            + "down). Its success counts as the stand-down; without it, or if it fails too, the node keeps "
                            + "reporting STOPPING and the coordinator promotes nobody while it is alive.")
            .define(
                    FENCE_PEER_CONFIG,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "Run before on.activate when the coordinator made this node primary in place of one it convicted "
                            + "by silence: STONITH (power the old host off, revoke its storage); FAILOVER_FENCED_NODE names "
                            + "it. If it fails, this node does not activate and reports unhealthy.")
            .define(
                    HOOK_TIMEOUT_MS_CONFIG,
                    Type.LONG,
                    10_000L,
                    Range.atLeast(1L),
                    Importance.MEDIUM,
                    "A hook still running after this is killed and counts as failed.")
            .define(
                    HTTP_HOST_CONFIG,
                    Type.STRING,
                    "127.0.0.1",
                    Importance.LOW,
                    "Address the HTTP endpoint (/role, /health) binds to.")
            .define(
                    HTTP_PORT_CONFIG,
                    Type.INT,
                    8091,
                    Range.between(-1, 65535),
                    Importance.MEDIUM,
                    "Port of GET /role and /health; 0 picks a free one, -1 turns HTTP off.")
            .define(
                    FAILSAFE_CONFIG,
                    Type.BOOLEAN,
                    false,
                    Importance.MEDIUM,
                    "Failsafe mode (Patroni's failsafe_mode): a primary whose lease Kafka cannot renew serves on while "
                            + "every peer it knows of grants it over HTTP. Needs failsafe.peers, failsafe.token.file and the "
                            + "HTTP endpoint reachable by the peers.")
            .define(
                    FAILSAFE_MAX_MS_CONFIG,
                    Type.LONG,
                    10_000L,
                    Range.between(1L, (long) FailsafeSettings.MAX_MS),
                    Importance.LOW,
                    "With failsafe: the longest a primary serves on grants alone.")
            .define(
                    FAILSAFE_PEERS_CONFIG,
                    Type.LIST,
                    "",
                    Importance.MEDIUM,
                    "With failsafe: every other member's HTTP endpoint, NODE=http://HOST:PORT[,...].")
            .define(
                    FAILSAFE_TOKEN_FILE_CONFIG,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "With failsafe: a file holding the group's shared secret (16 characters or more).")
            .define(
                    TRUST_KEYS_CONFIG,
                    Type.LIST,
                    "",
                    Importance.HIGH,
                    "Coordinators' Ed25519 public key files, comma-separated (PEM; failover keys generate): act on no role change or "
                            + "state record that one of them did not sign; several for a key rotation. Empty: any writer of "
                            + "the topics is obeyed.")
            .define(
                    HEARTBEAT_KEY_CONFIG,
                    Type.STRING,
                    "",
                    Importance.HIGH,
                    "A key file (failover keys hmac) that authenticates this node's heartbeats, for coordinators given "
                            + "the same key in their heartbeat.key.dir; re-read when it changes. Empty: unauthenticated.")
            .define(
                    TopicNames.HEARTBEATS_KEY,
                    Type.STRING,
                    Topics.HEARTBEATS,
                    Importance.LOW,
                    TopicNames.DOCS.get(TopicNames.HEARTBEATS_KEY))
            .define(
                    TopicNames.ROLE_CHANGES_KEY,
                    Type.STRING,
                    Topics.ROLE_CHANGES,
                    Importance.LOW,
                    TopicNames.DOCS.get(TopicNames.ROLE_CHANGES_KEY))
            .define(
                    TopicNames.STATE_KEY,
                    Type.STRING,
                    Topics.STATE,
                    Importance.LOW,
                    TopicNames.DOCS.get(TopicNames.STATE_KEY));

    private AgentConfig(Map<String, ?> values) {
        super(DEFINITION, values, false);
    }

    /**
     * Parses and validates settings by key; raises {@link ConfigException} naming the key of a bad value, an unknown
     * key, or a combination that cannot work.
     */
    public static AgentConfig parse(Map<String, String> settings) {
        SettingKeys.check(DEFINITION, settings.keySet());
        return new AgentConfig(settings);
    }

    /** Settings from environment variables: {@code FAILOVER_FAILURE_TIMEOUT_MS} is {@code failure.timeout.ms}. */
    public static Map<String, String> fromEnvironment(Map<String, String> env) {
        return SettingKeys.fromEnvironment(DEFINITION, env);
    }

    /** The settings the agent runs with; the files they name are read now. */
    public AgentSettings settings() {
        try {
            return new AgentSettings(
                    String.join(",", getList(BOOTSTRAP_SERVERS_CONFIG)),
                    getString(GROUP_CONFIG),
                    getString(NODE_CONFIG),
                    "active-active".equalsIgnoreCase(getString(MODE_CONFIG))
                            ? GroupMode.ACTIVE_ACTIVE
                            : GroupMode.ACTIVE_PASSIVE,
                    getInt(PRIORITY_CONFIG),
                    Duration.ofMillis(getLong(HEARTBEAT_INTERVAL_MS_CONFIG)),
                    Duration.ofMillis(getLong(FAILURE_TIMEOUT_MS_CONFIG)),
                    optional(CHECK_CONFIG),
                    Duration.ofMillis(getLong(CHECK_TIMEOUT_MS_CONFIG)),
                    getInt(RISE_CONFIG),
                    getInt(FALL_CONFIG),
                    optional(ON_ACTIVATE_CONFIG),
                    optional(ON_STANDBY_CONFIG),
                    optional(ON_FENCE_CONFIG),
                    optional(FENCE_PEER_CONFIG),
                    Duration.ofMillis(getLong(HOOK_TIMEOUT_MS_CONFIG)),
                    getString(HTTP_HOST_CONFIG),
                    getInt(HTTP_PORT_CONFIG),
                    new LinkedHashMap<>(SettingKeys.kafka(originals())),
                    TopicNames.from(key -> DEFINITION.names().contains(key) ? getString(key) : null),
                    failsafe(),
                    trustKeys(),
                    heartbeatKey());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    private String optional(String key) {
        String value = getString(key);
        return value == null || value.isBlank() ? null : value;
    }

    private TrustedKeys trustKeys() {
        return TrustedKeys.fromFiles(
                getList(TRUST_KEYS_CONFIG).stream().map(Path::of).toList());
    }

    /** Failsafe's settings, or null when it is off (its other keys then refused). */
    private FailsafeSettings failsafe() {
        List<String> peerSpecs = getList(FAILSAFE_PEERS_CONFIG);
        String tokenFile = optional(FAILSAFE_TOKEN_FILE_CONFIG);
        if (!getBoolean(FAILSAFE_CONFIG)) {
            if (!peerSpecs.isEmpty() || tokenFile != null) {
                throw new ConfigException(FAILSAFE_PEERS_CONFIG + " and " + FAILSAFE_TOKEN_FILE_CONFIG + " need "
                        + FAILSAFE_CONFIG + "=true");
            }
            return null;
        }
        if (tokenFile == null) {
            throw new ConfigException(FAILSAFE_CONFIG + " needs " + FAILSAFE_TOKEN_FILE_CONFIG);
        }
        String token;
        try {
            token = Files.readString(Path.of(tokenFile));
        } catch (IOException e) {
            throw new ConfigException(
                    FAILSAFE_TOKEN_FILE_CONFIG + ": cannot read " + tokenFile + " (" + e.getMessage() + ")");
        }
        Map<String, URI> peers = new LinkedHashMap<>();
        for (String spec : peerSpecs) {
            Map.Entry<String, URI> peer = FailsafeSettings.peer(spec);
            if (peers.put(peer.getKey(), peer.getValue()) != null) {
                throw new ConfigException(FAILSAFE_PEERS_CONFIG + " names " + peer.getKey() + " twice");
            }
        }
        return new FailsafeSettings(Duration.ofMillis(getLong(FAILSAFE_MAX_MS_CONFIG)), peers, token);
    }

    /**
     * The heartbeat key, or null: its file is read again when it changes (a rotation puts the new key first), and a
     * removed or unreadable file keeps the key read before (a beat signed with it is refused at worst, which holds
     * the coordinator's judgement of this node; a beat with no code at all would be no better).
     */
    private Supplier<HeartbeatMac> heartbeatKey() {
        String path = optional(HEARTBEAT_KEY_CONFIG);
        if (path == null) {
            return null;
        }
        WatchedFile<HeartbeatMac> file;
        try {
            file = WatchedFile.read(
                    Path.of(path),
                    HeartbeatMac::load,
                    System::nanoTime,
                    (f, what) ->
                            LoggerFactory.getLogger(AgentConfig.class).warn("{} {} {}", HEARTBEAT_KEY_CONFIG, f, what));
        } catch (IOException e) {
            throw new ConfigException(HEARTBEAT_KEY_CONFIG + ": cannot read " + path + " (" + e + ")");
        } catch (IllegalArgumentException e) {
            throw new ConfigException(HEARTBEAT_KEY_CONFIG + ": " + e.getMessage());
        }
        return new Supplier<>() {
            private HeartbeatMac last = file.current();

            @Override
            public synchronized HeartbeatMac get() {
                HeartbeatMac now = file.current();
                if (now != null) {
                    last = now;
                }
                return last;
            }
        };
    }
}
