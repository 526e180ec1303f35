package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.broker.FreePorts;
import dev.failover.testkit.Await;
import dev.failover.testkit.JavaProcess;
import dev.failover.testkit.Signals;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code failover broker} as a user runs it: its own process, stock clients, a signal to stop, a restart. */
class BrokerCommandIT {

    private static final Pattern READY = Pattern.compile("Kafka broker ready at (\\S+) \\(pid (\\d+)\\)");

    @TempDir
    Path dataDir;

    @Test
    void servesStockClientsStopsCleanlyOnSigtermAndKeepsItsData() throws Exception {
        String topic = "from-the-cli";
        Running first = launch();
        System.out.printf(
                "failover broker at %s, broker pid %d, launcher pid %d%n",
                first.bootstrap, first.brokerPid, first.process.pid());
        try (Admin admin =
                Admin.create(Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, first.bootstrap))) {
            // failover broker turns topic auto-creation off: topics are created on purpose
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        try (var producer = new KafkaProducer<>(
                Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, first.bootstrap),
                new StringSerializer(),
                new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "k", "kept")).get();
        }

        Signals.send(first.process.pid(), "TERM");
        Await.until(Duration.ofSeconds(60), "the launcher to exit", () -> !first.process.isAlive());
        assertFalse(
                ProcessHandle.of(first.brokerPid).map(ProcessHandle::isAlive).orElse(false),
                "the broker process outlived its launcher");
        assertTrue(
                Files.exists(dataDir.resolve("logs").resolve(".kafka_cleanshutdown")),
                "the broker did not shut down cleanly");
        assertTrue(
                first.cli.output().stream().anyMatch(l -> l.contains("Broker stopped.")),
                String.join("\n", first.cli.output()));

        Running second = launch();
        try {
            assertEquals(first.bootstrap, second.bootstrap, "the port changed across restarts");
            assertEquals("kept", readFirst(second.bootstrap, topic));
        } finally {
            Signals.send(second.process.pid(), "TERM");
            Await.until(Duration.ofSeconds(60), "the second launcher to exit", () -> !second.process.isAlive());
        }
    }

    @Test
    void aSecuredBrokerWritesEachUsersClientFileThatLogsInAndTheGeneratedAclsApply(@TempDir Path secure)
            throws Exception {
        JavaProcess cli = JavaProcess.start(
                "failover-broker-secure",
                List.of(),
                FailoverCli.class.getName(),
                List.of(
                        "broker",
                        "--port",
                        Integer.toString(FreePorts.pickPair()),
                        "--data-dir",
                        dataDir.toString(),
                        "--secure",
                        secure.toString()));
        try {
            String bootstrap = cli.awaitLine(READY, Duration.ofSeconds(90)).group(1);
            Matcher next = cli.awaitLine(Pattern.compile("Next: (failover acls .*)"), Duration.ofSeconds(10));
            for (String user : List.of("admin", "coordinator", "agent", "operator")) {
                Path file = secure.resolve(user + ".properties");
                assertEquals(
                        "rw-------",
                        java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
                        file.toString());
            }
            // the command it prints, as a user would paste it
            String[] acls = next.group(1).substring("failover ".length()).split(" ");
            java.io.StringWriter out = new java.io.StringWriter();
            java.io.StringWriter err = new java.io.StringWriter();
            picocli.CommandLine command = FailoverCli.newCommandLine(acls, Map.of());
            command.setOut(new java.io.PrintWriter(out, true));
            command.setErr(new java.io.PrintWriter(err, true));
            assertEquals(0, command.execute(acls), out + "\n" + err);
            assertTrue(out.toString().contains("applied "), out.toString());

            java.util.Properties operator = new java.util.Properties();
            try (var in = Files.newBufferedReader(secure.resolve("operator.properties"))) {
                operator.load(in);
            }
            operator.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            try (Admin admin = Admin.create(operator)) {
                assertFalse(admin.describeCluster().nodes().get().isEmpty(), "the operator logs in with its file");
            }
        } finally {
            Signals.send(cli.process().pid(), "TERM");
            Await.until(
                    Duration.ofSeconds(60),
                    "the secured broker's launcher to exit",
                    () -> !cli.process().isAlive());
        }
    }

    @Test
    void aClusterOfThreeNodesCarriesTheRecommendedSettingsAndStopsNodeByNode() throws Exception {
        int port = FreePorts.pickRun(6);
        JavaProcess cli = JavaProcess.start(
                "failover-broker-nodes",
                List.of(),
                FailoverCli.class.getName(),
                List.of("broker", "--nodes", "3", "--port", Integer.toString(port), "--data-dir", dataDir.toString()));
        try {
            String bootstrap = cli.awaitLine(
                            Pattern.compile("Kafka cluster ready: --bootstrap-servers (\\S+)\\. Ctrl-C"),
                            Duration.ofSeconds(120))
                    .group(1);
            try (Admin admin =
                    Admin.create(Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                var nodes = admin.describeCluster().nodes().get();
                assertEquals(3, nodes.size(), "nodes: " + nodes);
                for (var node : nodes) {
                    var resource = new ConfigResource(ConfigResource.Type.BROKER, node.idString());
                    Config config =
                            admin.describeConfigs(List.of(resource)).all().get().get(resource);
                    // README, "Running on a Kafka cluster": a leader move must not hold acks=all writes for 1 s
                    assertEquals("100", config.get("replica.fetch.backoff.ms").value(), "node " + node.id());
                    assertEquals(
                            "false", config.get("auto.create.topics.enable").value(), "node " + node.id());
                    assertEquals("3", config.get("default.replication.factor").value(), "node " + node.id());
                    assertEquals("2", config.get("min.insync.replicas").value(), "node " + node.id());
                }
            }
        } finally {
            Signals.send(cli.process().pid(), "TERM");
            Await.until(
                    Duration.ofSeconds(120),
                    "the launcher to exit",
                    () -> !cli.process().isAlive());
        }
        for (int p = port; p < port + 6; p++) {
            int each = p;
            Await.until(Duration.ofSeconds(10), "port " + p + " released", () -> FreePorts.isFree(each));
        }
    }

    private record Running(Process process, String bootstrap, long brokerPid, JavaProcess cli) {}

    private Running launch() throws IOException {
        int port = previousPort == 0 ? FreePorts.pickPair() : previousPort;
        JavaProcess cli = JavaProcess.start(
                "failover-broker",
                List.of(),
                FailoverCli.class.getName(),
                List.of("broker", "--port", Integer.toString(port), "--data-dir", dataDir.toString()));
        Matcher ready = cli.awaitLine(READY, Duration.ofSeconds(90));
        previousPort = Integer.parseInt(ready.group(1).substring(ready.group(1).lastIndexOf(':') + 1));
        return new Running(cli.process(), ready.group(1), Long.parseLong(ready.group(2)), cli);
    }

    private int previousPort;

    private static String readFirst(String bootstrap, String topic) {
        try (var consumer = new KafkaConsumer<>(
                Map.<String, Object>of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringDeserializer(),
                new StringDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            return Await.value(Duration.ofSeconds(30), "a record on " + topic, () -> {
                var records = consumer.poll(Duration.ofMillis(200));
                return records.isEmpty() ? null : records.iterator().next().value();
            });
        }
    }
}
