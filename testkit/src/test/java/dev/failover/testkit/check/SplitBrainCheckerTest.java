package dev.failover.testkit.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.testkit.check.Observations.Edge;
import dev.failover.testkit.check.Observations.Expect;
import dev.failover.testkit.check.Observations.Fault;
import dev.failover.testkit.check.Observations.ProcessEvent;
import dev.failover.testkit.check.Observations.RoleSample;
import dev.failover.testkit.check.SplitBrainChecker.Report;
import org.junit.jupiter.api.Test;

/** The checker must pass a clean history and catch each kind of violation it claims to catch. */
class SplitBrainCheckerTest {

    private static final long MS = 1_000_000;
    private static final long TOLERANCE = 50 * MS;

    private final Observations o = new Observations();

    /** alpha ACTIVE at epoch 1 from 100 ms, beta standby, set up until 500 ms; /role polled every 10 ms. */
    private void steadyGroup() {
        o.group("g", true);
        o.lifecycle(0, "g", "alpha", ProcessEvent.LAUNCH);
        o.lifecycle(0, "g", "beta", ProcessEvent.LAUNCH);
        o.fault(new Fault("setup", "g", null, Expect.SETUP, 0, 500 * MS, 0));
        o.edge(new Edge(100 * MS, "g", "alpha", "ACTIVE", 1));
    }

    private void poll(String node, long fromMs, long toMs, int status) {
        for (long t = fromMs; t < toMs; t += 10) {
            o.sample(new RoleSample(t * MS, t * MS + 2 * MS, "g", node, status));
        }
    }

    private void killAlphaAt1000AndBetaTakesOverAt(long betaMs) {
        steadyGroup();
        poll("alpha", 110, 1000, 200);
        o.lifecycle(1000 * MS, "g", "alpha", ProcessEvent.DEATH);
        o.fault(new Fault("SIGKILL primary", "g", "alpha", Expect.TAKEOVER, 1000 * MS, 4000 * MS, 1500 * MS));
        o.edge(new Edge(betaMs * MS, "g", "beta", "ACTIVE", 2));
        poll("beta", betaMs + 5, betaMs + 200, 200);
    }

    @Test
    void aCleanTakeoverPassesAndIsMeasured() {
        killAlphaAt1000AndBetaTakesOverAt(1900);
        Report r = SplitBrainChecker.check(o, 5000 * MS, TOLERANCE);
        assertTrue(r.ok(), r.messages().toString());
        SplitBrainChecker.Row row = r.rows().get("SIGKILL primary");
        assertEquals(1, row.trials());
        assertEquals(1, row.failovers());
        assertEquals(907 * MS, row.worstTakeoverNs(), "from the kill to beta's first 200 answer");
        assertTrue(r.table().contains("SIGKILL primary"), r.table());
    }

    @Test
    void aTakeoverLaterThanTheBoundIsAViolation() {
        killAlphaAt1000AndBetaTakesOverAt(2600);
        Report r = SplitBrainChecker.check(o, 5000 * MS, TOLERANCE);
        assertEquals(1, r.messages().size(), r.messages().toString());
        assertTrue(r.messages().get(0).contains("> bound 1500 ms"), r.messages().get(0));
        assertTrue(
                r.messages().get(0).contains("beta's activate hook at")
                        && r.messages().get(0).contains(" 200@"),
                "where the time went: " + r.messages().get(0));
    }

    @Test
    void noTakeoverAtAllIsAViolation() {
        steadyGroup();
        o.lifecycle(1000 * MS, "g", "alpha", ProcessEvent.DEATH);
        o.fault(new Fault("SIGKILL primary", "g", "alpha", Expect.TAKEOVER, 1000 * MS, 4000 * MS, 1500 * MS));
        Report r = SplitBrainChecker.check(o, 5000 * MS, TOLERANCE);
        assertTrue(
                r.messages().stream().anyMatch(v -> v.contains("nobody took over")),
                r.messages().toString());
    }

    @Test
    void aFrozenPrimaryThatWakesAndStandsDownLateHoldsActiveTwice() {
        steadyGroup();
        o.lifecycle(1000 * MS, "g", "alpha", ProcessEvent.STOP);
        o.fault(new Fault("SIGSTOP primary 3 s", "g", "alpha", Expect.TAKEOVER, 1000 * MS, 6000 * MS, 1500 * MS));
        o.edge(new Edge(1900 * MS, "g", "beta", "ACTIVE", 2));
        poll("beta", 1905, 2100, 200);
        o.lifecycle(4000 * MS, "g", "alpha", ProcessEvent.CONT);
        o.edge(new Edge(4300 * MS, "g", "alpha", "STANDBY", 1));
        Report r = SplitBrainChecker.check(o, 7000 * MS, TOLERANCE);
        assertEquals(1, r.messages().size(), r.messages().toString());
        assertTrue(
                r.messages().get(0).contains("held ACTIVE by their hooks for 300.0 ms"),
                r.messages().get(0));
    }

