package dev.failover.broker;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;

/**
 * What makes a {@link LocalKafkaBroker} a secured one, as a Kafka shop runs it: clients on SASL_SSL with SCRAM-SHA-512,
 * the broker's own connections (internal and controller listeners) on mutual TLS, and the KRaft
 * {@code StandardAuthorizer} denying whatever no ACL allows. Super users are the broker's certificate
 * ({@value LocalPki#BROKER_PRINCIPAL}) and the SCRAM user {@value #ADMIN}; every other user can do nothing until ACLs
 * say so.
 *
 * <p>Each user gets a random password and a client properties file {@code DIR/USER.properties} (mode 600) with
 * everything a Kafka client needs: pass it as {@code --kafka-config}. The users are (re)created after every start
 * of the broker, through the internal listener with the broker's own certificate.
 */
public final class BrokerSecurity {

    /** The SCRAM user that is a super user: it creates topics and ACLs for a test or an operator. */
    public static final String ADMIN = "admin";

    /** SCRAM-SHA-512's minimum iteration count; tests log in often, so no more. */
    private static final int SCRAM_ITERATIONS = 4096;

    private final Path dir;
    private final LocalPki pki;
    private final Map<String, String> passwords = new LinkedHashMap<>();

    BrokerSecurity(Path dir, List<String> users) {
        this(dir, users, List.of());
    }

    /**
     * Certificates in {@code dir} (the broker's valid for 127.0.0.1, localhost and {@code brokerHosts}, for brokers
     * reached by name, as in docker-compose) and a random password for {@value #ADMIN} and each of {@code users}.
     */
    public BrokerSecurity(Path dir, List<String> users, List<String> brokerHosts) {
        this.dir = dir;
        this.pki = LocalPki.inDirectory(dir, brokerHosts);
        passwords.put(ADMIN, LocalPki.randomPassword());
        for (String user : users) {
            if (!user.matches("[a-z][a-z0-9-]*") || user.startsWith("cn=")) {
                throw new IllegalArgumentException(
                        "a SCRAM user name must be lower case letters, digits and '-': " + user);
            }
            passwords.put(user, LocalPki.randomPassword());
        }
    }

    public Path dir() {
        return dir;
    }

    public LocalPki pki() {
        return pki;
    }

    /** The SCRAM users, {@value #ADMIN} first. */
    public List<String> users() {
        return List.copyOf(passwords.keySet());
    }

    /** {@code User:NAME}, as ACLs name the principal of a SCRAM user. */
    public static String principal(String user) {
        return "User:" + user;
    }

    /** The client properties file of {@code user} (SASL_SSL, SCRAM-SHA-512, the CA as trust store), mode 600. */
    public Path clientConfig(String user) {
        requireUser(user);
        return dir.resolve(user + ".properties");
    }

    /** The settings in {@link #clientConfig}, without bootstrap servers. */
    public Properties clientProperties(String user) {
        requireUser(user);
        Properties props = new Properties();
        props.put("security.protocol", "SASL_SSL");
        props.put("sasl.mechanism", "SCRAM-SHA-512");
        props.put(
                "sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\""
                        + passwords.get(user) + "\";");
        props.put("ssl.truststore.type", "PEM");
        props.put("ssl.truststore.location", pki.caPem().toString());
        return props;
    }

    /** The broker's listeners and security settings, for {@code server.properties}. */
    Map<String, String> serverProperties(String host, int clientPort, int internalPort, int controllerPort) {
        return serverProperties(host, host, clientPort, internalPort, controllerPort);
    }

