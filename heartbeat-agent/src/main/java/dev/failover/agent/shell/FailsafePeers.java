package dev.failover.agent.shell;

import com.sun.net.httpserver.HttpExchange;
import dev.failover.agent.config.FailsafeSettings;
import dev.failover.wire.tools.HttpReply;
import dev.failover.wire.tools.JsonText;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failsafe's HTTP between agents: {@code POST /failsafe} answers a primary's request for a grant (200 granted, 409
 * refused, 401 without the shared token), and {@link #ask} sends one round to every peer of the ask set at once. What
 * is granted, and what a round of grants is worth, is the role machine's business; this class only carries it.
 *
 * <p>The request is {@code application/x-www-form-urlencoded}: {@code group}, {@code node} (the asking primary) and
 * {@code epoch} (the epoch it applied); the answer's status says it all, its JSON body says why.
 */
public final class FailsafePeers implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FailsafePeers.class);
    private static final int MAX_BODY_BYTES = 1024;

    /** Decides a grant: true when this node promises not to activate (the role machine, under the agent's lock). */
    public interface Grantor {
        Answer grant(String askingNode, long epoch);
    }

    /** A grant or a refusal, and why. */
    public record Answer(boolean granted, String why) {}

    private final String group;
    private final String node;
    private final FailsafeSettings settings;
    private final byte[] expectedAuthorization;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "agent-failsafe");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient client;
    private final Map<String, Long> warnedAt = new HashMap<>();

    public FailsafePeers(String group, String node, FailsafeSettings settings, Duration connectTimeout) {
        this.group = group;
        this.node = node;
        this.settings = settings;
        this.expectedAuthorization = ("Bearer " + settings.token()).getBytes(StandardCharsets.UTF_8);
        this.client = HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .executor(threads)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /** The {@code POST /failsafe} handler: checks the token and the request, then asks {@code grantor}. */
    public void handle(HttpExchange exchange, Grantor grantor) throws IOException {
        if (!"POST".equals(exchange.getRequestMethod())) {
            reply(exchange, 405, false, "POST a grant request here");
            return;
        }
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (authorization == null
                || !MessageDigest.isEqual(expectedAuthorization, authorization.getBytes(StandardCharsets.UTF_8))) {
            reply(exchange, 401, false, "missing or wrong failsafe token");
            return;
        }
        Map<String, String> form;
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
            if (body.length > MAX_BODY_BYTES) {
                reply(exchange, 413, false, "a grant request is under " + MAX_BODY_BYTES + " bytes");
                return;
            }
            form = form(new String(body, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            reply(exchange, 400, false, "not a form: " + e.getMessage());
            return;
        }
        String asker = form.get("node");
        long epoch;
        try {
            epoch = Long.parseLong(form.getOrDefault("epoch", ""));
        } catch (NumberFormatException e) {
            reply(exchange, 400, false, "epoch must be a number, not " + form.get("epoch"));
            return;
        }
        if (!group.equals(form.get("group")) || asker == null || asker.equals(node)) {
            reply(
                    exchange,
                    400,
                    false,
                    "asked for group " + form.get("group") + " by node " + asker + "; this is " + node + " of group "
                            + group);
            return;
        }
        Answer answer = grantor.grant(asker, epoch);
        reply(exchange, answer.granted() ? 200 : 409, answer.granted(), answer.why());
    }

    /**
     * One round: asks every node of {@code askSet} at once, for the primary's {@code epoch}, each within
     * {@code timeout}. Completes true only if every one granted (an empty set: at once, true); a node with no
     * {@code --failsafe-peer} address fails the round.
     */
    public CompletableFuture<Boolean> ask(Collection<String> askSet, long epoch, Duration timeout) {
        List<CompletableFuture<Boolean>> answers = new ArrayList<>();
        for (String peer : askSet) {
            URI base = settings.peers().get(peer);
            if (base == null) {
                warnOnce(
                        peer,
                        "cannot ask " + peer + " for a grant: no --failsafe-peer names its address, so this "
                                + "primary cannot serve on grants");
                return CompletableFuture.completedFuture(false);
            }
            String body = "group=" + encode(group) + "&node=" + encode(node) + "&epoch=" + epoch;
            HttpRequest request = HttpRequest.newBuilder(base.resolve("/failsafe"))
                    .timeout(timeout)
                    .header("Authorization", "Bearer " + settings.token())
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build();
            answers.add(client.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                    .thenApply(response -> {
                        if (response.statusCode() != 200) {
                            warnOnce(
                                    peer,
                                    peer + " refused a grant (" + response.statusCode() + "): " + response.body());
                        }
                        return response.statusCode() == 200;
                    })
                    .exceptionally(e -> {
                        warnOnce(peer, "cannot ask " + peer + " for a grant: " + e);
                        return false;
                    }));
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
                .thenApply(done -> answers.stream().allMatch(CompletableFuture::join));
    }

    /** At most one warning per peer every 10 s: a round runs every heartbeat interval. */
    private void warnOnce(String peer, String message) {
        long now = System.nanoTime();
        synchronized (warnedAt) {
            Long last = warnedAt.get(peer);
            if (last != null && now - last < 10_000_000_000L) {
                return;
            }
            warnedAt.put(peer, now);
        }
        log.warn(message);
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    private static Map<String, String> form(String body) {
        Map<String, String> form = new HashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                form.put(
                        URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return form;
    }

    private static void reply(HttpExchange exchange, int status, boolean granted, String why) throws IOException {
        HttpReply.send(
                exchange, status, "{\"granted\":" + granted + ",\"why\":" + JsonText.quote(why) + "}", HttpReply.JSON);
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
