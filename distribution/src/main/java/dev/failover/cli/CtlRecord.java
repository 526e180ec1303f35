package dev.failover.cli;

import dev.failover.cli.ctl.CtlException;
import dev.failover.cli.ctl.TopicReader;
import dev.failover.coordinator.replay.Recording;
import dev.failover.wire.FenceMarker;
import dev.failover.wire.Keys;
import dev.failover.wire.TopicNames;
import dev.failover.wire.Topics;
import dev.failover.wire.WireSerdes;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code failover ctl record}: an incident on file, for {@code ctl replay} (and for a bug report). The heartbeats,
 * commands and role changes of a window (plus a warm-up before it, which the replay needs to rebuild liveness), and
 * each recorded group's stored record as of the recording's start (from the coordinator's changelog), as JSON lines
 * ({@link Recording}).
 */
@CommandLine.Command(
        name = "record",
        mixinStandardHelpOptions = true,
        description = {
            "Save a window of heartbeats, commands and role changes (with the groups' stored state at its "
                    + "start) to a file for ctl replay: JSON lines, gzip when FILE ends in .gz."
        })
final class CtlRecord extends CtlCommand.AnyGroup {

    @Option(
            names = "--since",
            paramLabel = "DURATION",
            defaultValue = "10m",
            converter = Durations.class,
            description = "The window starts this long ago (default: ${DEFAULT-VALUE}).")
    Duration since;

    @Option(
            names = "--until",
            paramLabel = "INSTANT|DURATION",
            description = "The window ends at this ISO-8601 instant, or this long ago (default: now).")
    String until;

    @Option(
            names = "--warm-up",
            paramLabel = "DURATION",
            defaultValue = "10s",
            converter = Durations.class,
            description = "Records before the window, to rebuild liveness (at least twice the longest failure timeout; "
                    + "default: ${DEFAULT-VALUE}).")
    Duration warmUp;

    @Option(
            names = "--application-id",
            paramLabel = "ID",
            defaultValue = "failover-coordinator",
            description = "The coordinator's application.id, whose changelog holds the stored groups (default: "
                    + "${DEFAULT-VALUE}).")
    String applicationId;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the recording.")
    Path out;

    @Override
    public Integer call() throws IOException {
        long now = options.clock.millis();
        long untilMs = until == null ? now : Math.min(now, untilMs(until, now)); // nothing is recorded after now
        long sinceMs = now - since.toMillis();
        long fromMs = sinceMs - warmUp.toMillis();
        if (sinceMs >= untilMs) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--since (" + Instant.ofEpochMilli(sinceMs) + ") must be before --until ("
                            + Instant.ofEpochMilli(untilMs) + ")");
        }
        List<Recording.Entry> entries = new ArrayList<>();
        Map<String, Integer> counts = new LinkedHashMap<>();
        try (TopicReader reader = options.reader()) {
            List<ConsumerRecord<String, byte[]>> markers = new ArrayList<>();
            java.util.Set<Integer> groupPartitions = new java.util.HashSet<>();
            TopicNames topics = reader.topics();
            for (String[] source : new String[][] {
                {Recording.HEARTBEAT, topics.heartbeats()},
                {Recording.COMMAND, topics.commands()},
                {Recording.ROLE_CHANGE, topics.roleChanges()}
            }) {
                var from = reader.offsetsAt(source[1], fromMs);
                if (group != null) { // only the group's partition (where its coordinator reads and writes it)
                    int partition = Keys.partitionOf(group, from.size());
                    var ends = reader.endOffsets(source[1]);
                    from.replaceAll((tp, offset) -> tp.partition() == partition ? offset : ends.get(tp));
                }
                for (ConsumerRecord<String, byte[]> r : reader.readToEnd(source[1], from::get)) {
                    if (r.timestamp() > untilMs || r.key() == null) {
                        continue;
                    }
                    if (source[0].equals(Recording.HEARTBEAT) && FenceMarker.isMarker(r.key())) {
                        markers.add(r); // when the tasks deciding started: kept for the recorded group's partition
                    } else if (!r.key().startsWith(Keys.RESERVED_PREFIX) && (group == null || group.equals(r.key()))) {
                        entries.add(entry(source[0], r));
                        counts.merge(source[0], 1, Integer::sum);
                        if (source[0].equals(Recording.HEARTBEAT)) {
                            groupPartitions.add(r.partition());
                        }
                    }
                }
            }
            for (ConsumerRecord<String, byte[]> m : markers) {
                if (group == null || groupPartitions.contains(m.partition())) {
                    entries.add(entry(Recording.FENCE, m));
                    counts.merge(Recording.FENCE, 1, Integer::sum);
                }
            }
            String changelog = Topics.groupStoreChangelog(applicationId);
            Map<String, ConsumerRecord<String, byte[]>> stored = new HashMap<>();
            try {
                var ends = reader.endOffsets(changelog);
                int partition = group == null ? -1 : Keys.partitionOf(group, ends.size());
                for (ConsumerRecord<String, byte[]> r : reader.readToEnd(
                        changelog, tp -> partition < 0 || tp.partition() == partition ? null : ends.get(tp))) {
                    if (r.timestamp() < fromMs && r.key() != null && (group == null || group.equals(r.key()))) {
                        stored.put(r.key(), r); // the newest before the start wins
                    }
                }
            } catch (CtlException e) {
                spec.commandLine()
                        .getErr()
                        .println(
                                "no stored state recorded (" + e.getMessage() + "): the replay "
                                        + "starts from empty groups, right only when the window covers the groups' first beats");
            }
            stored.values().stream().filter(r -> r.value() != null).forEach(r -> {
                entries.add(entry(Recording.STORED_GROUP, r));
                counts.merge(Recording.STORED_GROUP, 1, Integer::sum);
            });
        }
        if (entries.stream().noneMatch(e -> e.kind().equals(Recording.HEARTBEAT))) {
            throw new CtlException(
                    CtlException.NOTHING,
                    "no heartbeat" + (group == null ? "" : " of " + group)
                            + " between " + Instant.ofEpochMilli(fromMs) + " and " + Instant.ofEpochMilli(untilMs)
                            + ": nothing to record");
        }
        new Recording(
                        new Recording.Header(
                                Recording.FORMAT,
                                "failover ctl record",
                                now,
                                fromMs,
                                sinceMs,
                                untilMs,
                                group,
                                Map.of(
                                        "heartbeats",
                                        options.topics().heartbeats(),
                                        "commands",
                                        options.topics().commands(),
                                        "role-changes",
                                        options.topics().roleChanges(),
                                        "state",
                                        options.topics().state(),
                                        "dead-letters",
                                        options.topics().deadLetters()),
                                applicationId),
                        entries)
                .write(out);
        spec.commandLine()
                .getOut()
                .printf(
                        "recorded %s from %s (warm-up from %s) to %s into %s%n",
                        counts,
                        Instant.ofEpochMilli(sinceMs),
                        Instant.ofEpochMilli(fromMs),
                        Instant.ofEpochMilli(untilMs),
                        out);
        return 0;
    }

    private long untilMs(String value, long now) {
        try {
            return Instant.parse(value).toEpochMilli();
        } catch (DateTimeParseException notAnInstant) {
            try {
                return now - new Durations().convert(value).toMillis();
            } catch (RuntimeException e) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "--until '" + value + "' is neither an "
                                + "ISO-8601 instant (2026-12-04T09:30:00Z) nor a duration ago (5m)");
            }
        }
    }

    private static Recording.Entry entry(String kind, ConsumerRecord<String, byte[]> r) {
        Map<String, byte[]> headers = new LinkedHashMap<>();
        for (Header h : r.headers()) {
            headers.put(h.key(), h.value());
        }
        return new Recording.Entry(
                kind,
                r.topic(),
                r.partition(),
                r.offset(),
                r.timestamp(),
                r.key(),
                headers,
                r.value(),
                decoded(kind, r));
    }

    /** One marker reader per thread (it holds serdes): a recording reads many markers. */
    private static final ThreadLocal<dev.failover.wire.FenceMarker.Reader> MARKERS =
            ThreadLocal.withInitial(dev.failover.wire.FenceMarker.Reader::new);

    /** The value as JSON for people and jq, or null when it does not decode (it is replayed as it was anyway). */
    private static String decoded(String kind, ConsumerRecord<String, byte[]> r) {
        if (r.value() == null) {
            return null;
        }
        try {
            Object value = switch (kind) {
                case Recording.HEARTBEAT -> WireSerdes.heartbeat().deserialize(r.topic(), r.value());
                case Recording.COMMAND -> WireSerdes.command().deserialize(r.topic(), r.value());
                case Recording.ROLE_CHANGE -> WireSerdes.roleChange().deserialize(r.topic(), r.value());
                case Recording.FENCE -> MARKERS.get().read(r.topic(), r.value());
                default -> WireSerdes.storedGroup().deserialize(r.topic(), r.value());
            };
            return value == null ? null : value.toString();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
