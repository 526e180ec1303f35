package dev.failover.coordinator.app;

import dev.failover.coordinator.core.Policy;
import dev.failover.coordinator.streams.ShellSettings;
import dev.failover.wire.SettingKeys;
import dev.failover.wire.Timing;
import dev.failover.wire.TopicNames;
import dev.failover.wire.Topics;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;

/**
 * The coordinator's settings, one definition per key with its doc and default. Any Kafka client or Streams setting
 * passes through untouched under the {@value #KAFKA_PREFIX} prefix (TLS, SASL, ...); any other unknown key is an error.
 *
 * <p>Why these defaults: at a 1 s detection timeout, everything between "the timeout ran out" and "the agent reads
 * the decision" is overhead we budget in tens of milliseconds. Streams' defaults (100 ms poll wait, 100 ms commits
 * under exactly-once) would add about 200 ms, so the punctuation, commit and poll intervals are 20/20/10 ms, at the
 * price of a steady trickle of small transactions. A 6 s session and a 5 s transaction timeout bound the blind time
 * after an instance crash.
 */
public final class CoordinatorConfig extends AbstractConfig {

    public static final String KAFKA_PREFIX = SettingKeys.KAFKA_PREFIX;

    public static final String BOOTSTRAP_SERVERS_CONFIG = "bootstrap.servers";
    public static final String APPLICATION_ID_CONFIG = "application.id";
    public static final String STATE_DIR_CONFIG = "state.dir";
    public static final String SIGNING_KEY_CONFIG = "signing.key";
    public static final String OPERATOR_TRUST_KEYS_CONFIG = "operator.trust.keys";
    public static final String COMMAND_MAX_AGE_MS_CONFIG = "command.max.age.ms";
    public static final String HEARTBEAT_KEY_DIR_CONFIG = "heartbeat.key.dir";
    public static final String HTTP_HOST_CONFIG = "http.host";
    public static final String HTTP_TLS_KEYSTORE_FILE_CONFIG = "http.tls.keystore.file";
    public static final String HTTP_TLS_KEYSTORE_PASSWORD_FILE_CONFIG = "http.tls.keystore.password.file";
    public static final String HTTP_TOKEN_FILE_CONFIG = "http.token.file";
    public static final String HTTP_PORT_CONFIG = "http.port";
    public static final String HTTP_ADVERTISED_HOST_CONFIG = "http.advertised.host";
    public static final String TOPIC_PARTITIONS_CONFIG = "topic.partitions";
    public static final String TOPIC_REPLICATION_FACTOR_CONFIG = "topic.replication.factor";
    public static final String HEARTBEAT_RETENTION_MS_CONFIG = "heartbeat.retention.ms";
    public static final String PUNCTUATION_INTERVAL_MS_CONFIG = "punctuation.interval.ms";
    public static final String COMMIT_INTERVAL_MS_CONFIG = "commit.interval.ms";
    public static final String POLL_MS_CONFIG = "poll.ms";
    public static final String SESSION_TIMEOUT_MS_CONFIG = "session.timeout.ms";
    public static final String GROUP_PROTOCOL_CONFIG = "group.protocol";
    public static final String TRANSACTION_TIMEOUT_MS_CONFIG = "transaction.timeout.ms";
    public static final String STALL_LIMIT_MS_CONFIG = "stall.limit.ms";
    public static final String HANGING_TRANSACTION_CHECK_MS_CONFIG = "hanging.transaction.check.ms";
    public static final String HANGING_TRANSACTION_AFTER_MS_CONFIG = "hanging.transaction.after.ms";
    public static final String HEALTH_TASK_LIMIT_MS_CONFIG = "health.task.limit.ms";
    public static final String HEALTH_DEATH_WINDOW_MS_CONFIG = "health.death.window.ms";
    public static final String RISE_CONFIG = "rise";
    public static final String FALL_CONFIG = "fall";
    public static final String MIN_MARGIN_MS_CONFIG = "min.margin.ms";
    public static final String FAILBACK_CONFIG = "failback";
    public static final String FAILBACK_AFTER_MS_CONFIG = "failback.after.ms";
    public static final String MIN_ACTIVE_CONFIG = "min.active";
    public static final String MAX_MEMBERS_PER_GROUP_CONFIG = "max.members.per.group";
    public static final String MEMBER_RETENTION_MS_CONFIG = "member.retention.ms";
    public static final String ELECTION_GRACE_MS_CONFIG = "election.grace.ms";
    public static final String BRAKE_MAX_SHARE_CONFIG = "brake.max.share";
    public static final String BRAKE_MIN_FAILOVERS_CONFIG = "brake.min.failovers";
    public static final String BRAKE_WINDOW_MS_CONFIG = "brake.window.ms";
    public static final String TOPIC_HEARTBEATS_CONFIG = TopicNames.HEARTBEATS_KEY;
    public static final String TOPIC_ROLE_CHANGES_CONFIG = TopicNames.ROLE_CHANGES_KEY;
    public static final String TOPIC_STATE_CONFIG = TopicNames.STATE_KEY;
    public static final String TOPIC_COMMANDS_CONFIG = TopicNames.COMMANDS_KEY;
    public static final String TOPIC_DEAD_LETTERS_CONFIG = TopicNames.DEAD_LETTERS_KEY;

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(
                    BOOTSTRAP_SERVERS_CONFIG,
                    Type.LIST,
                    ConfigDef.NO_DEFAULT_VALUE,
                    Importance.HIGH,
                    "Kafka brokers to start from, host:port[,host:port...].")
            .define(
                    APPLICATION_ID_CONFIG,
                    Type.STRING,
                    "failover-coordinator",
                    Importance.MEDIUM,
                    "Streams application id: every coordinator instance of one deployment shares it.")
            .define(
                    STATE_DIR_CONFIG,
                    Type.STRING,
                    ".failover/coordinator",
                    Importance.MEDIUM,
                    "Where Streams keeps local state; each instance on a machine needs its own.")
            .define(
                    SIGNING_KEY_CONFIG,
                    Type.STRING,
                    "",
                    Importance.HIGH,
                    "An Ed25519 private key file (PEM, readable by its owner only; failover keys generate): every "
                            + "role change and state record is signed with it, and agents given its public key (the .pub "
                            + "beside it) act on nothing else. Empty: unsigned.")
            .define(
                    OPERATOR_TRUST_KEYS_CONFIG,
                    Type.LIST,
                    "",
                    Importance.HIGH,
                    "Operators' Ed25519 public key files (failover keys generate --name operator): commands are acted "
                            + "on only when signed by one of them (failover ctl --signing-key), for the group's current epoch "
                            + "and recently; any other is refused (COMMAND_REFUSED, with the reason). Empty: any command.")
            .define(
                    HEARTBEAT_KEY_DIR_CONFIG,
                    Type.STRING,
                    "",
                    Importance.HIGH,
                    "A directory of heartbeat keys (failover keys hmac): GROUP/NODE.key for one node, GROUP.key for "
                            + "every node of a group without its own. A group with a key accepts only heartbeats authenticated "
                            + "with it (agent --heartbeat-key) and newer than the last accepted; the others are dead-lettered "
                            + "with the reason, and one in a known member's name holds any failover of it. A file may hold "
                            + "several keys, one per line (any accepted). Files are read again when they change (every 5 s). "
                            + "Empty: no group requires it.")
            .define(
                    COMMAND_MAX_AGE_MS_CONFIG,
                    Type.LONG,
                    120_000L,
                    Range.between(1_000L, 3_600_000L),
                    Importance.LOW,
                    "With operator.trust.keys: a signed command issued further than this from the coordinator's wall "
                            + "clock is refused, and a command id is answered once within it.")
            .define(
                    HTTP_HOST_CONFIG,
                    Type.STRING,
                    "127.0.0.1",
                    Importance.LOW,
                    "Address the HTTP endpoint (/health, /groups/{group}) binds to.")
            .define(
                    HTTP_TLS_KEYSTORE_FILE_CONFIG,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "A PKCS12 key store: the HTTP endpoint speaks HTTPS with its certificate (and trusts the root of "
                            + "its chain when forwarding to other instances). Empty: plain HTTP.")
            .define(
                    HTTP_TLS_KEYSTORE_PASSWORD_FILE_CONFIG,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "A file (readable by its owner only) holding the key store's password.")
            .define(
                    HTTP_TOKEN_FILE_CONFIG,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "A file (readable by its owner only) holding a bearer token of at least 16 characters: every "
                            + "request but /health must send 'Authorization: Bearer TOKEN' (401 otherwise), and /health "
                            + "without it answers only its status. Empty: no token.")
            .define(
                    HTTP_ADVERTISED_HOST_CONFIG,
                    Type.STRING,
                    "",
                    Importance.LOW,
                    "The host other coordinators reach this one's HTTP endpoint by (queries for a group hosted "
                            + "elsewhere are forwarded there); empty = http.host. Required when http.host is a wildcard.")
            .define(
                    HTTP_PORT_CONFIG,
                    Type.INT,
                    8090,
                    Range.between(-1, 65535),
                    Importance.MEDIUM,
                    "HTTP port; 0 picks a free one, -1 turns HTTP off.")
            .define(
                    TOPIC_PARTITIONS_CONFIG,
                    Type.INT,
                    6,
                    Range.atLeast(1),
                    Importance.MEDIUM,
                    "Partitions of the heartbeat and command topics when the coordinator creates them: groups scale "
                            + "out by partitions, coordinators by instances.")
            .define(
                    TOPIC_REPLICATION_FACTOR_CONFIG,
                    Type.SHORT,
                    (short) -1,
                    Importance.MEDIUM,
                    "Replication factor of the topics it creates; -1 = 3, or fewer if the cluster has fewer brokers.")
            .define(
                    HEARTBEAT_RETENTION_MS_CONFIG,
                    Type.LONG,
                    3_600_000L,
                    Range.atLeast(60_000),
                    Importance.LOW,
                    "Retention of the heartbeat topic: heartbeats matter for seconds, keep an hour for inspection.")
            .define(
                    PUNCTUATION_INTERVAL_MS_CONFIG,
                    Type.LONG,
                    20L,
                    Range.between(1, 1000),
                    Importance.MEDIUM,
                    "How often each task looks for expired members (wall clock) and writes a fence marker.")
            .define(
                    COMMIT_INTERVAL_MS_CONFIG,
                    Type.LONG,
                    1_000L,
                    Range.between(1, 1000),
                    Importance.MEDIUM,
                    "Streams commit interval for what waits: decisions, state and fence markers are committed at "
                            + "once; dead letters and the read positions of heartbeats that change nothing wait for this (after a task moves, "
                            + "its new owner reads them again). Each commit is a transaction replicated by the brokers, and "
                            + "Streams commits at every interval once a task has punctuated.")
            .define(
                    POLL_MS_CONFIG,
                    Type.LONG,
                    10L,
                    Range.between(1, 1000),
                    Importance.LOW,
                    "Streams poll.ms: how long a thread waits for input before punctuating.")
            .define(
                    SESSION_TIMEOUT_MS_CONFIG,
                    Type.INT,
                    3_000,
                    Range.atLeast(1000),
                    Importance.MEDIUM,
                    "Group session timeout: how long a crashed instance's tasks stay unowned. On the Streams protocol "
                            + "it is set on the group through the Admin API (the broker's group.streams.min.session.timeout.ms "
                            + "must allow it); on the classic protocol it is raised to the broker's "
                            + "group.min.session.timeout.ms (6000 by default) when that is higher.")
            .define(
                    GROUP_PROTOCOL_CONFIG,
                    Type.STRING,
                    "auto",
                    ConfigDef.ValidString.in("auto", "streams", "classic"),
                    Importance.MEDIUM,
                    "Rebalance protocol of the coordinators' Streams group: auto takes the Streams "
                            + "protocol (KIP-1071) when the broker runs it and accepts the group's configuration, and falls "
                            + "back to classic with a WARN that says why; an explicit kafka.group.protocol wins.")
            .define(
                    TRANSACTION_TIMEOUT_MS_CONFIG,
                    Type.INT,
                    5_000,
                    Range.atLeast(1000),
                    Importance.MEDIUM,
                    "Producer transaction timeout: a crashed instance's open transaction delays takeover this long.")
            .define(
                    HANGING_TRANSACTION_CHECK_MS_CONFIG,
                    Type.LONG,
                    5_000L,
                    Range.atLeast(0),
                    Importance.LOW,
                    "How often to look for hanging transactions on the coordinator's partitions (0: never). One seen "
                            + "open for longer than hanging.transaction.after.ms that no transaction coordinator holds is "
                            + "aborted, as kafka-transactions.sh find-hanging and abort would: after an unclean broker restart "
                            + "one can otherwise stop every decision for the groups of a partition.")
            .define(
                    HANGING_TRANSACTION_AFTER_MS_CONFIG,
                    Type.LONG,
                    30_000L,
                    Range.atLeast(1),
                    Importance.LOW,
                    "How long a transaction must be seen open before it may be judged hanging. It must exceed twice "
                            + "transaction.timeout.ms, and should exceed transaction.timeout.ms plus the brokers' "
                            + "transaction.abort.timed.out.transaction.cleanup.interval.ms (10 s by default): until then the "
                            + "broker may still abort it and deliver its markers itself.")
            .define(
                    HEALTH_TASK_LIMIT_MS_CONFIG,
                    Type.LONG,
                    5_000L,
                    Range.atLeast(100),
                    Importance.LOW,
                    "/health answers 503 while a task this instance holds that holds a group has not run (punctuated) "
                            + "or read back its own fence marker for this long, or while a transaction has been seen open on "
                            + "the input of any task it holds for this long (at two hanging-transaction scans): its groups "
                            + "get no decisions.")
            .define(
                    HEALTH_DEATH_WINDOW_MS_CONFIG,
                    Type.LONG,
                    60_000L,
                    Range.atLeast(0),
                    Importance.LOW,
                    "/health answers 503 for this long after a stream thread died and was replaced (a crash loop "
                            + "looks RUNNING between deaths).")
            .define(
                    STALL_LIMIT_MS_CONFIG,
                    Type.LONG,
                    15_000L,
                    Range.atLeast(1000),
                    Importance.LOW,
                    "A stream thread that has not polled Kafka for this long, or an instance rebalancing for this long, "
                            + "is stalled: /health answers 503 and the log shows what the threads wait for.")
            .define(
                    RISE_CONFIG,
                    Type.INT,
                    2,
                    Range.atLeast(1),
                    Importance.MEDIUM,
                    "Consecutive healthy beats before a new or failed member is eligible.")
            .define(
                    FALL_CONFIG,
                    Type.INT,
                    2,
                    Range.atLeast(1),
                    Importance.MEDIUM,
                    "Consecutive UNHEALTHY beats before a member counts as failed.")
            .define(
                    MIN_MARGIN_MS_CONFIG,
                    Type.INT,
                    Timing.DEFAULT_MIN_MARGIN_MS,
                    Range.atLeast(0),
                    Importance.MEDIUM,
                    "The least failure timeout - lease accepted from an agent; members with less are never promoted.")
            .define(
                    FAILBACK_CONFIG,
                    Type.STRING,
                    "sticky",
                    ValidString.in("sticky", "failback"),
                    Importance.MEDIUM,
                    "sticky: a recovered primary stays standby; failback: a higher-priority member takes over again.")
            .define(
                    FAILBACK_AFTER_MS_CONFIG,
                    Type.LONG,
                    30_000L,
                    Range.atLeast(0),
                    Importance.LOW,
                    "With failback: how long the preferred member must have been eligible first.")
            .define(
                    ELECTION_GRACE_MS_CONFIG,
                    Type.LONG,
                    Policy.GRACE_ONE_TIMEOUT,
                    Range.between(Policy.GRACE_ONE_TIMEOUT, 3_600_000L),
                    Importance.MEDIUM,
                    "How long a group's first election waits after this coordinator first heard the group, so that "
                            + "a member of higher priority starting a little later is elected rather than the first one "
                            + "up (as keepalived's BACKUP waits its master-down interval). -1: the longest failure "
                            + "timeout among the group's members; 0: elect at once.")
            .define(
                    MIN_ACTIVE_CONFIG,
                    Type.INT,
                    1,
                    Range.atLeast(0),
                    Importance.LOW,
                    "Active/active: fewer ACTIVE members than this is called out in the decision's reason.")
            .define(
                    MAX_MEMBERS_PER_GROUP_CONFIG,
                    Type.INT,
                    64,
                    Range.atLeast(1),
                    Importance.LOW,
                    "The most members a group may have; a new node beyond it is refused (logged and counted in "
                            + "failover_members_refused_total), so churning node ids cannot grow a group without bound.")
            .define(
                    MEMBER_RETENTION_MS_CONFIG,
                    Type.LONG,
                    7L * 24 * 3600 * 1000,
                    Range.atLeast(60_000),
                    Importance.LOW,
                    "A member silent for longer than this is forgotten (the decision log says so); a "
                            + "group left with no members is deleted (a tombstone on the state topic).")
            .define(
                    BRAKE_MAX_SHARE_CONFIG,
                    Type.DOUBLE,
                    0.5,
                    Range.between(0.01, 1.0),
                    Importance.MEDIUM,
                    "The share of a task's groups that may fail over within brake.window.ms before automatic failovers "
                            + "are held (a mass event is more likely a partition than mass death).")
            .define(
                    BRAKE_MIN_FAILOVERS_CONFIG,
                    Type.INT,
                    3,
                    Range.atLeast(1),
                    Importance.LOW,
                    "Failovers within the window that are always allowed, whatever the share.")
            .define(
                    BRAKE_WINDOW_MS_CONFIG,
                    Type.LONG,
                    10_000L,
                    Range.atLeast(1000),
                    Importance.LOW,
                    "The brake's window.")
            .define(
                    TOPIC_HEARTBEATS_CONFIG,
                    Type.STRING,
                    Topics.HEARTBEATS,
                    Importance.LOW,
                    TopicNames.DOCS.get(TOPIC_HEARTBEATS_CONFIG))
            .define(
                    TOPIC_ROLE_CHANGES_CONFIG,
                    Type.STRING,
                    Topics.ROLE_CHANGES,
                    Importance.LOW,
                    TopicNames.DOCS.get(TOPIC_ROLE_CHANGES_CONFIG))
            .define(
                    TOPIC_STATE_CONFIG,
                    Type.STRING,
                    Topics.STATE,
                    Importance.LOW,
                    TopicNames.DOCS.get(TOPIC_STATE_CONFIG))
            .define(
                    TOPIC_COMMANDS_CONFIG,
                    Type.STRING,
                    Topics.COMMANDS,
                    Importance.LOW,
                    TopicNames.DOCS.get(TOPIC_COMMANDS_CONFIG))
            .define(
                    TOPIC_DEAD_LETTERS_CONFIG,
                    Type.STRING,
                    Topics.DEAD_LETTERS,
                    Importance.LOW,
                    TopicNames.DOCS.get(TOPIC_DEAD_LETTERS_CONFIG));

