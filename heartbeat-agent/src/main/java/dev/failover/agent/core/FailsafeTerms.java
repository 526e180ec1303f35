package dev.failover.agent.core;

/**
 * The terms of failsafe mode (issue 13; Patroni's {@code failsafe_mode} over the agents' peers), off unless given: a
 * primary whose lease Kafka can no longer renew may have it renewed by <b>all</b> of its peers, each of whom then
 * promises not to activate until its promise has run out.
 *
 * <ul>
 *   <li>The primary asks every peer in its ask set at once; only if all grant does its lease extend, to the time it
 *       <b>sent</b> the round plus {@code promiseNanos} (as a heartbeat's acknowledgement extends it from its send
 *       time), and never past {@code maxNanos} after the end of the lease Kafka last gave it.</li>
 *   <li>A peer grants only while it neither holds nor has been assigned the primary role and has applied no epoch
 *       newer than the primary's; it then holds every activation until the time it <b>received</b> the request plus
 *       {@code promiseNanos + budgetNanos}: the primary's extension plus the stand-down budget its hook has after a
 *       lapse, as after any lapse (failure timeout − lease).</li>
 *   <li>An agent that starts holds its activations for as long as one promise lasts: it may have promised before it
 *       restarted and forgotten.</li>
 * </ul>
 *
 * @param promiseNanos how long one round of grants extends the primary's lease, from when it was sent
 * @param budgetNanos  the stand-down budget a peer adds to its promise (failure timeout − lease), positive
 * @param maxNanos     the longest the lease may run past the end of its last renewal through Kafka on grants alone
 */
public record FailsafeTerms(long promiseNanos, long budgetNanos, long maxNanos) {

    public FailsafeTerms {
        if (promiseNanos <= 0 || budgetNanos <= 0 || maxNanos < promiseNanos) {
            throw new IllegalArgumentException("failsafe needs a positive promise, a positive stand-down budget "
                    + "(failure timeout - lease) and a maximum of at least one promise");
        }
    }

    /**
     * The terms an agent runs with: one round extends the lease by {@code lease - interval} (a round is asked every
     * interval, so consecutive grants overlap by more than an interval while every peer answers), the stand-down
     * budget is {@code timeout - lease} as after any lapse. Refused unless {@code lease > 2 x interval}, so that a
     * round's promise outlasts the next round. By construction {@code promise + budget = timeout - interval <
     * timeout}: a primary that dies just after a round leaves its peers holding their activations for at most one
     * promise and budget, which ends before the coordinator could have convicted it (a timeout after its last beat
     * read), so failsafe does not slow down the failover it exists to avoid.
     */
    public static FailsafeTerms forAgent(long intervalNanos, long leaseNanos, long timeoutNanos, long maxNanos) {
        long promise = leaseNanos - intervalNanos;
        long budget = timeoutNanos - leaseNanos;
        if (leaseNanos <= 2 * intervalNanos) {
            throw new IllegalArgumentException("failsafe needs a lease (4/5 of failure.timeout.ms, "
                    + leaseNanos / 1_000_000 + "ms) longer than two heartbeat intervals ("
                    + 2 * intervalNanos / 1_000_000
                    + "ms): each round of grants must outlast the next");
        }
        if (maxNanos < promise) {
            throw new IllegalArgumentException("failsafe.max.ms (" + maxNanos / 1_000_000 + ") must be at least one "
                    + "promise (lease - heartbeat interval = " + promise / 1_000_000 + "ms)");
        }
        return new FailsafeTerms(promise, budget, maxNanos);
    }

    /** How long a peer holds its activations after granting, and an agent after it starts. */
    public long holdNanos() {
        return promiseNanos + budgetNanos;
    }
}
