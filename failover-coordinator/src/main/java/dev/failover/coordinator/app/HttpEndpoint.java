package dev.failover.coordinator.app;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.failover.wire.tools.HttpReply;
import dev.failover.wire.tools.JsonText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.apache.kafka.streams.errors.InvalidStateStoreException;

/**
 * {@code GET /health}: 200 while the instance runs its tasks, 503 otherwise. {@code GET /groups/{group}}: the stored
 * state of a group from whichever instance hosts it (this one answers for every group by asking the owner); the
 * {@value #OWNER_HEADER} header names the instance (its HTTP address) that hosts the group. {@code GET /metrics}:
 * every meter in the Prometheus text format. With {@link HttpSecurity}: HTTPS, and a bearer token for everything but
 * {@code /health}'s status.
 */
final class HttpEndpoint {

    static final String OWNER_HEADER = "Failover-Owner";

    private final CoordinatorApp app;
    private final HttpServer server;
    private final HttpClient client;
    private final HttpSecurity security;
    private final DecisionLog decisionLog;

    /** host:port as other instances reach this one (what Streams advertises for interactive queries). */
    private final String advertised;

    /**
     * Listens on {@code host:port}; {@code advertise} turns the port it got into the address other instances use.
     */
    HttpEndpoint(
            CoordinatorApp app,
            String host,
            int port,
            java.util.function.IntFunction<String> advertise,
            HttpSecurity security,
            DecisionLog decisionLog) {
        this.app = app;
        this.security = security;
        this.client = security.client() == null
                ? HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()
                : HttpClient.newBuilder()
                        .connectTimeout(Duration.ofSeconds(2))
                        .sslContext(security.client())
                        .build();
        try {
            if (security.server() != null) {
                com.sun.net.httpserver.HttpsServer https =
                        com.sun.net.httpserver.HttpsServer.create(new InetSocketAddress(host, port), 16);
                https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(security.server()));
                this.server = https;
            } else {
                this.server = HttpServer.create(new InetSocketAddress(host, port), 16);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot listen on " + host + ":" + port + " for HTTP (" + e.getMessage()
                            + "); choose another http.port",
                    e);
        }
        // four: a page waiting on a silent peer (1 s) or a busy task (1 s) must not hold up /health
        server.setExecutor(Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "coordinator-http");
            t.setDaemon(true);
            return t;
        }));
        this.advertised = advertise.apply(server.getAddress().getPort());
        server.createContext("/health", this::health);
        server.createContext("/groups/", guarded(this::group));
        server.createContext(
                "/metrics",
                guarded(exchange -> HttpReply.send(exchange, 200, app.scrape(), HttpReply.PROMETHEUS_TEXT)));
        this.decisionLog = decisionLog;
        StatusApi status = new StatusApi(app, decisionLog, client, security, () -> advertised);
        server.createContext("/", status::page);
        server.createContext("/api/", guarded(status::api));
    }

    String address() {
        return advertised;
    }

    void start() {
        decisionLog.start();
        server.start();
    }

    void stop() {
        server.stop(0);
    }

    /** {@code handler} for requests with the bearer token (when one is set); 401 for the others. */
    private com.sun.net.httpserver.HttpHandler guarded(com.sun.net.httpserver.HttpHandler handler) {
        return exchange -> {
            if (security.authorized(exchange)) {
                handler.handle(exchange);
            } else {
                exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
                respond(exchange, 401, "{\"error\":\"send Authorization: Bearer TOKEN (http.token.file)\"}");
            }
        };
    }

    /** Health for anyone (load balancers, probes); its details only with the token, when one is set. */
    private void health(HttpExchange exchange) throws IOException {
        boolean healthy = app.healthy();
        respond(
                exchange,
                healthy ? 200 : 503,
                security.authorized(exchange)
                        ? json(app.status())
                        : "{\"status\":\"" + (healthy ? "UP" : "DOWN") + "\"}");
    }

    private void group(HttpExchange exchange) throws IOException {
        String group = exchange.getRequestURI().getPath().substring("/groups/".length());
        if (group.isEmpty()) {
            respond(exchange, 400, "{\"error\":\"name a group: /groups/{group}\"}");
            return;
        }
        try {
            CoordinatorApp.Lookup lookup = app.lookup(group);
            if (lookup.group() != null) {
                exchange.getResponseHeaders().set(OWNER_HEADER, address());
                respond(exchange, 200, lookup.group().toString());
            } else if (lookup.remoteOwner() != null) {
                HttpResponse<String> remote = client.send(
                        security.forward(lookup.remoteOwner(), "/groups/" + group, Duration.ofSeconds(3))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                exchange.getResponseHeaders().set(OWNER_HEADER, lookup.remoteOwner());
                respond(exchange, remote.statusCode(), remote.body());
            } else {
                respond(exchange, 404, "{\"error\":\"group " + group + " is unknown to the coordinator\"}");
            }
        } catch (InvalidStateStoreException e) {
            respond(exchange, 503, "{\"error\":\"the store is not queryable yet (" + app.state() + ")\"}");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            respond(exchange, 503, "{\"error\":\"interrupted\"}");
        } catch (IOException e) {
            respond(exchange, 502, "{\"error\":\"the instance hosting " + group + " did not answer\"}");
        }
    }

    /** A JSON object of numbers, strings and (nested objects) maps. */
    static String json(Map<String, ?> values) {
        return values.entrySet().stream()
                .map(e -> JsonText.quote(e.getKey()) + ":"
                        + (e.getValue() instanceof Number
                                ? e.getValue().toString()
                                : e.getValue() instanceof Map<?, ?> nested
                                        ? json(nested.entrySet().stream()
                                                .collect(Collectors.toMap(
                                                        n -> String.valueOf(n.getKey()),
                                                        Map.Entry::getValue,
                                                        (a, b) -> a,
                                                        java.util.TreeMap::new)))
                                        : JsonText.quote(String.valueOf(e.getValue()))))
                .collect(Collectors.joining(",", "{", "}"));
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        HttpReply.send(exchange, status, body, HttpReply.JSON);
    }
}
