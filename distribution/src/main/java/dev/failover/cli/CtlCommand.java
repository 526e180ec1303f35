package dev.failover.cli;

import dev.failover.cli.ctl.CtlException;
import dev.failover.cli.ctl.TopicReader;
import dev.failover.wire.Command;
import dev.failover.wire.CommandType;
import dev.failover.wire.DecisionKind;
import dev.failover.wire.FenceMarker;
import dev.failover.wire.GroupState;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.Role;
import dev.failover.wire.RoleChange;
import dev.failover.wire.WireFormatException;
import dev.failover.wire.WireSerdes;
import dev.failover.wire.tools.DecisionText;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code failover ctl}: what {@code patronictl} is to Patroni. Reads the state and role-change topics, and writes
 * operator commands that the coordinator acknowledges in the role-change log.
 */
@CommandLine.Command(
        name = "ctl",
        mixinStandardHelpOptions = true,
        description = "Inspect and steer failover groups through Kafka.",
        subcommands = {
            CtlCommand.Status.class,
            CtlCommand.Watch.class,
            CtlCommand.History.class,
            CtlCommand.Why.class,
            CtlCommand.Switchover.class,
            CtlCommand.Pause.class,
            CtlCommand.Resume.class,
            CtlCommand.Remove.class,
            CtlCommand.ConfirmStopped.class,
            CtlRecord.class,
            CtlReplay.class
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done (a command was acknowledged and carried out)",
            "1:failed at run time (Kafka unreachable, ...)",
            "2:bad command line",
            "3:refused by the coordinator (the reason is printed)",
            "4:no acknowledgement within --timeout (is a coordinator running?)",
            "5:unknown group or epoch, or nothing to read yet",
            "6:ctl replay decided differently from the recording"
        })
