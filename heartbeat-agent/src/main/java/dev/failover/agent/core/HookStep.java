package dev.failover.agent.core;

/**
 * One hook the agent's shell runs for an edge, as {@link RoleMachine} plans it: the first step of an edge comes from
 * {@link RoleMachine#firstStep}, each next one from {@link RoleMachine#onHookDone}.
 *
 * <pre>
 *   ACTIVATE edge:  [FENCE_PEER for each peer the edge names, if --fence-peer is set] then ACTIVATE
 *   STANDBY edge:   STAND_DOWN, again after a backoff while it fails (attempts bounded), then FENCE (--on-fence)
 * </pre>
 *
 * @param attempt        1 for the first run of this kind for this edge, 2 for its first retry...; for FENCE_PEER,
 *                       which of the edge's peers (1 = the first)
 * @param notBeforeNanos when the step may run (a retry's backoff); {@link Long#MIN_VALUE} for at once
 */
public record HookStep(Kind kind, Edge edge, int attempt, long notBeforeNanos) {

    public enum Kind {
        /** {@code --fence-peer}: stop the replaced primary's service before this node activates its own. */
        FENCE_PEER,
        /** {@code --on-activate}. */
        ACTIVATE,
        /** {@code --on-standby}. */
        STAND_DOWN,
        /** {@code --on-fence}: a harder stop of this node's own service after its stand-down kept failing. */
        FENCE
    }

    /** For FENCE_PEER: the node to fence; null for any other step. */
    public String peer() {
        return kind == Kind.FENCE_PEER ? edge.fencePeers().get(attempt - 1) : null;
    }

    /** How long to wait before running it, from {@code nowNanos}. */
    public long delayNanos(long nowNanos) {
        return notBeforeNanos == Long.MIN_VALUE ? 0 : Math.max(0, notBeforeNanos - nowNanos);
    }
}
