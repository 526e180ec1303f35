package dev.failover.cli;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Polls every agent's {@code /role} every 10 ms on one thread with one HTTP client and keeps, since the last
 * {@link #reset()}, the longest time with no agent answering 200 (ACTIVE) and whether two ever did at once. An agent
 * that does not answer within 200 ms counts as not serving.
 */
final class RolePoller implements AutoCloseable {

    private final List<AgentProcess> agents;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private long gapStartNs = -1;
    private long longestGapNs;
    private boolean two;
    private long samples;

    RolePoller(List<AgentProcess> agents) {
        this.agents = agents;
        this.thread = new Thread(this::loop, "role-poller");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void loop() {
        while (running.get()) {
            int active = 0;
            for (AgentProcess a : agents) {
                try {
                    int status = http.send(
                                    HttpRequest.newBuilder(URI.create("http://" + a.http + "/role"))
                                            .timeout(Duration.ofMillis(200))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode();
                    active += status == 200 ? 1 : 0;
                } catch (Exception e) {
                    // not answering: not serving
                }
            }
            sample(active, System.nanoTime());
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized void sample(int active, long now) {
        samples++;
        if (active >= 2) {
            two = true;
        }
        if (active == 0 && gapStartNs < 0) {
            gapStartNs = now;
        } else if (active > 0 && gapStartNs >= 0) {
            longestGapNs = Math.max(longestGapNs, now - gapStartNs);
            gapStartNs = -1;
        }
    }

    synchronized void reset() {
        longestGapNs = 0;
        two = false;
        gapStartNs = -1;
        samples = 0;
    }

    /** The longest time with no agent ACTIVE since the last reset, including one still open. */
    synchronized long longestGapMs() {
        long open = gapStartNs >= 0 ? System.nanoTime() - gapStartNs : 0;
        return Math.max(longestGapNs, open) / 1_000_000;
    }

    synchronized boolean twoSeen() {
        return two;
    }

    /** Rounds of polls since the last reset (a poller that could not run shows few). */
    synchronized long samples() {
        return samples;
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join(2_000);
    }
}