public final class CtlCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a ctl command, e.g. failover ctl status");
    }

    enum Output {
        TABLE,
        JSON
    }

    /** Options every ctl command takes. */
    static final class Options {
        @Option(
                names = "--bootstrap-servers",
                required = true,
                paramLabel = "HOST:PORT",
                description = "Kafka brokers.")
        String bootstrapServers;

        @Option(
                names = "--output",
                paramLabel = "table|json",
                defaultValue = "table",
                description = "table (for people) or json (one object per line; default: ${DEFAULT-VALUE}).")
        Output output;

        @Option(
                names = "--timeout",
                paramLabel = "DURATION",
                defaultValue = "30s",
                converter = Durations.class,
                description = "How long to wait for Kafka or for an acknowledgement (default: ${DEFAULT-VALUE}).")
        Duration timeout;

        @Option(
                names = "--kafka",
                paramLabel = "KEY=VALUE",
                description = "A Kafka client setting (TLS, SASL), repeatable.")
        Map<String, String> kafka = new LinkedHashMap<>();

        @Option(
                names = "--kafka-config",
                paramLabel = "FILE",
                description = "Kafka client properties (TLS, SASL: passwords belong here); --kafka wins.")
        java.nio.file.Path kafkaConfig;

        @Option(
                names = "--trust-key",
                paramLabel = "FILE",
                description = {
                    "A coordinator's public key: show only role changes and state records it signed, and say on standard",
                    "error what was left out (unsigned, another key, wrongly signed). Repeatable."
                })
        List<java.nio.file.Path> trustKeys = new ArrayList<>();

        @Option(
                names = "--signing-key",
                paramLabel = "FILE",
                description = {
                    "An operator's Ed25519 private key (NAME.pub beside it; failover keys generate --name operator): commands",
                    "are signed with it, for coordinators that trust only operator keys (operator.trust.keys)."
                })
        java.nio.file.Path signingKey;

        @Mixin
        TopicOptions topicOptions = new TopicOptions();

        /** The command these options belong to: a bad --topic is a usage error of that command (exit 2). */
        @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
        CommandLine.Model.CommandSpec command;

        dev.failover.wire.TopicNames topics() {
            try {
                return topicOptions.topics();
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(command.commandLine(), e.getMessage());
            }
        }

        /** The file's settings under the flags', read (and a secret among the flags said) once per command. */
        private Map<String, String> kafkaSettings;

        Map<String, String> kafka() {
            if (kafkaSettings == null) {
                kafkaSettings = KafkaClientSettings.merged(
                        kafkaConfig, kafka, "--kafka", new java.io.PrintWriter(System.err, true));
            }
            return kafkaSettings;
        }

        /** Wall-clock time, for ages, --since and command timestamps. */
        Clock clock = Clock.systemUTC();

        TopicReader reader() {
            // one command's worth of reading: the keys as the files are now
            return new TopicReader(
                    bootstrapServers,
                    kafka(),
                    timeout,
                    dev.failover.agent.config.TrustedKeys.fromFiles(trustKeys).current(),
                    topics());
        }
    }

    /** A ctl command with the common options. */
    abstract static class Base implements Callable<Integer>, ReadsEnvironment {
        @Mixin
        Options options;

        @Override
        public void useEnvironment(Map<String, String> environment) {
            options.topicOptions.environment = environment;
        }

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
    }

    /** A ctl command about every group, or only the one given. */
    abstract static class AnyGroup extends Base {
        String group;

        @Option(names = "--group", paramLabel = "G", description = "Only this group.")
        void group(String value) {
            group = validGroup(spec, value);
        }
    }

    /** A ctl command about one named group. */
    abstract static class OneGroup extends Base {
        String group;

        @Option(names = "--group", required = true, paramLabel = "G", description = "The group.")
        void group(String value) {
            group = validGroup(spec, value);
        }
    }

    /** The same id rule as the agent and the coordinator: a bad --group is a usage error (exit 2), named. */
    static String validGroup(CommandLine.Model.CommandSpec spec, String value) {
        dev.failover.wire.Ids.problem("--group", value).ifPresent(problem -> {
            throw new CommandLine.ParameterException(spec.commandLine(), problem);
        });
        return value;
    }

    /** The latest state of every group (or one), from the compacted state topic. */
    static Map<String, GroupState> states(TopicReader reader, PrintWriter err) {
        Map<String, GroupState> latest = new TreeMap<>();
        for (ConsumerRecord<String, byte[]> r : reader.readToEnd(reader.topics().state(), p -> null)) {
            if (!trusted(reader, r, dev.failover.wire.sign.RecordSigner.GROUP_STATE, err)) {
                continue;
            }
            if (r.value() == null) {
                latest.remove(r.key());
                continue;
            }
            decode(r, () -> WireSerdes.groupState().deserialize(r.topic(), r.value()), err)
                    .ifPresent(s -> latest.put(s.getGroup(), s));
        }
        return latest;
    }

    /** How far back {@code status} looks for each member's newest heartbeat. */
    static final Duration BEAT_WINDOW = Duration.ofSeconds(5);

    /**
     * Each member's newest heartbeat of the last {@link #BEAT_WINDOW}, by group then node (the coordinator's fence
     * markers in the same topic are not heartbeats of anyone).
     */
    static Map<String, Map<String, Heartbeat>> newestBeats(TopicReader reader, long nowMs, PrintWriter err) {
        Map<TopicPartition, Long> from = reader.offsetsAt(reader.topics().heartbeats(), nowMs - BEAT_WINDOW.toMillis());
        Map<String, Map<String, Heartbeat>> newest = new TreeMap<>();
        for (ConsumerRecord<String, byte[]> r : reader.readToEnd(reader.topics().heartbeats(), from::get)) {
            if (r.value() == null || r.key() == null || FenceMarker.isMarker(r.key())) {
                continue;
            }
            decode(r, () -> WireSerdes.heartbeat().deserialize(r.topic(), r.value()), err)
                    .ifPresent(b -> newest.computeIfAbsent(b.getGroup(), g -> new TreeMap<>())
                            .merge(b.getNode(), b, (was, now) -> now.getSentAtMs() >= was.getSentAtMs() ? now : was));
        }
        return newest;
    }

    static GroupState state(TopicReader reader, String group, PrintWriter err) {
        Map<String, GroupState> all = states(reader, err);
        GroupState s = all.get(group);
        if (s == null) {
            throw new CtlException(
                    CtlException.NOTHING,
                    "unknown group " + group
                            + (all.isEmpty()
                                    ? ": no group has a " + "state yet"
                                    : "; known groups: " + String.join(", ", all.keySet())));
        }
        return s;
    }

    /** Decodes a record, or says on standard error what is wrong with it and skips it. */
    static <T> Optional<T> decode(
            ConsumerRecord<String, byte[]> r, java.util.function.Supplier<T> decoder, PrintWriter err) {
        try {
            return Optional.of(decoder.get());
        } catch (WireFormatException e) {
            err.printf(
                    "skipped a malformed record at %s-%d offset %d: %s%n",
                    r.topic(), r.partition(), r.offset(), e.getMessage());
            return Optional.empty();
        }
    }

    static Optional<RoleChange> roleChange(TopicReader reader, ConsumerRecord<String, byte[]> r, PrintWriter err) {
        if (r.value() == null || !trusted(reader, r, dev.failover.wire.sign.RecordSigner.ROLE_CHANGE, err)) {
            return Optional.empty();
        }
        return decode(r, () -> WireSerdes.roleChange().deserialize(r.topic(), r.value()), err);
    }

    /**
     * Whether {@code r} may be shown: no --trust-key, or one of its keys signed it as a {@code kind}; otherwise says
     * on standard error what was left out, and why.
     */
    static boolean trusted(TopicReader reader, ConsumerRecord<String, byte[]> r, String kind, PrintWriter err) {
        if (reader.verifier() == null) {
            return true;
        }
        dev.failover.wire.sign.RecordVerifier.Outcome outcome =
                reader.verifier().check(kind, r.key(), r.value(), r.headers());
        if (outcome == dev.failover.wire.sign.RecordVerifier.Outcome.VALID) {
            return true;
        }
        err.printf(
                "left out a %s record of %s at %s-%d offset %d: %s (not signed by a key given with --trust-key)%n",
                kind, r.key(), r.topic(), r.partition(), r.offset(), outcome.label());
        err.flush();
        return false;
    }

    /** Every decision of {@code group} (or of all groups when null) from {@code from}, in decision order. */
    static List<RoleChange> decisions(
            TopicReader reader, String group, Map<TopicPartition, Long> from, PrintWriter err) {
        List<RoleChange> out = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : reader.readToEnd(reader.topics().roleChanges(), from::get)) {
            if (group == null || group.equals(r.key())) {
                roleChange(reader, r, err).ifPresent(out::add);
            }
        }
        out.sort(Comparator.comparingLong(RoleChange::getDecidedAtMs).thenComparingLong(RoleChange::getEpoch));
        return out;
    }

    static void print(PrintWriter out, Output output, RoleChange c) {
        out.println(output == Output.JSON ? c.toString() : DecisionText.line(c));
        out.flush();
    }

    @CommandLine.Command(
            name = "status",
            mixinStandardHelpOptions = true,
            description = "Every group (or one): mode, epoch, members with role, health, last heartbeat, suspicion.")
    static final class Status extends AnyGroup {
        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (TopicReader reader = options.reader()) {
                List<GroupState> groups = group == null
                        ? new ArrayList<>(
                                states(reader, spec.commandLine().getErr()).values())
                        : List.of(state(reader, group, spec.commandLine().getErr()));
                if (groups.isEmpty()) {
                    throw new CtlException(
                            CtlException.NOTHING,
                            "no group has a state yet on " + reader.topics().state()
                                    + ": no agent has heartbeated to a running coordinator");
                }
                long now = options.clock.millis();
                Map<String, Map<String, Heartbeat>> beats =
                        newestBeats(reader, now, spec.commandLine().getErr());
                if (options.output == Output.JSON) {
                    groups.forEach(g ->
                            out.println(DecisionText.statusJson(g, beats.getOrDefault(g.getGroup(), Map.of()), now)));
                } else {
                    out.print(DecisionText.statusTable(groups, beats, now));
                }
                out.flush();
            }
            return 0;
        }
    }

    @CommandLine.Command(
            name = "watch",
            mixinStandardHelpOptions = true,
            description = "Print each decision as it happens (time, group, epoch, roles, reason) until Ctrl-C.")
    static final class Watch extends AnyGroup {
        @Option(names = "--from-beginning", description = "Replay the whole history first.")
        boolean fromBeginning;

        @Option(names = "--max", paramLabel = "N", description = "Stop after N decisions.")
        Integer max;

        @Option(
                names = "--for",
                paramLabel = "DURATION",
                converter = Durations.class,
                description = "Stop after this long.")
        Duration duration;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Clock clock = options.clock;
            Long until = duration == null ? null : clock.millis() + duration.toMillis();
            try (TopicReader reader = options.reader()) {
                Map<TopicPartition, Long> from =
                        new LinkedHashMap<>(reader.endOffsets(reader.topics().roleChanges()));
                if (fromBeginning) {
                    from.replaceAll((p, o) -> null);
                }
                int[] seen = {0};
                reader.follow(
                        reader.topics().roleChanges(),
                        from,
                        r -> {
                            if (group == null || group.equals(r.key())) {
                                roleChange(reader, r, err).ifPresent(c -> {
                                    print(out, options.output, c);
                                    seen[0]++;
                                });
                            }
                            return max == null || seen[0] < max;
                        },
                        clock,
                        until);
            }
            return 0;
        }
    }

    @CommandLine.Command(
            name = "history",
            mixinStandardHelpOptions = true,
            description = "The decisions of a group since a time, with their reasons.")
    static final class History extends OneGroup {
        @Option(
                names = "--since",
                paramLabel = "DURATION",
                defaultValue = "1h",
                converter = Durations.class,
                description = "How far back (default: ${DEFAULT-VALUE}).")
        Duration since;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (TopicReader reader = options.reader()) {
                List<RoleChange> decisions = decisions(
                        reader,
                        group,
                        reader.offsetsAt(reader.topics().roleChanges(), options.clock.millis() - since.toMillis()),
                        spec.commandLine().getErr());
                if (decisions.isEmpty()) {
                    throw new CtlException(
                            CtlException.NOTHING,
                            "no decision about " + group + " in the last " + DecisionText.age(since.toMillis()));
                }
                decisions.forEach(c -> print(out, options.output, c));
            }
            return 0;
        }
    }

    @CommandLine.Command(
            name = "why",
            mixinStandardHelpOptions = true,
            description = "Explain one decision of a group from the evidence recorded with it.")
    static final class Why extends OneGroup {
        @Option(names = "--epoch", required = true, paramLabel = "E", description = "The decision's epoch.")
        long epoch;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (TopicReader reader = options.reader()) {
                List<RoleChange> all =
                        decisions(reader, group, Map.of(), spec.commandLine().getErr());
                RoleChange previous = null;
                for (RoleChange c : all) {
                    if (c.getEpoch() == epoch && c.getKind() != DecisionKind.COMMAND_REFUSED) {
                        out.print(
                                options.output == Output.JSON
                                        ? c + System.lineSeparator()
                                        : DecisionText.why(c, previous));
                        out.flush();
                        return 0;
                    }
                    previous = c;
                }
                throw new CtlException(
                        CtlException.NOTHING,
                        all.isEmpty()
                                ? "no decision about " + group + " on "
                                        + reader.topics().roleChanges()
                                : group + " has no decision at epoch " + epoch + "; its epochs: "
                                        + all.stream()
                                                .map(c -> Long.toString(c.getEpoch()))
                                                .distinct()
                                                .toList());
            }
        }
    }

    /** Writes one command and waits for the coordinator's decision that answers it. */
    abstract static class Steer extends OneGroup {
        abstract Command command(String id);

        /** True once {@code c} (which answers our command) finishes it. */
        abstract boolean finishes(RoleChange c);

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            String id = UUID.randomUUID().toString();
            Command command = command(id);
            dev.failover.wire.sign.RecordSigner signer = signer();
            try (TopicReader reader = options.reader()) {
                long epoch = state(reader, group, err).getEpoch();
                Map<TopicPartition, Long> from =
                        new LinkedHashMap<>(reader.endOffsets(reader.topics().roleChanges()));
                reader.partitions(reader.topics().commands()); // the producer would create it: fail clearly instead
                send(command, signer, epoch);
                if (options.output == Output.TABLE) {
                    out.printf("sent %s %s for %s; waiting for the coordinator%n", command.getType(), id, group);
                    out.flush();
                }
                RoleChange[] answer = {null};
                Clock clock = options.clock;
                reader.follow(
                        reader.topics().roleChanges(),
                        from,
                        r -> {
                            Optional<RoleChange> c =
                                    group.equals(r.key()) ? roleChange(reader, r, err) : Optional.empty();
                            if (c.isPresent() && id.equals(c.get().getCommandId())) {
                                print(out, options.output, c.get());
                                if (c.get().getKind() == DecisionKind.COMMAND_REFUSED || finishes(c.get())) {
                                    answer[0] = c.get();
                                    return false;
                                }
                            }
                            return true;
                        },
                        clock,
                        clock.millis() + options.timeout.toMillis());
                if (answer[0] == null) {
                    throw new CtlException(
                            CtlException.NO_ANSWER,
                            "no acknowledgement of " + command.getType() + " " + id + " within "
                                    + DecisionText.age(options.timeout.toMillis()) + ": is a coordinator running?");
                }
                if (answer[0].getKind() == DecisionKind.COMMAND_REFUSED) {
                    throw new CtlException(CtlException.REFUSED, "refused: " + answer[0].getReason());
                }
                return 0;
            }
        }

        /** The operator's signer ({@code --signing-key}), or null. */
        private dev.failover.wire.sign.RecordSigner signer() {
            if (options.signingKey == null) {
                return null;
            }
            try {
                return dev.failover.wire.sign.RecordSigner.load(options.signingKey);
            } catch (java.io.IOException e) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "--signing-key: cannot read " + options.signingKey + " or the .pub beside it (" + e + ")");
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--signing-key: " + e.getMessage());
            }
        }

        /** Writes the command, signed for the group's {@code epoch} when there is a signer. */
        private void send(Command command, dev.failover.wire.sign.RecordSigner signer, long epoch)
                throws InterruptedException {
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers);
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(
                    ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                    Long.toString(Math.max(options.timeout.toMillis(), 1000)));
            props.put(
                    ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
                    Long.toString(Math.max(options.timeout.toMillis(), 1000)));
            props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
            props.putAll(options.kafka());
            byte[] value = WireSerdes.command().serialize(options.topics().commands(), command);
            org.apache.kafka.common.header.Headers headers =
                    new org.apache.kafka.common.header.internals.RecordHeaders();
            if (signer != null) {
                signer.signCommand(group, value, epoch, headers);
            }
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                    props, new StringSerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(options.topics().commands(), null, group, value, headers))
                        .get(options.timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new CtlException(
                        CtlException.FAILED,
                        "could not write the command to " + options.topics().commands() + ": "
                                + (e.getCause() == null ? e : e.getCause()).getMessage());
            }
        }

        Command.Builder base(String id, CommandType type) {
            return Command.newBuilder()
                    .setGroup(group)
                    .setCommandId(id)
                    .setIssuedAtMs(options.clock.millis())
                    .setType(type)
                    .setIssuedBy(System.getProperty("user.name") + "@failover-ctl");
        }
    }

    @CommandLine.Command(
            name = "switchover",
            mixinStandardHelpOptions = true,
            description = "Planned handover: the primary stands down, then NODE (or the best standby) is promoted.")
    static final class Switchover extends Steer {
        @Option(names = "--to", paramLabel = "NODE", description = "The node to promote (default: the best standby).")
        String to;

        @Override
        Command command(String id) {
            return base(id, CommandType.SWITCHOVER).setTargetNode(to).build();
        }

        @Override
        boolean finishes(RoleChange c) {
            return c.getKind() == DecisionKind.SWITCHOVER
                    && c.getMembers().stream().anyMatch(m -> m.getRole() == Role.ACTIVE);
        }
    }

    @CommandLine.Command(
            name = "pause",
            mixinStandardHelpOptions = true,
            description = "Stop automatic decisions for a group (maintenance), until resume or for a while.")
    static final class Pause extends Steer {
        @Option(
                names = "--for",
                paramLabel = "DURATION",
                converter = Durations.class,
                description = "Resume by itself after this long (default: until failover ctl resume).")
        Duration duration;

        @Override
        Command command(String id) {
            return base(id, CommandType.PAUSE)
                    .setPauseForMs(duration == null ? null : duration.toMillis())
                    .build();
        }

        @Override
        boolean finishes(RoleChange c) {
            return c.getKind() == DecisionKind.PAUSED;
        }
    }

    @CommandLine.Command(
            name = "resume",
            mixinStandardHelpOptions = true,
            description = "Resume automatic decisions for a group.")
    static final class Resume extends Steer {
        @Override
        Command command(String id) {
            return base(id, CommandType.RESUME).build();
        }

        @Override
        boolean finishes(RoleChange c) {
            return c.getKind() == DecisionKind.RESUMED;
        }
    }

    @CommandLine.Command(
            name = "remove",
            mixinStandardHelpOptions = true,
            description = "Forget a member that is gone for good (or, without --node, the whole group); refused for a "
                    + "live member or the primary.")
    static final class Remove extends Steer {
        @Option(
                names = "--node",
                paramLabel = "NODE",
                description = "The member to forget (default: every member, " + "so the group is deleted).")
        String node;

        @Override
        Command command(String id) {
            return base(id, CommandType.REMOVE).setTargetNode(node).build();
        }

        @Override
        boolean finishes(RoleChange c) {
            return c.getKind() == DecisionKind.MEMBERSHIP;
        }
    }

    @CommandLine.Command(
            name = "confirm-stopped",
            mixinStandardHelpOptions = true,
            description = {
                "Confirm that a node's service is stopped when its own stand-down failed or hangs (as",
                "Pacemaker's stonith_admin --confirm): the hand-over waiting for it goes on and promotes its successor.",
                "Only do this once you have made sure: two services may otherwise run at once."
            })
    static final class ConfirmStopped extends Steer {
        @Option(
                names = "--node",
                required = true,
                paramLabel = "NODE",
                description = "The node whose service you have stopped (or fenced) yourself.")
        String node;

        @Override
        Command command(String id) {
            return base(id, CommandType.CONFIRM_STOPPED).setTargetNode(node).build();
        }

        @Override
        boolean finishes(RoleChange c) {
            return c.getMembers().stream().anyMatch(m -> m.getRole() == Role.ACTIVE);
        }
    }
}
