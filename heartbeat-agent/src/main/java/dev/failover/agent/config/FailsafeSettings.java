package dev.failover.agent.config;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * Failsafe mode (Patroni's {@code failsafe_mode} over the agents' HTTP endpoints), off unless given: a primary whose
 * lease Kafka can no longer renew asks every peer it knows of, at once, to promise not to activate; only if all grant
 * does it serve on, for at most {@code max} past the end of its last lease through Kafka.
 *
 * @param max   how long a primary may serve on its peers' grants alone; the coordinator holds a promotion of any
 *              member the primary did not ask for as long (from its last heartbeat read plus the failure timeout)
 * @param peers every other member's HTTP endpoint, by node id ({@code http://host:port}); a member the primary must
 *              ask but cannot reach by this list makes the round fail, and the primary lapses as without failsafe
 * @param token the shared secret a round carries ({@code Authorization: Bearer}); a grant holds the granting node's
 *              activations, so nobody without it may ask
 */
public record FailsafeSettings(Duration max, Map<String, URI> peers, String token) {

    public static final int MIN_TOKEN_LENGTH = 16;
    /** Ten minutes: the longest maximum the coordinator accepts in a heartbeat (its {@code Decider.MAX_FAILSAFE_MS}). */
    public static final int MAX_MS = 600_000;

    public FailsafeSettings {
        if (max == null || max.toMillis() <= 0) {
            throw new IllegalArgumentException("failsafe.max.ms must be positive");
        }
        if (max.toMillis() > MAX_MS) {
            throw new IllegalArgumentException("failsafe.max.ms " + max.toMillis() + " is too long: at most " + MAX_MS
                    + " ms (the coordinator refuses more)");
        }
        if (token == null || token.strip().length() < MIN_TOKEN_LENGTH) {
            throw new IllegalArgumentException("failsafe needs a shared token of at least " + MIN_TOKEN_LENGTH
                    + " characters (failsafe.token.file): a grant stops a peer from activating, so nobody else may "
                    + "ask for one");
        }
        token = token.strip();
        Map<String, URI> checked = new TreeMap<>();
        for (Map.Entry<String, URI> e : peers.entrySet()) {
            dev.failover.wire.Ids.problem("failsafe.peers", e.getKey()).ifPresent(problem -> {
                throw new IllegalArgumentException(problem);
            });
            URI uri = e.getValue();
            if (uri == null || !"http".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() <= 0) {
                throw new IllegalArgumentException("failsafe.peers " + e.getKey() + "=" + uri
                        + ": expected http://HOST:PORT, the peer agent's http.host and http.port");
            }
            checked.put(e.getKey(), uri);
        }
        peers = Map.copyOf(checked);
    }

    /** Parses {@code NODE=http://HOST:PORT}, as {@code --failsafe-peer} takes it. */
    public static Map.Entry<String, URI> peer(String spec) {
        int eq = spec.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("failsafe.peers: each must be NODE=http://HOST:PORT, not " + spec);
        }
        try {
            return Map.entry(spec.substring(0, eq), URI.create(spec.substring(eq + 1)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("failsafe.peers " + spec + ": not a URL");
        }
    }

    @Override
    public String toString() {
        return "FailsafeSettings[max=" + max + ", peers=" + peers + ", token=(hidden)]";
    }
}
