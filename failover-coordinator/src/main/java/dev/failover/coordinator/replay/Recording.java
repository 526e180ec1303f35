package dev.failover.coordinator.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * An incident on file, as {@code failover ctl record} writes it and {@code failover ctl replay} reads it: JSON lines
 * (gzip when the name ends in {@code .gz}). The first line is the {@link Header}; each further line one Kafka record
 * ({@link Entry}) with its topic, partition, offset, timestamp, key, headers and value's exact bytes (base64: a
 * replay feeds these bytes, so malformed records behave as they did), plus the value decoded as JSON for people and
 * {@code jq} (ignored when read back).
 */
public record Recording(Header header, List<Entry> entries) {

    public static final String FORMAT = "failover-recording/1";

    /** Kinds of entries. */
    public static final String HEARTBEAT = "heartbeat";

    public static final String COMMAND = "command";
    public static final String ROLE_CHANGE = "role-change";
    /**
     * A coordinator's fence marker in the heartbeat partition recorded: it tells when the task that wrote it started
     * watching, so a replay restarts its task then too.
     */
    public static final String FENCE = "fence";
    /** A group's stored record (its store's changelog) as it was when the recording starts: the replay's seed. */
    public static final String STORED_GROUP = "stored-group";

    /**
     * @param fromMs  where the records start: {@code sinceMs} minus a warm-up, so that liveness is rebuilt before the
     *                window whose decisions are compared
     * @param sinceMs the window's start (wall clock, ms)
     * @param untilMs the window's end
     * @param group   the one group recorded, or null for every group
     * @param topics  the topic names (heartbeats, commands, role-changes, state, dead-letters) by role
     */
    public record Header(
            String format,
            String tool,
            long recordedAtMs,
            long fromMs,
            long sinceMs,
            long untilMs,
            String group,
            Map<String, String> topics,
            String applicationId) {}

    /** One Kafka record; {@code value} is null for a tombstone. */
    public record Entry(
            String kind,
            String topic,
            int partition,
            long offset,
            long timestampMs,
            String key,
            Map<String, byte[]> headers,
            byte[] value,
            String decoded) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The longest window a recording may span (a replay steps through it in punctuations). */
    static final long MAX_SPAN_MS = 7L * 24 * 3600 * 1000;

    public void write(Path file) throws IOException {
        try (BufferedWriter out = new BufferedWriter(new OutputStreamWriter(
                file.toString().endsWith(".gz")
                        ? new GZIPOutputStream(Files.newOutputStream(file))
                        : Files.newOutputStream(file),
                StandardCharsets.UTF_8))) {
            ObjectNode h = JSON.createObjectNode();
            h.put("format", header.format())
                    .put("tool", header.tool())
                    .put("recordedAtMs", header.recordedAtMs())
                    .put("fromMs", header.fromMs())
                    .put("sinceMs", header.sinceMs())
                    .put("untilMs", header.untilMs())
                    .put("group", header.group())
                    .put("applicationId", header.applicationId());
            ObjectNode topics = h.putObject("topics");
            header.topics().forEach(topics::put);
            out.write(JSON.writeValueAsString(h));
            out.newLine();
            for (Entry e : entries) {
                ObjectNode n = JSON.createObjectNode();
                n.put("kind", e.kind())
                        .put("topic", e.topic())
                        .put("partition", e.partition())
                        .put("offset", e.offset())
                        .put("timestampMs", e.timestampMs())
                        .put("key", e.key());
                ArrayNode headers = n.putArray("headers");
                e.headers()
                        .forEach((k, v) -> headers.addObject()
                                .put("key", k)
                                .put(
                                        "value",
                                        v == null ? null : Base64.getEncoder().encodeToString(v)));
                n.put("value", e.value() == null ? null : Base64.getEncoder().encodeToString(e.value()));
                JsonNode decoded = null;
                if (e.decoded() != null) {
                    try {
                        decoded = JSON.readTree(e.decoded());
                    } catch (IOException notJson) {
                        decoded = JSON.getNodeFactory().textNode(e.decoded());
                    }
                }
                n.set("decoded", decoded);
                out.write(JSON.writeValueAsString(n));
                out.newLine();
            }
        }
    }

    /** Reads a recording; a file that is not one fails naming the line. */
    public static Recording read(Path file) throws IOException {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                file.toString().endsWith(".gz")
                        ? new GZIPInputStream(Files.newInputStream(file))
                        : Files.newInputStream(file),
                StandardCharsets.UTF_8))) {
            String first = in.readLine();
            if (first == null) {
                throw new IOException(file + " is empty: not a recording");
            }
            Header header;
            try {
                JsonNode h = JSON.readTree(first);
                if (!FORMAT.equals(h.path("format").asText())) {
                    throw new IOException(file + " is not a " + FORMAT + " recording (its first line has format '"
                            + h.path("format").asText() + "')");
                }
                Map<String, String> topics = new LinkedHashMap<>();
                h.path("topics")
                        .fields()
                        .forEachRemaining(
                                t -> topics.put(t.getKey(), t.getValue().asText()));
                header = new Header(
                        FORMAT,
                        h.path("tool").asText(),
                        h.path("recordedAtMs").asLong(),
                        h.path("fromMs").asLong(),
                        h.path("sinceMs").asLong(),
                        h.path("untilMs").asLong(),
                        h.path("group").isNull() || h.path("group").isMissingNode()
                                ? null
                                : h.path("group").asText(),
                        topics,
                        h.path("applicationId").asText());
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IOException(file + " line 1 is not JSON: " + e.getOriginalMessage());
            }
            if (!(header.fromMs() > 0
                    && header.fromMs() <= header.sinceMs()
                    && header.sinceMs() < header.untilMs()
                    && header.untilMs() - header.fromMs() <= MAX_SPAN_MS)) {
                throw new IOException(file + " line 1: its window is not a recording's (fromMs <= sinceMs < untilMs, "
                        + "at most 7 days): " + first);
            }
            List<Entry> entries = new ArrayList<>();
            int line = 1;
            for (String text; (text = in.readLine()) != null; ) {
                line++;
                if (text.isBlank()) {
                    continue;
                }
                try {
                    JsonNode n = JSON.readTree(text);
                    Map<String, byte[]> headers = new LinkedHashMap<>();
                    for (JsonNode hn : n.path("headers")) {
                        headers.put(
                                hn.path("key").asText(),
                                hn.path("value").isNull()
                                        ? null
                                        : Base64.getDecoder()
                                                .decode(hn.path("value").asText()));
                    }
                    entries.add(new Entry(
                            n.path("kind").asText(),
                            n.path("topic").asText(),
                            n.path("partition").asInt(),
                            n.path("offset").asLong(),
                            n.path("timestampMs").asLong(),
                            n.path("key").isNull() ? null : n.path("key").asText(),
                            headers,
                            n.path("value").isNull()
                                    ? null
                                    : Base64.getDecoder().decode(n.path("value").asText()),
                            null));
                } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
                    throw new IOException(file + " line " + line + " is not a recorded record: " + e.getMessage());
                }
            }
            return new Recording(header, entries);
        }
    }
}
