package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * docker-compose.secure.yml cannot be started here (no Docker engine), so its structure is checked: every command
 * of the project's image parses, no secret is in a command or an environment, the one-shot steps run in order, each
 * component uses its own principal's client file, and every file a command names is one the set-up steps write: the
 * {@code pki} step's command is run here for real into a directory standing in for {@code /secure}.
 */
class DockerComposeSecureTest {

    private static final String FILE = "docker-compose.secure.yml";
    private static final Pattern SECURE_PATH = Pattern.compile("/secure/([A-Za-z0-9._/-]+)");

    @TempDir
    Path secure;

    @Test
    void hasTheSetUpStepsThreeBrokersTwoCoordinatorsAndTheDemoPair() throws Exception {
        assertEquals(
                List.of(
                        "pki",
                        "kafka-1",
                        "kafka-2",
                        "kafka-3",
                        "setup",
                        "coordinator-1",
                        "coordinator-2",
                        "alpha-service",
                        "alpha-agent",
                        "beta-service",
                        "beta-agent",
                        "ctl"),
                List.copyOf(DockerComposeTest.services(FILE).keySet()));
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyCommandParsesAndNoSecretIsInACommandOrAnEnvironment() throws Exception {
        int checked = 0;
        for (var entry : DockerComposeTest.services(FILE).entrySet()) {
            Map<String, Object> service = entry.getValue();
            Object environment = service.get("environment");
            if (environment instanceof Map<?, ?> env) {
                for (var e : env.entrySet()) {
                    assertFalse(
                            KafkaClientSettings.secret(
                                    e.getKey().toString().toLowerCase().replace('_', '.')),
                            entry.getKey() + " has a secret in its environment: " + e.getKey());
                    assertFalse(
                            e.getKey().toString().contains("LISTENER"),
                            entry.getKey() + ": listeners come from "
                                    + "the server.properties the pki step writes, which the environment would override");
                }
            }
            if (!".".equals(service.get("build"))) {
                continue;
            }
            List<String> command = (List<String>) service.get("command");
            Map<String, String> env = new java.util.HashMap<>();
            if (environment instanceof Map<?, ?> e && e.containsKey("FAILOVER_CONFIG")) {
                // the operator's defaults the setup step writes, as it writes them
                SecureSetupCommand.writeCtlDefaults(secure, "kafka-1:9092");
                env.put("FAILOVER_CONFIG", secure.resolve("ctl.properties").toString());
                assertEquals("/secure/ctl.properties", e.get("FAILOVER_CONFIG"));
            }
            try {
                String[] args = command.toArray(String[]::new);
                assertTrue(FailoverCli.newCommandLine(args, env).parseArgs(args).hasSubcommand());
            } catch (CommandLine.ParameterException e) {
                throw new AssertionError(entry.getKey() + ": " + e.getMessage(), e);
            }
            for (String arg : command) {
                String lower = arg.toLowerCase();
                assertFalse(
                        (lower.contains("password") && !lower.contains("password.file=/secure/"))
                                || lower.contains("jaas")
                                || lower.startsWith("--kafka="),
                        entry.getKey() + ": " + arg);
            }
            assertFalse(command.contains("--kafka"), entry.getKey() + ": Kafka settings belong in --kafka-config");
            checked++;
        }
        assertEquals(9, checked);
    }

    @Test
    @SuppressWarnings("unchecked")
    void theStepsRunInOrderAndEachComponentIsItsOwnPrincipal() throws Exception {
        Map<String, Map<String, Object>> services = DockerComposeTest.services(FILE);
        for (String broker : List.of("kafka-1", "kafka-2", "kafka-3")) {
            assertEquals(
                    Map.of("pki", Map.of("condition", "service_completed_successfully")),
                    services.get(broker).get("depends_on"),
                    broker);
            assertTrue(
                    ((List<String>) services.get(broker).get("volumes"))
                            .contains("./.failover/secure/" + broker + ":/mnt/shared/config:ro"),
                    broker);
        }
        for (String name : List.of("coordinator-1", "coordinator-2", "alpha-agent", "beta-agent")) {
            Map<String, Object> dependsOn =
                    (Map<String, Object>) services.get(name).get("depends_on");
            assertEquals(Map.of("condition", "service_completed_successfully"), dependsOn.get("setup"), name);
            List<String> command = (List<String>) services.get(name).get("command");
            String principal = name.startsWith("coordinator") ? "coordinator" : "agent";
            assertEquals(
                    "/secure/" + principal + ".properties", command.get(command.indexOf("--kafka-config") + 1), name);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyFileACommandNamesIsWrittenByTheSetUpSteps() throws Exception {
        Map<String, Map<String, Object>> services = DockerComposeTest.services(FILE);
        List<String> pki = new ArrayList<>((List<String>) services.get("pki").get("command"));
        pki.set(pki.indexOf("--dir") + 1, secure.toString());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = FailoverCli.newCommandLine(pki.toArray(String[]::new), Map.of());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        assertEquals(0, cli.execute(pki.toArray(String[]::new)), out + "\n" + err);

        // the setup step writes these once the brokers run, then bundles again: done here as it does it
        for (String user : List.of("admin", "coordinator", "agent", "operator")) {
            try (var stream = dev.failover.broker.LocalPki.secretFile(secure.resolve(user + ".properties"))) {
                stream.write(("# " + user + "'s client settings\n").getBytes());
            }
        }
        SecureSetupCommand.writeCtlDefaults(secure, "kafka-1:9092");
        Files.writeString(secure.resolve("bundles/agents/demo/alpha/stale.key"), "a key revoked since");
        SecureSetupCommand.writeBundles(secure);
        assertFalse(Files.exists(secure.resolve("bundles/agents/demo/alpha/stale.key")), "bundles are derived");
        int named = 0;
        for (var entry : services.entrySet()) {
            Object command = entry.getValue().get("command");
            List<String> volumes = (List<String>) entry.getValue().getOrDefault("volumes", List.of());
            String mounted = volumes.stream()
                    .filter(v -> v.contains(":/secure"))
                    .findFirst()
                    .map(v -> v.substring(0, v.indexOf(":/secure")))
                    .orElse(null);
            if (command == null || mounted == null) {
                continue;
            }
            boolean step = entry.getKey().equals("pki") || entry.getKey().equals("setup");
            assertEquals(
                    step,
                    mounted.equals("./.failover/secure"),
                    entry.getKey() + ": only the set-up steps mount "
                            + "the whole directory; a container mounts its bundle: " + mounted);
            Path root = secure.resolve(mounted.replaceFirst("^\\./\\.failover/secure/?", ""));
            List<String> args = new ArrayList<>((List<String>) command);
            Object environment = entry.getValue().get("environment");
            if (environment instanceof Map<?, ?> env) {
                env.values().forEach(v -> args.add(String.valueOf(v)));
            }
            for (String arg : args) {
                Matcher m = SECURE_PATH.matcher(arg);
                while (m.find()) {
                    String file = m.group(1);
                    named++;
                    assertTrue(
                            Files.exists(root.resolve(file)),
                            entry.getKey() + " names /secure/" + file + ", which is not in what it mounts (" + mounted
                                    + ")");
                }
            }
        }
        // what each bundle holds: its own secrets only
        Path bundles = secure.resolve(SecureSetupCommand.BUNDLES);
        assertTrue(Files.exists(bundles.resolve("agents/demo/alpha/heartbeat-keys/demo/alpha.key")));
        assertFalse(
                Files.exists(bundles.resolve("agents/demo/alpha/heartbeat-keys/demo/beta.key")),
                "an agent holds no other node's key");
        assertTrue(Files.exists(bundles.resolve("coordinator/heartbeat-keys/demo/beta.key")));
        assertTrue(Files.exists(bundles.resolve("operator/keys/operator.key")));
        try (var files = Files.walk(bundles)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String relative = bundles.relativize(f).toString();
                assertFalse(
                        f.getFileName().toString().startsWith("ca.p12") || relative.endsWith("admin.properties"),
                        "the CA's key and the admin's password stay with the set-up steps: " + relative);
                assertFalse(
                        f.getFileName().toString().equals("operator.key") && !relative.startsWith("operator/"),
                        "only the operator's bundle holds its signing key: " + relative);
                assertFalse(
                        f.getFileName().toString().equals("coordinator.key") && !relative.startsWith("coordinator/"),
                        relative);
                if (f.getFileName().toString().endsWith(".key")
                        || f.getFileName().toString().endsWith(".p12")) {
                    assertEquals(
                            "rw-------",
                            java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)),
                            relative);
                }
            }
        }
        assertTrue(named >= 20, "the commands name their keys and files: " + named);
        for (String broker : List.of("kafka-1", "kafka-2", "kafka-3")) {
            Properties server = new Properties();
            try (var in = Files.newBufferedReader(secure.resolve(broker).resolve("server.properties"))) {
                server.load(in);
            }
            assertEquals(
                    "CLIENT://" + broker + ":9092,INTERNAL://" + broker + ":9095",
                    server.getProperty("advertised.listeners"));
            assertEquals(
                    "CLIENT:SASL_SSL,INTERNAL:SSL,CONTROLLER:SSL",
                    server.getProperty("listener.security.protocol.map"));
            assertEquals("false", server.getProperty("allow.everyone.if.no.acl.found"));
            assertEquals(secure.resolve("broker.p12").toString(), server.getProperty("ssl.keystore.location"));
            assertEquals(
                    "rw-------",
                    java.nio.file.attribute.PosixFilePermissions.toString(
                            Files.getPosixFilePermissions(secure.resolve(broker).resolve("server.properties"))));
        }
    }
}
