package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

/**
 * docker-compose.yml cannot be started here (no Docker engine), so its structure is checked instead: the services,
 * the broker's image and listeners, and every command of the project's image parsed by the real command line, so
 * that the file cannot drift from the launcher's options.
 */
class DockerComposeTest {

    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    private static Map<String, Map<String, Object>> services() throws Exception {
        return services("docker-compose.yml");
    }

    /** The services of a compose file at the project's root, in file order. */
    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> services(String file) throws Exception {
        try (Reader in = Files.newBufferedReader(ROOT.resolve(file))) {
            Map<String, Object> compose = new Yaml().load(in);
            return (Map<String, Map<String, Object>>) compose.get("services");
        }
    }

    private static final List<String> BROKERS = List.of("kafka-1", "kafka-2", "kafka-3");
    private static final String BOOTSTRAP = "kafka-1:9092,kafka-2:9092,kafka-3:9092";

    @Test
    void hasThreeBrokersTwoCoordinatorsAndTheDemoPairWithTheirAgents() throws Exception {
        assertEquals(
                List.of(
                        "kafka-1",
                        "kafka-2",
                        "kafka-3",
                        "coordinator-1",
                        "coordinator-2",
                        "alpha-service",
                        "alpha-agent",
                        "beta-service",
                        "beta-agent"),
                List.copyOf(services().keySet()));
    }

    @Test
    @SuppressWarnings("unchecked")
    void theBrokersAreOneKraftClusterOfTheOfficialImageWithThreeReplicasAndTwoInSync() throws Exception {
        java.util.Set<String> clusterIds = new java.util.HashSet<>();
        java.util.Set<String> voters = new java.util.HashSet<>();
        for (int i = 0; i < BROKERS.size(); i++) {
            Map<String, Object> kafka = services().get(BROKERS.get(i));
            assertTrue(kafka.get("image").toString().startsWith("apache/kafka:"), kafka.toString());
            Map<String, Object> env = (Map<String, Object>) kafka.get("environment");
            assertEquals(Integer.toString(i + 1), env.get("KAFKA_NODE_ID"), BROKERS.get(i));
            assertEquals("broker,controller", env.get("KAFKA_PROCESS_ROLES"));
            assertEquals("PLAINTEXT://" + BROKERS.get(i) + ":9092", env.get("KAFKA_ADVERTISED_LISTENERS"));
            assertEquals("false", env.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE"), "the coordinator creates its topics");
            assertEquals("3", env.get("KAFKA_DEFAULT_REPLICATION_FACTOR"));
            assertEquals("2", env.get("KAFKA_MIN_INSYNC_REPLICAS"));
            assertEquals("3", env.get("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"));
            assertEquals("3", env.get("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"));
            assertEquals("2", env.get("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"));
            assertEquals("100", env.get("KAFKA_REPLICA_FETCH_BACKOFF_MS"), "a follower retries a new leader soon");
            int session = dev.failover.coordinator.app.CoordinatorConfig.parse(
                            Map.of("bootstrap.servers", "kafka-1:9092"))
                    .getInt("session.timeout.ms");
            assertTrue(
                    Integer.parseInt(env.get("KAFKA_GROUP_STREAMS_MIN_SESSION_TIMEOUT_MS")
                                    .toString())
                            <= session,
                    "the coordinators' Streams-group session is allowed");
            assertTrue(
                    Integer.parseInt(env.get("KAFKA_GROUP_STREAMS_MIN_HEARTBEAT_INTERVAL_MS")
                                    .toString())
                            <= session / 6,
                    "and its heartbeat, a sixth of it");
            clusterIds.add(String.valueOf(env.get("CLUSTER_ID")));
            voters.add(String.valueOf(env.get("KAFKA_CONTROLLER_QUORUM_VOTERS")));
        }
        assertEquals(1, clusterIds.size(), "one cluster id: " + clusterIds);
        assertEquals(
                java.util.Set.of("1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"), voters, "one quorum of all three");
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyCommandOfTheProjectImageIsAValidLauncherCommandLine() throws Exception {
        int checked = 0;
        for (var entry : services().entrySet()) {
            Map<String, Object> service = entry.getValue();
            if (!".".equals(service.get("build"))) {
                continue;
            }
            List<String> command = (List<String>) service.get("command");
            try {
                CommandLine.ParseResult parsed = FailoverCli.newCommandLine().parseArgs(command.toArray(String[]::new));
                assertTrue(parsed.hasSubcommand(), entry.getKey());
            } catch (CommandLine.ParameterException e) {
                throw new AssertionError(entry.getKey() + ": " + e.getMessage(), e);
            }
            if (command.contains("--bootstrap-servers")) {
                assertEquals(BOOTSTRAP, command.get(command.indexOf("--bootstrap-servers") + 1), entry.getKey());
            }
            checked++;
        }
        assertEquals(6, checked);
    }

    @Test
    @SuppressWarnings("unchecked")
    void eachCoordinatorAdvertisesItsServiceNameForForwardedQueries() throws Exception {
        for (String name : List.of("coordinator-1", "coordinator-2")) {
            List<String> command = (List<String>) services().get(name).get("command");
            java.util.Map<String, String> settings = new java.util.HashMap<>();
            for (int i = 0; i + 1 < command.size(); i++) {
                if (command.get(i).equals("--set")) {
                    String[] kv = command.get(i + 1).split("=", 2);
                    settings.put(kv[0], kv[1]);
                }
            }
            settings.put("bootstrap.servers", command.get(command.indexOf("--bootstrap-servers") + 1));
            var config = dev.failover.coordinator.app.CoordinatorConfig.parse(settings); // valid as the image runs it
            String port = command.get(command.indexOf("--http-port") + 1);
            assertEquals(name + ":" + port, config.advertisedHttpAddress(Integer.parseInt(port)), command.toString());
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void eachAgentSharesItsServicesNetworkAndChecksIt() throws Exception {
        for (String node : List.of("alpha", "beta")) {
            Map<String, Object> agent = services().get(node + "-agent");
            assertEquals("service:" + node + "-service", agent.get("network_mode"));
            List<String> command = (List<String>) agent.get("command");
            assertEquals(node, command.get(command.indexOf("--node") + 1));
            assertEquals("demo", command.get(command.indexOf("--group") + 1));
            List<String> service =
                    (List<String>) services().get(node + "-service").get("command");
            String port = service.get(service.indexOf("--port") + 1);
            assertEquals("http://127.0.0.1:" + port + "/", command.get(command.indexOf("--check-http") + 1));
        }
    }

    @Test
    void theImageRunsTheLauncher() throws Exception {
        String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
        assertTrue(dockerfile.contains("dev.failover.cli.FailoverCli"), dockerfile);
        assertTrue(dockerfile.contains("-pl distribution -am package"), dockerfile);
    }
}
