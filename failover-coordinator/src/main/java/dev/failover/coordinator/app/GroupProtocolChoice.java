package dev.failover.coordinator.app;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ClassicGroupDescription;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.admin.StreamsGroupDescription;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which rebalance protocol the coordinator's Streams group uses, chosen once before it starts.
 *
 * <p>The Streams rebalance protocol of KIP-1071 hands a dead instance's tasks over after the group's own session
 * timeout, set here through the Admin API's group configuration ({@code streams.session.timeout.ms} and its
 * heartbeat, standby and assignment settings on the group resource), so it does not depend on a broker-wide default
 * of 45 s. The classic protocol's session is bounded below by the broker's {@code group.min.session.timeout.ms}
 * (6 s by default). With {@code group.protocol=auto} (the default) the coordinator takes the Streams protocol when the
 * broker can run it and falls back to classic, saying why once at WARN, when:
 * <ul>
 *   <li>the broker does not finalize the {@code streams.version} feature (a cluster upgraded from before Kafka 4.2);</li>
 *   <li>instances of this application already run on the classic protocol (a group cannot mix protocols; the switch
 *       is an offline migration: stop every instance, then start them again);</li>
 *   <li>the broker refuses the group configuration, usually because its {@code group.streams.min.session.timeout.ms}
 *       (45 s) or {@code group.streams.min.heartbeat.interval.ms} (5 s) is above what is asked.</li>
 * </ul>
 * A group that already runs on the Streams protocol is joined on it whatever else is true, and an explicit
 * {@code kafka.group.protocol} is obeyed as given.
 */
final class GroupProtocolChoice {

    private static final Logger log = LoggerFactory.getLogger(GroupProtocolChoice.class);

    static final String STREAMS = "streams";
    static final String CLASSIC = "classic";
    static final String AUTO = "auto";
    /** Kafka's default {@code group.min.session.timeout.ms}, assumed when the broker's cannot be read. */
    static final int KAFKA_DEFAULT_MIN_SESSION_MS = 6_000;

    /** What is known before anything is changed on the broker. */
    record Facts(
            String requested,
            Optional<String> explicitKafkaProtocol,
            Optional<Short> streamsFeatureLevel,
            Optional<String> featureError,
            Optional<GroupType> existingType,
            boolean existingHasMembers) {}

    /**
     * @param protocol        {@code streams} or {@code classic}
     * @param keepOnRefusal   whether a refused group configuration leaves the protocol as it is (an explicit choice,
     *                        or a group already running on it) rather than falling back to classic
     * @param reason          why, for the log
     */
    record Verdict(String protocol, boolean keepOnRefusal, String reason) {
        /** Whether the group's configuration is to be set before starting: always, on the Streams protocol. */
        boolean configureGroup() {
            return protocol.equals(STREAMS);
        }
    }

    /** The choice, and the session timeout the classic protocol gets if chosen. */
    record Choice(String protocol, int classicSessionMs, String reason) {
        boolean streams() {
            return protocol.equals(STREAMS);
        }
    }

    private final Admin admin;
    private final String groupId;
    private final int sessionMs;
    private final int heartbeatMs;

    GroupProtocolChoice(Admin admin, String groupId, int sessionMs) {
        this.admin = admin;
        this.groupId = groupId;
        this.sessionMs = sessionMs;
        this.heartbeatMs = heartbeatMs(sessionMs);
    }

    /** A sixth of the session: five beats may be lost before the member is. */
    static int heartbeatMs(int sessionMs) {
        return Math.max(100, sessionMs / 6);
    }

