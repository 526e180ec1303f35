package dev.failover.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code failover} launcher: one entry point, one subcommand per part of the system.
 *
 * <p>Exit codes, shared by every subcommand: 0 success, 1 failure at run time (said on standard error), 2 bad
 * command line (unknown option, bad value).
 */
@Command(name = "failover",
        mixinStandardHelpOptions = true,
        versionProvider = FailoverCli.Version.class,
        description = "Event-driven failover over Apache Kafka.",
        subcommands = {BrokerCommand.class, CoordinatorCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:failed at run time (the message says why)",
            "2:bad command line (unknown option or bad value)"})
public final class FailoverCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(newCommandLine().execute(args));
    }

    static CommandLine newCommandLine() {
        return new CommandLine(new FailoverCli())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((e, commandLine, parseResult) -> {
                    commandLine.getErr().println("failover " + commandLine.getCommandName() + ": " + e.getMessage());
                    return 1;
                });
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = FailoverCli.class.getPackage().getImplementationVersion();
            return new String[] {"failover " + (version == null ? "(development build)" : version)};
        }
    }
}
