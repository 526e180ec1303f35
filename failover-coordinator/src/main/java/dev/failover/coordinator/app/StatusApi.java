package dev.failover.coordinator.app;

import com.sun.net.httpserver.HttpExchange;
import dev.failover.wire.GroupState;
import dev.failover.wire.RoleChange;
import dev.failover.wire.tools.DecisionText;
import dev.failover.wire.tools.HttpReply;
import dev.failover.wire.tools.JsonText;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.streams.errors.InvalidStateStoreException;

/**
 * The status page: {@code GET /} (every group) and {@code GET /ui/groups/{group}} (one group) serve one static page
 * shipped in the jar (no data in it, so no token), which polls {@code GET /api/groups} and {@code GET
 * /api/groups/{group}} (token-guarded like {@code /groups/}). Read-only by design: GET only.
 *
 * <p>{@code /api/groups/{group}} answers from the instance that hosts the group, forwarding as {@code /groups/} does:
 * its task's live view ({@link dev.failover.coordinator.streams.LiveGroups}) plus the committed decisions and state
 * every instance reads ({@link DecisionLog}). A forwarded request is never forwarded again (during a rebalance two
 * instances may each name the other as the owner): it answers 503. When the owner is unknown or does not answer, the
 * answer comes from the decision log alone, marked {@code "live": false}.
 */
final class StatusApi {

    static final String FORWARDED_HEADER = "Failover-Forwarded";
    /** The most groups {@code /api/groups} lists; {@code ?q=} narrows them down. */
    static final int MAX_LISTED = 500;

    private static final long LIVE_WAIT_MS = 1000;
    /** A forwarded request waits less for its task than the forwarder waits for it, so its answer arrives in time. */
    private static final long FORWARDED_LIVE_WAIT_MS = 700;

    private static final Duration FORWARD_TIMEOUT = Duration.ofMillis(1500);
    /**
     * At most this many status requests at once (each may wait on a peer or a task): the HTTP server's other
     * threads stay free for {@code /health}, which load balancers and supervisors poll.
     */
    static final int CONCURRENT_API_REQUESTS = 2;

    private final java.util.concurrent.Semaphore apiSlots = new java.util.concurrent.Semaphore(CONCURRENT_API_REQUESTS);
    private static final String UI = "/dev/failover/coordinator/ui/";

    private final CoordinatorApp app;
    private final DecisionLog log;
    private final HttpClient client;
    private final HttpSecurity security;
    private final java.util.function.Supplier<String> address;
    private final Map<String, Asset> assets;

    private record Asset(byte[] body, String type) {}

    StatusApi(
            CoordinatorApp app,
            DecisionLog log,
            HttpClient client,
            HttpSecurity security,
            java.util.function.Supplier<String> address) {
        this.app = app;
        this.log = log;
        this.client = client;
        this.security = security;
        this.address = address;
        this.assets = Map.of(
                "index.html", asset("index.html", "text/html; charset=utf-8"),
                "status.css", asset("status.css", "text/css; charset=utf-8"),
                "status.js", asset("status.js", "text/javascript; charset=utf-8"));
    }

