package dev.failover.cli;

import dev.failover.wire.sign.SigningKeys;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code failover keys}: the keys that sign decisions ({@code generate}). */
@Command(name = "keys",
        mixinStandardHelpOptions = true,
        description = "Keys that sign the coordinator's decisions, so that agents act on nothing anyone else wrote.",
        subcommands = {KeysCommand.Generate.class})
public final class KeysCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: keys generate --dir DIR");
    }

    /** {@code failover keys generate --dir D [--name N]}: an Ed25519 key pair as PEM files. */
    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = {"Writes DIR/NAME.key (Ed25519 private key, PEM, readable by you only) and DIR/NAME.pub.",
                "Give the coordinators --signing-key DIR/NAME.key and every agent --trust-key DIR/NAME.pub."})
    static final class Generate implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--dir", paramLabel = "DIR", required = true, description = "Where to write the key files.")
        Path dir;

        @Option(names = "--name", paramLabel = "NAME", defaultValue = "coordinator",
                description = "The files' name (default: ${DEFAULT-VALUE}).")
        String name;

        @Override
        public Integer call() throws Exception {
            if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--name " + name
                        + ": letters, digits, '.', '_' and '-' only, starting with a letter or digit");
            }
            KeyPair pair;
            try {
                pair = SigningKeys.generate(dir, name);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getFile()
                        + " exists: not overwriting a key (remove it first, or choose another --name)");
            }
            spec.commandLine().getOut().printf("wrote %s (private, mode 600) and %s; key id %s%n",
                    dir.resolve(name + ".key"), dir.resolve(name + ".pub"),
                    SigningKeys.idHex(SigningKeys.id(pair.getPublic())));
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
