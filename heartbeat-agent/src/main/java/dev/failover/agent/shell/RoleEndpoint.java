package dev.failover.agent.shell;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.failover.wire.Role;
import dev.failover.wire.tools.HttpReply;
import dev.failover.wire.tools.JsonText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * {@code GET /role}: 200 while this node is ACTIVE with a valid lease and its on-activate hook has succeeded, 503
 * otherwise, with a JSON body; what a load balancer health-checks. {@code GET /health}: 200 while the agent runs.
 * {@code GET /metrics}: the agent's meters in the Prometheus text format.
 */
public final class RoleEndpoint {

    private final Supplier<AgentSnapshot> snapshot;
    private final Supplier<String> metrics;
    private final HttpServer server;

    public RoleEndpoint(Supplier<AgentSnapshot> snapshot, Supplier<String> metrics, String host, int port) {
        this.snapshot = snapshot;
        this.metrics = metrics;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 32);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot listen on " + host + ":" + port + " (" + e.getMessage() + "); choose another --http-port",
                    e);
        }
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "agent-http");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/role", this::role);
        server.createContext("/health", this::health);
        server.createContext(
                "/metrics", exchange -> HttpReply.send(exchange, 200, metrics.get(), HttpReply.PROMETHEUS_TEXT));
    }

    /** Adds a handler beside /role (failsafe's {@code POST /failsafe}); before {@link #start}. */
    public void add(String path, com.sun.net.httpserver.HttpHandler handler) {
        server.createContext(path, handler);
    }

    public String address() {
        return server.getAddress().getHostString() + ":" + server.getAddress().getPort();
    }

    public void start() {
        server.start();
    }

    public void stop() {
        server.stop(0);
    }

    private void role(HttpExchange exchange) throws IOException {
        AgentSnapshot s = snapshot.get();
        respond(exchange, s.role() == Role.ACTIVE ? 200 : 503, json(s));
    }

    private void health(HttpExchange exchange) throws IOException {
        AgentSnapshot s = snapshot.get();
        respond(exchange, 200, json(s));
    }

    static String json(AgentSnapshot s) {
        return "{\"group\":" + JsonText.quote(s.group()) + ",\"node\":" + JsonText.quote(s.node()) + ",\"role\":\""
                + s.role()
                + "\",\"epoch\":" + s.epoch() + ",\"leaseRemainingMs\":" + s.leaseRemainingMs() + ",\"health\":\""
                + s.health() + "\",\"healthDetail\":" + JsonText.quote(s.healthDetail()) + ",\"staleEpochsIgnored\":"
                + s.staleIgnored() + ",\"connected\":" + s.connected() + ",\"reported\":\"" + s.reported()
                + "\",\"standDownBudgetMs\":" + s.standDownBudgetMs() + "}";
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        HttpReply.send(exchange, status, body, HttpReply.JSON);
    }
}
