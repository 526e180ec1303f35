package dev.failover.cli;

import dev.failover.cli.ctl.CtlException;
import dev.failover.coordinator.app.CoordinatorConfig;
import dev.failover.coordinator.replay.Comparison;
import dev.failover.coordinator.replay.Recording;
import dev.failover.coordinator.replay.Replayer;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.RoleChange;
import dev.failover.wire.WireHeaders;
import dev.failover.wire.WireSerdes;
import dev.failover.wire.tools.DecisionText;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code failover ctl replay}: runs a recording through the coordinator's own decision code on a simulated clock
 * ({@link Replayer}), prints the decisions it makes and, as recorded, compares them with the recorded ones; with
 * {@code --set}, a what-if (a coordinator setting, or {@code failure.timeout.ms} as every agent's) that is shown beside
 * the recorded decisions, not compared. Needs no broker.
 */
@CommandLine.Command(
        name = "replay",
        mixinStandardHelpOptions = true,
        description = {
            "Replay a recording (ctl record) through the coordinator's decision code on a simulated clock: "
                    + "prints the decisions and whether they are those recorded. No broker needed."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:identical to the recorded decisions (or a what-if, which is not compared)",
            "2:bad command line or file",
            "5:nothing to replay",
            "6:the replay decided differently (each difference " + "is printed)"
        })
final class CtlReplay implements Callable<Integer> {

    static final int DIFFERS = 6;
    static final String FAILURE_TIMEOUT = "failure.timeout.ms";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "A recording (ctl record).")
    Path file;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description = {
                "What if: a coordinator setting (rise, fall, "
                        + "min.margin.ms, failback, punctuation.interval.ms, ...), or " + FAILURE_TIMEOUT
                        + " for every agent's "
                        + "failure timeout. Repeatable."
            })
    Map<String, String> sets = new LinkedHashMap<>();

    @Option(
            names = "--time-tolerance",
            paramLabel = "DURATION",
            defaultValue = "500ms",
            converter = Durations.class,
            description = "How far a replayed decision's time may be from the recorded one's and still be the same "
                    + "(the real coordinator read each beat a little after it was sent; default: ${DEFAULT-VALUE}).")
    Duration tolerance;

    @Option(
            names = "--fence-lag",
            paramLabel = "DURATION",
            defaultValue = "100ms",
            converter = Durations.class,
            description = "How long the replayed coordinator's fence markers take to come back (a commit and a fetch "
                    + "in the real one; default: ${DEFAULT-VALUE}).")
    Duration fenceLag;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        // the replayed coordinator's decisions are printed below, once: not its log too (levels restored after)
        var context = org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext c
                ? c
                : null;
        ch.qos.logback.classic.Level ours =
                context == null ? null : context.getLogger("dev.failover").getLevel();
        ch.qos.logback.classic.Level kafka =
                context == null ? null : context.getLogger("org.apache.kafka").getLevel();
        DemoCommand.quietenLogs();
        try {
            return replay(out);
        } finally {
            if (context != null) {
                context.getLogger("dev.failover").setLevel(ours);
                context.getLogger("org.apache.kafka").setLevel(kafka);
            }
        }
    }

    private int replay(PrintWriter out) {
        Recording recording;
        try {
            recording = Recording.read(file);
        } catch (IOException e) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "cannot replay " + file + ": " + e.getMessage());
        }
        // the settings the recorded coordinator decided with (the header on its role changes), then --set's
        Map<String, String> settings = recordedSettings(recording);
        String source = settings.isEmpty()
                ? "defaults (the recording names none)"
                : "as recorded ("
                        + String.join(
                                ";",
                                settings.entrySet().stream()
                                        .map(e -> e.getKey() + "=" + e.getValue())
                                        .toList())
                        + ")";
        if (predatesTheGrace(settings)) {
            settings.put(CoordinatorConfig.ELECTION_GRACE_MS_CONFIG, "0");
            source += ", and election.grace.ms=0 (the recording's coordinator predates it: it elected at once)";
        }
        settings.putAll(sets);
        Integer failureTimeout = null;
        if (settings.containsKey(FAILURE_TIMEOUT)) {
            failureTimeout = failureTimeout(settings.remove(FAILURE_TIMEOUT));
        }
        settings.put(CoordinatorConfig.BOOTSTRAP_SERVERS_CONFIG, "replay:9092");
        settings.putIfAbsent(CoordinatorConfig.HTTP_PORT_CONFIG, "-1");
        CoordinatorConfig config;
        try {
            config = CoordinatorConfig.parse(settings);
        } catch (ConfigException e) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "the settings (as recorded, then --set): " + e.getMessage());
        }
        if (failureTimeout != null) {
            checkAgainstLeases(recording, failureTimeout, config.policy().minMarginMs());
        }
        Recording.Header h = recording.header();
        List<RoleChange> recorded = new ArrayList<>();
        int beats = 0;
        int unreadable = 0;
        for (Recording.Entry e : recording.entries()) {
            if (e.kind().equals(Recording.ROLE_CHANGE) && e.value() != null) {
                try {
                    recorded.add(WireSerdes.roleChange().deserialize(e.topic(), e.value()));
                } catch (RuntimeException malformed) { // not the coordinator's (someone wrote the topic): not compared
                    unreadable++;
                }
            } else if (e.kind().equals(Recording.HEARTBEAT)) {
                beats++;
            }
        }
        if (beats == 0) {
            throw new CtlException(CtlException.NOTHING, file + " holds no heartbeat: nothing to replay");
        }
        out.printf(
                "replaying %s: %s%s, window %s to %s (warm-up from %s), %d heartbeats; settings: %s%n",
                file,
                h.group() == null ? "every group" : "group " + h.group(),
                recording.entries().stream().anyMatch(e -> e.kind().equals(Recording.STORED_GROUP))
                        ? " from its stored state"
                        : "",
                Instant.ofEpochMilli(h.sinceMs()),
                Instant.ofEpochMilli(h.untilMs()),
                Instant.ofEpochMilli(h.fromMs()),
                beats,
                source + (sets.isEmpty() ? "" : " with " + sets));
        if (unreadable > 0) {
            spec.commandLine()
                    .getErr()
                    .printf(
                            "%d recorded role change(s) do not decode (not written by a coordinator):"
                                    + " left out of the comparison%n",
                            unreadable);
        }
        Replayer replayer = new Replayer(recording, config, failureTimeout, fenceLag.toMillis(), !sets.isEmpty());
        List<RoleChange> replayed = replayer.run();
        if (replayer.skipped() > 0) {
            spec.commandLine()
                    .getErr()
                    .printf(
                            "%d recorded stored group(s) do not decode: those groups start empty%n",
                            replayer.skipped());
        }
        out.println("replayed decisions (time from the window's start):");
        print(out, replayed, h);
        if (!sets.isEmpty()) {
            out.println("recorded decisions:");
            print(out, recorded, h);
            out.println(
                    "what-if: not compared (the recorded agents obeyed the recorded decisions; each beat here reports"
                            + " what an obedient agent would have, open loop)");
            return 0;
        }
        List<String> differences =
                Comparison.differences(recorded, replayed, h.sinceMs(), h.untilMs(), tolerance.toMillis());
        long inWindow = recorded.stream()
                .filter(c -> c.getDecidedAtMs() >= h.sinceMs() && c.getDecidedAtMs() <= h.untilMs())
                .count();
        if (differences.isEmpty() && inWindow == 0) {
            out.println("identical: no decision in the window, recorded or replayed");
            return 0;
        }
        if (differences.isEmpty()) {
            out.printf(
                    "identical (%d decisions; times within %d ms of the recorded ones)%n",
                    inWindow, Comparison.largestTimeDifference(recorded, replayed, h.sinceMs(), h.untilMs()));
            return 0;
        }
        out.printf("differs from the recording (%d recorded decisions in the window):%n", inWindow);
        differences.forEach(d -> out.println("  " + d));
        return DIFFERS;
    }

    /**
     * Whether {@code recorded} settings come from a coordinator older than the election grace: a header that names
     * other settings but not {@code election.grace.ms}. Such a coordinator elected at once, so it is replayed with 0.
     */
    static boolean predatesTheGrace(Map<String, String> recorded) {
        return !recorded.isEmpty() && !recorded.containsKey(CoordinatorConfig.ELECTION_GRACE_MS_CONFIG);
    }

    /** The newest recorded role change's {@code failover.settings} header as keys and values; empty when none has it. */
    static Map<String, String> recordedSettings(Recording recording) {
        Map<String, String> settings = new LinkedHashMap<>();
        for (Recording.Entry e : recording.entries()) {
            byte[] header = e.kind().equals(Recording.ROLE_CHANGE) ? e.headers().get(WireHeaders.SETTINGS) : null;
            if (header != null) {
                settings.clear();
                for (String pair : new String(header, java.nio.charset.StandardCharsets.UTF_8).split(";")) {
                    int eq = pair.indexOf('=');
                    if (eq > 0) {
                        settings.put(
                                pair.substring(0, eq).strip(),
                                pair.substring(eq + 1).strip());
                    }
                }
            }
        }
        return settings;
    }

    private static void print(PrintWriter out, List<RoleChange> decisions, Recording.Header h) {
        for (RoleChange c : decisions) {
            long at = c.getDecidedAtMs() - h.sinceMs();
            out.printf(
                    "  %s%02d:%02d.%03d %s%s%n",
                    at < 0 ? "-" : "+",
                    Math.abs(at) / 60_000,
                    Math.abs(at) / 1000 % 60,
                    Math.abs(at) % 1000,
                    DecisionText.line(c),
                    at < 0 ? " (warm-up)" : "");
        }
        if (decisions.isEmpty()) {
            out.println("  none");
        }
    }

    private int failureTimeout(String value) {
        try {
            int ms = Integer.parseInt(value);
            if (ms > 0) {
                return ms;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new CommandLine.ParameterException(
                spec.commandLine(),
                "--set " + FAILURE_TIMEOUT + "=" + value + ": give a positive number of milliseconds");
    }

    /** The agents' rule: their lease plus the safety margin must fit in the timeout (else they would refuse to start). */
    private void checkAgainstLeases(Recording recording, int failureTimeout, int marginMs) {
        for (Recording.Entry e : recording.entries()) {
            if (!e.kind().equals(Recording.HEARTBEAT) || e.value() == null) {
                continue;
            }
            Heartbeat beat;
            try {
                beat = WireSerdes.heartbeat().deserialize(e.topic(), e.value());
            } catch (RuntimeException malformed) {
                continue;
            }
            if (beat != null && (long) beat.getLeaseMs() + marginMs > failureTimeout) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "--set " + FAILURE_TIMEOUT + "="
                                + failureTimeout + " is below " + beat.getNode() + "'s lease " + beat.getLeaseMs()
                                + " ms + the safety margin " + marginMs + " ms: no agent would run with it");
            }
        }
    }
}
