package dev.failover.coordinator.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class CommitPacerTest {

    @Test
    void aCurrentTaskAlwaysAsksAtOnce() {
        CommitPacer pacer = new CommitPacer();
        assertTrue(pacer.mayAsk(1_000, false));
        assertTrue(pacer.mayAsk(1_000, false));
        assertTrue(pacer.mayAsk(1_001, false));
    }

    @Test
    void aTaskBehindWaitsForTheGapSinceItsThreadLastAsked() {
        CommitPacer pacer = new CommitPacer();
        assertTrue(pacer.mayAsk(1_000, true), "nobody asked before");
        assertFalse(pacer.mayAsk(1_000 + CommitPacer.GAP_MS - 1, true));
        assertTrue(pacer.mayAsk(1_000 + CommitPacer.GAP_MS, true));
        assertTrue(pacer.mayAsk(1_000 + CommitPacer.GAP_MS + 1, false), "a current task is not held");
        assertFalse(pacer.mayAsk(1_000 + CommitPacer.GAP_MS + 2, true), "a current task's request counts too");
    }

    @Test
    void eachStreamThreadHasItsOwnGap() throws Exception {
        CommitPacer pacer = new CommitPacer();
        assertTrue(pacer.mayAsk(5_000, true));
        AtomicBoolean other = new AtomicBoolean();
        Thread t = new Thread(() -> other.set(pacer.mayAsk(5_001, true)));
        t.start();
        t.join();
        assertTrue(other.get(), "another thread commits its own transaction");
        assertFalse(pacer.mayAsk(5_001, true));
    }

    @Test
    void grantedCountsOnlyGrantedRequests() {
        CommitPacer pacer = new CommitPacer();
        assertEquals(0, pacer.granted());
        pacer.mayAsk(1_000, true);
        assertEquals(1, pacer.granted());
        pacer.mayAsk(1_001, true); // refused
        assertEquals(1, pacer.granted());
        pacer.mayAsk(1_001, false);
        assertEquals(2, pacer.granted());
    }

    @Test
    void behindMeansAMarkerCameBackLaterThanTheBound() {
        assertFalse(CommitPacer.behind(10_000, 10_000 + CommitPacer.BEHIND_MS));
        assertTrue(CommitPacer.behind(10_000, 10_000 + CommitPacer.BEHIND_MS + 1));
    }
}
