package dev.failover.cli;

import dev.failover.wire.TopicNames;
import dev.failover.wire.Topics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The least-privilege ACLs of a deployment, one list per role. Each grant is what the role's clients do, and nothing
 * more:
 * <ul>
 *   <li><b>coordinator</b> (a Streams application under exactly-once): reads heartbeats and commands; writes fence
 *       markers into heartbeats, and role changes, state and dead letters (and reads those back: the hanging
 *       transaction healer describes their producers); creates the five topics if missing; owns the application's
 *       consumer group, transactional ids ({@code A-<process>-<thread>}) and internal topics ({@code A-...});</li>
 *   <li><b>agent</b>: writes heartbeats, reads role changes and state; no consumer group (it assigns partitions), no
 *       idempotent producer, and no read of heartbeats, so a stolen agent credential cannot harvest beats;</li>
 *   <li><b>operator</b> ({@code failover ctl}): reads all five topics, writes commands, describes the application's
 *       group.</li>
 * </ul>
 * Healing hanging transactions needs the cluster's ALTER permission, which also allows creating ACLs and users: an
 * administrator's right. It is left out unless asked for ({@code healsTransactions}).
 */
record AclPlan(
        String coordinator,
        String agent,
        String operator,
        String applicationId,
        boolean healsTransactions,
        TopicNames topics) {

    AclPlan(String coordinator, String agent, String operator, String applicationId, boolean healsTransactions) {
        this(coordinator, agent, operator, applicationId, healsTransactions, TopicNames.defaults());
    }

    /** One resource pattern, one principal, the operations granted on it. */
    record Grant(String principal, ResourceType type, String name, PatternType pattern, List<AclOperation> operations) {

        List<AclBinding> bindings() {
            return operations.stream()
                    .map(op -> new AclBinding(
                            new ResourcePattern(type, name, pattern),
                            new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW)))
                    .toList();
        }

        /** The same grant as a {@code kafka-acls.sh} command line. */
        String command(String bootstrap) {
            String resource = switch (type) {
                case TOPIC -> "--topic " + name;
                case GROUP -> "--group " + name;
                case TRANSACTIONAL_ID -> "--transactional-id " + name;
                case CLUSTER -> "--cluster";
                default -> throw new IllegalStateException("no kafka-acls.sh option for " + type);
            };
            String ops = operations.stream()
                    .map(op -> "--operation " + camel(op.name()))
                    .collect(Collectors.joining(" "));
            return "kafka-acls.sh --bootstrap-server " + bootstrap + " --command-config admin.properties --add "
                    + "--allow-principal " + principal + " " + ops + " " + resource
                    + (pattern == PatternType.PREFIXED ? " --resource-pattern-type prefixed" : "");
        }
    }

    AclPlan {
        for (String principal : Arrays.asList(coordinator, agent, operator)) {
            if (principal != null && !principal.matches("[A-Za-z]+:.+")) {
                throw new IllegalArgumentException(
                        "a principal is TYPE:NAME, e.g. User:coordinator, not '" + principal + "'");
            }
        }
        if (coordinator == null && agent == null && operator == null) {
            throw new IllegalArgumentException("name at least one principal");
        }
        if (applicationId == null || applicationId.isBlank()) {
            throw new IllegalArgumentException("the application id must not be blank");
        }
    }

    List<Grant> grants() {
        List<Grant> grants = new ArrayList<>();
        List<AclOperation> readCreate = List.of(AclOperation.READ, AclOperation.CREATE, AclOperation.DESCRIBE_CONFIGS);
        List<AclOperation> readWriteCreate =
                List.of(AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DESCRIBE_CONFIGS);
        if (coordinator != null) {
            grants.add(topic(coordinator, topics.heartbeats(), readWriteCreate));
            grants.add(topic(coordinator, topics.commands(), readCreate));
            for (String written : List.of(topics.roleChanges(), topics.state(), topics.deadLetters())) {
                grants.add(topic(coordinator, written, readWriteCreate));
            }
            grants.add(new Grant(
                    coordinator, ResourceType.TOPIC, applicationId + "-", PatternType.PREFIXED, readWriteCreate));
            // AlterConfigs and DescribeConfigs: each instance sets its Streams group's session (GroupProtocolChoice)
            grants.add(new Grant(
                    coordinator,
                    ResourceType.GROUP,
                    applicationId,
                    PatternType.LITERAL,
                    List.of(AclOperation.READ, AclOperation.ALTER_CONFIGS, AclOperation.DESCRIBE_CONFIGS)));
            grants.add(new Grant(
                    coordinator,
                    ResourceType.TRANSACTIONAL_ID,
                    applicationId + "-",
                    PatternType.PREFIXED,
                    List.of(AclOperation.WRITE)));
            if (healsTransactions) {
                grants.add(new Grant(
                        coordinator,
                        ResourceType.CLUSTER,
                        "kafka-cluster",
                        PatternType.LITERAL,
                        List.of(AclOperation.ALTER)));
                grants.add(topic(coordinator, "__consumer_offsets", List.of(AclOperation.READ)));
                grants.add(topic(coordinator, "__transaction_state", List.of(AclOperation.DESCRIBE)));
                // Without it the broker hides other applications' transactions from the healer, and their producers
                // on the shared offsets partition would look abandoned.
                grants.add(new Grant(
                        coordinator,
                        ResourceType.TRANSACTIONAL_ID,
                        "*",
                        PatternType.LITERAL,
                        List.of(AclOperation.DESCRIBE)));
            }
        }
        if (agent != null) {
            grants.add(topic(agent, topics.heartbeats(), List.of(AclOperation.WRITE)));
            grants.add(topic(agent, topics.roleChanges(), List.of(AclOperation.READ)));
            grants.add(topic(agent, topics.state(), List.of(AclOperation.READ)));
        }
        if (operator != null) {
            for (String topic :
                    List.of(topics.heartbeats(), topics.roleChanges(), topics.state(), topics.deadLetters())) {
                grants.add(topic(operator, topic, List.of(AclOperation.READ)));
            }
            grants.add(topic(operator, topics.commands(), List.of(AclOperation.READ, AclOperation.WRITE)));
            grants.add(new Grant(
                    operator, ResourceType.GROUP, applicationId, PatternType.LITERAL, List.of(AclOperation.DESCRIBE)));
            // ctl record: the groups' stored state at a recording's start (the coordinator's store changelog)
            grants.add(topic(operator, Topics.groupStoreChangelog(applicationId), List.of(AclOperation.READ)));
        }
        return grants;
    }

    List<AclBinding> bindings() {
        return grants().stream().flatMap(g -> g.bindings().stream()).toList();
    }

    private static Grant topic(String principal, String name, List<AclOperation> operations) {
        return new Grant(principal, ResourceType.TOPIC, name, PatternType.LITERAL, operations);
    }

    /** {@code DESCRIBE_CONFIGS} as kafka-acls.sh spells it: {@code DescribeConfigs}. */
    private static String camel(String constant) {
        return Arrays.stream(constant.toLowerCase(Locale.ROOT).split("_"))
                .map(word -> Character.toUpperCase(word.charAt(0)) + word.substring(1))
                .collect(Collectors.joining());
    }
}
