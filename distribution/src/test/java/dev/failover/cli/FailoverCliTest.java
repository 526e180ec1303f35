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
    void helpListsTheBrokerAndTheExitCodes() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString().contains("broker"), out.toString());
        assertTrue(out.toString().contains("Exit codes"), out.toString());
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