    /** The decision on what is known before the group's configuration is tried. Pure. */
    static Verdict decide(Facts f) {
        if (f.explicitKafkaProtocol().isPresent()) {
            String p = f.explicitKafkaProtocol().get().toLowerCase(java.util.Locale.ROOT);
            if (p.equals(STREAMS) && f.requested().equals(AUTO)) {
                return decide(new Facts(
                        STREAMS,
                        Optional.empty(),
                        f.streamsFeatureLevel(),
                        f.featureError(),
                        f.existingType(),
                        f.existingHasMembers()));
            }
            return new Verdict(p, true, "kafka.group.protocol=" + p + " is set");
        }
        if (f.requested().equals(CLASSIC)) {
            return new Verdict(CLASSIC, true, "group.protocol=classic");
        }
        boolean asked = f.requested().equals(STREAMS);
        if (f.existingType().filter(t -> t == GroupType.STREAMS).isPresent() && f.existingHasMembers()) {
            return new Verdict(STREAMS, true, "the group already runs on the Streams protocol");
        }
        if (asked) {
            if (f.streamsFeatureLevel().isEmpty() && f.featureError().isEmpty()
                    || f.streamsFeatureLevel().filter(level -> level < 1).isPresent()) {
                throw new IllegalStateException("group.protocol=streams, but the broker does not finalize the "
                        + "streams.version feature, so no Streams-protocol member can join (kafka-features.sh upgrade "
                        + "--feature streams.version=1 enables it on Kafka 4.2 or later; or use group.protocol=auto)");
            }
            return new Verdict(STREAMS, true, "group.protocol=streams");
        }
        if (f.streamsFeatureLevel().filter(level -> level >= 1).isEmpty()) {
            return new Verdict(
                    CLASSIC,
                    false,
                    f.featureError()
                            .map(e -> "the broker's features cannot be read (" + e + ")")
                            .orElse(
                                    "the broker does not finalize the streams.version feature (a cluster upgraded "
                                            + "from before Kafka 4.2: kafka-features.sh upgrade --feature streams.version=1 enables it)"));
        }
        if (f.existingType().filter(t -> t == GroupType.CLASSIC).isPresent() && f.existingHasMembers()) {
            return new Verdict(
                    CLASSIC,
                    false,
                    "instances of this application already run on the "
                            + "classic protocol, and one group cannot mix protocols (to switch: stop every instance, then "
                            + "start them again)");
        }
        return new Verdict(
                STREAMS,
                false,
                "the broker runs the Streams protocol (streams.version "
                        + f.streamsFeatureLevel().get() + ")");
    }

    /** The group configuration that the Streams protocol gets. */
    Map<String, String> groupConfig() {
        Map<String, String> c = new java.util.LinkedHashMap<>();
        c.put("streams.session.timeout.ms", Integer.toString(sessionMs));
        c.put("streams.heartbeat.interval.ms", Integer.toString(heartbeatMs));
        c.put("streams.num.standby.replicas", "1"); // the client's num.standby.replicas is ignored on this protocol
        c.put("streams.initial.rebalance.delay.ms", "0");
        return c;
    }

