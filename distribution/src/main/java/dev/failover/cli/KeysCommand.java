package dev.failover.cli;

import dev.failover.wire.sign.SigningKeys;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code failover keys}: the keys that sign decisions and commands ({@code generate}) and bind heartbeats ({@code hmac}). */
@Command(
        name = "keys",
        mixinStandardHelpOptions = true,
        description = {
            "Keys that sign the coordinator's decisions and operators' commands (generate), and keys that",
            "bind heartbeats to their node (hmac), so that nobody else's records are acted on."
        },
        subcommands = {KeysCommand.Generate.class, KeysCommand.Hmac.class})
public final class KeysCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(
                spec.commandLine(),
                "name a subcommand: keys generate --dir DIR, or " + "keys hmac --dir DIR --group G [--node N]");
    }

    /** {@code failover keys generate --dir D [--name N]}: an Ed25519 key pair as PEM files. */
    @Command(
            name = "generate",
            mixinStandardHelpOptions = true,
            description = {
                "Writes DIR/NAME.key (Ed25519 private key, PEM, readable by you only) and DIR/NAME.pub.",
                "Give the coordinators --signing-key DIR/NAME.key and every agent --trust-key DIR/NAME.pub."
            })
    static final class Generate implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--dir", paramLabel = "DIR", required = true, description = "Where to write the key files.")
        Path dir;

        @Option(
                names = "--name",
                paramLabel = "NAME",
                defaultValue = "coordinator",
                description = "The files' name (default: ${DEFAULT-VALUE}).")
        String name;

        @Override
        public Integer call() throws Exception {
            if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "--name " + name + ": letters, digits, '.', '_' and '-' only, starting with a letter or digit");
            }
            KeyPair pair;
            try {
                pair = SigningKeys.generate(dir, name);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        e.getFile() + " exists: not overwriting a key (remove it first, or choose another --name)");
            }
            spec.commandLine()
                    .getOut()
                    .printf(
                            "wrote %s (private, mode 600) and %s; key id %s%n",
                            dir.resolve(name + ".key"),
                            dir.resolve(name + ".pub"),
                            SigningKeys.idHex(SigningKeys.id(pair.getPublic())));
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    /** {@code failover keys hmac --dir D --group G [--node N]}: a heartbeat key, laid out as heartbeat.key.dir reads it. */
    @Command(
            name = "hmac",
            mixinStandardHelpOptions = true,
            description = {
                "Writes DIR/GROUP/NODE.key (one node's heartbeat key; recommended) or DIR/GROUP.key (every node",
                "of the group without its own): 32 random bytes, base64, readable by you only. Give the coordinators",
                "--set heartbeat.key.dir=DIR and the node's agent --heartbeat-key FILE. A file may hold several keys, one",
                "per line: beats are signed with the first and accepted under any. To rotate without a gap: --add a key",
                "(the coordinators read the file again within 5 s), give the agent a copy with the new key first (read",
                "again too), then remove the old line from the coordinators' copy."
            })
    static final class Hmac implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--dir", paramLabel = "DIR", required = true, description = "The key directory.")
        Path dir;

        @Option(names = "--group", paramLabel = "G", required = true, description = "The group.")
        String group;

        @Option(names = "--node", paramLabel = "N", description = "The node; without it, a key for the whole group.")
        String node;

        @Option(
                names = "--add",
                description = "Add a new key as the last line of the existing file (a rotation's first step).")
        boolean add;

        @Override
        public Integer call() throws Exception {
            dev.failover.wire.Ids.problem("--group", group).ifPresent(p -> {
                throw new CommandLine.ParameterException(spec.commandLine(), p);
            });
            if (node != null) {
                dev.failover.wire.Ids.problem("--node", node).ifPresent(p -> {
                    throw new CommandLine.ParameterException(spec.commandLine(), p);
                });
            }
            Path file = node == null
                    ? dir.resolve(group + ".key")
                    : dir.resolve(group).resolve(node + ".key");
            if (add) {
                if (!java.nio.file.Files.exists(file)) {
                    throw new CommandLine.ParameterException(
                            spec.commandLine(),
                            file + " does not exist: --add adds "
                                    + "a key to an existing file (leave --add out to write the first)");
                }
                try {
                    dev.failover.wire.sign.HeartbeatMac.append(file);
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
                }
                spec.commandLine()
                        .getOut()
                        .printf(
                                "added a key as the last line of %s: beats are still signed with "
                                        + "its first; once every coordinator has this file, put the new line first in the agent's copy, "
                                        + "then remove the old line%n",
                                file);
                spec.commandLine().getOut().flush();
                return 0;
            }
            try {
                dev.failover.wire.sign.HeartbeatMac.generate(file);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        file + " exists: not overwriting a key (remove it first, or --add another)");
            }
            spec.commandLine()
                    .getOut()
                    .printf(
                            "wrote %s (mode 600): give it to %s's agent as --heartbeat-key and keep "
                                    + "it in the coordinators' heartbeat.key.dir%n",
                            file, node == null ? "every agent of " + group : node);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