    @Test
    void aWakeUpStandDownWithinTheToleranceIsCountedButAllowed() {
        steadyGroup();
        o.lifecycle(1000 * MS, "g", "alpha", ProcessEvent.STOP);
        o.fault(new Fault("SIGSTOP primary 3 s", "g", "alpha", Expect.TAKEOVER, 1000 * MS, 6000 * MS, 1500 * MS));
        o.edge(new Edge(1900 * MS, "g", "beta", "ACTIVE", 2));
        poll("beta", 1905, 2100, 200);
        o.lifecycle(4000 * MS, "g", "alpha", ProcessEvent.CONT);
        o.edge(new Edge(4012 * MS, "g", "alpha", "STANDBY", 1));
        Report r = SplitBrainChecker.check(o, 7000 * MS, TOLERANCE);
        assertTrue(r.ok(), r.messages().toString());
        SplitBrainChecker.Row row = r.rows().get("SIGSTOP primary 3 s");
        assertEquals(1, row.dualHookWindows());
        assertEquals(0, row.dualHookWindowsBeyondTolerance());
        assertEquals(12 * MS, row.worstDualHooksNs());
    }

    @Test
    void anyOverlapThatIsNotAWakeUpIsAViolationHoweverShort() {
        killAlphaAt1000AndBetaTakesOverAt(1900);
        o.edge(new Edge(2000 * MS, "g", "alpha", "ACTIVE", 3)); // a dead node cannot; say its relaunch did, too early
        o.lifecycle(1995 * MS, "g", "alpha", ProcessEvent.LAUNCH);
        o.edge(new Edge(2010 * MS, "g", "beta", "STANDBY", 2));
        Report r = SplitBrainChecker.check(o, 5000 * MS, TOLERANCE);
        assertTrue(
                r.messages().stream().anyMatch(v -> v.contains("held ACTIVE by their hooks for 10.0 ms")),
                r.messages().toString());
    }

    @Test
    void twoOverlappingRoleAnswersAreADualActive() {
        steadyGroup();
        poll("alpha", 110, 1000, 200);
        o.sample(new RoleSample(991 * MS, 995 * MS, "g", "beta", 200));
        Report r = SplitBrainChecker.check(o, 2000 * MS, TOLERANCE);
        assertEquals(1, r.rows().get(SplitBrainChecker.STEADY).dualRoleWindows());
        assertTrue(
                r.messages().stream().anyMatch(v -> v.contains("both answered /role 200")),
                r.messages().toString());
    }

    @Test
    void aHookOutsideEveryFaultWindowIsAFalseFailover() {
        steadyGroup();
        o.edge(new Edge(800 * MS, "g", "alpha", "STANDBY", 1));
        o.edge(new Edge(900 * MS, "g", "beta", "ACTIVE", 2));
        Report r = SplitBrainChecker.check(o, 2000 * MS, TOLERANCE);
        assertEquals(2, r.rows().get(SplitBrainChecker.STEADY).falseFailovers());
        assertEquals(2, r.messages().size(), r.messages().toString());
    }

    @Test
    void aHookInsideANoChangeWindowIsAFalseFailoverOfThatFault() {
        steadyGroup();
        o.fault(new Fault("SIGSTOP primary 0.4 s", "g", "alpha", Expect.NO_CHANGE, 1000 * MS, 3000 * MS, 0));
        o.edge(new Edge(2000 * MS, "g", "alpha", "STANDBY", 1));
        Report r = SplitBrainChecker.check(o, 4000 * MS, TOLERANCE);
        assertEquals(1, r.rows().get("SIGSTOP primary 0.4 s").falseFailovers());
        assertEquals(1, r.messages().size(), r.messages().toString());
    }

    @Test
    void epochsThatGoBackOrRepeatAcrossNodesAreViolations() {
        steadyGroup();
        o.fault(new Fault("chaos", "g", "alpha", Expect.RECOVERY, 1000 * MS, 3000 * MS, 0));
        o.edge(new Edge(1100 * MS, "g", "alpha", "STANDBY", 1));
        o.edge(new Edge(1200 * MS, "g", "beta", "ACTIVE", 1));
        o.edge(new Edge(1300 * MS, "g", "beta", "STANDBY", 0));
        Report r = SplitBrainChecker.check(o, 4000 * MS, TOLERANCE);
        assertTrue(
                r.messages().stream().anyMatch(v -> v.contains("both activated at epoch 1")),
                r.messages().toString());
        assertTrue(
                r.messages().stream().anyMatch(v -> v.contains("epoch went back from 1 to 0")),
                r.messages().toString());
        assertTrue(
                r.messages().stream().anyMatch(v -> v.contains("0 nodes held ACTIVE")),
                r.messages().toString());
    }

    @Test
    void anActiveActiveMemberLossMayOnlyMoveTheLostMember() {
        o.group("aa", false);
        o.fault(new Fault("setup", "aa", null, Expect.SETUP, 0, 500 * MS, 0));
        for (String n : new String[] {"a", "b", "c"}) {
            o.lifecycle(0, "aa", n, ProcessEvent.LAUNCH);
            o.edge(new Edge(100 * MS, "aa", n, "ACTIVE", 1));
        }
        o.lifecycle(1000 * MS, "aa", "c", ProcessEvent.DEATH);
        o.fault(new Fault("SIGKILL member", "aa", "c", Expect.MEMBER_LOSS, 1000 * MS, 5000 * MS, 0));
        o.lifecycle(2000 * MS, "aa", "c", ProcessEvent.LAUNCH);
        o.edge(new Edge(3000 * MS, "aa", "c", "ACTIVE", 2));
        assertTrue(SplitBrainChecker.check(o, 6000 * MS, TOLERANCE).ok());

        o.edge(new Edge(1500 * MS, "aa", "b", "STANDBY", 1));
        Report r = SplitBrainChecker.check(o, 6000 * MS, TOLERANCE);
        assertEquals(
                1, r.rows().get("SIGKILL member").falseFailovers(), r.messages().toString());
    }
}