    /** Asks the broker, decides, configures the group if the Streams protocol is chosen, and logs the outcome. */
    Choice choose(String requested, Optional<String> explicitKafkaProtocol) throws InterruptedException {
        Facts facts = facts(requested, explicitKafkaProtocol);
        Verdict v = decide(facts);
        if (v.configureGroup()) {
            Optional<String> refused = configureGroup();
            if (refused.isPresent()) {
                boolean denied = refused.get().contains("Authorization");
                String remedy = denied
                        ? "grant the coordinator's principal AlterConfigs and DescribeConfigs on group " + "'" + groupId
                                + "' (failover acls prints the grants)"
                        : "set the brokers' group.streams.min.session.timeout.ms <= " + sessionMs
                                + " and group.streams.min.heartbeat.interval.ms <= " + heartbeatMs;
                if (!v.keepOnRefusal()) {
                    Choice c = new Choice(
                            CLASSIC,
                            classicSession(),
                            "the broker refused the group configuration " + groupConfig() + ": "
                                    + refused.get().replaceAll("\\.+$", ""));
                    log.warn(
                            "rebalance protocol: classic (group.protocol=auto, session {} ms), because {}. The "
                                    + "Streams protocol hands a dead instance's groups over after the group's own session; to "
                                    + "allow {} ms, {}",
                            c.classicSessionMs(),
                            c.reason(),
                            sessionMs,
                            remedy);
                    return c;
                }
                log.warn(
                        "rebalance protocol: streams ({}), but the broker refused the group configuration {}: {}; "
                                + "the group keeps the broker's settings (group.streams.session.timeout.ms, 45 s, and "
                                + "group.streams.num.standby.replicas, 0: a moved task restores its whole store). To apply "
                                + "it, {}",
                        v.reason(),
                        groupConfig(),
                        refused.get(),
                        remedy);
                return new Choice(STREAMS, sessionMs, v.reason());
            }
            log.info("rebalance protocol: streams ({}); group '{}' configured: {}", v.reason(), groupId, groupConfig());
            return new Choice(STREAMS, sessionMs, v.reason());
        }
        Choice c = new Choice(CLASSIC, classicSession(), v.reason());
        if (v.keepOnRefusal()) {
            log.info("rebalance protocol: classic ({}, session {} ms)", v.reason(), c.classicSessionMs());
        } else {
            log.warn("rebalance protocol: classic (session {} ms), because {}", c.classicSessionMs(), v.reason());
        }
        return c;
    }

