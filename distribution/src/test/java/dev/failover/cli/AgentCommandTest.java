package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentCommandTest {

    private final StringWriter err = new StringWriter();

    @TempDir
    Path dir;

    private int run(Map<String, String> env, String... args) {
        var commandLine = FailoverCli.newCommandLine(args, env);
        commandLine.setErr(new PrintWriter(err, true));
        commandLine.setOut(new PrintWriter(new StringWriter(), true));
        return commandLine.execute(args);
    }

    private int run(String... args) {
        return run(Map.of(), args);
    }

    private static String[] base(String... more) {
        String[] head = {"agent", "--bootstrap-servers", "127.0.0.1:1", "--group", "g", "--node", "n"};
        String[] all = new String[head.length + more.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(more, 0, all, head.length, more.length);
        return all;
    }

    @Test
    void everyMissingRequiredSettingIsNamedAtOnce() {
        assertEquals(2, run("agent", "--group", "g"));
        String said = err.toString();
        assertTrue(
                said.contains("Missing --bootstrap-servers (or bootstrap.servers in --config, or "
                        + "FAILOVER_BOOTSTRAP_SERVERS), --node (or node in --config, or FAILOVER_NODE)"),
                said);
        assertTrue(!said.contains("--group (or"), "--group was given: " + said);
    }

    @Test
    void anUnknownModeNamesTheOption() {
        assertEquals(2, run(base("--mode", "active-sometimes")));
        assertTrue(err.toString().contains("--mode") && err.toString().contains("active-sometimes"), err.toString());
    }

    @Test
    void anIntervalNotShorterThanTheLeaseNamesBothOptions() {
        assertEquals(2, run(base("--heartbeat-interval", "1s", "--failure-timeout", "1s")));
        assertTrue(
                err.toString().contains("--heartbeat-interval")
                        && err.toString().contains("--failure-timeout"),
                err.toString());
    }

    @Test
    void aBadDurationNamesTheOption() {
        assertEquals(2, run(base("--failure-timeout", "soon")));
        assertTrue(
                err.toString().contains("--failure-timeout") && err.toString().contains("'soon'"), err.toString());
    }

    @Test
    void aBadUrlNamesTheOption() {
        assertEquals(2, run(base("--check-http", "http://")));
        assertTrue(err.toString().contains("--check-http"), err.toString());
    }

    @Test
    void twoChecksAtOnceAreRefused() {
        assertEquals(2, run(base("--check-http", "http://127.0.0.1:1/", "--check-tcp", "127.0.0.1:1")));
        assertTrue(err.toString().contains("mutually exclusive"), err.toString());
    }

    @Test
    void anUnknownOptionIsNamed() {
        assertEquals(2, run(base("--heartbeat-intervall", "1s")));
        assertTrue(err.toString().contains("'--heartbeat-intervall'"), err.toString());
    }

    @Test
    void durationsAcceptMillisecondsSecondsAndMinutes() {
        Durations d = new Durations();
        assertEquals(Duration.ofMillis(200), d.convert("200ms"));
        assertEquals(Duration.ofSeconds(1), d.convert("1s"));
        assertEquals(Duration.ofMinutes(2), d.convert("2m"));
        assertEquals(Duration.ofMillis(250), d.convert("250"));
    }

    @Test
    void optionsComeFromTheEnvironmentAndTheConfigFileTooWithFlagsWinning() throws Exception {
        Path file = dir.resolve("agent.properties");
        // the names of the flags, as files held them before the keys
        Files.writeString(file, "bootstrap-servers=127.0.0.1:1\ngroup=g\nnode=n\nheartbeat-interval=1600ms\n");
        // from the file alone: the interval is not shorter than the default timeout's lease (2 s: 1.6 s), and the error
        // names both keys, their flags and the default
        assertEquals(2, run(Map.of(), "agent", "--config", file.toString()));
        assertTrue(
                err.toString().contains("heartbeat.interval.ms (1600) and failure.timeout.ms (2000)")
                        && err.toString().contains("--heartbeat-interval sets heartbeat.interval.ms")
                        && err.toString().contains("--failure-timeout sets failure.timeout.ms"),
                err.toString());
        // the environment wins over the file
        err.getBuffer().setLength(0);
        assertEquals(2, run(Map.of("FAILOVER_FAILURE_TIMEOUT", "100ms"), "agent", "--config", file.toString()));
        assertTrue(err.toString().contains("failure.timeout.ms (100)"), err.toString());
        // and a flag wins over both
        err.getBuffer().setLength(0);
        assertEquals(
                2,
                run(
                        Map.of("FAILOVER_FAILURE_TIMEOUT", "100ms"),
                        "agent",
                        "--config",
                        file.toString(),
                        "--failure-timeout",
                        "1500ms"));
        assertTrue(err.toString().contains("failure.timeout.ms (1500)"), err.toString());
    }

    @Test
    void theKeysComeFromTheFileTheEnvironmentAndSetWithFlagsWinningAndAreListedInTheHelp() throws Exception {
        Path file = dir.resolve("agent.properties");
        Files.writeString(
                file,
                "bootstrap.servers=127.0.0.1:1\ngroup=g\nnode=n\nheartbeat.interval.ms=1600\n"
                        + "failure.timeout.ms=1700\n");
        assertEquals(2, run(Map.of(), "agent", "--config", file.toString()));
        assertTrue(
                err.toString().contains("heartbeat.interval.ms (1600) and failure.timeout.ms (1700)"), err.toString());
        err.getBuffer().setLength(0);
        // the key's variable wins over the file, and over the flag's name from before the keys
        assertEquals(
                2,
                run(
                        Map.of("FAILOVER_FAILURE_TIMEOUT_MS", "1800", "FAILOVER_FAILURE_TIMEOUT", "9s"),
                        "agent",
                        "--config",
                        file.toString()));
        assertTrue(err.toString().contains("failure.timeout.ms (1800)"), err.toString());
        err.getBuffer().setLength(0);
        // --set wins over the environment, a flag over --set
        assertEquals(
                2,
                run(
                        Map.of("FAILOVER_FAILURE_TIMEOUT_MS", "1800"),
                        "agent",
                        "--config",
                        file.toString(),
                        "--set",
                        "failure.timeout.ms=1900"));
        assertTrue(err.toString().contains("failure.timeout.ms (1900)"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(
                2,
                run(
                        Map.of(),
                        "agent",
                        "--config",
                        file.toString(),
                        "--set",
                        "failure.timeout.ms=1900",
                        "--failure-timeout",
                        "1950ms"));
        assertTrue(err.toString().contains("failure.timeout.ms (1950)"), err.toString());
        err.getBuffer().setLength(0);
        // an unknown key, a bad value and a value out of range name the key
        assertEquals(2, run(base("--set", "failure.timeout=2000")));
        assertTrue(err.toString().contains("unknown setting 'failure.timeout'"), err.toString());
        assertEquals(2, run(base("--set", "rise=0")));
        assertTrue(err.toString().contains("rise") && err.toString().contains("at least 1"), err.toString());
        assertEquals(2, run(base("--set", "mode=sometimes")));
        assertTrue(err.toString().contains("mode") && err.toString().contains("--mode sets mode"), err.toString());

        // kafka-config in the file: handed to its option and read (its acks=0 is what gets refused), not refused itself
        // as an unknown setting (which the check would find first: the file's names come before the Kafka settings)
        Path kafka = Files.writeString(dir.resolve("kafka.properties"), "acks=0\n");
        Files.writeString(file, "bootstrap.servers=127.0.0.1:1\ngroup=g\nnode=n\nkafka-config=" + kafka + "\n");
        err.getBuffer().setLength(0);
        assertEquals(2, run(Map.of(), "agent", "--config", file.toString()));
        assertTrue(
                err.toString().contains("kafka.acks is refused")
                        && !err.toString().contains("unknown setting"),
                err.toString());
        // any other name of an option that sets no key is no setting either
        Files.writeString(file, "bootstrap.servers=127.0.0.1:1\ngroup=g\nnode=n\nversion=true\n");
        err.getBuffer().setLength(0);
        assertEquals(2, run(Map.of(), "agent", "--config", file.toString()));
        assertTrue(err.toString().contains("unknown setting 'version'"), err.toString());
        // the mode ignores case, as --mode always did; a bad setting's hint names only its own flag
        err.getBuffer().setLength(0);
        assertEquals(2, run(base("--mode", "Active-Active", "--check-timeout", "0ms")));
        assertTrue(
                err.toString().contains("check.timeout.ms")
                        && err.toString().contains("--check-timeout sets")
                        && !err.toString().contains("--check-http sets"),
                err.toString());

        StringWriter help = new StringWriter();
        var commandLine = FailoverCli.newCommandLine(new String[0], Map.of());
        commandLine.setOut(new PrintWriter(help, true));
        assertEquals(0, commandLine.execute("agent", "--help"));
        for (String listed : new String[] {
            "heartbeat.interval.ms = 200   --heartbeat-interval",
            "failure.timeout.ms = 2000   --failure-timeout",
            "bootstrap.servers (required)   --bootstrap-servers",
            "topic.heartbeats = failover.heartbeats",
            "FAILOVER_FAILURE_TIMEOUT_MS"
        }) {
            assertTrue(help.toString().contains(listed), "agent --help lacks '" + listed + "':\n" + help);
        }
        help.getBuffer().setLength(0);
        assertEquals(0, commandLine.execute("coordinator", "--help"));
        for (String listed : new String[] {
            "min.margin.ms = 100",
            "http.port = 8090   --http-port",
            "topic.heartbeats = failover.heartbeats",
            "bootstrap.servers (required)   --bootstrap-servers"
        }) {
            assertTrue(help.toString().contains(listed), "coordinator --help lacks '" + listed + "':\n" + help);
        }
    }

    @Test
    void failsafeFlagsAreCheckedTogetherAndNameWhatIsMissing() throws Exception {
        assertEquals(2, run(base("--failsafe-peer", "beta=http://10.0.0.2:8091")));
        assertTrue(
                err.toString().contains("need failsafe=true")
                        && err.toString().contains("--failsafe-peer sets failsafe.peers"),
                err.toString());
        assertEquals(2, run(base("--failsafe")));
        assertTrue(
                err.toString().contains("failsafe needs failsafe.token.file")
                        && err.toString().contains("--failsafe-token-file sets failsafe.token.file"),
                err.toString());
        assertEquals(
                2,
                run(base(
                        "--failsafe",
                        "--failsafe-token-file",
                        dir.resolve("absent").toString())));
        assertTrue(err.toString().contains("cannot read"), err.toString());
        Path token = Files.writeString(dir.resolve("token"), "0123456789abcdef0123\n");
        assertEquals(2, run(base("--failsafe", "--failsafe-token-file", token.toString(), "--failsafe-peer", "beta")));
        assertTrue(err.toString().contains("NODE=http://HOST:PORT"), err.toString());
        assertEquals(
                2,
                run(base(
                        "--failsafe",
                        "--failsafe-token-file",
                        token.toString(),
                        "--failsafe-peer",
                        "b=http://h:1",
                        "--failsafe-peer",
                        "b=http://h:2")));
        assertTrue(err.toString().contains("names b twice"), err.toString());
        assertEquals(2, run(base("--failsafe", "--failsafe-token-file", token.toString(), "--failsafe-max", "1s")));
        assertTrue(err.toString().contains("failsafe.max.ms (1000) must be at least one promise"), err.toString());
    }

    @Test
    void aTrustKeyThatIsNotAReadablePublicKeyIsRefusedNamingTheFile() throws Exception {
        assertEquals(2, run(base("--trust-key", dir.resolve("absent.pub").toString())));
        assertTrue(err.toString().contains("trust.keys: cannot read " + dir.resolve("absent.pub")), err.toString());
        Path junk = Files.writeString(dir.resolve("junk.pub"), "not a key");
        assertEquals(2, run(base("--trust-key", junk.toString())));
        assertTrue(err.toString().contains("trust.keys: " + junk + " holds no PEM block"), err.toString());
    }

    @Test
    void keysGenerateWritesAPairAndRefusesToOverwriteIt() throws Exception {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter errors = new java.io.StringWriter();
        picocli.CommandLine cli = FailoverCli.newCommandLine();
        cli.setOut(new java.io.PrintWriter(out));
        cli.setErr(new java.io.PrintWriter(errors));
        assertEquals(
                0, cli.execute("keys", "generate", "--dir", dir.resolve("k").toString()));
        assertTrue(out.toString().contains("key id "), out.toString());
        dev.failover.wire.sign.SigningKeys.loadPrivate(dir.resolve("k/coordinator.key"));
        dev.failover.wire.sign.SigningKeys.loadPublic(dir.resolve("k/coordinator.pub"));
        assertEquals(
                2, cli.execute("keys", "generate", "--dir", dir.resolve("k").toString()));
        assertTrue(errors.toString().contains("exists: not overwriting a key"), errors.toString());
    }

    @Test
    void keysHmacWritesANodesKeyWhereTheCoordinatorLooksAndTheAgentRefusesABadOne() throws Exception {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter errors = new java.io.StringWriter();
        picocli.CommandLine cli = FailoverCli.newCommandLine();
        cli.setOut(new java.io.PrintWriter(out));
        cli.setErr(new java.io.PrintWriter(errors));
        assertEquals(
                0, cli.execute("keys", "hmac", "--dir", dir.resolve("h").toString(), "--group", "g", "--node", "n"));
        Path key = dir.resolve("h/g/n.key");
        dev.failover.wire.sign.HeartbeatMac.load(key);
        assertEquals(
                2, cli.execute("keys", "hmac", "--dir", dir.resolve("h").toString(), "--group", "g", "--node", "n"));
        assertTrue(errors.toString().contains("exists: not overwriting a key"), errors.toString());
        assertEquals(2, cli.execute("keys", "hmac", "--dir", dir.resolve("h").toString(), "--group", "../g"));
        assertEquals(
                0,
                cli.execute(
                        "keys", "hmac", "--dir", dir.resolve("h").toString(), "--group", "g", "--node", "n", "--add"));
        assertEquals(2, dev.failover.wire.sign.HeartbeatMac.load(key).size(), "a second key, for a rotation");
        assertEquals(
                2,
                cli.execute(
                        "keys", "hmac", "--dir", dir.resolve("h").toString(), "--group", "g", "--node", "m", "--add"));
        assertTrue(
                errors.toString().contains("does not exist: --add adds a key to an existing file"), errors.toString());

        Path shortKey = Files.writeString(dir.resolve("short.key"), "c2hvcnQ=\n");
        Files.setPosixFilePermissions(shortKey, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertEquals(2, run(base("--heartbeat-key", shortKey.toString())));
        assertTrue(
                err.toString()
                        .contains("heartbeat.key: " + shortKey + " is not a heartbeat key file: line 1 holds 5 "
                                + "bytes, at least 32"),
                err.toString());
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(2, run(base("--heartbeat-key", key.toString())));
        assertTrue(err.toString().contains("may be read by others"), err.toString());
    }
}
