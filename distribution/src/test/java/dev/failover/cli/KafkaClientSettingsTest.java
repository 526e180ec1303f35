package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientSettingsTest {

    @TempDir
    Path dir;

    @Test
    void theFileComesFirstTheFlagsWinAndASecretOnTheCommandLineIsSaidToBeOne() throws Exception {
        Path file = Files.writeString(dir.resolve("client.properties"), """
                security.protocol=SASL_SSL
                sasl.mechanism=SCRAM-SHA-512
                sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="a" password="s";
                """);
        StringWriter err = new StringWriter();
        Map<String, String> merged =
                KafkaClientSettings.merged(file, Map.of("sasl.mechanism", "PLAIN"), "--kafka", new PrintWriter(err));
        assertEquals("SASL_SSL", merged.get("security.protocol"));
        assertEquals("PLAIN", merged.get("sasl.mechanism"), "the flag wins");
        assertTrue(merged.get("sasl.jaas.config").contains("ScramLoginModule"));
        assertEquals("", err.toString(), "nothing secret on the command line");

        KafkaClientSettings.merged(
                null,
                Map.of("ssl.keystore.password", "x", "ssl.truststore.location", "/t"),
                "--kafka",
                new PrintWriter(err));
        assertTrue(
                err.toString().contains("warning: --kafka ssl.keystore.password puts a secret on the command line"),
                err.toString());
        assertFalse(err.toString().contains("ssl.truststore.location"), err.toString());
    }

    @Test
    void theCoordinatorReadsTheFileAsKafkaSettingsUnderItsFlags() throws Exception {
        Path file = Files.writeString(dir.resolve("coordinator.properties"), """
                security.protocol=SASL_SSL
                sasl.mechanism=SCRAM-SHA-512
                """);
        String[] args = {
            "coordinator",
            "--bootstrap-servers",
            "b:1",
            "--kafka-config",
            file.toString(),
            "--set",
            "kafka.sasl.mechanism=PLAIN"
        };
        var cli = FailoverCli.newCommandLine(args, Map.of());
        cli.setErr(new PrintWriter(new StringWriter()));
        var parsed = cli.parseArgs(args);
        CoordinatorCommand command =
                (CoordinatorCommand) parsed.subcommand().commandSpec().userObject();
        Map<String, String> resolved = command.resolve();
        assertEquals("SASL_SSL", resolved.get("kafka.security.protocol"));
        assertEquals("PLAIN", resolved.get("kafka.sasl.mechanism"), "--set wins");
    }

    @Test
    void anUnreadableFileIsNamed() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> KafkaClientSettings.merged(
                        dir.resolve("absent.properties"), Map.of(), "--kafka", new PrintWriter(new StringWriter())));
        assertTrue(
                e.getMessage().contains("--kafka-config: cannot read " + dir.resolve("absent.properties")),
                e.getMessage());
    }

    @Test
    void secretsAreRecognisedByTheirKeys() {
        for (String key : new String[] {
            "sasl.jaas.config",
            "ssl.key.password",
            "ssl.keystore.key",
            "kafka.sasl.jaas.config",
            "sasl.oauthbearer.client.secret"
        }) {
            assertTrue(KafkaClientSettings.secret(key), key);
        }
        for (String key : new String[] {"security.protocol", "ssl.truststore.location", "sasl.mechanism"}) {
            assertFalse(KafkaClientSettings.secret(key), key);
        }
    }
}