    /**
     * The listeners and security settings of a broker that binds {@code bindHost} (empty: every address) and is
     * reached as {@code advertisedHost}.
     */
    public Map<String, String> serverProperties(
            String bindHost, String advertisedHost, int clientPort, int internalPort, int controllerPort) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put(
                "listeners",
                "CLIENT://" + bindHost + ":" + clientPort + ",INTERNAL://" + bindHost + ":" + internalPort
                        + ",CONTROLLER://" + bindHost + ":" + controllerPort);
        props.put(
                "advertised.listeners",
                "CLIENT://" + advertisedHost + ":" + clientPort + ",INTERNAL://" + advertisedHost + ":" + internalPort);
        props.put("listener.security.protocol.map", "CLIENT:SASL_SSL,INTERNAL:SSL,CONTROLLER:SSL");
        props.put("inter.broker.listener.name", "INTERNAL");
        props.put("controller.listener.names", "CONTROLLER");
        props.put("ssl.keystore.type", "PKCS12");
        props.put("ssl.keystore.location", pki.brokerKeystore().toString());
        props.put("ssl.keystore.password", pki.brokerKeystorePassword());
        props.put("ssl.truststore.type", "PEM");
        props.put("ssl.truststore.location", pki.caPem().toString());
        props.put("listener.name.internal.ssl.client.auth", "required");
        props.put("listener.name.controller.ssl.client.auth", "required");
        props.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
        props.put("listener.name.client.sasl.enabled.mechanisms", "SCRAM-SHA-512");
        // A SASL listener needs a server login section even though the broker never logs in through it.
        props.put(
                "listener.name.client.scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        props.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        props.put("super.users", LocalPki.BROKER_PRINCIPAL + ";" + principal(ADMIN));
        props.put("allow.everyone.if.no.acl.found", "false");
        props.put("auto.create.topics.enable", "false");
        return props;
    }

    /** An Admin client's settings as the broker itself (a super user) on the internal mutual-TLS listener. */
    Properties internalAdminProperties(String host, int internalPort) {
        return internalAdminProperties(host + ":" + internalPort);
    }

    /** An Admin client's settings as the broker itself (a super user) on the internal listeners {@code bootstrap}. */
    public Properties internalAdminProperties(String bootstrap) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put("security.protocol", "SSL");
        props.put("ssl.keystore.type", "PKCS12");
        props.put("ssl.keystore.location", pki.brokerKeystore().toString());
        props.put("ssl.keystore.password", pki.brokerKeystorePassword());
        props.put("ssl.truststore.type", "PEM");
        props.put("ssl.truststore.location", pki.caPem().toString());
        return props;
    }

    /**
     * Creates (or resets) every user's SCRAM credential through {@code admin}, writes the client files, and returns
     * once each user can log in on {@code bootstrapServers}: credentials reach the broker through the metadata log,
     * a moment after the controller accepts them.
     */
    public void createUsers(Admin admin, String bootstrapServers, long deadlineNanos) {
        List<UserScramCredentialAlteration> upserts = new ArrayList<>();
        passwords.forEach((user, password) -> upserts.add(new UserScramCredentialUpsertion(
                user, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS), password)));
        try {
            admin.alterUserScramCredentials(upserts).all().get(30, TimeUnit.SECONDS);
            for (String user : passwords.keySet()) {
                writeClientConfig(user);
                awaitLogin(user, bootstrapServers, deadlineNanos);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create the SCRAM users " + passwords.keySet() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating SCRAM users", e);
        }
    }

    private void awaitLogin(String user, String bootstrapServers, long deadlineNanos) throws InterruptedException {
        Properties props = clientProperties(user);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "2000");
        Exception last = null;
        while (System.nanoTime() - deadlineNanos < 0) {
            try (Admin admin = Admin.create(props)) {
                admin.describeCluster(new DescribeClusterOptions().timeoutMs(2000))
                        .nodes()
                        .get(3, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException | TimeoutException e) {
                last = e; // the credential has not reached the broker yet
            }
            Pause.millis(100);
        }
        throw new IllegalStateException(
                "SCRAM user " + user + " could not log in on " + bootstrapServers + " in time: " + last);
    }

    private void writeClientConfig(String user) {
        Properties props = clientProperties(user);
        try (OutputStream out = LocalPki.secretFile(clientConfig(user))) {
            props.store(
                    new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8),
                    "Kafka client settings of SCRAM user " + user + " (written by failover's local broker)");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + clientConfig(user), e);
        }
    }

    private void requireUser(String user) {
        if (!passwords.containsKey(user)) {
            throw new IllegalArgumentException("no SCRAM user " + user + "; users: " + passwords.keySet());
        }
    }
}
