package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.broker.KafkaBroker;
import dev.failover.testkit.Await;
import dev.failover.testkit.WithKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import picocli.CommandLine;

/** {@code failover ctl} against a real broker, a coordinator and agent processes, run through the real CLI. */
@WithKafka
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CtlIT extends BesideACoordinator {

    private static final Pattern EPOCH = Pattern.compile(" epoch (\\d+) ");

    CtlIT(KafkaBroker broker) throws Exception {
        super(broker, "ctl-it-");
    }

    record Run(int exit, String out, String err) {
        String both() {
            return "exit " + exit + "\nout:\n" + out + "\nerr:\n" + err;
        }
    }

    private Run ctl(String... args) {
        return run(broker.bootstrapServers(), args);
    }

    /** {@code failover ctl ARGS[0] --bootstrap-servers BOOTSTRAP ARGS[1..]}, in this JVM. */
    static Run run(String bootstrap, String... args) {
        List<String> all = new ArrayList<>(List.of("ctl"));
        all.add(args[0]);
        all.addAll(List.of("--bootstrap-servers", bootstrap));
        all.addAll(List.of(args).subList(1, args.length));
        return execute(all);
    }

    /** A replay that elected, failed over and found the recorded decisions again. */
    static final String IDENTICAL_FAILOVER = "(?s).*ELECTION.*FAILOVER.*\nidentical \\(\\d+ decisions; times within "
            + "\\d+ ms of the recorded ones\\)\n";

    /** {@code failover ctl replay ARGS}, in this JVM (no broker). */
    static Run replay(String... args) {
        List<String> all = new ArrayList<>(List.of("ctl", "replay"));
        all.addAll(List.of(args));
        return execute(all);
    }

    /** {@code failover ARGS} in this JVM, its output and errors captured. */
    private static Run execute(List<String> all) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = FailoverCli.newCommandLine(all.toArray(String[]::new), Map.of());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    /** The role of {@code node} in {@code group} according to {@code ctl status}. */
    private String role(String group, String node) {
        Run status = ctl("status", "--group", group);
        Matcher m = Pattern.compile("(?m)^" + group + "\\S*\\s+\\S+\\s+\\d+\\s+" + node + "\\s+(\\S+)")
                .matcher(status.out());
        return status.exit() == 0 && m.find() ? m.group(1) : "(" + status.both() + ")";
    }

    @Test
    void statusShowsTheNewPrimaryAfterAFailoverAndWatchHistoryAndWhyExplainIt() throws Exception {
        try (AgentProcess alpha = AgentProcess.launch(broker.bootstrapServers(), "orders", "alpha", 100, dir);
                AgentProcess beta = AgentProcess.launch(broker.bootstrapServers(), "orders", "beta", 50, dir)) {
            Await.until(Duration.ofSeconds(30), "alpha ACTIVE", () -> alpha.roleStatus() == 200);
            Await.until(
                    Duration.ofSeconds(10),
                    "status to show alpha ACTIVE",
                    () -> role("orders", "alpha").equals("ACTIVE"));
            Run json = ctl("status", "--group", "orders", "--output", "json");
            assertTrue(
                    json.out().startsWith("{\"group\": \"orders\"")
                            && json.out().contains("\"role\": \"ACTIVE\""),
                    json.both());
            assertTrue(json.out().contains("\"beats\": {\"alpha\": {\"lastBeatAgeMs\": "), json.both());
            Pattern leased = Pattern.compile(
                    "(?m)^orders\\s+\\S+\\s+\\d+\\s+alpha\\s+ACTIVE\\s+HEALTHY\\s+\\d+\\s+\\d+ ms\\s+\\d+ ms");
            Await.until(
                    Duration.ofSeconds(10),
                    "status to show alpha's last beat and lease left",
                    () -> leased.matcher(ctl("status", "--group", "orders").out())
                            .find());

            alpha.java.kill();
            Await.until(Duration.ofSeconds(15), "beta ACTIVE", () -> beta.roleStatus() == 200);
            Await.until(
                    Duration.ofSeconds(10),
                    "status to show beta ACTIVE",
                    () -> role("orders", "beta").equals("ACTIVE"));
            assertEquals("STANDBY", role("orders", "alpha"));

            Run watch = ctl("watch", "--group", "orders", "--from-beginning", "--max", "2", "--for", "20s");
            assertEquals(0, watch.exit(), watch.both());
            List<String> lines = watch.out().lines().toList();
            assertEquals(2, lines.size(), watch.both());
            assertTrue(lines.get(0).contains("ELECTION") && lines.get(0).contains("alpha=ACTIVE"), watch.both());
            assertTrue(lines.get(1).contains("FAILOVER") && lines.get(1).contains("beta=ACTIVE"), watch.both());
            long electionEpoch = epoch(lines.get(0));
            long failoverEpoch = epoch(lines.get(1));
            assertTrue(failoverEpoch > electionEpoch, watch.both());

            Run history = ctl("history", "--group", "orders", "--since", "10m");
            assertEquals(0, history.exit(), history.both());
            assertTrue(history.out().contains("FAILOVER") && history.out().contains("silent for"), history.both());

            Run why = ctl("why", "--group", "orders", "--epoch", Long.toString(failoverEpoch));
            assertEquals(0, why.exit(), why.both());
            assertTrue(
                    why.out().contains("reason: promoted beta: alpha silent for")
                            && why.out().matches("(?s).*alpha\\s+STANDBY\\s+\\(was ACTIVE\\).*"),
                    why.both());

            // the incident on file, and replayed through the coordinator's own code: the same decisions
            Path recording = dir.resolve("orders-incident.jsonl.gz");
            Run record = ctl("record", "--group", "orders", "--since", "10m", "--out", recording.toString());
            assertEquals(0, record.exit(), record.both());
            assertTrue(record.out().matches("(?s)recorded \\{heartbeat=\\d+, role-change=\\d+.*"), record.both());
            Run replayed = replay(recording.toString(), "--time-tolerance", "1s");
            System.out.println("ctl replay of the recorded failover:\n" + replayed.out());
            assertEquals(0, replayed.exit(), replayed.both());
            assertTrue(replayed.out().matches(IDENTICAL_FAILOVER), replayed.both());
            assertTrue(
                    replayed.out().contains("settings: as recorded (rise=2;fall="),
                    "the coordinator's settings, " + "from the header on its role changes: " + replayed.both());
            // the what-if asks about the timeout alone: with the default grace (one timeout, 3 s here) the replay's
            // election would come after the recorded one, and the open-loop replay then reads the recorded agents'
            // ACTIVE reports of that election, which (rightly) hold every election to the file's end
            Run whatIf =
                    replay(recording.toString(), "--set", "failure.timeout.ms=3000", "--set", "election.grace.ms=0");
            assertEquals(0, whatIf.exit(), whatIf.both());
            String whatIfReplayed = whatIf.out()
                    .substring(
                            whatIf.out().indexOf("replayed decisions"),
                            whatIf.out().indexOf("recorded decisions:"));
            assertTrue(
                    whatIf.out().contains("what-if: not compared")
                            && whatIfReplayed.contains("ELECTION")
                            && !whatIfReplayed.contains("timeout 1000 ms"),
                    "every beat says 3 s: a failover is later, or " + "past the file's end:\n" + whatIf.both());
            Run tooShort = replay(recording.toString(), "--set", "failure.timeout.ms=500");
            assertEquals(2, tooShort.exit(), tooShort.both());
            assertTrue(
                    tooShort.err().contains("is below alpha's lease 800 ms + the safety margin 100 ms")
                            || tooShort.err().contains("is below beta's lease 800 ms + the safety margin 100 ms"),
                    tooShort.both());

            Run noSuchEpoch = ctl("why", "--group", "orders", "--epoch", "999");
            assertEquals(5, noSuchEpoch.exit(), noSuchEpoch.both());
            assertTrue(noSuchEpoch.err().contains("no decision at epoch 999"), noSuchEpoch.both());
        }
    }

    @Test
    void switchoverMovesThePrimaryAndRefusalsAndUnknownGroupsSaySo() throws Exception {
        try (AgentProcess alpha = AgentProcess.launch(broker.bootstrapServers(), "billing", "alpha", 100, dir);
                AgentProcess beta = AgentProcess.launch(broker.bootstrapServers(), "billing", "beta", 50, dir)) {
            Await.until(Duration.ofSeconds(30), "alpha ACTIVE", () -> alpha.roleStatus() == 200);
            Await.until(
                    Duration.ofSeconds(10),
                    "beta known",
                    () -> role("billing", "beta").equals("STANDBY"));
            Await.hold(Duration.ofMillis(600), "rise (2) more heartbeats, so beta is eligible");

            Run refused = ctl("switchover", "--group", "billing", "--to", "nobody", "--timeout", "20s");
            assertEquals(3, refused.exit(), refused.both());
            assertTrue(refused.err().contains("refused:") && refused.err().contains("nobody"), refused.both());

            Run switchover = ctl("switchover", "--group", "billing", "--to", "beta", "--timeout", "20s");
            assertEquals(0, switchover.exit(), switchover.both());
            assertTrue(switchover.out().contains("beta=ACTIVE"), switchover.both());
            Await.until(Duration.ofSeconds(10), "beta's /role 200", () -> beta.roleStatus() == 200);
            assertEquals(503, alpha.roleStatus());

            Run unknown = ctl("switchover", "--group", "no-such-group", "--timeout", "10s");
            assertEquals(5, unknown.exit(), unknown.both());
            assertTrue(unknown.err().contains("unknown group no-such-group"), unknown.both());
        }
    }

    @Test
    void pauseStopsAutomaticFailoverUntilResume() throws Exception {
        try (AgentProcess alpha = AgentProcess.launch(broker.bootstrapServers(), "ledger", "alpha", 100, dir);
                AgentProcess beta = AgentProcess.launch(broker.bootstrapServers(), "ledger", "beta", 50, dir)) {
            Await.until(Duration.ofSeconds(30), "alpha ACTIVE", () -> alpha.roleStatus() == 200);
            Await.until(
                    Duration.ofSeconds(10),
                    "beta known",
                    () -> role("ledger", "beta").equals("STANDBY"));

            Run pause = ctl("pause", "--group", "ledger", "--timeout", "20s");
            assertEquals(0, pause.exit(), pause.both());
            assertTrue(pause.out().contains("PAUSED"), pause.both());
            assertTrue(
                    ctl("status", "--group", "ledger").out().contains("ledger (paused)"),
                    ctl("status", "--group", "ledger").both());

            alpha.java.kill();
            Await.hold(Duration.ofSeconds(3), "three timeouts with the primary dead and the group paused");
            assertEquals(503, beta.roleStatus(), "a paused group must not fail over");

            Run resume = ctl("resume", "--group", "ledger", "--timeout", "20s");
            assertEquals(0, resume.exit(), resume.both());
            Await.until(Duration.ofSeconds(15), "beta ACTIVE after resume", () -> beta.roleStatus() == 200);
        }
    }

    @Test
    void removeForgetsADeadMemberIsRefusedForALiveOneAndDeletesADeadGroup() throws Exception {
        try (AgentProcess alpha = AgentProcess.launch(broker.bootstrapServers(), "archive", "alpha", 100, dir);
                AgentProcess beta = AgentProcess.launch(broker.bootstrapServers(), "archive", "beta", 50, dir)) {
            Await.until(Duration.ofSeconds(30), "alpha ACTIVE", () -> alpha.roleStatus() == 200);
            Await.until(
                    Duration.ofSeconds(10),
                    "beta known",
                    () -> role("archive", "beta").equals("STANDBY"));

            Run live = ctl("remove", "--group", "archive", "--node", "beta", "--timeout", "20s");
            assertEquals(3, live.exit(), live.both());
            assertTrue(live.err().contains("remove refused: beta is live"), live.both());

            beta.java.kill();
            Await.hold(Duration.ofMillis(1500), "beta silent past its timeout");
            Run removed = ctl("remove", "--group", "archive", "--node", "beta", "--timeout", "20s");
            assertEquals(0, removed.exit(), removed.both());
            Await.until(
                    Duration.ofSeconds(10),
                    "status without a row for beta",
                    () -> role("archive", "beta").startsWith("("));
            assertTrue(ctl("status", "--group", "archive").out().contains("removed beta"), "the last reason says why");
            assertEquals(200, alpha.roleStatus(), "forgetting a dead standby changes nobody's role");

            alpha.java.kill();
            Await.hold(Duration.ofMillis(1500), "alpha silent past its timeout");
            Run group = ctl("remove", "--group", "archive", "--timeout", "20s");
            assertEquals(0, group.exit(), group.both());
            assertTrue(group.out().contains("no members left"), group.both());
            Await.until(
                    Duration.ofSeconds(10),
                    "the group gone from status",
                    () -> ctl("status", "--group", "archive").exit() == 5);
        }
    }

    @Test
    void anUnreachableBrokerIsSaidPlainly() {
        StringWriter err = new StringWriter();
        String[] args = {"ctl", "status", "--bootstrap-servers", "127.0.0.1:1", "--timeout", "2s"};
        CommandLine cli = FailoverCli.newCommandLine(args, Map.of());
        cli.setErr(new PrintWriter(err, true));
        cli.setOut(new PrintWriter(new StringWriter(), true));
        assertEquals(1, cli.execute(args), err.toString());
        assertTrue(err.toString().contains("cannot reach Kafka at 127.0.0.1:1 within 2 s"), err.toString());
    }

    private static long epoch(String line) {
        Matcher m = EPOCH.matcher(line);
        assertTrue(m.find(), line);
        return Long.parseLong(m.group(1));
    }
}