    private CoordinatorConfig(Map<String, ?> values) {
        super(DEFINITION, values, false);
    }

    /**
     * Parses and validates settings. Raises {@link ConfigException} naming the key for a bad value, an unknown key,
     * or an inconsistent combination.
     */
    public static CoordinatorConfig parse(Map<String, String> settings) {
        SettingKeys.check(DEFINITION, settings.keySet());
        CoordinatorConfig config = new CoordinatorConfig(settings);
        config.guards(); // a key that cannot be read is a bad setting, said now
        if (config.getInt(TRANSACTION_TIMEOUT_MS_CONFIG) <= config.getLong(COMMIT_INTERVAL_MS_CONFIG)) {
            throw new ConfigException(TRANSACTION_TIMEOUT_MS_CONFIG + " ("
                    + config.getInt(TRANSACTION_TIMEOUT_MS_CONFIG)
                    + " ms) must exceed " + COMMIT_INTERVAL_MS_CONFIG + " (" + config.getLong(COMMIT_INTERVAL_MS_CONFIG)
                    + " ms)");
        }
        if (config.getLong(HANGING_TRANSACTION_AFTER_MS_CONFIG) <= 2L * config.getInt(TRANSACTION_TIMEOUT_MS_CONFIG)) {
            throw new ConfigException(HANGING_TRANSACTION_AFTER_MS_CONFIG + " ("
                    + config.getLong(HANGING_TRANSACTION_AFTER_MS_CONFIG) + " ms) must exceed twice "
                    + TRANSACTION_TIMEOUT_MS_CONFIG
                    + " (" + config.getInt(TRANSACTION_TIMEOUT_MS_CONFIG) + " ms): a transaction the broker is still "
                    + "timing out is not hanging");
        }
        long quietest = Math.max(
                config.getLong(PUNCTUATION_INTERVAL_MS_CONFIG),
                dev.failover.coordinator.streams.CoordinatorProcessor.MARKER_KEEPALIVE_MS);
        if (config.getLong(HEALTH_TASK_LIMIT_MS_CONFIG) < 5 * quietest) {
            throw new ConfigException(HEALTH_TASK_LIMIT_MS_CONFIG + " (" + config.getLong(HEALTH_TASK_LIMIT_MS_CONFIG)
                    + " ms) must be at least five times the longest a healthy task goes without a fence marker ("
                    + quietest + " ms: one a second when no deadline is near, and " + PUNCTUATION_INTERVAL_MS_CONFIG
                    + "), or a healthy task looks stuck");
        }
        config.httpSecurity(); // files that cannot be read are bad settings, said now
        String host = config.getString(HTTP_HOST_CONFIG);
        if (config.getString(HTTP_ADVERTISED_HOST_CONFIG).isBlank() && (host.equals("0.0.0.0") || host.equals("::"))) {
            throw new ConfigException(HTTP_HOST_CONFIG + "=" + host + " listens on every address, so other "
                    + "coordinators cannot tell which one reaches this instance: set " + HTTP_ADVERTISED_HOST_CONFIG
                    + " (e.g. this machine's or container's name)");
        }
        return config;
    }

