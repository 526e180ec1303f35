package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.wire.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

class AclPlanTest {

    private final AclPlan plan =
            new AclPlan("User:coordinator", "User:agent", "User:operator", "failover-coordinator", false);

    @Test
    void renamedTopicsAreGrantedUnderTheirNamesGivenByKeyOrVariable() {
        StringWriter out = new StringWriter();
        var cli = FailoverCli.newCommandLine(new String[0], Map.of());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(new StringWriter(), true));
        assertEquals(
                0,
                cli.execute(
                        "acls",
                        "--agent-principal",
                        "User:agent",
                        "--topic",
                        "topic.heartbeats=prod.beats",
                        "--topic",
                        "topic.state=prod.state"));
        assertTrue(out.toString().contains("--operation Write --topic prod.beats"), out.toString());
        assertTrue(out.toString().contains("--operation Read --topic prod.state"), out.toString());
        assertTrue(out.toString().contains("--operation Read --topic failover.role-changes"), out.toString());
        assertFalse(out.toString().contains("failover.heartbeats"), out.toString());

        TopicOptions options = new TopicOptions();
        options.environment = Map.of("FAILOVER_TOPIC_ROLE_CHANGES", "env.roles", "FAILOVER_TOPIC_STATE", "env.state");
        options.names.put("topic.state", "flag.state");
        assertEquals("env.roles", options.topics().roleChanges());
        assertEquals("flag.state", options.topics().state(), "--topic wins over the variable");
        assertEquals("failover.commands", options.topics().commands());
        options.names.put("topic.beats", "x");
        IllegalArgumentException bad =
                org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, options::topics);
        assertTrue(bad.getMessage().contains("--topic topic.beats: not a topic key"), bad.getMessage());
    }

    @Test
    void printsOneKafkaAclsCommandPerGrant() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cli = FailoverCli.newCommandLine(new String[0], Map.of());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        assertEquals(
                0,
                cli.execute(
                        "acls",
                        "--coordinator-principal",
                        "User:coordinator",
                        "--agent-principal",
                        "User:agent",
                        "--operator-principal",
                        "User:operator",
                        "--bootstrap-servers",
                        "kafka:9093"));
        String head =
                "kafka-acls.sh --bootstrap-server kafka:9093 --command-config admin.properties --add --allow-principal ";
        assertEquals(
                String.join(
                                "\n",
                                head
                                        + "User:coordinator --operation Read --operation Write --operation Create --operation DescribeConfigs --topic failover.heartbeats",
                                head
                                        + "User:coordinator --operation Read --operation Create --operation DescribeConfigs --topic failover.commands",
                                head
                                        + "User:coordinator --operation Read --operation Write --operation Create --operation DescribeConfigs --topic failover.role-changes",
                                head
                                        + "User:coordinator --operation Read --operation Write --operation Create --operation DescribeConfigs --topic failover.state",
                                head
                                        + "User:coordinator --operation Read --operation Write --operation Create --operation DescribeConfigs --topic failover.dead-letters",
                                head
                                        + "User:coordinator --operation Read --operation Write --operation Create --operation DescribeConfigs --topic failover-coordinator- --resource-pattern-type prefixed",
                                head
                                        + "User:coordinator --operation Read --operation AlterConfigs --operation DescribeConfigs --group failover-coordinator",
                                head
                                        + "User:coordinator --operation Write --transactional-id failover-coordinator- --resource-pattern-type prefixed",
                                head + "User:agent --operation Write --topic failover.heartbeats",
                                head + "User:agent --operation Read --topic failover.role-changes",
                                head + "User:agent --operation Read --topic failover.state",
                                head + "User:operator --operation Read --topic failover.heartbeats",
                                head + "User:operator --operation Read --topic failover.role-changes",
                                head + "User:operator --operation Read --topic failover.state",
                                head + "User:operator --operation Read --topic failover.dead-letters",
                                head + "User:operator --operation Read --operation Write --topic failover.commands",
                                head + "User:operator --operation Describe --group failover-coordinator",
                                head
                                        + "User:operator --operation Read --topic failover-coordinator-failover-groups-changelog")
                        + "\n",
                out.toString());
        assertEquals("", err.toString());
    }

    @Test
    void onlyTheCoordinatorWritesDecisionsAndOnlyOperatorsWriteCommands() {
        for (String topic : new String[] {Topics.ROLE_CHANGES, Topics.STATE, Topics.COMMANDS}) {
            for (AclBinding b : plan.bindings()) {
                if (b.pattern().resourceType() == ResourceType.TOPIC
                        && b.pattern().name().equals(topic)
                        && b.entry().operation() == AclOperation.WRITE) {
                    assertEquals(
                            topic.equals(Topics.COMMANDS) ? "User:operator" : "User:coordinator",
                            b.entry().principal(),
                            b.toString());
                }
            }
        }
        assertFalse(
                plan.bindings().stream()
                        .anyMatch(b -> b.entry().principal().equals("User:agent")
                                && b.pattern().name().equals(Topics.HEARTBEATS)
                                && b.entry().operation() == AclOperation.READ),
                "agents must not read heartbeats (a stolen credential would harvest them)");
    }

    @Test
    void theClusterRightIsGrantedOnlyWhenHealingIsAskedFor() {
        assertFalse(plan.bindings().stream().anyMatch(b -> b.pattern().resourceType() == ResourceType.CLUSTER));
        AclPlan healing = new AclPlan("User:coordinator", null, null, "failover-coordinator", true);
        assertTrue(healing.bindings().stream()
                .anyMatch(b -> b.pattern().resourceType() == ResourceType.CLUSTER
                        && b.entry().operation() == AclOperation.ALTER));
        assertTrue(
                healing.bindings().stream()
                        .anyMatch(b -> b.pattern().resourceType() == ResourceType.TRANSACTIONAL_ID
                                && b.pattern().name().equals("*")
                                && b.entry().operation() == AclOperation.DESCRIBE),
                "the healer must see every transaction, or others' producers look abandoned");
    }

    @Test
    void refusesABadPrincipalAndNoPrincipalAtAll() {
        StringWriter err = new StringWriter();
        var cli = FailoverCli.newCommandLine(new String[0], Map.of());
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(err, true));
        assertEquals(2, cli.execute("acls", "--agent-principal", "agent"));
        assertTrue(err.toString().contains("TYPE:NAME"), err.toString());
        assertEquals(2, cli.execute("acls"));
        assertTrue(err.toString().contains("at least one principal"), err.toString());
    }
}
