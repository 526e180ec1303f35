package dev.failover.agent.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.failover.agent.config.FailsafeSettings;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Failsafe's HTTP between agents over real loopback sockets: who may ask, what is asked, and that a round counts
 * only when every peer of the ask set granted.
 */
class FailsafePeersTest {

    private static final String TOKEN = "a-token-for-the-group-orders";
    private final List<HttpServer> servers = new ArrayList<>();
    private final List<FailsafePeers> clients = new ArrayList<>();
    /** What each peer was asked: node and epoch. */
    private final List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
        clients.forEach(FailsafePeers::close);
    }

    /** A peer {@code node} answering with {@code grant} (null: never answers in time); returns its URL. */
    private URI peer(String node, Boolean grant) throws Exception {
        FailsafePeers peers = new FailsafePeers(
                "orders", node, new FailsafeSettings(Duration.ofSeconds(10), Map.of(), TOKEN), Duration.ofSeconds(1));
        clients.add(peers);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
        server.createContext(
                "/failsafe",
                exchange -> peers.handle(exchange, (asker, epoch) -> {
                    asked.add(node + " asked by " + asker + " at " + epoch);
                    if (grant == null) {
                        try {
                            Thread.sleep(2_000);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    return new FailsafePeers.Answer(
                            Boolean.TRUE.equals(grant), node + (Boolean.TRUE.equals(grant) ? " grants" : " refuses"));
                }));
        server.start();
        servers.add(server);
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private FailsafePeers primary(Map<String, URI> peers) {
        FailsafePeers p = new FailsafePeers(
                "orders", "alpha", new FailsafeSettings(Duration.ofSeconds(10), peers, TOKEN), Duration.ofSeconds(1));
        clients.add(p);
        return p;
    }

    private static boolean round(FailsafePeers primary, Set<String> askSet) throws Exception {
        return primary.ask(askSet, 7, Duration.ofMillis(500)).get(5, TimeUnit.SECONDS);
    }

    @Test
    void aRoundCountsOnlyWhenEveryPeerOfTheAskSetGranted() throws Exception {
        Map<String, URI> peers = new HashMap<>();
        peers.put("beta", peer("beta", true));
        peers.put("gamma", peer("gamma", true));
        peers.put("delta", peer("delta", false));
        peers.put("slow", peer("slow", null));
        FailsafePeers alpha = primary(peers);

        assertTrue(round(alpha, Set.of("beta", "gamma")));
        assertTrue(
                asked.containsAll(List.of("beta asked by alpha at 7", "gamma asked by alpha at 7")), asked.toString());
        assertFalse(round(alpha, Set.of("beta", "delta")), "one refusal fails the round");
        assertFalse(round(alpha, Set.of("beta", "slow")), "one peer that does not answer in time fails it");
        assertFalse(round(alpha, Set.of("beta", "epsilon")), "a peer with no known address fails it");
        assertTrue(round(alpha, Set.of()), "no peer to ask: nobody can be promoted beside it");
    }

    @Test
    void onlyARequestWithTheTokenForThisGroupReachesTheGrantor() throws Exception {
        URI beta = peer("beta", true);
        HttpClient http = HttpClient.newHttpClient();
        java.util.function.BiFunction<String, String, Integer> post = (authorization, body) -> {
            HttpRequest.Builder b =
                    HttpRequest.newBuilder(beta.resolve("/failsafe")).POST(HttpRequest.BodyPublishers.ofString(body));
            if (authorization != null) {
                b.header("Authorization", authorization);
            }
            try {
                return http.send(b.build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        };
        assertEquals(401, post.apply(null, "group=orders&node=alpha&epoch=1"));
        assertEquals(401, post.apply("Bearer not-the-token-of-this-group", "group=orders&node=alpha&epoch=1"));
        assertEquals(400, post.apply("Bearer " + TOKEN, "group=payments&node=alpha&epoch=1"), "another group");
        assertEquals(400, post.apply("Bearer " + TOKEN, "group=orders&node=beta&epoch=1"), "itself");
        assertEquals(400, post.apply("Bearer " + TOKEN, "group=orders&node=alpha&epoch=x"), "no epoch");
        assertEquals(413, post.apply("Bearer " + TOKEN, "group=orders&node=" + "a".repeat(2000) + "&epoch=1"));
        assertTrue(asked.isEmpty(), "none of these reached the grantor: " + asked);
        assertEquals(200, post.apply("Bearer " + TOKEN, "group=orders&node=alpha&epoch=3"));
        assertEquals(List.of("beta asked by alpha at 3"), asked);
        assertEquals(
                405,
                http.send(
                                HttpRequest.newBuilder(beta.resolve("/failsafe"))
                                        .GET()
                                        .build(),
                                HttpResponse.BodyHandlers.discarding())
                        .statusCode());
    }
}