    /** TLS and the token of the HTTP endpoint, read once. */
    HttpSecurity httpSecurity() {
        if (httpSecurity == null) {
            httpSecurity = HttpSecurity.from(this);
        }
        return httpSecurity;
    }

    private HttpSecurity httpSecurity;

    /** The host:port other instances reach this one's HTTP endpoint by, given the port it listens on. */
    public String advertisedHttpAddress(int boundPort) {
        String advertised = getString(HTTP_ADVERTISED_HOST_CONFIG);
        return (advertised.isBlank() ? getString(HTTP_HOST_CONFIG) : advertised) + ":" + boundPort;
    }

    public Policy policy() {
        return new Policy(
                getInt(RISE_CONFIG),
                getInt(FALL_CONFIG),
                getInt(MIN_MARGIN_MS_CONFIG),
                "failback".equals(getString(FAILBACK_CONFIG)) ? Policy.Failback.FAILBACK : Policy.Failback.STICKY,
                getLong(FAILBACK_AFTER_MS_CONFIG),
                getInt(MIN_ACTIVE_CONFIG),
                getInt(MAX_MEMBERS_PER_GROUP_CONFIG),
                getLong(MEMBER_RETENTION_MS_CONFIG),
                getLong(ELECTION_GRACE_MS_CONFIG));
    }

