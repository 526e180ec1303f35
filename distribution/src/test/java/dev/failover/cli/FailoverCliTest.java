package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class FailoverCliTest {

    private final StringWriter err = new StringWriter();
    private final StringWriter out = new StringWriter();

    private int run(String... args) {
        var commandLine = FailoverCli.newCommandLine();
        commandLine.setErr(new PrintWriter(err, true));
        commandLine.setOut(new PrintWriter(out, true));
        return commandLine.execute(args);
    }

    @Test
    void anUnknownSubcommandExitsTwoNamingItEvenWithHelp() {
        assertEquals(2, run("keyz", "--help"));
        assertTrue(err.toString().contains("failover: unknown subcommand 'keyz'"), err.toString());
        assertTrue(err.toString().contains("keys"), err.toString());
        assertEquals(2, run("ctl", "wach", "--help"));
        assertTrue(err.toString().contains("failover ctl: unknown subcommand 'wach'"), err.toString());
        assertEquals(0, run("keys", "--help"));
    }

    @Test
    void helpListsTheBrokerAndTheExitCodes() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString().contains("broker"), out.toString());
        assertTrue(out.toString().contains("Exit codes"), out.toString());
    }

    @Test
    void ctlHelpDocumentsItsExitCodes() {
        assertEquals(0, run("ctl", "--help"));
        assertTrue(
                out.toString().contains("3   refused by the coordinator")
                        && out.toString().contains("switchover"),
                out.toString());
    }

    @Test
    void ctlWithoutBootstrapServersOrGroupIsABadCommandLine() {
        assertEquals(2, run("ctl", "status"));
        assertTrue(err.toString().contains("--bootstrap-servers"), err.toString());
        assertEquals(2, run("ctl", "switchover", "--bootstrap-servers", "localhost:9092"));
        assertTrue(err.toString().contains("--group"), err.toString());
    }

    @Test
    void ctlTakesItsBrokerFromTheEnvironmentAndSaysWhenItCannotReachIt() {
        String[] args = {"ctl", "status", "--timeout", "1s"};
        var commandLine =
                FailoverCli.newCommandLine(args, java.util.Map.of("FAILOVER_BOOTSTRAP_SERVERS", "127.0.0.1:1"));
        commandLine.setErr(new PrintWriter(err, true));
        commandLine.setOut(new PrintWriter(out, true));
        assertEquals(1, commandLine.execute(args), err.toString());
        assertTrue(
                err.toString().contains("failover ctl status: cannot reach Kafka at 127.0.0.1:1 within 1 s"),
                err.toString());
    }

    @Test
    void ctlRejectsAnUnknownTopicKeyAsABadCommandLineBeforeReachingKafka() {
        assertEquals(
                2,
                run(
                        "ctl",
                        "status",
                        "--bootstrap-servers",
                        "127.0.0.1:1",
                        "--timeout",
                        "1s",
                        "--topic",
                        "topic.beats=x"));
        assertTrue(err.toString().contains("--topic topic.beats: not a topic key"), err.toString());
        assertTrue(err.toString().contains("Try 'failover ctl status --help'"), err.toString());
    }

    @Test
    void ctlRejectsAGroupIdOutsideTheRuleAsABadCommandLine() {
        assertEquals(2, run("ctl", "pause", "--bootstrap-servers", "localhost:9092", "--group", "__fence"));
        assertTrue(err.toString().contains("--group '__fence' may contain only"), err.toString());
    }

    @Test
    void ctlRejectsABadDurationAndABadOutputNamingThem() {
        assertEquals(2, run("ctl", "pause", "--bootstrap-servers", "localhost:9092", "--group", "g", "--for", "5x"));
        assertTrue(err.toString().contains("--for") && err.toString().contains("5x"), err.toString());
        assertEquals(2, run("ctl", "status", "--bootstrap-servers", "localhost:9092", "--output", "yaml"));
        assertTrue(err.toString().contains("--output") && err.toString().contains("yaml"), err.toString());
    }

    @Test
    void anUnknownOptionIsABadCommandLineNamingTheOption() {
        assertEquals(2, run("broker", "--prot", "9092"));
        assertTrue(err.toString().contains("'--prot'"), err.toString());
    }

    @Test
    void aPortOutOfRangeNamesTheOptionAndTheValue() {
        assertEquals(2, run("broker", "--port", "70000"));
        assertTrue(err.toString().contains("--port") && err.toString().contains("70000"), err.toString());
    }

    @Test
    void aPortThatIsNotANumberIsABadCommandLine() {
        assertEquals(2, run("broker", "--port", "ninety"));
        assertTrue(err.toString().contains("--port"), err.toString());
    }

    @Test
    void aClusterNeedsBetweenOneAndNineNodesAndAFixedPort() {
        assertEquals(2, run("broker", "--nodes", "0"));
        assertTrue(err.toString().contains("--nodes must be 1 to 9, not 0"), err.toString());
        assertEquals(2, run("broker", "--nodes", "3", "--port", "0"));
        assertTrue(err.toString().contains("--nodes needs a fixed --port"), err.toString());
    }

    @Test
    void theCoordinatorNeedsBootstrapServers() {
        assertEquals(2, run("coordinator"));
        assertTrue(err.toString().contains("--bootstrap-servers"), err.toString());
    }

    @Test
    void anUnknownCoordinatorSettingIsNamed() {
        assertEquals(
                2, run("coordinator", "--bootstrap-servers", "localhost:1", "--set", "punctuation.intervall.ms=5"));
        assertTrue(err.toString().contains("unknown setting 'punctuation.intervall.ms'"), err.toString());
    }

    @Test
    void httpSecretsMustBeFilesOnlyTheirOwnerReadsAndATokenLongEnough(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path open =
                java.nio.file.Files.writeString(dir.resolve("open.token"), "a-long-enough-token-here");
        java.nio.file.Files.setPosixFilePermissions(
                open, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(2, run("coordinator", "--bootstrap-servers", "localhost:1", "--set", "http.token.file=" + open));
        assertTrue(err.toString().contains("http.token.file " + open + " may be read by others"), err.toString());
        java.nio.file.Path shortToken = java.nio.file.Files.writeString(dir.resolve("short.token"), "short");
        java.nio.file.Files.setPosixFilePermissions(
                shortToken, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertEquals(
                2, run("coordinator", "--bootstrap-servers", "localhost:1", "--set", "http.token.file=" + shortToken));
        assertTrue(err.toString().contains("must be at least 16 printable characters"), err.toString());
        assertEquals(
                2,
                run(
                        "coordinator",
                        "--bootstrap-servers",
                        "localhost:1",
                        "--set",
                        "http.tls.keystore.file=" + dir.resolve("store.p12")));
        assertTrue(
                err.toString().contains("http.tls.keystore.password.file is required with http.tls.keystore.file"),
                err.toString());
    }

    @Test
    void aWildcardHttpHostNeedsAnAdvertisedHost() {
        assertEquals(2, run("coordinator", "--bootstrap-servers", "localhost:1", "--set", "http.host=0.0.0.0"));
        assertTrue(
                err.toString().contains("http.host=0.0.0.0") && err.toString().contains("http.advertised.host"),
                err.toString());
    }

    @Test
    void aBadCoordinatorValueNamesTheKey() {
        assertEquals(2, run("coordinator", "--bootstrap-servers", "localhost:1", "--set", "failback=sometimes"));
        assertTrue(err.toString().contains("failback"), err.toString());
        assertTrue(err.toString().contains("sometimes"), err.toString());
    }

    @Test
    void inconsistentCoordinatorTimingsNameBothKeys() {
        assertEquals(
                2,
                run(
                        "coordinator",
                        "--bootstrap-servers",
                        "localhost:1",
                        "--set",
                        "transaction.timeout.ms=1000",
                        "--set",
                        "commit.interval.ms=1000"));
        assertTrue(
                err.toString().contains("transaction.timeout.ms")
                        && err.toString().contains("commit.interval.ms"),
                err.toString());
    }

    @Test
    void noSubcommandIsABadCommandLine() {
        assertEquals(2, run());
        assertTrue(err.toString().contains("subcommand"), err.toString());
    }

    @Test
    void aBusyPortFailsAtOnceSayingSo() throws IOException {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertEquals(1, run("broker", "--port", Integer.toString(busy.getLocalPort())));
            assertTrue(err.toString().contains("already in use"), err.toString());
            assertTrue(err.toString().contains("--port"), err.toString());
        }
    }
}
