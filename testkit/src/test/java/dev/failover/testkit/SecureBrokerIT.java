package dev.failover.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.broker.BrokerSecurity;
import dev.failover.broker.Directories;
import dev.failover.broker.LocalKafkaBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The secured broker: SCRAM over TLS logs users in with the written client files and no one else, and ACLs are
 * enforced (a user without one is refused, the same user with one is served).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecureBrokerIT {

    private LocalKafkaBroker broker;
    private BrokerSecurity security;
    private Path dir;

    @BeforeAll
    void startBroker() throws Exception {
        dir = Files.createTempDirectory("failover-secure-kafka-");
        broker = Brokers.builder()
                .dataDir(dir.resolve("data"))
                .secure(dir.resolve("security"), "alice")
                .build();
        broker.start();
        security = broker.security().orElseThrow();
    }

    @AfterAll
    void closeBroker() {
        if (broker != null) {
            broker.close();
        }
        Directories.deleteRecursively(dir);
    }

    @Test
    void writesClientFilesReadableByTheirOwnerOnly() throws Exception {
        for (String user : List.of(BrokerSecurity.ADMIN, "alice")) {
            Path file = security.clientConfig(user);
            assertEquals(
                    Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                    Files.getPosixFilePermissions(file),
                    file.toString());
            assertTrue(Files.readString(file).contains("SCRAM-SHA-512"), file.toString());
        }
        assertEquals(
                Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(broker.dataDir().resolve("server.properties")));
        Path ca = dir.resolve("security").resolve("ca");
        java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(ca.resolve("ca.p12"))) {
            store.load(
                    in, Files.readString(ca.resolve("ca.p12.password")).strip().toCharArray());
        }
        assertEquals(List.of("ca"), java.util.Collections.list(store.aliases()), "the CA's store holds no host's key");
    }

    @Test
    void aUserWithoutAnAclIsRefusedAndServedOnceGranted() throws Exception {
        String topic = "secured-topic";
        try (Admin admin = Admin.create(broker.adminProperties())) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            ExecutionException refused = assertThrows(ExecutionException.class, () -> send("alice", topic));
            assertInstanceOf(TopicAuthorizationException.class, refused.getCause(), refused.toString());

            AclBinding write = new AclBinding(
                    new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
                    new AccessControlEntry(
                            BrokerSecurity.principal("alice"), "*", AclOperation.WRITE, AclPermissionType.ALLOW));
            admin.createAcls(List.of(write)).all().get(30, TimeUnit.SECONDS);
            Await.until(
                    Duration.ofSeconds(30),
                    "the ACL in the broker's authorizer",
                    () -> admin.describeAcls(AclBindingFilter.ANY)
                            .values()
                            .toCompletionStage()
                            .toCompletableFuture()
                            .join()
                            .contains(write));
            send("alice", topic);
            assertEquals(
                    1,
                    admin.listOffsets(java.util.Map.of(
                                    new org.apache.kafka.common.TopicPartition(topic, 0),
                                    org.apache.kafka.clients.admin.OffsetSpec.latest()))
                            .all()
                            .get()
                            .values()
                            .iterator()
                            .next()
                            .offset());
        }
    }

    @Test
    void aWrongPasswordIsRefused() {
        Properties props = security.clientProperties("alice");
        props.put(
                "sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required "
                        + "username=\"alice\" password=\"not-her-password\";");
        ExecutionException refused = assertThrows(ExecutionException.class, () -> describeCluster(props));
        assertInstanceOf(SaslAuthenticationException.class, refused.getCause(), refused.toString());
    }

    @Test
    void aPlaintextClientGetsNothing() {
        Exception refused = assertThrows(Exception.class, () -> describeCluster(new Properties()));
        assertTrue(
                refused instanceof ExecutionException || refused instanceof java.util.concurrent.TimeoutException,
                refused.toString());
    }

    private void describeCluster(Properties props) throws Exception {
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        try (Admin admin = Admin.create(props)) {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs(3000))
                    .nodes()
                    .get(5, TimeUnit.SECONDS);
        }
    }

    private void send(String user, String topic) throws Exception {
        Properties props = security.clientProperties(user);
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        try (var producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "k", "v")).get(15, TimeUnit.SECONDS);
        }
    }
}