    /**
     * The signer of role changes and state records ({@value #SIGNING_KEY_CONFIG}: the private key; its public half is
     * the {@code .pub} file beside it, as {@code failover keys generate} writes them), or null when unset.
     */
    public dev.failover.wire.sign.RecordSigner signer() {
        if (!signerRead) { // read (files, a probe signature) once: checked at parse, used at start
            signer = readSigner();
            signerRead = true;
        }
        return signer;
    }

    private dev.failover.wire.sign.RecordSigner signer;
    private boolean signerRead;

    private dev.failover.wire.sign.RecordSigner readSigner() {
        String file = getString(SIGNING_KEY_CONFIG);
        if (file.isBlank()) {
            return null;
        }
        java.nio.file.Path key = java.nio.file.Path.of(file);
        try {
            return dev.failover.wire.sign.RecordSigner.load(key);
        } catch (java.io.IOException e) {
            throw new ConfigException(
                    SIGNING_KEY_CONFIG + ": cannot read " + key + " or the .pub beside it (" + e + ")");
        } catch (IllegalArgumentException e) {
            throw new ConfigException(SIGNING_KEY_CONFIG + ": " + e.getMessage());
        }
    }

    /** The signer, the trusted operator keys and the command age limit, read once. */
    public ShellSettings.Guards guards() {
        if (operatorKeys == null) {
            java.util.List<String> files = getList(OPERATOR_TRUST_KEYS_CONFIG);
            java.util.List<java.security.PublicKey> keys = new java.util.ArrayList<>();
            for (String file : files) {
                try {
                    keys.add(dev.failover.wire.sign.SigningKeys.loadPublic(java.nio.file.Path.of(file)));
                } catch (java.io.IOException e) {
                    throw new ConfigException(OPERATOR_TRUST_KEYS_CONFIG + ": cannot read " + file + " (" + e + ")");
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(OPERATOR_TRUST_KEYS_CONFIG + ": " + file + ": " + e.getMessage());
                }
            }
            operatorKeys = java.util.Optional.ofNullable(
                    keys.isEmpty() ? null : new dev.failover.wire.sign.RecordVerifier(keys));
        }
        if (heartbeatKeys == null) {
            String dir = getString(HEARTBEAT_KEY_DIR_CONFIG);
            try {
                heartbeatKeys = java.util.Optional.ofNullable(
                        dir.isBlank()
                                ? null
                                : dev.failover.coordinator.streams.HeartbeatKeys.load(java.nio.file.Path.of(dir)));
            } catch (java.io.IOException e) {
                throw new ConfigException(HEARTBEAT_KEY_DIR_CONFIG + ": cannot read " + dir + " (" + e + ")");
            } catch (IllegalArgumentException e) {
                throw new ConfigException(HEARTBEAT_KEY_DIR_CONFIG + ": " + e.getMessage());
            }
        }
        return new ShellSettings.Guards(
                signer(), operatorKeys.orElse(null), getLong(COMMAND_MAX_AGE_MS_CONFIG), heartbeatKeys.orElse(null));
    }

    private java.util.Optional<dev.failover.wire.sign.RecordVerifier> operatorKeys;
    private java.util.Optional<dev.failover.coordinator.streams.HeartbeatKeys> heartbeatKeys;

    public ShellSettings.BrakeSettings brake() {
        return new ShellSettings.BrakeSettings(
                getDouble(BRAKE_MAX_SHARE_CONFIG), getInt(BRAKE_MIN_FAILOVERS_CONFIG), getLong(BRAKE_WINDOW_MS_CONFIG));
    }

    public TopicNames topics() {
        return new TopicNames(
                getString(TOPIC_HEARTBEATS_CONFIG),
                getString(TOPIC_ROLE_CHANGES_CONFIG),
                getString(TOPIC_STATE_CONFIG),
                getString(TOPIC_COMMANDS_CONFIG),
                getString(TOPIC_DEAD_LETTERS_CONFIG));
    }

    public String bootstrapServers() {
        return String.join(",", getList(BOOTSTRAP_SERVERS_CONFIG));
    }

    /** The pass-through Kafka settings, prefix removed. */
    public Map<String, Object> kafkaSettings() {
        return originalsWithPrefix(KAFKA_PREFIX);
    }
}
