package dev.failover.cli;

import java.util.Map;
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
        subcommands = {DemoCommand.class, BrokerCommand.class, CoordinatorCommand.class, AgentCommand.class,
            KeysCommand.class, AclsCommand.class, SecureSetupCommand.class, CtlCommand.class, DemoServiceCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:failed at run time (the message says why)",
            "2:bad command line (unknown option or bad value)",
            "3-5:failover ctl only, see failover ctl --help"})
public final class FailoverCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        run(new CommandLine(new FailoverCli()), args);
    }

    /** Runs {@code root} with {@code args} and exits with its code; 2 when its defaults (a {@code --config}) fail. */
    static void run(CommandLine root, String[] args) {
        CommandLine commandLine;
        try {
            commandLine = configure(root, args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("failover: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.exit(commandLine.execute(args));
    }

    static CommandLine newCommandLine() {
        return newCommandLine(new String[0], Map.of());
    }

    /** The command line with option defaults from {@code FAILOVER_*} variables and a {@code --config} file. */
    static CommandLine newCommandLine(String[] args, Map<String, String> environment) {
        return configure(new CommandLine(new FailoverCli()), args, environment);
    }

    /** Option defaults, enum spelling and the exit code of a failure at run time, for any root command. */
    static CommandLine configure(CommandLine root, String[] args, Map<String, String> environment) {
        CommandLine.IDefaultValueProvider defaults;
        try {
            defaults = new EnvironmentAndFileDefaults(environment, EnvironmentAndFileDefaults.configFile(args, environment));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("--config: cannot read it (" + e.getMessage() + ")", e);
        }
        return root
                .setDefaultValueProvider(defaults)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((e, commandLine, parseResult) -> {
                    String name = commandLine.getParent() != null && commandLine.getParent().getCommand() instanceof CtlCommand
                            ? "ctl " + commandLine.getCommandName() : commandLine.getCommandName();
                    commandLine.getErr().println("failover " + name + ": " + e.getMessage());
                    commandLine.getErr().flush();
                    return e instanceof dev.failover.cli.ctl.CtlException c ? c.exitCode() : 1;
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
