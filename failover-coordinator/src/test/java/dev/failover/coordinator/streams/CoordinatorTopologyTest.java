package dev.failover.coordinator.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.coordinator.core.Policy;
import dev.failover.wire.Command;
import dev.failover.wire.CommandType;
import dev.failover.wire.DecisionKind;
import dev.failover.wire.FenceMarker;
import dev.failover.wire.GroupMode;
import dev.failover.wire.GroupState;
import dev.failover.wire.Health;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.MemberView;
import dev.failover.wire.Role;
import dev.failover.wire.RoleChange;
import dev.failover.wire.TopicNames;
import dev.failover.wire.Topics;
import dev.failover.wire.WireHeaders;
import dev.failover.wire.WireSerdes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CoordinatorTopologyTest {

    private static final Instant START = Instant.parse("2026-11-25T12:00:00Z");
    private static final TopicNames TOPICS = TopicNames.defaults();

    private final ShellStats stats = new ShellStats();
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> heartbeats;
    private TestInputTopic<String, byte[]> commands;
    private TestOutputTopic<String, byte[]> roleChanges;
    private TestOutputTopic<String, byte[]> state;
    private TestOutputTopic<String, byte[]> deadLetters;
    private final List<RoleChange> decisions = new ArrayList<>();
    private long sequence;
    /** Per node, the send time (wall ms) of each beat by its sequence. */
    private final java.util.Map<String, java.util.Map<Long, Long>> sent = new java.util.HashMap<>();

    @BeforeEach
    void start() {
        startWith(Policy.defaults());
    }

    private void startWith(Policy policy) {
        startWith(policy, START);
    }

    private void startWith(Policy policy, Instant startedAt) {
        startWith(policy, startedAt, java.util.function.UnaryOperator.identity());
    }

    private void startWith(
            Policy policy,
            Instant startedAt,
            java.util.function.UnaryOperator<Processor<String, byte[], String, byte[]>> wrap) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "coordinator-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        ShellSettings settings = new ShellSettings(
                TOPICS,
                20,
                "instance-1",
                policy,
                ShellSettings.BrakeSettings.defaults(),
                new ShellSettings.Guards(signer, operatorKeys, 120_000, heartbeatKeys),
                inputPartitions);
        driver = new TopologyTestDriver(
                CoordinatorTopology.build(settings, stats, wrap, () -> monotonic), props, startedAt);
        heartbeats = driver.createInputTopic(TOPICS.heartbeats(), new StringSerializer(), new ByteArraySerializer());
        commands = driver.createInputTopic(TOPICS.commands(), new StringSerializer(), new ByteArraySerializer());
        roleChanges =
                driver.createOutputTopic(TOPICS.roleChanges(), new StringDeserializer(), new ByteArrayDeserializer());
        state = driver.createOutputTopic(TOPICS.state(), new StringDeserializer(), new ByteArrayDeserializer());
        deadLetters =
                driver.createOutputTopic(TOPICS.deadLetters(), new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** Signs what the coordinator writes when set (before {@link #startWith}). */
    private dev.failover.wire.sign.RecordSigner signer;
    /** The operator keys commands must be signed with, when set (before {@link #startWith}). */
    private dev.failover.wire.sign.RecordVerifier operatorKeys;
    /** The partitions of the input topics the coordinator checks records against (0: none), set before startWith. */
    private int inputPartitions;
    /** The coordinator's heartbeat keys, when set (before {@link #startWith}). */
    private HeartbeatKeys heartbeatKeys;
    /** The key each node's beats are authenticated with by {@link #beat}, if any. */
    private Map<String, dev.failover.wire.sign.HeartbeatMac> agentKeys = Map.of();

    @Test
    void everyRoleChangeSaysWhichDecisionSettingsMadeItSoThatAReplayUsesThem() {
        for (long end = now() + 1_400; now() < end; ) {
            tick(20);
            if (now() % 200 == 0) { // not drained: the role change is read below with its headers
                beat("orders", "alpha", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY, Role.STANDBY, 0);
                beat("orders", "beta", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY, Role.STANDBY, 0);
            }
        }
        TestRecord<String, byte[]> election = roleChanges.readRecord();
        assertEquals(
                DecisionKind.ELECTION,
                WireSerdes.roleChange()
                        .deserialize(TOPICS.roleChanges(), election.value())
                        .getKind());
        assertEquals(
                "rise=2;fall=2;min.margin.ms=100;failback=sticky;failback.after.ms=30000;min.active=1;"
                        + "max.members.per.group=64;member.retention.ms=604800000;election.grace.ms=-1;brake.max.share=0.5;"
                        + "brake.min.failovers=3;"
                        + "brake.window.ms=10000;punctuation.interval.ms=20",
                new String(election.headers().lastHeader(WireHeaders.SETTINGS).value(), StandardCharsets.UTF_8));
    }

    @Test
    void aGroupsFirstElectionWaitsTheGraceFromItsFirstHeartbeatSoTheHigherPriorityNodeStartingLaterWins() {
        runWithBeats(5_000, GroupMode.ACTIVE_PASSIVE); // the coordinator has run for a while: its own guard is over
        runWithBeats(600, GroupMode.ACTIVE_PASSIVE, "beta"); // beta (priority 10) is eligible after two beats
        assertTrue(decisions.isEmpty(), "without the grace beta would be elected by now: " + decisions);
        runWithBeats(1_000, GroupMode.ACTIVE_PASSIVE, "alpha", "beta"); // alpha (100) starts 600 ms later
        assertEquals(1, decisions.size(), decisions.toString());
        assertEquals(DecisionKind.ELECTION, decisions.get(0).getKind());
        assertEquals(
                Role.ACTIVE, role(decisions.get(0), "alpha"), decisions.get(0).getReason());
    }

    @Test
    void theStatusPageAsksTheTaskHoldingAGroupAndItAnswersOnItsOwnThreadWithTheLiveView() {
        runWithBeats(1_400, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        assertEquals(Role.ACTIVE, role(lastDecision(), "alpha"));
        var asked = stats.live().ask(0, "orders");
        var unknown = stats.live().ask(0, "nobody");
        assertFalse(asked.isDone(), "answered by the stream thread, not by the asker");
        tick(20); // the next punctuation answers
        String live = asked.getNow("not answered");
        assertTrue(
                live.startsWith("{\"state\":{\"group\": \"orders\", \"epoch\": "
                        + lastDecision().getEpoch()),
                live);
        assertTrue(
                live.contains("\"alpha\":{\"reportedRole\":\"ACTIVE\",\"reportedEpoch\":"
                        + lastDecision().getEpoch() + ",\"failureTimeoutMs\":1000,\"leaseLeftMs\":"),
                live);
        assertTrue(
                live.contains("\"beta\":{\"reportedRole\":\"STANDBY\"") && live.contains("\"leaseLeftMs\":null}"),
                "only the primary has a lease: " + live);
        assertTrue(live.contains("\"handover\":null,\"task\":0}"), live);
        assertNull(unknown.getNow("not answered"), "a group the task does not hold");
        assertNull(stats.live().ask(7, "orders").getNow("not answered"), "no task of this instance runs partition 7");

        // alpha falls silent: its heard age grows and its lease (from when its last beat was read) runs out
        long leaseAt500 = leaseLeft(askNow("orders"), 0);
        runWithBeats(500, GroupMode.ACTIVE_PASSIVE, "beta");
        String silent = askNow("orders");
        assertTrue(leaseLeft(silent, 0) <= leaseAt500 - 500, silent);
        assertTrue(
                silent.matches("(?s).*\\{\"node\": \"alpha\", \"role\": \"ACTIVE\", \"health\": \"HEALTHY\", "
                        + "\"priority\": 100, \"lastSeenAgeMs\": (5\\d\\d|6\\d\\d).*"),
                silent);
        runWithBeats(400, GroupMode.ACTIVE_PASSIVE, "beta");
        assertTrue(leaseLeft(askNow("orders"), 0) < 0, "lapsed after 900 ms of an 800 ms lease");

        var pending = stats.live().ask(0, "orders");
        driver.close();
        assertNull(pending.getNow("not answered"), "a closing task answers what it was asked");
        driver = null;
    }

    /** Asks the task for {@code group} and lets one punctuation answer. */
    private String askNow(String group) {
        var answer = stats.live().ask(0, group);
        tick(20);
        return answer.getNow(null);
    }

    /** The lease left of the {@code index}th member with one in a live view. */
    private static long leaseLeft(String live, int index) {
        var m = java.util.regex.Pattern.compile("\"leaseLeftMs\":(-?\\d+)").matcher(live);
        for (int i = 0; i <= index; i++) {
            assertTrue(m.find(), live);
        }
        return Long.parseLong(m.group(1));
    }

    @Test
    void aGroupWithHeartbeatKeysActsOnlyOnAuthenticNewBeatsSoAReplayKeepsNoDeadPrimaryAlive(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path keys) throws Exception {
        driver.close();
        dev.failover.wire.sign.HeartbeatMac.generate(keys.resolve("orders").resolve("alpha.key"));
        dev.failover.wire.sign.HeartbeatMac.generate(keys.resolve("orders").resolve("beta.key"));
        var alphaKey =
                dev.failover.wire.sign.HeartbeatMac.load(keys.resolve("orders").resolve("alpha.key"));
        heartbeatKeys = HeartbeatKeys.load(keys);
        agentKeys = Map.of(
                "alpha",
                alphaKey,
                "beta",
                dev.failover.wire.sign.HeartbeatMac.load(keys.resolve("orders").resolve("beta.key")));
        startWith(Policy.defaults());
        runWithBeats(1_400, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        long epoch = lastDecision().getEpoch();
        assertEquals(Role.ACTIVE, role(lastDecision(), "alpha"), "elected on authentic beats");
        assertTrue(deadLetters.isEmpty());

        byte[] genuine = WireSerdes.heartbeat()
                .serialize(
                        TOPICS.heartbeats(),
                        heartbeat("orders", "alpha", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY, Role.ACTIVE, epoch));
        var genuineHeaders =
                alphaKey.sign("orders", genuine, new org.apache.kafka.common.header.internals.RecordHeaders());
        heartbeats.pipeInput(
                new TestRecord<>("orders", genuine, genuineHeaders, (Instant) null)); // recorded by someone
        heartbeats.pipeInput(
                "orders",
                WireSerdes.heartbeat()
                        .serialize(
                                TOPICS.heartbeats(),
                                heartbeat(
                                        "orders",
                                        "alpha",
                                        GroupMode.ACTIVE_PASSIVE,
                                        Health.HEALTHY,
                                        Role.ACTIVE,
                                        epoch))); // no code
        byte[] asBeta = WireSerdes.heartbeat()
                .serialize(
                        TOPICS.heartbeats(),
                        heartbeat("orders", "beta", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY, Role.STANDBY, epoch));
        heartbeats.pipeInput(new TestRecord<>(
                "orders",
                asBeta,
                alphaKey.sign("orders", asBeta, new org.apache.kafka.common.header.internals.RecordHeaders()),
                (Instant) null)); // alpha's key for beta
        List<String> reasons = new ArrayList<>();
        while (!deadLetters.isEmpty()) {
            reasons.add(new String(
                    deadLetters
                            .readRecord()
                            .headers()
                            .lastHeader(WireHeaders.ERROR)
                            .value(),
                    StandardCharsets.UTF_8));
        }
        assertEquals(2, reasons.size(), reasons.toString());
        assertTrue(
                reasons.get(0).contains("heartbeat of alpha in orders refused: no authentication code"),
                reasons.get(0));
        assertTrue(
                reasons.get(1).contains("heartbeat of beta in orders refused: its authentication code is wrong"),
                reasons.get(1));
        assertEquals(2, stats.heartbeatsUnauthenticated.get());

        // alpha dies; its recorded beat is written again every 200 ms: it keeps nobody alive
        long end = now() + 3_000;
        while (now() < end) {
            tick(20);
            if (now() % 200 == 0) {
                beat("orders", "beta", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY);
                heartbeats.pipeInput(new TestRecord<>("orders", genuine, genuineHeaders, (Instant) null));
            }
        }
        assertEquals(Role.ACTIVE, role(lastDecision(), "beta"), "alpha was convicted despite the replays");
        assertTrue(stats.heartbeatsStale.get() >= 10, "every replay dropped: " + stats.heartbeatsStale.get());
        assertTrue(deadLetters.isEmpty(), "an authentic copy is dropped, not dead-lettered");
    }

    @Test
    void aPrimaryWhoseBeatsFailAuthenticationIsNeverConvictedAndAKeyAddedToItsFileIsAcceptedWithoutARestart(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path keys) throws Exception {
        driver.close();
        java.nio.file.Path alphaFile = keys.resolve("orders").resolve("alpha.key");
        dev.failover.wire.sign.HeartbeatMac.generate(alphaFile);
        dev.failover.wire.sign.HeartbeatMac.generate(keys.resolve("orders").resolve("beta.key"));
        java.nio.file.Path rotated = keys.resolve("agent-side").resolve("alpha.key");
        dev.failover.wire.sign.HeartbeatMac.generate(rotated);
        heartbeatKeys = HeartbeatKeys.load(keys, () -> monotonic * 1_000_000);
        agentKeys = new java.util.HashMap<>(Map.of(
                "alpha", dev.failover.wire.sign.HeartbeatMac.load(alphaFile),
                "beta",
                        dev.failover.wire.sign.HeartbeatMac.load(
                                keys.resolve("orders").resolve("beta.key"))));
        startWith(Policy.defaults());
        runWithBeats(1_400, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        long epoch = lastDecision().getEpoch();
        assertEquals(Role.ACTIVE, role(lastDecision(), "alpha"));
        byte[] asBeta = WireSerdes.heartbeat()
                .serialize(
                        TOPICS.heartbeats(),
                        heartbeat("orders", "beta", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY, Role.STANDBY, epoch));
        heartbeats.pipeInput(new TestRecord<>(
                "orders",
                asBeta,
                dev.failover.wire.sign.HeartbeatMac.load(rotated)
                        .sign("orders", asBeta, new org.apache.kafka.common.header.internals.RecordHeaders()),
                (Instant) null));
        assertTrue(new String(
                        deadLetters
                                .readRecord()
                                .headers()
                                .lastHeader(WireHeaders.ERROR)
                                .value(),
                        StandardCharsets.UTF_8)
                .contains("heartbeat of beta in orders refused"));
        assertEquals(
                0,
                stats.heartbeatsUnverifiedHeld.get(),
                "a standby's refused beat holds nothing: its service " + "does not run");

        // alpha's agent moves to a new key the coordinators do not have yet: Kafka acknowledges its beats, so it keeps
        // its lease and serves; convicting it for silence would make beta a second active
        agentKeys.put("alpha", dev.failover.wire.sign.HeartbeatMac.load(rotated));
        runWithBeats(4_000, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        assertEquals(
                epoch, lastDecision().getEpoch(), "no decision while alpha's beats fail authentication: " + decisions);
        assertTrue(
                stats.heartbeatsUnverifiedHeld.get() >= 15,
                "each refused beat of alpha held it: " + stats.heartbeatsUnverifiedHeld.get());
        int refused = 0;
        while (!deadLetters.isEmpty()) {
            String reason = new String(
                    deadLetters
                            .readRecord()
                            .headers()
                            .lastHeader(WireHeaders.ERROR)
                            .value(),
                    StandardCharsets.UTF_8);
            assertTrue(
                    reason.contains("heartbeat of alpha in orders refused: its authentication code is wrong"), reason);
            refused++;
        }
        assertTrue(refused >= 15, "dead-lettered with the reason: " + refused);

        // the new key is added to the coordinators' file as a second line: read again without a restart
        java.nio.file.Files.writeString(
                alphaFile,
                java.nio.file.Files.readString(alphaFile).strip() + "\n" + java.nio.file.Files.readString(rotated));
        runWithBeats(6_000, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        long before = stats.heartbeatsUnverifiedHeld.get();
        while (!deadLetters.isEmpty()) {
            deadLetters.readRecord();
        }
        runWithBeats(2_000, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        assertEquals(before, stats.heartbeatsUnverifiedHeld.get(), "alpha's beats authenticate again");
        assertTrue(deadLetters.isEmpty());
        assertEquals(epoch, lastDecision().getEpoch(), "alpha stayed primary throughout: " + decisions);

        // and once alpha really dies, it is convicted as before
        long end = now() + 2_000;
        while (now() < end) {
            tick(20);
            if (now() % 200 == 0) {
                beat("orders", "beta", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY);
            }
        }
        assertEquals(Role.ACTIVE, role(lastDecision(), "beta"), "alpha silent: convicted");
    }

    @Test
    void aRecordOutsideItsGroupsPartitionIsDeadLetteredSoNoTaskHoldsASecondCopyOfTheGroup() {
        driver.close();
        inputPartitions = 6; // the test driver reads every record from partition 0
        startWith(Policy.defaults());
        String here = null;
        String elsewhere = null;
        for (int i = 0; here == null || elsewhere == null; i++) {
            String group = "g" + i;
            int belongs = org.apache.kafka.common.utils.Utils.toPositive(
                            org.apache.kafka.common.utils.Utils.murmur2(group.getBytes(StandardCharsets.UTF_8)))
                    % 6;
            if (belongs == 0 && here == null) {
                here = group;
            } else if (belongs != 0 && elsewhere == null) {
                elsewhere = group;
            }
        }
        long end = now() + 1_400;
        while (now() < end) {
            tick(20);
            if (now() % 200 == 0) {
                for (String group : List.of(here, elsewhere)) {
                    beat(group, "alpha", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY);
                    beat(group, "beta", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY);
                }
            }
        }
        commands.pipeInput(
                elsewhere,
                WireSerdes.command().serialize(TOPICS.commands(), command(elsewhere, "c-1", CommandType.PAUSE, null)));
        final String mine = here;
        final String other = elsewhere;
        drain();
        assertFalse(decisions.isEmpty(), "the group whose records belong here is elected");
        assertTrue(
                decisions.stream().allMatch(d -> d.getGroup().equals(mine)),
                "only the group whose records belong " + "here is decided: " + decisions);
        assertEquals(Role.ACTIVE, role(lastDecision(), "alpha"));
        List<String> reasons = new ArrayList<>();
        while (!deadLetters.isEmpty()) {
            reasons.add(new String(
                    deadLetters
                            .readRecord()
                            .headers()
                            .lastHeader(WireHeaders.ERROR)
                            .value(),
                    StandardCharsets.UTF_8));
        }
        assertTrue(reasons.size() >= 15, reasons.toString());
        assertTrue(
                reasons.stream()
                        .allMatch(r -> r.contains("of group '" + other + "' in partition 0, but the "
                                + "group's records belong in partition ")),
                reasons.toString());
        assertTrue(reasons.get(reasons.size() - 1).startsWith("a command of group"), reasons.get(reasons.size() - 1));
    }

    @Test
    void withOperatorKeysOnlyACommandSignedForTheCurrentEpochRecentlyAndOnceIsCarriedOut(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path keys) throws Exception {
        driver.close();
        dev.failover.wire.sign.SigningKeys.generate(keys, "operator");
        dev.failover.wire.sign.SigningKeys.generate(keys, "rogue");
        var operator = dev.failover.wire.sign.RecordSigner.load(keys.resolve("operator.key"));
        var rogue = dev.failover.wire.sign.RecordSigner.load(keys.resolve("rogue.key"));
        operatorKeys = new dev.failover.wire.sign.RecordVerifier(
                List.of(dev.failover.wire.sign.SigningKeys.loadPublic(keys.resolve("operator.pub"))));
        startWith(Policy.defaults());
        runWithBeats(1_400, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        long epoch = lastDecision().getEpoch();

        sendCommand(null, command("orders", "c-unsigned", CommandType.SWITCHOVER, "beta", now()), epoch);
        sendCommand(rogue, command("orders", "c-rogue", CommandType.SWITCHOVER, "beta", now()), epoch);
        sendCommand(operator, command("orders", "c-stale", CommandType.SWITCHOVER, "beta", now()), epoch - 1);
        sendCommand(operator, command("orders", "c-old", CommandType.SWITCHOVER, "beta", now() - 600_000), epoch);
        sendCommand(operator, command("orders", "c-nobody", CommandType.SWITCHOVER, "nobody", now()), epoch);
        sendCommand(operator, command("orders", "c-nobody", CommandType.SWITCHOVER, "nobody", now()), epoch);
        List<RoleChange> answers = drain();
        assertEquals(6, answers.size(), answers.toString());
        assertTrue(
                answers.stream().allMatch(a -> a.getKind() == DecisionKind.COMMAND_REFUSED && a.getEpoch() == epoch),
                answers.toString());
        assertTrue(
                answers.get(0).getReason().contains("unsigned command"),
                answers.get(0).getReason());
        assertTrue(
                answers.get(1).getReason().contains("unknown-key command"),
                answers.get(1).getReason());
        assertTrue(
                answers.get(2)
                        .getReason()
                        .contains("signed for epoch " + (epoch - 1) + " but the group is at epoch " + epoch),
                answers.get(2).getReason());
        assertTrue(
                answers.get(3).getReason().contains("more than command.max.age.ms"),
                answers.get(3).getReason());
        assertTrue(
                answers.get(4).getReason().contains("nobody is not a member"),
                "signed and fresh, so the decider " + "answers it: "
                        + answers.get(4).getReason());
        assertTrue(
                answers.get(5).getReason().contains("c-nobody was already answered"),
                answers.get(5).getReason());
        assertEquals(5, stats.commandsUnauthenticated.get());
        assertEquals(
                List.of("c-nobody"),
                driver
                        .<String, dev.failover.wire.StoredGroup>getKeyValueStore(Topics.GROUP_STORE)
                        .get("orders")
                        .getAnsweredCommands()
                        .stream()
                        .map(dev.failover.wire.StoredAnswer::getCommandId)
                        .toList(),
                "stored with the group, in the same "
                        + "transaction as the answer: the instance that holds the group next refuses a copy too");

        sendCommand(operator, command("orders", "c-42", CommandType.SWITCHOVER, "beta", now()), epoch);
        RoleChange standDown = drain().get(0);
        assertEquals(DecisionKind.SWITCHOVER, standDown.getKind(), standDown.toString());
        assertEquals("c-42", standDown.getCommandId());
    }

    private void sendCommand(dev.failover.wire.sign.RecordSigner by, Command command, long epoch) {
        byte[] value = WireSerdes.command().serialize(TOPICS.commands(), command);
        var headers = new org.apache.kafka.common.header.internals.RecordHeaders();
        if (by != null) {
            by.signCommand(command.getGroup(), value, epoch, headers);
        }
        commands.pipeInput(new TestRecord<>(command.getGroup(), value, headers, (Instant) null));
    }

    @Test
    void withASigningKeyEveryRoleChangeAndStateRecordIsSignedForItsKindAndGroup(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path keys) throws Exception {
        driver.close();
        dev.failover.wire.sign.SigningKeys.generate(keys, "coordinator");
        signer = new dev.failover.wire.sign.RecordSigner(
                dev.failover.wire.sign.SigningKeys.loadPrivate(keys.resolve("coordinator.key")),
                dev.failover.wire.sign.SigningKeys.loadPublic(keys.resolve("coordinator.pub")));
        dev.failover.wire.sign.RecordVerifier verifier = new dev.failover.wire.sign.RecordVerifier(
                List.of(dev.failover.wire.sign.SigningKeys.loadPublic(keys.resolve("coordinator.pub"))));
        startWith(Policy.defaults());
        long end = now() + 1_400;
        while (now() < end) { // beats without draining: the records are read here, with their headers
            tick(20);
            if (now() % 200 == 0) {
                for (String node : List.of("alpha", "beta")) {
                    heartbeats.pipeInput(
                            "orders", heartbeatBytes("orders", node, GroupMode.ACTIVE_PASSIVE, Health.HEALTHY));
                }
            }
        }
        List<TestRecord<String, byte[]>> changes = roleChanges.readRecordsToList();
        List<TestRecord<String, byte[]>> states = state.readRecordsToList();
        assertFalse(changes.isEmpty(), "an election was published");
        assertFalse(states.isEmpty());
        for (TestRecord<String, byte[]> r : changes) {
            assertEquals(
                    dev.failover.wire.sign.RecordVerifier.Outcome.VALID,
                    verifier.check(dev.failover.wire.sign.RecordSigner.ROLE_CHANGE, r.key(), r.value(), r.headers()));
            assertEquals(
                    dev.failover.wire.sign.RecordVerifier.Outcome.INVALID,
                    verifier.check(dev.failover.wire.sign.RecordSigner.GROUP_STATE, r.key(), r.value(), r.headers()),
                    "a role change does not pass for a state record");
        }
        for (TestRecord<String, byte[]> r : states) {
            assertEquals(
                    dev.failover.wire.sign.RecordVerifier.Outcome.VALID,
                    verifier.check(dev.failover.wire.sign.RecordSigner.GROUP_STATE, r.key(), r.value(), r.headers()));
        }
    }

    @AfterEach
    void stop() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void electsAndThenFailsOverOnWallClockTimeWhenThePrimaryGoesSilent() {
        runWithBeats(1_400, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        RoleChange election = only(DecisionKind.ELECTION);
        assertEquals(Role.ACTIVE, role(election, "alpha"));

        long lastAlphaBeat = now();
        long detectedAt = -1;
        for (int step = 0; step < 100 && detectedAt < 0; step++) {
            tick(20);
            if (now() % 200 == 0) {
                beat("orders", "beta", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY);
            }
            if (drain().stream().anyMatch(c -> c.getKind() == DecisionKind.FAILOVER)) {
                detectedAt = now();
            }
        }
        RoleChange failover = only(DecisionKind.FAILOVER);
        assertEquals(Role.ACTIVE, role(failover, "beta"));
        assertEquals(election.getEpoch() + 1, failover.getEpoch());
        assertTrue(
                failover.getReason().matches("promoted beta: alpha silent for 10\\d\\d ms > timeout 1000 ms"),
                failover.getReason());
        long detection = detectedAt - lastAlphaBeat;
        assertTrue(detection > 1000 && detection <= 1000 + 2 * 20, "detected after " + detection + " ms");
        MemberView alphaEvidence = failover.getMembers().stream()
                .filter(m -> m.getNode().equals("alpha"))
                .findFirst()
                .orElseThrow();
        assertTrue(alphaEvidence.getLastSeenAgeMs() > 1000, "evidence: " + alphaEvidence);

        // RoleChange v4: each promotion names the newest beat of the promoted node it was based on
        assertEquals(
                List.of("alpha"),
                election.getBasis().stream().map(b -> b.getNode()).toList());
        assertEquals(
                List.of("beta"),
                failover.getBasis().stream().map(b -> b.getNode()).toList());
        var basis = failover.getBasis().get(0);
        assertEquals(1, basis.getIncarnation());
        Long basisSentAt = sent.get("beta").get(basis.getSequence());
        assertTrue(
                basisSentAt != null && basisSentAt >= detectedAt - 200 && basisSentAt <= detectedAt,
                "the failover is based on beta's newest beat, sent at " + basisSentAt + ", decided by " + detectedAt);
    }

    @Test
    void aForwardStepOfTheWallClockConvictsNobody() {
        runWithBeats(1_400, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        assertEquals(Role.ACTIVE, role(only(DecisionKind.ELECTION), "alpha"));
        for (int round = 0; round < 2; round++) {
            stepTheWallClock(5_000);
            // alpha's next beats are 600 ms away (well within its lease), the standby beats on: on the wall clock
            // alpha would now look 5 s silent, beside an eligible standby
            for (int i = 0; i < 6; i++) {
                beat("orders", "beta", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY);
                tick(100);
            }
            beat("orders", "alpha", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY);
            tick(100);
        }
        drain(); // (beat() drains too, so the whole list is judged)
        assertEquals(
                List.of(DecisionKind.ELECTION),
                decisions.stream().map(RoleChange::getKind).toList(),
                "a step of the wall clock is no silence: " + decisions);
    }

    @Test
    void aWallClockSteppedBackDelaysNoConvictionWhileRecordsArrive() {
        runWithBeats(1_400, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        long lastAlphaBeat = monotonic;
        long detectedAt = -1;
        // stepped back by 5 s: Streams' wall-clock punctuator is silent until the wall clock catches up, so only
        // the standby's heartbeats drive the coordinator now
        for (int step = 0; step < 100 && detectedAt < 0; step++) {
            tickWithTheWallClockStill(20);
            if (monotonic % 200 == 0) {
                beat("orders", "beta", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY);
            }
            drain();
            if (decisions.stream().anyMatch(c -> c.getKind() == DecisionKind.FAILOVER)) {
                detectedAt = monotonic;
            }
        }
        assertTrue(detectedAt > 0, "no conviction while the wall clock stood still: " + decisions);
        long detection = detectedAt - lastAlphaBeat;
        assertTrue(detection > 1000 && detection <= 1000 + 200 + 20, "detected after " + detection + " ms");
    }

    @Test
    void aTaskWithNoGroupNeitherPunctuatesNorWritesUntilAGroupComesAndAfterItIsForgotten() {
        driver.close();
        startWith(Policy.defaults().withMemberRetentionMs(3_000));
        TestOutputTopic<String, byte[]> written =
                driver.createOutputTopic(TOPICS.heartbeats(), new StringDeserializer(), new ByteArrayDeserializer());
        for (int i = 0; i < 350; i++) {
            tick(10);
        }
        assertEquals(List.of(), markers(written), "an idle task writes no marker (each would cost a transaction)");
        assertEquals(0, stats.punctuations.get(), "an idle task does not punctuate (each would make Streams commit)");
        assertEquals(java.util.Set.of(0), stats.idleTasks(), "/health is told the task holds no group");

        runWithBeats(1_400, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        assertEquals(Role.ACTIVE, role(only(DecisionKind.ELECTION), "alpha"), "a first group is decided as ever");
        assertEquals(java.util.Set.of(), stats.idleTasks());
        assertFalse(markers(written).isEmpty(), "a task with a group fences its decisions");

        // both members fall silent: failed over to nobody, then forgotten after the retention; the task goes idle
        for (int i = 0; i < 500; i++) {
            tick(10);
        }
        assertEquals(java.util.Set.of(0), stats.idleTasks(), "the group was forgotten: " + decisions);
        written.readRecordsToList();
        long punctuations = stats.punctuations.get();
        for (int i = 0; i < 350; i++) {
            tick(10);
        }
        assertEquals(List.of(), markers(written), "idle again: no marker");
        assertEquals(punctuations, stats.punctuations.get(), "idle again: no punctuation");
    }

    @Test
    void aWantedMarkerWaitsForTheLastOneToComeBackSoASlowReadBackIsNotACommitAtEveryPunctuation() {
        driver.close();
        HoldBack hold = new HoldBack();
        startWith(Policy.defaults(), START, hold);
        TestOutputTopic<String, byte[]> written =
                driver.createOutputTopic(TOPICS.heartbeats(), new StringDeserializer(), new ByteArrayDeserializer());
        runWithBeats(1_400, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        assertEquals(Role.ACTIVE, role(only(DecisionKind.ELECTION), "alpha"));
        markers(written);
        hold.holding = true; // from now on the task reads none of its markers back: a slow round trip
        long lastAlphaBeat = now();
        // alpha falls silent: from 240 ms before its deadline (timeout - lease + two punctuations) a marker is wanted
        // at every punctuation, and past the deadline too, since none comes back
        while (now() < lastAlphaBeat + 1_600) {
            tick(20);
            if (now() % 200 == 0) {
                beat("orders", "beta", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY);
            }
        }
        List<Long> whileHeld = markers(written);
        assertTrue(
                whileHeld.size() >= 1 && whileHeld.size() <= 3,
                "one wanted marker on its way, then only the "
                        + "keepalive (about one a second), not one per 20 ms punctuation: " + whileHeld);
        assertEquals(
                List.of(DecisionKind.ELECTION),
                decisions.stream().map(RoleChange::getKind).toList(),
                "nobody is convicted before a marker comes back");

        hold.holding = false; // the held markers come back with the next record
        long releasedAt = now();
        long convictedAt = -1;
        while (convictedAt < 0 && now() < releasedAt + 1_000) {
            tick(20);
            if (now() % 200 == 0) {
                beat("orders", "beta", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY);
            }
            if (drain().stream().anyMatch(c -> c.getKind() == DecisionKind.FAILOVER)) {
                convictedAt = now();
            }
        }
        assertTrue(convictedAt > 0, "convicted once the markers came back: " + decisions);
        assertEquals(Role.ACTIVE, role(only(DecisionKind.FAILOVER), "beta"));
    }

    @Test
    void aForgedFenceMarkerWithThisInstancesIdDoesNotLiftTheSelfGuard() {
        driver.close();
        // this task never reads its own markers back (a broker that does not acknowledge them): only forgeries arrive
        startWith(Policy.defaults(), START, inner -> new Processor<>() {
            @Override
            public void init(ProcessorContext<String, byte[]> context) {
                inner.init(context);
            }

            @Override
            public void process(Record<String, byte[]> record) {
                if (record.headers().lastHeader(FenceMarker.SEAL_HEADER) == null
                        || !FenceSeal.ofThisProcess()
                                .verify(
                                        record.key(),
                                        record.value(),
                                        record.headers()
                                                .lastHeader(FenceMarker.SEAL_HEADER)
                                                .value())) {
                    inner.process(record);
                }
            }

            @Override
            public void close() {
                inner.close();
            }
        });
        // an election needs the heartbeat log read a full timeout past the start (a marker): none comes back, none
        runWithBeats(1_400, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        assertTrue(decisions.isEmpty(), "no marker of its own came back: no election: " + decisions);
        String key = FenceMarker.KEY_PREFIX + "0";
        for (long sentAt : new long[] {monotonic, monotonic + 3_600_000}) { // now, and an hour ahead
            // in both shapes: the Fence record, and the Heartbeat of zeros coordinators wrote before it (still read)
            for (byte[] value : List.of(
                    WireSerdes.fence().serialize(TOPICS.heartbeats(), FenceMarker.body("instance-1", 1, 1, sentAt)),
                    WireSerdes.heartbeat()
                            .serialize(TOPICS.heartbeats(), FenceMarker.legacyBody("instance-1", 1, 1, sentAt)))) {
                heartbeats.pipeInput(new TestRecord<>(key, value)); // no seal (the instance id is on /health)
                byte[] wrong = new FenceSeal(new byte[32]).seal(key, value);
                heartbeats.pipeInput(new TestRecord<>(
                        key,
                        value,
                        new org.apache.kafka.common.header.internals.RecordHeaders()
                                .add(FenceMarker.SEAL_HEADER, wrong)));
            }
        }
        runWithBeats(400, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        assertTrue(decisions.isEmpty(), "the forgeries proved nothing, so nobody was elected: " + decisions);
        assertEquals(8, stats.fenceMarkersRefused.get(), "each forgery was read as a marker, and refused");
    }

    @Test
    void whatIsNoMarkerUnderAMarkersKeyIsDeadLetteredNamingWhatItIs() {
        String key = FenceMarker.key(0);
        heartbeats.pipeInput(
                new TestRecord<>(key, heartbeatBytes("orders", "alpha", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY)));
        heartbeats.pipeInput(new TestRecord<>(key, (byte[]) null));
        heartbeats.pipeInput(new TestRecord<>(key, "hello".getBytes(StandardCharsets.UTF_8)));
        List<String> reasons = new ArrayList<>();
        while (!deadLetters.isEmpty()) {
            var r = deadLetters.readRecord();
            assertEquals(key, r.key());
            reasons.add(new String(r.headers().lastHeader(WireHeaders.ERROR).value(), StandardCharsets.UTF_8));
        }
        assertEquals(3, reasons.size(), reasons.toString());
        assertTrue(reasons.get(0).contains("Heartbeat"), "an ordinary heartbeat is no marker: " + reasons.get(0));
        assertTrue(reasons.get(1).contains("tombstone") && reasons.get(1).contains("Fence"), reasons.get(1));
        assertTrue(reasons.get(2).contains("single-object"), reasons.get(2));
        assertEquals(0, stats.fenceMarkersRefused.get(), "none was a marker to refuse");
        runWithBeats(1_600, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        assertEquals(Role.ACTIVE, role(lastDecision(), "alpha"), "and the coordinator goes on deciding");
    }

    /** Holds back this task's fence markers while {@link #holding}; hands them over with the next record after. */
    private static final class HoldBack
            implements java.util.function.UnaryOperator<Processor<String, byte[], String, byte[]>> {
        volatile boolean holding;

        @Override
        public Processor<String, byte[], String, byte[]> apply(Processor<String, byte[], String, byte[]> inner) {
            List<Record<String, byte[]>> held = new ArrayList<>();
            return new Processor<>() {
                @Override
                public void init(ProcessorContext<String, byte[]> context) {
                    inner.init(context);
                }

                @Override
                public void process(Record<String, byte[]> record) {
                    boolean marker = record.key() != null && record.key().startsWith(FenceMarker.KEY_PREFIX);
                    if (holding && marker) {
                        held.add(record);
                        return;
                    }
                    if (!holding && !held.isEmpty()) {
                        List<Record<String, byte[]>> back = List.copyOf(held);
                        held.clear();
                        back.forEach(inner::process); // read from the same heartbeat partition as this record
                    }
                    inner.process(record);
                }

                @Override
                public void close() {
                    inner.close();
                }
            };
        }
    }

    private static List<Long> markers(TestOutputTopic<String, byte[]> written) {
        List<Long> markedAt = new ArrayList<>();
        for (var r : written.readRecordsToList()) {
            if (r.key().startsWith(FenceMarker.KEY_PREFIX)) {
                markedAt.add(r.timestamp());
            }
        }
        return markedAt;
    }

    @Test
    void aTaskWithLiveGroupsWritesItsKeepaliveMarkersOnWholeSecondsOfTheMonotonicClock() {
        monotonic += 613; // the monotonic clock's seconds are not the wall clock's
        TestOutputTopic<String, byte[]> written =
                driver.createOutputTopic(TOPICS.heartbeats(), new StringDeserializer(), new ByteArrayDeserializer());
        runWithBeats(2_000, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        written.readRecordsToList(); // the election's markers (after the grace: a timeout since the first beat)
        long from = monotonic;
        runWithBeats(3_000, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        List<Long> markedAt = new ArrayList<>();
        for (var r : written.readRecordsToList()) {
            if (r.key().startsWith(FenceMarker.KEY_PREFIX)) {
                markedAt.add(WireSerdes.fence()
                                .deserialize(TOPICS.heartbeats(), r.value())
                                .getSentAtMs()
                        - from);
            }
        }
        // beats every 200 ms against a 1 s timeout: no deadline is ever near, so every marker is a keepalive
        assertTrue(markedAt.size() >= 2 && markedAt.size() <= 3, "one keepalive marker a second: " + markedAt);
        for (long at : markedAt) {
            assertTrue(
                    Math.floorMod(at + from, 1_000) < 20,
                    "a keepalive marker " + Math.floorMod(at + from, 1_000)
                            + " ms after a whole second of the monotonic clock, not in the first punctuation of it: "
                            + markedAt);
        }
    }

    @Test
    void detectsSilenceWhenEveryMemberOfThePartitionGoesSilentAtOnce() {
        runWithBeats(1_400, GroupMode.ACTIVE_ACTIVE, "a", "b", "c");
        assertEquals(Set.of("a", "b", "c"), activeIn(lastDecision()));
        // nothing at all arrives any more: only the wall clock moves
        for (int i = 0; i < 60; i++) {
            tick(20);
        }
        drain();
        assertEquals(Set.of(), activeIn(lastDecision()), lastDecision().getReason());
        assertTrue(
                lastDecision().getReason().contains("0 ACTIVE"), lastDecision().getReason());
    }

    @Test
    void theStateTopicCarriesTheLatestAssignmentForLateSubscribers() {
        runWithBeats(1_400, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        GroupState latest = null;
        while (!state.isEmpty()) {
            TestRecord<String, byte[]> r = state.readRecord();
            assertEquals("orders", r.key());
            latest = WireSerdes.groupState().deserialize(TOPICS.state(), r.value());
        }
        assertTrue(latest != null);
        assertEquals(lastDecision().getEpoch(), latest.getEpoch());
        assertEquals(
                Role.ACTIVE,
                latest.getMembers().stream()
                        .filter(m -> m.getNode().equals("alpha"))
                        .findFirst()
                        .orElseThrow()
                        .getRole());
    }

    @Test
    void malformedRecordsAreDeadLetteredWithTheirReasonAndProcessingGoesOn() {
        byte[] valid = heartbeatBytes("orders", "alpha", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY);
        byte[] unknownFingerprint = valid.clone();
        unknownFingerprint[5] ^= 0x5A;
        byte[] wrongType = WireSerdes.roleChange()
                .serialize(
                        "t",
                        RoleChange.newBuilder()
                                .setGroup("orders")
                                .setEpoch(1)
                                .setMode(GroupMode.ACTIVE_PASSIVE)
                                .setDecidedAtMs(0)
                                .setKind(DecisionKind.ELECTION)
                                .setMembers(List.of())
                                .setReason("r")
                                .setCommandId(null)
                                .build());
        byte[] huge = new byte[2 << 20];
        huge[0] = (byte) 0xC3;
        huge[1] = 0x01;
        heartbeats.pipeInput("orders", "garbage".getBytes(StandardCharsets.UTF_8));
        heartbeats.pipeInput("orders", Arrays.copyOf(valid, 7));
        heartbeats.pipeInput("orders", Arrays.copyOf(valid, valid.length - 3));
        heartbeats.pipeInput("orders", unknownFingerprint);
        heartbeats.pipeInput("orders", wrongType);
        heartbeats.pipeInput("orders", huge);
        heartbeats.pipeInput("orders", (byte[]) null);
        heartbeats.pipeInput("payments", valid);
        heartbeats.pipeInput("orders", heartbeatBytes("orders", "", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY));
        commands.pipeInput("orders", "{\"type\":\"SWITCHOVER\"}".getBytes(StandardCharsets.UTF_8));

        List<String> reasons = new ArrayList<>();
        while (!deadLetters.isEmpty()) {
            TestRecord<String, byte[]> r = deadLetters.readRecord();
            reasons.add(new String(r.headers().lastHeader(WireHeaders.ERROR).value(), StandardCharsets.UTF_8));
        }
        assertEquals(10, reasons.size(), String.join("\n", reasons));
        assertTrue(reasons.get(0).contains("not the Avro single-object marker"), reasons.get(0));
        assertTrue(reasons.get(1).contains("shorter than the 10-byte"), reasons.get(1));
        assertTrue(reasons.get(2).contains("does not decode"), reasons.get(2));
        assertTrue(reasons.get(3).contains("no released version of Heartbeat"), reasons.get(3));
        assertTrue(reasons.get(4).contains("the record is a RoleChange v"), reasons.get(4));
        assertTrue(reasons.get(5).contains("exceed the limit"), reasons.get(5));
        assertTrue(reasons.get(6).contains("tombstone"), reasons.get(6));
        assertTrue(reasons.get(7).contains("the key 'payments' is not the heartbeat's group 'orders'"), reasons.get(7));
        assertTrue(reasons.get(8).contains("node must not be empty"), reasons.get(8));
        assertTrue(reasons.get(9).startsWith("cannot decode Command from topic 'failover.commands'"), reasons.get(9));
        assertEquals(10, stats.deadLettered.get());

        runWithBeats(1_400, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        assertEquals(DecisionKind.ELECTION, lastDecision().getKind(), "the task went on after the bad records");
    }

    @Test
    void aSwitchoverCommandIsCarriedOutAndAcknowledgedWithItsId() {
        runWithBeats(1_400, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        commands.pipeInput(
                "orders",
                WireSerdes.command()
                        .serialize(TOPICS.commands(), command("orders", "c-42", CommandType.SWITCHOVER, "beta")));
        RoleChange standDown = drain().get(0);
        assertEquals(DecisionKind.SWITCHOVER, standDown.getKind());
        assertEquals("c-42", standDown.getCommandId());
        // the obedient agents report what they were told; alpha's STANDBY at the new epoch completes the handover
        for (int i = 0; i < 5; i++) {
            tick(20);
            beat("orders", "alpha", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY, Role.STANDBY, standDown.getEpoch());
            beat("orders", "beta", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY, Role.STANDBY, standDown.getEpoch());
        }
        RoleChange done = lastDecision();
        assertEquals("c-42", done.getCommandId());
        assertEquals(Role.ACTIVE, role(done, "beta"));
    }

    @Test
    void aGroupTakesNoMoreThanItsMaximumOfMembersAndKeepsDeciding() {
        runWithBeats(1_400, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        assertEquals(Role.ACTIVE, role(only(DecisionKind.ELECTION), "alpha"));
        // node ids that change on every deploy: 10 000 more, once each
        for (int i = 0; i < 10_000; i++) {
            beat("orders", "churn-" + i, GroupMode.ACTIVE_PASSIVE, Health.HEALTHY);
        }
        drain();
        GroupState latest = null;
        while (!state.isEmpty()) {
            latest = WireSerdes.groupState().deserialize("t", state.readRecord().value());
        }
        assertEquals(Policy.DEFAULT_MAX_MEMBERS, latest.getMembers().size(), "alpha, beta and the first 62 newcomers");
        assertEquals(10_000 - (Policy.DEFAULT_MAX_MEMBERS - 2), stats.membersRefused.get());
        assertTrue(
                WireSerdes.storedGroup()
                                .serialize(
                                        "t",
                                        driver.<String, dev.failover.wire.StoredGroup>getKeyValueStore(
                                                        Topics.GROUP_STORE)
                                                .get("orders"))
                                .length
                        < 4_096,
                "the stored record stays small");
        // once the newcomers have been silent past their timeout, and a fence marker proves it (with no deadline near,
        // a task writes one a second, so up to 2 s), a new node takes the longest-silent one's place
        for (int i = 0; i < 110; i++) {
            tick(20);
            if (now() % 200 == 0) {
                beat("orders", "alpha", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY);
                beat("orders", "beta", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY);
            }
        }
        beat("orders", "newcomer", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY);
        RoleChange madeRoom = drain().stream()
                .filter(c -> c.getKind() == DecisionKind.MEMBERSHIP)
                .reduce((a, b) -> b)
                .orElseThrow();
        assertTrue(
                madeRoom.getReason().matches("forgot churn-\\d+ \\(silent for \\d+ ms\\) to make room for newcomer.*"),
                madeRoom.getReason());
        assertEquals(Policy.DEFAULT_MAX_MEMBERS - 1, madeRoom.getMembers().size(), "one forgotten");
        GroupState after = WireSerdes.groupState().deserialize("t", lastValue(state));
        assertEquals(Policy.DEFAULT_MAX_MEMBERS, after.getMembers().size());
        assertTrue(after.getMembers().stream().anyMatch(m -> m.getNode().equals("newcomer")), "the newcomer joined");
        long alphaLast = now();
        for (int step = 0;
                step < 100 && decisions.stream().noneMatch(c -> c.getKind() == DecisionKind.FAILOVER);
                step++) {
            tick(20);
            if (now() % 200 == 0) {
                beat("orders", "beta", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY);
            }
            drain();
        }
        assertEquals(
                Role.ACTIVE,
                role(only(DecisionKind.FAILOVER), "beta"),
                "still deciding, " + (now() - alphaLast) + " ms after alpha's last beat");
    }

    @Test
    void aGroupWhoseLastMemberIsForgottenIsDeletedWithATombstoneOnTheStateTopic() {
        driver.close();
        startWith(Policy.defaults().withMemberRetentionMs(3_000));
        runWithBeats(1_400, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        for (int i = 0; i < 250; i++) {
            tick(20); // five seconds without a heartbeat
        }
        drain();
        TestRecord<String, byte[]> last = null;
        while (!state.isEmpty()) {
            last = state.readRecord();
        }
        assertEquals("orders", last.key());
        assertEquals(null, last.value(), "a tombstone: ctl status and late subscribers no longer see the group");
        assertTrue(
                lastDecision().getReason().endsWith("the group has no members left"),
                lastDecision().getReason());
        long oldEpoch = only(DecisionKind.ELECTION).getEpoch();
        beat("orders", "alpha", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY);
        assertEquals(
                1,
                WireSerdes.groupState()
                        .deserialize("t", lastValue(state))
                        .getMembers()
                        .size(),
                "a heartbeat afterwards starts the group afresh");
        runWithBeats(1_400, GroupMode.ACTIVE_PASSIVE, "alpha");
        RoleChange again = decisions.stream()
                .filter(c -> c.getKind() == DecisionKind.ELECTION)
                .reduce((a, b) -> b)
                .orElseThrow();
        assertTrue(
                again.getEpoch() > oldEpoch,
                "the deleted group's epoch is a floor: " + again.getEpoch() + " after " + oldEpoch);
    }

    private static byte[] lastValue(TestOutputTopic<String, byte[]> topic) {
        byte[] value = null;
        while (!topic.isEmpty()) {
            value = topic.readRecord().value();
        }
        return value;
    }

    /**
     * 100 000 structure-aware mutations each of a heartbeat and a command of another group ("fuzz") go through the
     * topology while "orders" is decided: every one is decoded or dead-lettered, the processor never throws, and
     * "orders" still fails over when its primary goes silent.
     */
    @Test
    void mutatedRecordsThroughTheTopologyAreDecodedOrDeadLetteredAndTheGroupKeepsDeciding() {
        runWithBeats(1_400, GroupMode.ACTIVE_PASSIVE, "alpha", "beta");
        assertEquals(Role.ACTIVE, role(only(DecisionKind.ELECTION), "alpha"));
        ch.qos.logback.classic.Logger processorLog =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(CoordinatorProcessor.class);
        ch.qos.logback.classic.Level level = processorLog.getLevel();
        processorLog.setLevel(ch.qos.logback.classic.Level.ERROR); // 200 000 dead letters, each logged at WARN
        java.util.Random random = new java.util.Random(20261201);
        byte[] beat = heartbeatBytes("fuzz", "mallory", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY);
        byte[] command =
                WireSerdes.command().serialize(TOPICS.commands(), command("fuzz", "c-1", CommandType.PAUSE, null));
        long deadBefore = stats.deadLettered.get();
        long beatsBefore = stats.heartbeats.get();
        int cases = 100_000;
        try {
            for (int i = 0; i < cases; i++) {
                heartbeats.pipeInput("fuzz", dev.failover.testkit.AvroBytes.mutate(beat, random), now());
                commands.pipeInput("fuzz", dev.failover.testkit.AvroBytes.mutate(command, random), now());
                if (i % 1_000 == 0) {
                    deadLetters.readRecordsToList();
                    drain();
                    state.readRecordsToList();
                }
            }
        } finally {
            processorLog.setLevel(level);
        }
        deadLetters.readRecordsToList();
        state.readRecordsToList();
        long deadLettered = stats.deadLettered.get() - deadBefore;
        long acceptedBeats = stats.heartbeats.get() - beatsBefore;
        System.out.printf(
                "topology fuzz: %d heartbeats and %d commands mutated: %d dead-lettered, %d heartbeats " + "accepted%n",
                cases, cases, deadLettered, acceptedBeats);
        assertTrue(
                deadLettered > cases / 2 && acceptedBeats > 0,
                "both outcomes reached: " + deadLettered + " dead-lettered, " + acceptedBeats + " beats accepted");
        assertTrue(deadLettered + acceptedBeats <= 2L * cases, "nothing counted twice");
        drain();
        for (int step = 0;
                step < 100
                        && decisions.stream()
                                .noneMatch(c -> c.getKind() == DecisionKind.FAILOVER && "orders".equals(c.getGroup()));
                step++) {
            tick(20);
            if (now() % 200 == 0) {
                beat("orders", "beta", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY);
            }
            drain();
        }
        RoleChange failover = decisions.stream()
                .filter(c -> c.getKind() == DecisionKind.FAILOVER && "orders".equals(c.getGroup()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("orders no longer decided after the fuzz"));
        assertEquals(Role.ACTIVE, role(failover, "beta"));
    }

    @Test
    void aHeartbeatWithAnIdOutsideTheRuleIsDeadLetteredNamingTheRule() {
        heartbeats.pipeInput(
                "orders",
                heartbeatBytes("orders", "bad node/with space", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY),
                now());
        String reason = new String(
                deadLetters.readRecord().headers().lastHeader(WireHeaders.ERROR).value(), StandardCharsets.UTF_8);
        assertTrue(reason.contains("may contain only letters, digits"), reason);
        heartbeats.pipeInput(
                "x".repeat(129), heartbeatBytes("x".repeat(129), "n", GroupMode.ACTIVE_PASSIVE, Health.HEALTHY), now());
        reason = new String(
                deadLetters.readRecord().headers().lastHeader(WireHeaders.ERROR).value(), StandardCharsets.UTF_8);
        assertTrue(reason.contains("129 characters long; at most 128"), reason);
    }

    @Test
    void aCommandForAnUnknownGroupIsRefused() {
        commands.pipeInput(
                "nowhere",
                WireSerdes.command().serialize(TOPICS.commands(), command("nowhere", "c-1", CommandType.PAUSE, null)));
        RoleChange refusal = drain().get(0);
        assertEquals(DecisionKind.COMMAND_REFUSED, refusal.getKind());
        assertEquals("PAUSE refused: group nowhere is unknown to the coordinator", refusal.getReason());
    }

    @Test
    void theBrakeHoldsFailoversWhenMostGroupsWouldFailOverAtOnce() {
        List<String> groups = List.of("g0", "g1", "g2", "g3", "g4", "g5");
        java.util.Map<String, RoleChange> latest = new java.util.HashMap<>();
        java.util.Set<String> primariesBeating = new java.util.HashSet<>(Set.of("alpha"));
        for (int step = 0; step < 400; step++) {
            tick(20);
            if (step == 100) {
                primariesBeating.clear(); // every primary falls silent in the same instant
            }
            if (now() % 200 == 0) {
                for (String group : groups) {
                    RoleChange told = latest.get(group);
                    long epoch = told == null ? 0 : told.getEpoch();
                    for (String node : List.of("alpha", "beta")) {
                        if (node.equals("beta") || primariesBeating.contains(node)) {
                            heartbeats.pipeInput(
                                    group,
                                    WireSerdes.heartbeat()
                                            .serialize(
                                                    TOPICS.heartbeats(),
                                                    heartbeat(
                                                            group,
                                                            node,
                                                            GroupMode.ACTIVE_PASSIVE,
                                                            Health.HEALTHY,
                                                            told == null ? Role.STANDBY : role(told, node),
                                                            epoch)));
                        }
                    }
                }
            }
            while (!roleChanges.isEmpty()) {
                TestRecord<String, byte[]> r = roleChanges.readRecord();
                RoleChange c = WireSerdes.roleChange().deserialize(TOPICS.roleChanges(), r.value());
                latest.put(r.key(), c);
                decisions.add(c);
            }
        }
        long failovers = decisions.stream()
                .filter(c -> c.getKind() == DecisionKind.FAILOVER)
                .count();
        assertEquals(3, failovers, "brake.min.failovers=3 and 3 of 6 groups is the share: " + decisions);
        assertTrue(stats.brakeHolds.get() > 0);
        assertEquals(1, stats.brakeEngaged.get(), "the three held groups keep asking, so the brake stays engaged");
        long stillOnAlpha = groups.stream()
                .filter(g -> role(latest.get(g), "alpha") == Role.ACTIVE)
                .count();
        assertEquals(3, stillOnAlpha, "held groups keep their (silent) primary rather than fail over en masse");
    }

    private void runWithBeats(long ms, GroupMode mode, String... nodes) {
        long end = now() + ms;
        while (now() < end) {
            tick(20);
            if (now() % 200 == 0) {
                for (String node : nodes) {
                    beat("orders", node, mode, Health.HEALTHY);
                }
            }
        }
        drain();
    }

    /** The driver's mocked wall clock moves exactly by each step; this mirrors it. */
    private long wallClock = START.toEpochMilli();
    /** The coordinator's monotonic clock, on another base than the wall clock, as on a real host. */
    private long monotonic = 77_000;

    private void tick(long ms) {
        monotonic += ms;
        wallClock += ms;
        driver.advanceWallClockTime(Duration.ofMillis(ms));
    }

    /** Time passes but the host's wall clock does not show it (it was stepped back): punctuations stop. */
    private void tickWithTheWallClockStill(long ms) {
        monotonic += ms;
    }

    /** The host's wall clock is stepped forward; no time passes. */
    private void stepTheWallClock(long ms) {
        driver.advanceWallClockTime(Duration.ofMillis(ms));
    }

    private long now() {
        return wallClock;
    }

    /** A beat of an obedient agent: it has applied every decision published so far. */
    private void beat(String group, String node, GroupMode mode, Health health) {
        drain();
        beat(
                group,
                node,
                mode,
                health,
                obeyed(node),
                decisions.isEmpty() ? 0 : lastDecision().getEpoch());
    }

    private void beat(String group, String node, GroupMode mode, Health health, Role role, long epoch) {
        byte[] value = WireSerdes.heartbeat()
                .serialize(TOPICS.heartbeats(), heartbeat(group, node, mode, health, role, epoch));
        var headers = new org.apache.kafka.common.header.internals.RecordHeaders();
        if (agentKeys.containsKey(node)) {
            agentKeys.get(node).sign(group, value, headers);
        }
        heartbeats.pipeInput(new TestRecord<>(group, value, headers, (Instant) null));
    }

    private Role obeyed(String node) {
        return decisions.isEmpty() ? Role.STANDBY : role(lastDecision(), node);
    }

    private byte[] heartbeatBytes(String group, String node, GroupMode mode, Health health) {
        return WireSerdes.heartbeat()
                .serialize(TOPICS.heartbeats(), heartbeat(group, node, mode, health, Role.STANDBY, 0));
    }

    private Heartbeat heartbeat(String group, String node, GroupMode mode, Health health, Role role, long epoch) {
        sent.computeIfAbsent(node, n -> new java.util.HashMap<>()).put(sequence, now());
        return Heartbeat.newBuilder()
                .setGroup(group)
                .setNode(node)
                .setSequence(sequence++)
                .setIncarnation(1)
                .setSentAtMs(now())
                .setHealth(health)
                .setRole(role == null ? Role.STANDBY : role)
                .setEpoch(epoch)
                .setMode(mode)
                .setPriority(node.equals("alpha") ? 100 : 10)
                .setHeartbeatIntervalMs(200)
                .setLeaseMs(800)
                .setFailureTimeoutMs(1000)
                .build();
    }

    private static Command command(String group, String id, CommandType type, String target) {
        return command(group, id, type, target, 0);
    }

    private static Command command(String group, String id, CommandType type, String target, long issuedAtMs) {
        return Command.newBuilder()
                .setGroup(group)
                .setCommandId(id)
                .setIssuedAtMs(issuedAtMs)
                .setType(type)
                .setTargetNode(target)
                .setPauseForMs(null)
                .setIssuedBy("test")
                .build();
    }

    private List<RoleChange> drain() {
        List<RoleChange> fresh = new ArrayList<>();
        while (!roleChanges.isEmpty()) {
            fresh.add(WireSerdes.roleChange().deserialize(TOPICS.roleChanges(), roleChanges.readValue()));
        }
        decisions.addAll(fresh);
        return fresh;
    }

    private RoleChange lastDecision() {
        drain();
        return decisions.get(decisions.size() - 1);
    }

    private RoleChange only(DecisionKind kind) {
        drain();
        List<RoleChange> of =
                decisions.stream().filter(c -> c.getKind() == kind).toList();
        assertEquals(1, of.size(), kind + " decisions: " + of);
        return of.get(0);
    }

    private static Role role(RoleChange change, String node) {
        return change.getMembers().stream()
                .filter(m -> m.getNode().equals(node))
                .map(MemberView::getRole)
                .findFirst()
                .orElse(Role.STANDBY);
    }

    private static Set<String> activeIn(RoleChange change) {
        return Set.copyOf(change.getMembers().stream()
                .filter(m -> m.getRole() == Role.ACTIVE)
                .map(MemberView::getNode)
                .toList());
    }
}
