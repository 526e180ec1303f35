package dev.failover.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code failover acls}: the least-privilege ACLs of the coordinator, agent and operator principals ({@link AclPlan}),
 * printed as {@code kafka-acls.sh} commands or applied through the Admin API.
 */
@Command(
        name = "acls",
        mixinStandardHelpOptions = true,
        description = {
            "Prints the least-privilege Kafka ACLs each role needs as kafka-acls.sh commands, or applies them (--apply).",
            "The coordinator reads heartbeats and commands, writes role changes, state and dead letters, and owns its",
            "group, transactional ids and internal topics; agents write heartbeats and read role changes and state;",
            "operators (failover ctl) read everything and write commands."
        })
public final class AclsCommand implements Callable<Integer>, ReadsEnvironment {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--coordinator-principal", paramLabel = "P", description = "e.g. User:coordinator")
    String coordinator;

    @Option(names = "--agent-principal", paramLabel = "P", description = "e.g. User:agent")
    String agent;

    @Option(names = "--operator-principal", paramLabel = "P", description = "e.g. User:operator")
    String operator;

    @Option(
            names = "--application-id",
            paramLabel = "ID",
            defaultValue = "failover-coordinator",
            description = "The coordinators' application.id (default: ${DEFAULT-VALUE}).")
    String applicationId;

    @Option(
            names = "--coordinator-heals-transactions",
            description = {
                "Also grant what aborting a hanging transaction needs: ALTER on the cluster, which also allows creating ACLs",
                "and users (an administrator's right). Without it the coordinator finds hanging transactions and logs them",
                "for an operator to abort with kafka-transactions.sh."
            })
    boolean healsTransactions;

    @Option(
            names = "--apply",
            description = "Create the ACLs through the Admin API (needs --bootstrap-servers and an "
                    + "administrator's --kafka-config) and wait until the broker enforces them.")
    boolean apply;

    @Option(
            names = "--bootstrap-servers",
            paramLabel = "HOST:PORT",
            description = "Kafka brokers (with --apply; " + "shown in the printed commands otherwise).")
    String bootstrapServers;

    @Option(
            names = "--kafka-config",
            paramLabel = "FILE",
            description = "Kafka client properties of an administrator (TLS, SASL), for --apply.")
    Path kafkaConfig;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            defaultValue = "30s",
            converter = Durations.class,
            description = "How long --apply waits for the broker (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @CommandLine.Mixin
    TopicOptions topicOptions = new TopicOptions();

    @Override
    public void useEnvironment(Map<String, String> environment) {
        topicOptions.environment = environment;
    }

    @Override
    public Integer call() throws Exception {
        AclPlan plan;
        dev.failover.wire.TopicNames topics;
        try {
            topics = topicOptions.topics();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        try {
            plan = new AclPlan(coordinator, agent, operator, applicationId, healsTransactions, topics);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    e.getMessage() + " (--coordinator-principal, --agent-principal, --operator-principal)");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (healsTransactions) {
            err.println("warning: --coordinator-heals-transactions grants the coordinator ALTER on the cluster, which "
                    + "also lets it create ACLs and SCRAM users");
            err.flush();
        }
        if (!apply) {
            String bootstrap = bootstrapServers == null ? "BROKER:9092" : bootstrapServers;
            plan.grants().forEach(g -> out.println(g.command(bootstrap)));
            out.flush();
            return 0;
        }
        if (bootstrapServers == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--apply needs --bootstrap-servers");
        }
        Properties props = new Properties();
        props.putAll(KafkaClientSettings.merged(kafkaConfig, Map.of(), "--kafka", err));
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        apply(props, plan.bindings(), timeout);
        out.printf(
                "applied %d ACLs (%d grants) on %s%n",
                plan.bindings().size(), plan.grants().size(), bootstrapServers);
        out.flush();
        return 0;
    }

    /** Creates {@code bindings} as the administrator of {@code admin} and waits until the broker enforces them. */
    static void apply(Properties adminSettings, List<AclBinding> bindings, Duration timeout)
            throws InterruptedException {
        String bootstrap = adminSettings.getProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG);
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = Admin.create(adminSettings)) {
            admin.createAcls(bindings).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            // Created on the controller, enforced once the broker has read them from the metadata log: wait for that.
            while (true) {
                Set<AclBinding> present = new HashSet<>(admin.describeAcls(AclBindingFilter.ANY)
                        .values()
                        .get(timeout.toMillis(), TimeUnit.MILLISECONDS));
                if (present.containsAll(bindings)) {
                    return;
                }
                if (System.nanoTime() - deadline >= 0) {
                    throw new IllegalStateException(
                            "the broker does not show all ACLs after " + timeout.toSeconds() + " s");
                }
                Thread.sleep(100);
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot apply the ACLs on " + bootstrap + ": " + e.getCause(), e);
        } catch (TimeoutException e) {
            throw new IllegalStateException(
                    "the broker at " + bootstrap + " did not answer in " + timeout.toSeconds() + " s", e);
        }
    }
}