    private static Asset asset(String name, String type) {
        try (InputStream in = StatusApi.class.getResourceAsStream(UI + name)) {
            if (in == null) {
                throw new IllegalStateException("the status page's " + name + " is missing from the jar (" + UI + ")");
            }
            return new Asset(in.readAllBytes(), type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code /} and {@code /ui/...}: the page and its two assets; 404 for any other path, 405 for other methods. */
    void page(HttpExchange exchange) throws IOException {
        if (notGet(exchange)) {
            return;
        }
        String path = exchange.getRequestURI().getPath();
        Asset asset = path.equals("/") || path.startsWith("/ui/groups/")
                ? assets.get("index.html")
                : path.startsWith("/ui/") ? assets.get(path.substring("/ui/".length())) : null;
        secure(exchange);
        if (asset == null) {
            HttpReply.send(
                    exchange,
                    404,
                    "no such page: " + path + " (the status page is at /)\n",
                    "text/plain; charset=utf-8");
            return;
        }
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.getResponseHeaders().set("Content-Type", asset.type());
        exchange.sendResponseHeaders(200, asset.body().length);
        try (var out = exchange.getResponseBody()) {
            out.write(asset.body());
        }
    }

    /** {@code /api/groups} and {@code /api/groups/{group}} (behind the token). */
    void api(HttpExchange exchange) throws IOException {
        if (notGet(exchange)) {
            return;
        }
        secure(exchange);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        if (!apiSlots.tryAcquire()) {
            respond(
                    exchange,
                    503,
                    "{\"error\":\"busy: " + CONCURRENT_API_REQUESTS + " status requests are running "
                            + "(the rest of this instance's HTTP threads are kept for /health); try again\"}");
            return;
        }
        try {
            route(exchange);
        } finally {
            apiSlots.release();
        }
    }

    private void route(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        if (path.equals("/api/groups") || path.equals("/api/groups/")) {
            groups(exchange);
        } else if (path.startsWith("/api/groups/")) {
            group(exchange, path.substring("/api/groups/".length()));
        } else {
            respond(
                    exchange,
                    404,
                    "{\"error\":" + JsonText.quote("no such resource: " + path + " (try /api/groups)") + "}");
        }
    }

    private void groups(HttpExchange exchange) throws IOException {
        String filter;
        try {
            filter = query(exchange, "q");
        } catch (IllegalArgumentException e) {
            respond(exchange, 400, "{\"error\":" + JsonText.quote("a bad ?q=: " + e.getMessage()) + "}");
            return;
        }
        List<GroupState> shown = log.states(filter, MAX_LISTED);
        String body = "{\"instance\":" + JsonText.quote(address.get())
                + ",\"healthy\":" + app.healthy()
                + ",\"health\":" + HttpEndpoint.json(app.status())
                + ",\"reading\":" + log.reading()
                + ",\"readingProblem\":" + (log.problem() == null ? "null" : JsonText.quote(log.problem()))
                + ",\"total\":" + log.groupCount() + ",\"notKept\":" + log.groupsNotKept()
                + ",\"groups\":"
                + shown.stream().map(g -> g.toString().strip()).collect(Collectors.joining(",", "[", "]"))
                + "}";
        respond(exchange, 200, body);
    }

    private void group(HttpExchange exchange, String group) throws IOException {
        java.util.Optional<String> bad = group.isEmpty()
                ? java.util.Optional.of("name one group: /api/groups/{group}")
                : dev.failover.wire.Ids.problem("group", group);
        if (bad.isPresent()) {
            respond(exchange, 400, "{\"error\":" + JsonText.quote(bad.get()) + "}");
            return;
        }
        boolean forwarded = exchange.getRequestHeaders().containsKey(FORWARDED_HEADER);
        CoordinatorApp.Lookup lookup;
        try {
            lookup = app.lookup(group);
        } catch (InvalidStateStoreException | IllegalStateException e) {
            lookup = new CoordinatorApp.Lookup(null, null, -1); // not queryable now: the log still answers
        }
        String note = null;
        if (lookup.remoteOwner() != null) {
            if (forwarded) {
                respond(
                        exchange,
                        503,
                        "{\"error\":"
                                + JsonText.quote(
                                        "rebalancing: " + address.get() + " does not host " + group + " either")
                                + "}");
                return;
            }
            try {
                HttpResponse<String> remote = client.send(
                        security.forward(lookup.remoteOwner(), "/api/groups/" + group, FORWARD_TIMEOUT)
                                .header(FORWARDED_HEADER, "1")
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (remote.statusCode() == 200) {
                    remote.headers()
                            .firstValue(HttpEndpoint.OWNER_HEADER)
                            .ifPresent(owner -> exchange.getResponseHeaders().set(HttpEndpoint.OWNER_HEADER, owner));
                    respond(exchange, 200, remote.body());
                    return;
                }
                note = "the owner " + lookup.remoteOwner() + " answered " + remote.statusCode()
                        + (remote.statusCode() == 503
                                ? " (rebalancing)"
                                : remote.statusCode() == 401 ? " (another HTTP token?)" : "");
            } catch (IOException e) {
                note = "the owner " + lookup.remoteOwner() + " did not answer";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                respond(exchange, 503, "{\"error\":\"interrupted\"}");
                return;
            }
        }
        String live = null;
        if (lookup.group() != null && app.stats().idleTasks().contains(lookup.partition())) {
            note = "no live view: " + group + " has no members (its record is kept as an epoch floor)";
        } else if (lookup.group() != null) {
            long waitMs = forwarded ? FORWARDED_LIVE_WAIT_MS : LIVE_WAIT_MS;
            long askedAt = System.nanoTime();
            live = app.stats()
                    .live()
                    .ask(lookup.partition(), group)
                    .completeOnTimeout(null, waitMs, TimeUnit.MILLISECONDS)
                    .join();
            boolean answered = System.nanoTime() - askedAt < TimeUnit.MILLISECONDS.toNanos(waitMs);
            if (live != null) {
                exchange.getResponseHeaders().set(HttpEndpoint.OWNER_HEADER, address.get());
            } else {
                note = "no live view: the task of " + group
                        + (answered
                                ? " does not hold it now (it is moving?)"
                                : " did not answer within " + waitMs + " ms");
            }
        } else if (lookup.remoteOwner() == null && note == null) {
            note = "no instance hosts " + group + " right now";
        }
        GroupState state = log.state(group).orElse(null);
        List<RoleChange> decided = log.decisions(group);
        if (live == null && state == null && decided.isEmpty()) {
            respond(
                    exchange,
                    404,
                    "{\"error\":"
                            + JsonText.quote("group " + group + " is unknown to the coordinator"
                                    + (note == null ? "" : " (" + note + ")"))
                            + "}");
            return;
        }
        List<String> entries = new ArrayList<>();
        for (int i = decided.size() - 1; i >= 0; i--) { // newest first
            RoleChange c = decided.get(i);
            entries.add("{\"record\":" + c.toString().strip() + ",\"why\":"
                    + JsonText.quote(DecisionText.why(c, i > 0 ? decided.get(i - 1) : null)) + "}");
        }
        respond(
                exchange,
                200,
                "{\"instance\":" + JsonText.quote(address.get())
                        + ",\"live\":" + (live != null)
                        + ",\"note\":" + (note == null ? "null" : JsonText.quote(note))
                        + ",\"readingProblem\":" + (log.problem() == null ? "null" : JsonText.quote(log.problem()))
                        + ",\"group\":" + (live == null ? "null" : live)
                        + ",\"state\":"
                        + (state == null ? "null" : state.toString().strip())
                        + ",\"decisions\":[" + String.join(",", entries) + "]}");
    }

    private static String query(HttpExchange exchange, String name) {
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw == null) {
            return null;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                String value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                return value.isEmpty() ? null : value;
            }
        }
        return null;
    }

    private static boolean notGet(HttpExchange exchange) throws IOException {
        if (exchange.getRequestMethod().equals("GET")) {
            return false;
        }
        exchange.getResponseHeaders().set("Allow", "GET");
        HttpReply.send(exchange, 405, "{\"error\":\"the status page is read-only: GET only\"}", HttpReply.JSON);
        return true;
    }

    /** No framing, no foreign scripts or styles, no referrer: the page shows text from the records and nothing else. */
    private static void secure(HttpExchange exchange) {
        var h = exchange.getResponseHeaders();
        h.set(
                "Content-Security-Policy",
                "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
        h.set("X-Content-Type-Options", "nosniff");
        h.set("Referrer-Policy", "no-referrer");
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        HttpReply.send(exchange, status, body, HttpReply.JSON);
    }
}
