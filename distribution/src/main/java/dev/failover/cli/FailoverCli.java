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
@Command(
        name = "failover",
        mixinStandardHelpOptions = true,
        versionProvider = FailoverCli.Version.class,
        description = "Event-driven failover over Apache Kafka.",
        subcommands = {
            DemoCommand.class,
            BrokerCommand.class,
            CoordinatorCommand.class,
            AgentCommand.class,
            KeysCommand.class,
            AclsCommand.class,
            SecureSetupCommand.class,
            CtlCommand.class,
            DemoServiceCommand.class,
            CommandLine.HelpCommand.class
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:failed at run time (the message says why)",
            "2:bad command line (unknown option or bad value)",
            "3-5:failover ctl only, see failover ctl --help"
        })
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
            defaults = new EnvironmentAndFileDefaults(
                    environment, EnvironmentAndFileDefaults.configFile(args, environment));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("--config: cannot read it (" + e.getMessage() + ")", e);
        }
        CommandLine.IExecutionStrategy standard = new CommandLine.RunLast();
        listKeys(root, environment);
        return root.setExecutionStrategy(
                        parseResult -> unknownSubcommand(parseResult).orElseGet(() -> standard.execute(parseResult)))
                .setDefaultValueProvider(defaults)
                .setParameterExceptionHandler(FailoverCli::badCommandLine)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((e, commandLine, parseResult) -> {
                    String name = commandLine.getParent() != null
                                    && commandLine.getParent().getCommand() instanceof CtlCommand
                            ? "ctl " + commandLine.getCommandName()
                            : commandLine.getCommandName();
                    commandLine.getErr().println("failover " + name + ": " + e.getMessage());
                    commandLine.getErr().flush();
                    return e instanceof dev.failover.cli.ctl.CtlException c ? c.exitCode() : 1;
                });
    }

    /**
     * A bad command line: the message, picocli's suggestions for a misspelt option, and where the help is (not the
     * whole help: with the keys listed it runs to a hundred lines). Exit 2.
     */
    private static int badCommandLine(CommandLine.ParameterException e, String[] args) {
        CommandLine commandLine = e.getCommandLine();
        java.io.PrintWriter err = commandLine.getErr();
        err.println(e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Try '" + commandLine.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return commandLine.getCommandSpec().exitCodeOnInvalidInput();
    }

    /**
     * Adds the list of its keys to the help of every command whose flags set keys (agent, coordinator), and hands it
     * the environment to read them from.
     */
    private static void listKeys(CommandLine commandLine, Map<String, String> environment) {
        if (commandLine.getCommand() instanceof KeyedCommand keyed) {
            commandLine
                    .getCommandSpec()
                    .usageMessage()
                    .footer(KeyedCommand.footer(keyed.definition(), keyed.keyOfFlag()));
        }
        if (commandLine.getCommand() instanceof ReadsEnvironment reads) {
            reads.useEnvironment(environment);
        }
        commandLine.getSubcommands().values().forEach(sub -> listKeys(sub, environment));
    }

    /**
     * Exit 2 naming the word where a subcommand belongs but none is called that: picocli would otherwise print the
     * parent's help and exit 0 when {@code --help} follows it ({@code failover nosuch --help}).
     */
    static java.util.Optional<Integer> unknownSubcommand(CommandLine.ParseResult parseResult) {
        CommandLine.ParseResult last = parseResult;
        while (last.hasSubcommand()) {
            last = last.subcommand();
        }
        CommandLine.Model.CommandSpec spec = last.commandSpec();
        if (spec.subcommands().isEmpty() || last.unmatched().isEmpty()) {
            return java.util.Optional.empty();
        }
        String word = last.unmatched().get(0);
        if (word.startsWith("-")) {
            return java.util.Optional.empty();
        }
        java.io.PrintWriter err = spec.commandLine().getErr();
        err.println(spec.qualifiedName() + ": unknown subcommand '" + word + "'; one of: "
                + String.join(", ", spec.subcommands().keySet()));
        err.flush();
        return java.util.Optional.of(2);
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
