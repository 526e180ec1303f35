package dev.failover.agent.core;

/**
 * When this run sent its recent heartbeats (monotonic nanoseconds, by sequence number), so that a decision naming
 * the heartbeat it was based on (RoleChange v4, {@code basis}) can be checked against the lease: see
 * {@link RoleMachine#onRoleChange(long, dev.failover.wire.Role, String, java.util.List, long, long)}. Keeps the last
 * {@value #CAPACITY}; an older one counts as forgotten, which refuses the activation: safe, and at any lease shorter
 * than {@value #CAPACITY} heartbeat intervals it is long past its lease anyway.
 */
public final class SentBeats {

    static final int CAPACITY = 256;

    private final long incarnation;
    private final long[] sequences = new long[CAPACITY];
    private final long[] sentAt = new long[CAPACITY];

    /** @param incarnation this run's incarnation, as its heartbeats carry it */
    public SentBeats(long incarnation) {
        this.incarnation = incarnation;
        java.util.Arrays.fill(sequences, -1);
    }

    /** Heartbeat {@code sequence} (0 or more) was built at {@code sentAtNanos}. */
    public synchronized void sent(long sequence, long sentAtNanos) {
        int slot = (int) (sequence % CAPACITY);
        sequences[slot] = sequence;
        sentAt[slot] = sentAtNanos;
    }

    /**
     * Until when a decision based on heartbeat ({@code basisIncarnation}, {@code basisSequence}) may make this node
     * ACTIVE: that heartbeat's send time plus {@code leaseNanos}; {@link Long#MIN_VALUE} when it is not this run's or
     * no longer remembered.
     */
    public synchronized long activateBefore(long basisIncarnation, long basisSequence, long leaseNanos) {
        if (basisIncarnation != incarnation || basisSequence < 0) {
            return Long.MIN_VALUE;
        }
        int slot = (int) (basisSequence % CAPACITY);
        return sequences[slot] == basisSequence ? sentAt[slot] + leaseNanos : Long.MIN_VALUE;
    }
}
