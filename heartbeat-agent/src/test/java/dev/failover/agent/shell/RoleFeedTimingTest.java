package dev.failover.agent.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.agent.config.AgentSettings;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The role feed's empty-fetch wait and check timeout, against the lease they must leave room to renew. */
class RoleFeedTimingTest {

    private static AgentSettings timing(long intervalMs, long timeoutMs) {
        return AgentSettings.builder("b", "g", "n")
                .heartbeatInterval(Duration.ofMillis(intervalMs))
                .failureTimeout(Duration.ofMillis(timeoutMs))
                .build();
    }

    @Test
    void theFeedCheckAsksOnAClientOfItsOwnThatReadsOnlyWhatIsCommitted() {
        AgentSettings settings = AgentSettings.builder("b", "g", "n")
                .kafka("client.id", "agent-n")
                .build();
        var feed = RoleFeed.consumerSettings(settings);
        var checker = RoleFeed.checkerSettings(settings);
        assertEquals("agent-n", feed.get("client.id"));
        assertEquals(
                "agent-n-feed-check", checker.get("client.id"), "its own client, so its own connection and metrics");
        // the end offset it answers must be the last stable one: read_uncommitted would wait for open transactions
        assertEquals("read_committed", checker.get("isolation.level"));
        assertEquals(feed.get("request.timeout.ms"), checker.get("request.timeout.ms"));
    }

    @Test
    void subSecondHeartbeatsWaitASixteenthOfTheLease() {
        assertEquals(50, RoleFeed.fetchWaitMs(timing(200, 1000))); // lease 800
        assertEquals(100, RoleFeed.fetchWaitMs(timing(200, 2000))); // lease 1600
        assertEquals(375, RoleFeed.fetchWaitMs(timing(500, 20000))); // three quarters of the 500 ms check timeout
        assertEquals(150, RoleFeed.fetchWaitMs(timing(200, 5000))); // three quarters of the 200 ms check timeout
    }

    @Test
    void secondHeartbeatsWaitAQuarterOfWhatTheLeaseLeavesAfterAnInterval() {
        assertEquals(750, RoleFeed.fetchWaitMs(timing(1000, 5000))); // lease 4000: (4000 - 1000) / 4
        assertEquals(150, RoleFeed.fetchWaitMs(timing(1000, 2000))); // lease 1600: (1600 - 1000) / 4
        assertEquals(1000, RoleFeed.fetchWaitMs(timing(2000, 10000))); // lease 8000: capped at 1 s
        assertEquals(750, RoleFeed.fetchWaitMs(timing(1000, 20000))); // three quarters of the 1 s check timeout
    }

    @Test
    void aCheckQueuedBehindAnEmptyFetchStillFitsItsTimeoutAndTheLease() {
        int judged = 0;
        for (long interval : new long[] {200, 500, 1000, 2000, 5000}) {
            for (long timeout : new long[] {1000, 2000, 5000, 10000, 30000}) {
                if (interval >= timeout) {
                    continue;
                }
                AgentSettings s;
                try {
                    s = timing(interval, timeout);
                } catch (IllegalArgumentException refused) {
                    continue; // a combination the agent refuses at start
                }
                long wait = RoleFeed.fetchWaitMs(s);
                assertTrue(wait < RoleFeed.checkTimeoutMs(s), interval + "/" + timeout + ": wait " + wait);
                assertTrue(
                        interval + wait < s.leaseMs(),
                        interval + "/" + timeout + ": a renewal gap " + (interval + wait) + " ms against a lease of "
                                + s.leaseMs());
                judged++;
            }
        }
        assertTrue(judged >= 15, "only " + judged + " timings accepted");
    }
}
