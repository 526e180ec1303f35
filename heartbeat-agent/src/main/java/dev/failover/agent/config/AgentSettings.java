package dev.failover.agent.config;

import dev.failover.wire.GroupMode;
import dev.failover.wire.Timing;
import dev.failover.wire.TopicNames;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * Everything one agent needs, validated as a whole at start-up; errors name the setting's key ({@link AgentConfig}).
 * The lease is derived ({@link Timing#leaseMs}: four fifths of the failure timeout), and the timing rules are the
 * protocol's ({@link Timing#problem}), with the coordinator's default margin: the same rules the coordinator applies
 * to every heartbeat.
 *
 * @param check      the probe: {@code http:URL}, {@code tcp:HOST:PORT}, {@code exec:COMMAND}, or {@code null} for none
 * @param onFence    the harder stop run after a stand-down hook failed every attempt (kill the service, take its
 *                   address down); its success counts as the stand-down, or {@code null} for none
 * @param fencePeer  run on a successor before its activation when the coordinator replaced the old primary without
 *                   seeing its service stop (STONITH: power it off, revoke its storage), with
 *                   {@code FAILOVER_FENCED_NODE} in the environment; if it fails, this node does not activate and
 *                   reports unhealthy; {@code null} for none
 * @param httpPort   the /role endpoint's port; 0 = any free port, -1 = off
 * @param kafka      Kafka client settings passed through untouched (TLS, SASL, ...)
 * @param topics     the topics' names, the same the coordinator is given
 * @param failsafe   failsafe mode's settings ({@link FailsafeSettings}), or {@code null} when it is off (the default)
 * @param trustKeys  the coordinators' public keys ({@code trust.keys}, re-read when their files change): the agent
 *                   acts on no role change or state record that one of them did not sign; empty, it acts on any (and
 *                   says so at start)
 * @param heartbeatKey the key that authenticates this node's heartbeats ({@code heartbeat.key}, asked at each beat:
 *                   its file is re-read when it changes), or {@code null}
 */
public record AgentSettings(
        String bootstrapServers,
        String group,
        String node,
        GroupMode mode,
        int priority,
        Duration heartbeatInterval,
        Duration failureTimeout,
        String check,
        Duration checkTimeout,
        int rise,
        int fall,
        String onActivate,
        String onStandby,
        String onFence,
        String fencePeer,
        Duration hookTimeout,
        String httpHost,
        int httpPort,
        Map<String, Object> kafka,
        TopicNames topics,
        FailsafeSettings failsafe,
        TrustedKeys trustKeys,
        java.util.function.Supplier<dev.failover.wire.sign.HeartbeatMac> heartbeatKey) {

    public AgentSettings {
        trustKeys = trustKeys == null ? TrustedKeys.none() : trustKeys;
        topics = topics == null ? TopicNames.defaults() : topics;
        require(
                bootstrapServers != null && !bootstrapServers.isBlank(),
                AgentConfig.BOOTSTRAP_SERVERS_CONFIG + " is required");
        dev.failover.wire.Ids.problem(AgentConfig.GROUP_CONFIG, group).ifPresent(problem -> require(false, problem));
        dev.failover.wire.Ids.problem(AgentConfig.NODE_CONFIG, node).ifPresent(problem -> require(false, problem));
        require(
                mode == GroupMode.ACTIVE_PASSIVE || mode == GroupMode.ACTIVE_ACTIVE,
                AgentConfig.MODE_CONFIG + " must be active-passive or active-active");
        require(
                heartbeatInterval.toMillis() >= Timing.MIN_HEARTBEAT_INTERVAL_MS,
                AgentConfig.HEARTBEAT_INTERVAL_MS_CONFIG + " must be at least " + Timing.MIN_HEARTBEAT_INTERVAL_MS
                        + ", not " + heartbeatInterval.toMillis());
        Timing timing = Timing.ofAgent(heartbeatInterval.toMillis(), failureTimeout.toMillis(), 0);
        timing.problem(Timing.DEFAULT_MIN_MARGIN_MS)
                .ifPresent(problem -> require(
                        false,
                        AgentConfig.HEARTBEAT_INTERVAL_MS_CONFIG + " (" + heartbeatInterval.toMillis() + ") and "
                                + AgentConfig.FAILURE_TIMEOUT_MS_CONFIG + " (" + failureTimeout.toMillis()
                                + ") do not fit: "
                                + problem
                                + " (the lease is 4/5 of the failure timeout; the coordinator refuses such a node)"));
        require(
                rise >= 1 && fall >= 1,
                AgentConfig.RISE_CONFIG + " and " + AgentConfig.FALL_CONFIG + " must be at least 1");
        require(hookTimeout.toMillis() > 0, AgentConfig.HOOK_TIMEOUT_MS_CONFIG + " must be positive");
        require(checkTimeout.toMillis() > 0, AgentConfig.CHECK_TIMEOUT_MS_CONFIG + " must be positive");
        require(
                httpPort >= -1 && httpPort <= 65535,
                AgentConfig.HTTP_PORT_CONFIG + " must be -1 (off), 0 (any) or a port, not " + httpPort);
        if (check != null) {
            validateCheck(check);
        }
        validateHook(AgentConfig.ON_ACTIVATE_CONFIG, onActivate);
        validateHook(AgentConfig.ON_STANDBY_CONFIG, onStandby);
        validateHook(AgentConfig.ON_FENCE_CONFIG, onFence);
        validateHook(AgentConfig.FENCE_PEER_CONFIG, fencePeer);
        for (String key : kafka.keySet()) {
            dev.failover.wire.ProtectedClientSettings.problem(key, dev.failover.wire.SettingKeys.KAFKA_PREFIX + key)
                    .ifPresent(problem -> require(false, problem));
        }
        kafka = Map.copyOf(kafka);
        if (failsafe != null) {
            require(
                    mode == GroupMode.ACTIVE_PASSIVE,
                    AgentConfig.FAILSAFE_CONFIG + " is for active/passive groups (an "
                            + "active/active member keeps serving without Kafka anyway)");
            require(
                    httpPort != -1,
                    AgentConfig.FAILSAFE_CONFIG + " needs the HTTP endpoint (" + AgentConfig.HTTP_PORT_CONFIG
                            + "): peers ask for grants there");
            require(
                    !failsafe.peers().containsKey(node),
                    AgentConfig.FAILSAFE_PEERS_CONFIG + " names this node itself (" + node + ")");
            failsafeTerms(heartbeatInterval, failureTimeout, failsafe); // refuses terms that cannot work
        }
    }

    public String heartbeatTopic() {
        return topics.heartbeats();
    }

    public String roleChangeTopic() {
        return topics.roleChanges();
    }

    public String stateTopic() {
        return topics.state();
    }

    /** Failsafe's terms, or null when it is off. */
    public dev.failover.agent.core.FailsafeTerms failsafeTerms() {
        return failsafe == null ? null : failsafeTerms(heartbeatInterval, failureTimeout, failsafe);
    }

    private static dev.failover.agent.core.FailsafeTerms failsafeTerms(
            Duration interval, Duration timeout, FailsafeSettings failsafe) {
        return dev.failover.agent.core.FailsafeTerms.forAgent(
                interval.toNanos(),
                java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(leaseMs(timeout)),
                timeout.toNanos(),
                failsafe.max().toNanos());
    }

    public static long leaseMs(Duration failureTimeout) {
        return Timing.leaseMs(failureTimeout.toMillis());
    }

    public long leaseMs() {
        return leaseMs(failureTimeout);
    }

    /** How long --on-standby has after a lease lapse before a successor may start: failure timeout - lease. */
    public long standDownBudgetMs() {
        return failureTimeout.toMillis() - leaseMs();
    }

    /** A hook that could not even be split into words would fail at the worst moment: say so at start-up. */
    private static void validateHook(String key, String command) {
        if (command != null) {
            try {
                dev.failover.agent.core.CommandLineWords.split(command);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(key + ": " + e.getMessage());
            }
        }
    }

    private static void validateCheck(String check) {
        if (check.startsWith("http:") || check.startsWith("https:")) {
            try {
                URI uri = URI.create(check);
                require(uri.getHost() != null, AgentConfig.CHECK_CONFIG + ": no host in " + check);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(AgentConfig.CHECK_CONFIG + ": not a URL: " + check);
            }
        } else if (check.startsWith("tcp:")) {
            String target = check.substring(4);
            int colon = target.lastIndexOf(':');
            require(colon > 0, AgentConfig.CHECK_CONFIG + ": tcp: needs HOST:PORT, not " + target);
            try {
                int port = Integer.parseInt(target.substring(colon + 1));
                require(port > 0 && port <= 65535, AgentConfig.CHECK_CONFIG + ": " + port + " is not a port");
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        AgentConfig.CHECK_CONFIG + ": '" + target.substring(colon + 1) + "' is not a port");
            }
        } else {
            require(
                    check.startsWith("exec:") && check.length() > 5,
                    AgentConfig.CHECK_CONFIG + ": unknown probe " + check + " (http://URL, tcp:HOST:PORT or exec:CMD)");
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Defaults for everything but the identity. */
    public static AgentSettings of(String bootstrapServers, String group, String node) {
        return builder(bootstrapServers, group, node).build();
    }

    /** For services that embed the agent: the identity now, anything else as needed, validated at {@code build()}. */
    public static Builder builder(String bootstrapServers, String group, String node) {
        return new Builder(bootstrapServers, group, node);
    }

    /** Builds {@link AgentSettings} with the command line's defaults. */
    public static final class Builder {
        private final String bootstrapServers;
        private final String group;
        private final String node;
        private GroupMode mode = GroupMode.ACTIVE_PASSIVE;
        private int priority;
        private Duration heartbeatInterval = Duration.ofMillis(200);
        private Duration failureTimeout = Duration.ofSeconds(2);
        private String check;
        private Duration checkTimeout = Duration.ofSeconds(1);
        private int rise = 2;
        private int fall = 2;
        private String onActivate;
        private String onStandby;
        private String onFence;
        private String fencePeer;
        private Duration hookTimeout = Duration.ofSeconds(10);
        private String httpHost = "127.0.0.1";
        private int httpPort;
        private final Map<String, Object> kafka = new java.util.HashMap<>();
        private FailsafeSettings failsafe;
        private TrustedKeys trustKeys = TrustedKeys.none();
        private java.util.function.Supplier<dev.failover.wire.sign.HeartbeatMac> heartbeatKey;
        private TopicNames topics = TopicNames.defaults();

        private Builder(String bootstrapServers, String group, String node) {
            this.bootstrapServers = bootstrapServers;
            this.group = group;
            this.node = node;
        }

        public Builder mode(GroupMode value) {
            mode = value;
            return this;
        }

        public Builder priority(int value) {
            priority = value;
            return this;
        }

        public Builder heartbeatInterval(Duration value) {
            heartbeatInterval = value;
            return this;
        }

        public Builder failureTimeout(Duration value) {
            failureTimeout = value;
            return this;
        }

        /** {@code http:URL}, {@code tcp:HOST:PORT} or {@code exec:COMMAND}. */
        public Builder check(String spec, Duration timeout) {
            check = spec;
            checkTimeout = timeout;
            return this;
        }

        public Builder riseAndFall(int riseCount, int fallCount) {
            rise = riseCount;
            fall = fallCount;
            return this;
        }

        public Builder hooks(String activate, String standby, Duration timeout) {
            onActivate = activate;
            onStandby = standby;
            hookTimeout = timeout;
            return this;
        }

        /** The harder stop after a stand-down hook failed every attempt; its success counts as the stand-down. */
        public Builder onFence(String command) {
            onFence = command;
            return this;
        }

        /** Fences a primary this node replaced without seeing its service stop, before activating. */
        public Builder fencePeer(String command) {
            fencePeer = command;
            return this;
        }

        /** Port -1 turns the /role endpoint off (an embedding service has its own). */
        public Builder http(String host, int port) {
            httpHost = host;
            httpPort = port;
            return this;
        }

        public Builder kafka(String key, Object value) {
            kafka.put(key, value);
            return this;
        }

        /** Failsafe mode on, with these terms ({@link FailsafeSettings}); null turns it off. */
        public Builder failsafe(FailsafeSettings value) {
            failsafe = value;
            return this;
        }

        /** The coordinators' public keys: only what they signed is acted on ({@code --trust-key}). */
        public Builder trustKeys(TrustedKeys keys) {
            trustKeys = keys;
            return this;
        }

        /** The key that authenticates this node's heartbeats ({@code --heartbeat-key}). */
        public Builder heartbeatKey(dev.failover.wire.sign.HeartbeatMac key) {
            heartbeatKey = key == null ? null : () -> key;
            return this;
        }

        /** The topics' names, when the coordinator was given others than the defaults. */
        public Builder topics(TopicNames names) {
            topics = names;
            return this;
        }

        public AgentSettings build() {
            return new AgentSettings(
                    bootstrapServers,
                    group,
                    node,
                    mode,
                    priority,
                    heartbeatInterval,
                    failureTimeout,
                    check,
                    checkTimeout,
                    rise,
                    fall,
                    onActivate,
                    onStandby,
                    onFence,
                    fencePeer,
                    hookTimeout,
                    httpHost,
                    httpPort,
                    kafka,
                    topics,
                    failsafe,
                    trustKeys,
                    heartbeatKey);
        }
    }
}
