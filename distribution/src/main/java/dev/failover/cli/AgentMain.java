package dev.failover.cli;

import picocli.CommandLine;

/**
 * {@code failover agent} on its own: the launcher starts agents here, on a class path of the agent's dependencies only
 * ({@code target/agent-lib}), so an agent loads neither the coordinator, Kafka Streams nor the broker, and picocli
 * introspects one command instead of every subcommand. The same options, defaults and exit codes as
 * {@code failover agent}; the arguments are those after {@code agent}.
 */
public final class AgentMain {

    private AgentMain() {}

    public static void main(String[] args) {
        FailoverCli.run(new CommandLine(new AgentCommand()).setCommandName("agent"), args);
    }
}