    private Facts facts(String requested, Optional<String> explicitKafkaProtocol) throws InterruptedException {
        Optional<Short> level = Optional.empty();
        Optional<String> featureError = Optional.empty();
        try {
            FinalizedVersionRange r = retrying(() -> admin.describeFeatures().featureMetadata())
                    .finalizedFeatures()
                    .get("streams.version");
            level = Optional.ofNullable(r).map(FinalizedVersionRange::maxVersionLevel);
        } catch (ExecutionException | TimeoutException e) {
            featureError = Optional.of(cause(e));
        }
        // asked of the group's coordinator only (listing groups asks every broker, and fails with any one of them)
        Optional<GroupType> type = Optional.empty();
        boolean members = false;
        boolean otherType = false;
        try {
            StreamsGroupDescription streams = retrying(() -> admin.describeStreamsGroups(List.of(groupId))
                    .describedGroups()
                    .get(groupId));
            type = Optional.of(GroupType.STREAMS);
            members = !streams.members().isEmpty();
        } catch (ExecutionException e) {
            // "Group g is not a streams group." when it exists as another type; "... not found" when it does not
            otherType = e.getCause() instanceof GroupIdNotFoundException
                    && String.valueOf(e.getCause().getMessage()).contains("is not a");
            if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                log.warn(
                        "cannot describe group '{}' as a streams group ({}): whether instances already run on the "
                                + "Streams protocol is not known",
                        groupId,
                        cause(e));
            }
        } catch (TimeoutException e) {
            log.warn("cannot describe group '{}' ({})", groupId, cause(e));
        }
        if (otherType) { // describing a group that does not exist as classic makes the admin client log an ERROR
            try {
                ClassicGroupDescription classic = retrying(() -> admin.describeClassicGroups(List.of(groupId))
                        .describedGroups()
                        .get(groupId));
                if (!classic.members().isEmpty()) {
                    type = Optional.of(GroupType.CLASSIC);
                    members = true;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                    log.warn(
                            "cannot describe group '{}' as a classic group ({}): whether instances already run on "
                                    + "the classic protocol is not known; if they do, this instance stops at its first "
                                    + "heartbeat and says so",
                            groupId,
                            cause(e));
                }
            } catch (TimeoutException e) {
                log.warn("cannot describe group '{}' ({})", groupId, cause(e));
            }
        }
        return new Facts(requested, explicitKafkaProtocol, level, featureError, type, members);
    }

    /** A call retried while its failure is retriable (a coordinator loading or moving), up to three tries. */
    private static <T> T retrying(java.util.function.Supplier<org.apache.kafka.common.KafkaFuture<T>> call)
            throws InterruptedException, ExecutionException, TimeoutException {
        for (int attempt = 1; ; attempt++) {
            try {
                return call.get().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (attempt >= 3 || !(e.getCause() instanceof RetriableException)) {
                    throw e;
                }
            }
            Thread.sleep(1_000);
        }
    }

    /**
     * Why a stream thread's failure means that this instance cannot be a member of its group at all (the group runs
     * on the other protocol, the broker lacks the protocol, or the group's stored topology is not this version's), or
     * empty for any other failure. Replacing the thread would fail the same way for ever.
     */
    static Optional<String> cannotJoin(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (t instanceof org.apache.kafka.common.errors.InvalidRequestException
                    && m.contains("Topology updates are not supported")) {
                return Optional.of("the group's stored topology is not this version's, and the Streams protocol of "
                        + "Kafka 4.4 cannot change it (" + m + "). Stop every instance, start one with "
                        + "group.protocol=classic (it converts the empty group), stop it, then start them all as "
                        + "before");
            }
            if (t instanceof GroupIdNotFoundException && m.contains("is not a")
                    || t instanceof org.apache.kafka.common.errors.InconsistentGroupProtocolException) {
                return Optional.of("the group runs on the other rebalance protocol (" + m + "): a restart chooses "
                        + "again and joins it");
            }
            if (t instanceof org.apache.kafka.common.errors.UnsupportedVersionException && m.contains("STREAMS")) {
                return Optional.of("the broker does not run the Streams protocol (" + m + ")");
            }
        }
        return Optional.empty();
    }

    /** Sets the group's configuration; the broker's refusal, or empty once it holds. */
    private Optional<String> configureGroup() throws InterruptedException {
        ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, groupId);
        List<AlterConfigOp> ops = groupConfig().entrySet().stream()
                .map(e -> new AlterConfigOp(new ConfigEntry(e.getKey(), e.getValue()), AlterConfigOp.OpType.SET))
                .toList();
        try {
            retrying(() -> admin.incrementalAlterConfigs(Map.of(group, ops)).all());
        } catch (ExecutionException | TimeoutException e) {
            return Optional.of(cause(e));
        }
        return Optional.empty();
    }

    /**
     * The classic protocol's session: the one asked for, raised to the broker's {@code group.min.session.timeout.ms}
     * (Kafka's default, 6 s, when that cannot be read) since a shorter one is refused at join.
     */
    private int classicSession() throws InterruptedException {
        int min = KAFKA_DEFAULT_MIN_SESSION_MS;
        try {
            var nodes = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS);
            if (!nodes.isEmpty()) {
                ConfigResource broker = new ConfigResource(
                        ConfigResource.Type.BROKER,
                        Integer.toString(nodes.iterator().next().id()));
                Config c = admin.describeConfigs(List.of(broker))
                        .all()
                        .get(30, TimeUnit.SECONDS)
                        .get(broker);
                ConfigEntry e = c == null ? null : c.get("group.min.session.timeout.ms");
                if (e != null && e.value() != null) {
                    min = Integer.parseInt(e.value());
                }
            }
        } catch (ExecutionException | TimeoutException | NumberFormatException e) {
            log.info(
                    "cannot read the broker's group.min.session.timeout.ms ({}); assuming Kafka's default {} ms",
                    e instanceof ExecutionException ee ? cause(ee) : e.toString(),
                    min);
        }
        if (min > sessionMs) {
            log.warn(
                    "session.timeout.ms={} is below the broker's group.min.session.timeout.ms={}: the classic "
                            + "protocol's session is {} ms",
                    sessionMs,
                    min,
                    min);
            return min;
        }
        return sessionMs;
    }

    private static String cause(Exception e) {
        Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        return c.toString();
    }
}
