package dev.failover.agent.core;

import dev.failover.wire.Role;
import java.util.Optional;

/**
 * The agent's role and lease, as a pure state machine on a monotonic clock (nanoseconds handed in, never read).
 *
 * <pre>
 *   from     to       when
 *   STANDBY  ACTIVE   assigned ACTIVE by a role change newer than anything applied and than the epoch found at
 *                     start-up, the lease is valid, not lapsed, not leaving, and (active/passive) within a lease of
 *                     sending the heartbeat the decision was based on
 *   ACTIVE   STANDBY  a newer role change assigns STANDBY
 *   ACTIVE   STANDBY  the lease ran out (STAND_DOWN policy); the lapse is sticky until a newer epoch
 *   ACTIVE   STANDBY  shutdown (leaving)
 * </pre>
 *
 * Every edge gets a number. The machine also plans the hooks of an edge ({@link HookStep}): {@link #firstStep} gives
 * the first, and each outcome reported to {@link #onHookDone} may give the next: a retry of a failed stand-down after
 * its backoff, {@code --on-fence} after the last failed attempt, the activation after {@code --fence-peer} fenced the
 * replaced primary. An outcome for an edge that is no longer the latest changes nothing. Two gates hang on them:
 * <ul>
 *   <li><b>serving</b>: an ACTIVE node serves ({@link #servingRole}) only once the {@code --on-activate} hook of its
 *       current edge succeeded;</li>
 *   <li><b>stand-down acknowledgement</b>: after a STANDBY edge the node reports {@link Role#STOPPING}
 *       ({@link #reportedRole}) until the {@code --on-standby} hook of that edge succeeded (or the service was
 *       fenced); only then does it report STANDBY, which is what the coordinator promotes a successor on. A
 *       stand-down that failed stays STOPPING: the node's service may still run.</li>
 * </ul>
 *
 * The lease is the earlier of two proofs that the agent is still connected: a heartbeat the broker acknowledged and
 * a role-change feed that answered, each valid for {@code lease} from when it was <b>sent</b>. An agent that can
 * still publish but can no longer hear a stand-down must not serve either. With failsafe terms, a primary whose
 * Kafka lease ran out may serve on its peers' grants ({@link #onFailsafeGranted}) until a re-confirmation roots both
 * proofs again ({@link #onReconfirmation}).
 *
 * <p>IMPORTANT: every entry point checks the lease first, so an agent waking from a pause (GC, SIGSTOP) never acts
 * on a stale role. Hooks fire on edges only, never twice for the same edge.
 */
public final class RoleMachine {

    private final long leaseNanos;
    private final BrokerLossPolicy policy;
    private final HookPlan plan;
    private Role role = Role.STANDBY;
    private Role assigned = Role.STANDBY;
    private long appliedEpoch;
    private long ackLeaseUntil = Long.MIN_VALUE;
    private long feedLeaseUntil = Long.MIN_VALUE;
    private boolean lapsed;
    /** The latest assignment may make this node ACTIVE only before this (its basis heartbeat's send time + lease). */
    private long activateBefore = Long.MAX_VALUE;
    /** The latest assignment lapsed because it came after {@link #activateBefore}. */
    private boolean cameTooLate;

    private boolean leaving;
    private long staleIgnored;
    private String lastReason = "starting as STANDBY until told otherwise";
    /** Edges taken so far; the number of the latest. */
    private long edges;
    /** The {@code --on-activate} hook of the latest (ACTIVE) edge succeeded. */
    private boolean activated;
    /** The latest edge is a stand-down whose hook has not succeeded yet. */
    private boolean stopping;
    /** ... and its hook failed (it may be retried or the service fenced). */
    private String stopFailure;
    /** The peers the current assignment asks to fence before activating. */
    private java.util.List<String> assignedFencePeers = java.util.List.of();
    /** Why the activation of the latest (ACTIVE) edge did not happen (its hook or the peer's fence failed), or null. */
    private String activationFailure;
    /** Failsafe mode's terms, or null when it is off. */
    private final FailsafeTerms failsafe;
    /** Failsafe: the lease as the primary's peers last extended it all together. */
    private long failsafeLeaseUntil = Long.MIN_VALUE;
    /** Failsafe: no activation starts before this (a promise to a primary, or the hold after start-up). */
    private long holdUntil = Long.MIN_VALUE;
    /** Failsafe: re-confirmations accepted. */
    private long reconfirmations;

    private long lateReconfirmations;

    /**
     * @param startupEpoch the newest epoch of the group found at start-up (compacted state): nothing at or below it
     *                     makes this agent ACTIVE, so a restarted primary never serves on its previous assignment
     */
    public RoleMachine(long leaseNanos, BrokerLossPolicy policy, long startupEpoch) {
        this(leaseNanos, policy, startupEpoch, HookPlan.DEFAULT);
    }

    public RoleMachine(long leaseNanos, BrokerLossPolicy policy, long startupEpoch, HookPlan plan) {
        this(leaseNanos, policy, startupEpoch, plan, null, 0);
    }

    /**
     * With failsafe mode on ({@code failsafe} not null): activations are held for one promise from {@code startNanos}
     * (this agent may have promised a primary before it restarted, and forgotten).
     */
    public RoleMachine(
            long leaseNanos,
            BrokerLossPolicy policy,
            long startupEpoch,
            HookPlan plan,
            FailsafeTerms failsafe,
            long startNanos) {
        this.failsafe = failsafe;
        if (failsafe != null) {
            holdUntil = startNanos + failsafe.holdNanos();
        }
        if (leaseNanos <= 0) {
            throw new IllegalArgumentException("the lease must be positive");
        }
        this.leaseNanos = leaseNanos;
        this.policy = policy;
        this.appliedEpoch = startupEpoch;
        this.plan = plan;
    }

    /**
     * The broker acknowledged a heartbeat sent at {@code sentAtNanos}.
     *
     * <p>IMPORTANT: a lease that has already run out lapses here, before the acknowledgement extends anything. A
     * beat sent within the lease may have been appended after the coordinator's fence marker (the producer retried
     * it, the broker was slow): the coordinator may already have convicted this node, so its late acknowledgement
     * must not keep it ACTIVE even when the timer that would have noticed the lapse has not fired yet.
     */
    public Optional<Edge> onHeartbeatAcknowledged(long sentAtNanos, long nowNanos) {
        Optional<Edge> lapse = evaluate(nowNanos, lastReason);
        if (!onFailsafe(nowNanos)) {
            ackLeaseUntil = Math.max(ackLeaseUntil, sentAtNanos + leaseNanos);
        }
        return lapse.isPresent() ? lapse : evaluate(nowNanos, "lease confirmed");
    }

    /** The role-change feed answered a request sent at {@code sentAtNanos}; a lapse is taken first, as above. */
    public Optional<Edge> onRoleFeedAnswered(long sentAtNanos, long nowNanos) {
        Optional<Edge> lapse = evaluate(nowNanos, lastReason);
        if (!onFailsafe(nowNanos)) {
            feedLeaseUntil = Math.max(feedLeaseUntil, sentAtNanos + leaseNanos);
        }
        return lapse.isPresent() ? lapse : evaluate(nowNanos, "lease confirmed");
    }

    /**
     * Failsafe: every peer of this primary granted the round it sent at {@code sentAtNanos} for its edge {@code edge}
     * (asked at the epoch it had applied then, {@link #appliedEpoch}: a re-confirmation moves that on without a new
     * edge). Extends the lease of an ACTIVE node whose lease is still valid, while
     * that edge is its latest, to {@code sentAtNanos + promise}, at most {@code max} past the end of its last renewal
     * through Kafka; a lapse is taken first, as for an acknowledgement, and stays final. Without failsafe terms it
     * changes nothing.
     */
    public Optional<Edge> onFailsafeGranted(long edge, long sentAtNanos, long nowNanos) {
        Optional<Edge> lapse = evaluate(nowNanos, lastReason);
        if (failsafe == null
                || lapse.isPresent()
                || role != Role.ACTIVE
                || lapsed
                || !leaseValid(nowNanos)
                || !isLatest(edge)) {
            return lapse;
        }
        failsafeLeaseUntil = Math.max(failsafeLeaseUntil, sentAtNanos + failsafe.promiseNanos());
        return evaluate(nowNanos, "lease renewed by every peer (failsafe)");
    }

    /**
     * Failsafe: the primary at {@code primaryEpoch} asks this node to promise not to activate. Granted (true) only
     * with failsafe terms, while this node neither holds nor is assigned the primary role, is not leaving, and has
     * applied no epoch newer than the primary's (a newer one means the primary was replaced, or re-confirmed and asks
     * at its new epoch: refusing makes a replaced primary stand down when its extension ends). A grant holds every
     * activation until {@code nowNanos + promise + budget}.
     */
    public boolean grantPromise(long primaryEpoch, long nowNanos) {
        if (failsafe == null
                || role == Role.ACTIVE
                || assigned == Role.ACTIVE
                || leaving
                || appliedEpoch > primaryEpoch) {
            return false;
        }
        holdUntil = Math.max(holdUntil, nowNanos + failsafe.holdNanos());
        return true;
    }

    /**
     * Failsafe: this ACTIVE node serves on its peers' grants alone, its lease through Kafka having run out. Kafka no
     * longer renews it then, for the rest of this assignment: a heartbeat acknowledged now may have been appended after
     * the coordinator's fence marker, and a coordinator that convicted this node has promised its successor nothing
     * about a lease renewed that way (without failsafe the lease would have lapsed first, and the lapse is final). It
     * serves on grants until a peer refuses or {@code max} has passed, then stands down like any lapse; only a new edge,
     * or a re-confirmation ({@link #onReconfirmation}), starts a lease anew.
     */
    public boolean onFailsafe(long nowNanos) {
        return failsafe != null
                && role == Role.ACTIVE
                && nowNanos >= Math.min(ackLeaseUntil, feedLeaseUntil)
                && leaseValid(nowNanos);
    }

    /**
     * The latest assignment (ACTIVE, active/passive) lapsed unserved because it came after the lease of the heartbeat
     * it was based on; a newer assignment clears it.
     */
    public boolean assignmentCameTooLate() {
        return cameTooLate;
    }

    /** Failsafe: until when activations are held (a promise, or the hold after start-up); MIN_VALUE when never. */
    public long heldUntilNanos() {
        return holdUntil;
    }

    /** A role change for this node. Older epochs are ignored and counted; the same epoch again changes nothing. */
    public Optional<Edge> onRoleChange(long epoch, Role assignedRole, String reason, long nowNanos) {
        return onRoleChange(epoch, assignedRole, reason, java.util.List.of(), nowNanos);
    }

    /**
     * As above; {@code fencePeers} are the nodes whose service may still run though the coordinator did not see it
     * stop. An activation for this decision fences them first when {@code --fence-peer} is set.
     */
    public Optional<Edge> onRoleChange(
            long epoch, Role assignedRole, String reason, java.util.List<String> fencePeers, long nowNanos) {
        return onRoleChange(epoch, assignedRole, reason, fencePeers, Long.MAX_VALUE, nowNanos);
    }

    /**
     * As above, for a decision the coordinator based on a heartbeat of this node: an active/passive node activates on
     * it only before {@code activateBeforeNanos} (that heartbeat's send time plus the lease;
     * {@link Long#MIN_VALUE} when the basis is unknown: a beat of an earlier run or too old to remember;
     * {@link Long#MAX_VALUE} when the decision names none, from a coordinator older than RoleChange v4).
     *
     * <p>IMPORTANT: why. The coordinator convicts a silent node once every beat sent within the lease of its last one
     * read has been read; for an ACTIVE node that bounds the lease (a later acknowledgement finds it lapsed). A
     * STANDBY node's lease is not bounded so: one cut off across its own promotion renews it with beats the
     * coordinator has not read when it convicts it, and reads the promotion late, after the conviction but before the
     * successor's decision. Activating only within a lease of the beat the promotion was based on puts the activation
     * inside the window the coordinator's conviction accounts for. An assignment that comes too late lapses: this node
     * reports STANDBY at its epoch, and the coordinator re-activates it with a newer decision, or promotes another.
     */
    public Optional<Edge> onRoleChange(
            long epoch,
            Role assignedRole,
            String reason,
            java.util.List<String> fencePeers,
            long activateBeforeNanos,
            long nowNanos) {
        if (!newer(epoch)) {
            return evaluate(nowNanos, lastReason);
        }
        appliedEpoch = epoch;
        assigned = assignedRole == Role.ACTIVE ? Role.ACTIVE : Role.STANDBY;
        assignedFencePeers = assigned == Role.ACTIVE ? java.util.List.copyOf(fencePeers) : java.util.List.of();
        activateBefore = activateBeforeNanos;
        lapsed = false;
        cameTooLate = false;
        lastReason = reason;
        return evaluate(nowNanos, reason);
    }

    /**
     * Failsafe's way back onto Kafka's lease: the coordinator names this node primary again at {@code epoch} in a
     * re-confirmation (not a promotion), based on a heartbeat this node sent while it served on its peers' grants;
     * {@code activateBeforeNanos} is that heartbeat's send time plus the lease ({@link SentBeats}). Accepted only while
     * this node is ACTIVE on grants ({@link #onFailsafe}) and before that time: no edge and no hook (its service runs
     * on), and Kafka renews its lease again, from that heartbeat's send time. Read after that time (its basis was a
     * beat held up in the producer, say), it changes no lease: this node applies the epoch and serves on its peers'
     * grants on exactly as before (the decision makes nobody else ACTIVE, and its rounds are now asked at this
     * epoch), so its next beats lead to a re-confirmation based on a fresher one. Otherwise (not serving on grants)
     * this node never activates on it: it stands down if it still serves, and reports STANDBY at this epoch, so that
     * the coordinator re-activates it through a decision with every guard of a promotion, or promotes another.
     *
     * <p>IMPORTANT: why rooting the lease at that heartbeat is safe. The coordinator read it before deciding, and a
     * group's decisions are made in order by one writer, so any later conviction of this node counts its silence from
     * a receipt at or after that heartbeat and waits for a fence marker written at or after its send time plus the
     * lease: the argument that covers an acknowledged heartbeat. The feed half may be rooted there too: the decision
     * was appended after the coordinator read that heartbeat, so reading it proves that every decision committed before
     * the heartbeat's send time has been read, which is what a feed check sent then proves. Both halves must move: if
     * only one did, the other would keep the lease on grants and Kafka would still renew nothing (rule 9).
     */
    public Optional<Edge> onReconfirmation(long epoch, long activateBeforeNanos, long nowNanos) {
        if (!newer(epoch)) {
            return evaluate(nowNanos, lastReason);
        }
        appliedEpoch = epoch;
        if (onFailsafe(nowNanos) && nowNanos < activateBeforeNanos) {
            ackLeaseUntil = Math.max(ackLeaseUntil, activateBeforeNanos);
            feedLeaseUntil = Math.max(feedLeaseUntil, activateBeforeNanos);
            reconfirmations++;
            lastReason =
                    "re-confirmed at epoch " + epoch + ": back on Kafka's lease after serving on the peers' grants";
            return evaluate(nowNanos, lastReason);
        }
        if (onFailsafe(nowNanos)) {
            lateReconfirmations++;
            lastReason = "the re-confirmation at epoch " + epoch + " came more than the lease after the heartbeat it "
                    + "was based on: serving on the peers' grants on, at that epoch, until one based on a fresher heartbeat";
            return evaluate(nowNanos, lastReason);
        }
        assigned = Role.ACTIVE;
        assignedFencePeers = java.util.List.of();
        activateBefore = activateBeforeNanos;
        lapsed = true;
        cameTooLate = true;
        lastReason = "the re-confirmation at epoch " + epoch + " found this node "
                + (role == Role.ACTIVE ? "no longer serving on grants or past the lease of its basis" : "not serving")
                + ": not acting on it (waiting for a decision that promotes it)";
        return evaluate(nowNanos, lastReason);
    }

    /** Whether {@code epoch} is newer than the applied one; an older one is counted as stale, the same one is not. */
    private boolean newer(long epoch) {
        if (epoch < appliedEpoch) {
            staleIgnored++;
        }
        return epoch > appliedEpoch;
    }

    /** How many re-confirmations this machine accepted ({@link #onReconfirmation}). */
    public long reconfirmations() {
        return reconfirmations;
    }

    /** How many re-confirmations came too late to be taken while this node served on grants, which it went on doing. */
    public long lateReconfirmations() {
        return lateReconfirmations;
    }

    /**
     * Start-up, the machine's first edge: a STANDBY edge at the start-up epoch. An agent that starts cannot know
     * whether its service runs (it may have crashed while ACTIVE, or been restarted while its stand-down hook ran),
     * so it stands the service down first, as keepalived runs its backup notification when it starts as BACKUP, and
     * reports STOPPING until this edge's hook succeeded: a restart is no acknowledgement of a stand-down.
     */
    public Edge startUp() {
        if (edges != 0) {
            throw new IllegalStateException("start-up is the first edge");
        }
        return take(Role.STANDBY, "starting: standing the service down until the coordinator says otherwise");
    }

    /** Time passed: the lease may have run out. */
    public Optional<Edge> tick(long nowNanos) {
        return evaluate(nowNanos, lastReason);
    }

    /**
     * When {@link #tick} can next take an edge: the end of the lease of an ACTIVE node that stands down on its own;
     * empty when time alone changes nothing (a standby, or KEEP_SERVING), so nobody needs to tick it.
     */
    public java.util.OptionalLong nextTickNanos() {
        return role == Role.ACTIVE && policy == BrokerLossPolicy.STAND_DOWN && !leaving
                ? java.util.OptionalLong.of(leaseUntil())
                : java.util.OptionalLong.empty();
    }

    /** Graceful shutdown: stand down for good. */
    public Optional<Edge> leave(long nowNanos) {
        leaving = true;
        return evaluate(nowNanos, "shutting down");
    }

    private Optional<Edge> evaluate(long nowNanos, String reason) {
        boolean leaseValid = leaseValid(nowNanos);
        if (role == Role.ACTIVE
                && !leaseValid
                && policy == BrokerLossPolicy.STAND_DOWN
                && !leaving
                && assigned == Role.ACTIVE) {
            lapsed = true;
            lastReason = "lease expired " + (nowNanos - leaseUntil()) / 1_000_000 + " ms ago: standing down "
                    + "on my own (no acknowledged heartbeat or role feed within the lease; newest acknowledged beat "
                    + sentAgo(ackLeaseUntil, nowNanos) + ", newest feed check answered "
                    + sentAgo(feedLeaseUntil, nowNanos)
                    + ")";
            return Optional.of(take(Role.STANDBY, lastReason));
        }
        if (role != Role.ACTIVE
                && assigned == Role.ACTIVE
                && !lapsed
                && !leaving
                && policy == BrokerLossPolicy.STAND_DOWN
                && nowNanos >= activateBefore) {
            lapsed = true;
            cameTooLate = true;
            lastReason = activateBefore == Long.MIN_VALUE
                    ? "the assignment at epoch " + appliedEpoch + " is based on a heartbeat this run did not send or "
                            + "no longer remembers: not activating on it (waiting for a newer decision)"
                    : "the assignment at epoch " + appliedEpoch + " came " + (nowNanos - activateBefore) / 1_000_000
                            + " ms after the lease of the heartbeat it was based on ran out: a newer decision may already have "
                            + "replaced it, so not activating on it (waiting for a newer decision)";
            return Optional.empty();
        }
        Role desired = assigned == Role.ACTIVE
                        && !lapsed
                        && !leaving
                        && (leaseValid || (role == Role.ACTIVE && policy == BrokerLossPolicy.KEEP_SERVING))
                ? Role.ACTIVE
                : Role.STANDBY;
        if (desired == role) {
            return Optional.empty();
        }
        return Optional.of(take(desired, reason));
    }

    /** How long before {@code nowNanos} the proof behind {@code until} was sent, for a lapse's reason. */
    private String sentAgo(long until, long nowNanos) {
        return until == Long.MIN_VALUE
                ? "none yet"
                : "sent " + (nowNanos - (until - leaseNanos)) / 1_000_000 + " ms ago";
    }

    private Edge take(Role to, String reason) {
        role = to;
        failsafeLeaseUntil = Long.MIN_VALUE; // grants extended the edge they were asked for, no other
        activated = false;
        activationFailure = null;
        stopping = to == Role.STANDBY;
        stopFailure = null;
        return new Edge(
                to, appliedEpoch, reason, ++edges, to == Role.ACTIVE ? assignedFencePeers : java.util.List.of());
    }

    /** The first hook to run for {@code edge}. */
    public HookStep firstStep(Edge edge) {
        if (edge.to() == Role.ACTIVE) {
            boolean fenceFirst = !edge.fencePeers().isEmpty() && plan.fencePeer();
            return new HookStep(
                    fenceFirst ? HookStep.Kind.FENCE_PEER : HookStep.Kind.ACTIVATE, edge, 1, Long.MIN_VALUE);
        }
        return new HookStep(HookStep.Kind.STAND_DOWN, edge, 1, Long.MIN_VALUE);
    }

    /**
     * Whether {@code step} is still worth running when its turn comes. The first stand-down of any edge always runs
     * (stopping a service is never unsafe, and an older edge's stop may be all that stands between two services);
     * anything else only for the latest edge: an activation for an assignment that is already over could run the
     * service beside a successor, and a retry or a fence for an older edge is the newer edge's business now. An
     * activation or a peer's fence also needs the lease valid at {@code nowNanos}: a hook thread that wakes from a
     * pause must not start a service whose lease ran out while it slept (the shell ticks the machine first, so the
     * lapse is normally a newer edge already; this holds even if it did not).
     */
    public boolean shouldRun(HookStep step, long nowNanos) {
        if (step.kind() == HookStep.Kind.STAND_DOWN && step.attempt() == 1) {
            return true;
        }
        if (!isLatest(step.edge().number())) {
            return false;
        }
        boolean starts = step.kind() == HookStep.Kind.ACTIVATE || step.kind() == HookStep.Kind.FENCE_PEER;
        return !starts
                || (role == Role.ACTIVE
                        && !lapsed
                        && nowNanos >= holdUntil
                        && (leaseValid(nowNanos) || policy == BrokerLossPolicy.KEEP_SERVING));
    }

    /**
     * Failsafe: {@code step} again, to run once the hold on activations is over, when {@link #shouldRun} refused it
     * only for that hold (a promise to a primary, or the hold after start-up); empty otherwise.
     */
    public Optional<HookStep> deferred(HookStep step, long nowNanos) {
        boolean starts = step.kind() == HookStep.Kind.ACTIVATE || step.kind() == HookStep.Kind.FENCE_PEER;
        if (!starts || nowNanos >= holdUntil || !isLatest(step.edge().number()) || role != Role.ACTIVE || lapsed) {
            return Optional.empty();
        }
        return Optional.of(new HookStep(step.kind(), step.edge(), step.attempt(), holdUntil));
    }

    /**
     * Hook {@code step} finished ({@code ok}: it exited 0). Opens the serving gate after an activation, acknowledges a
     * stand-down after a successful stand-down or fence, and returns the next step if there is one:
     * <ul>
     *   <li>{@code --fence-peer} succeeded: the next peer's fence, or the activation once all are fenced; it failed:
     *       nothing (the node holds the role but does not serve, and its health says why, so the coordinator chooses
     *       another node, which is told to fence the same peers);</li>
     *   <li>a stand-down failed: the same hook again after the backoff while attempts remain, then {@code --on-fence}
     *       if there is one, then nothing: the node keeps reporting STOPPING and nobody is promoted while it is
     *       alive (Pacemaker's "stop failure" escalation).</li>
     * </ul>
     * An outcome for an edge that is no longer the latest changes nothing and plans nothing.
     */
    public Optional<HookStep> onHookDone(HookStep step, boolean ok, String detail, long nowNanos) {
        if (!isLatest(step.edge().number())) {
            return Optional.empty();
        }
        Edge edge = step.edge();
        switch (step.kind()) {
            case FENCE_PEER -> {
                if (ok) {
                    return Optional.of(
                            step.attempt() < edge.fencePeers().size()
                                    ? new HookStep(HookStep.Kind.FENCE_PEER, edge, step.attempt() + 1, Long.MIN_VALUE)
                                    : new HookStep(HookStep.Kind.ACTIVATE, edge, 1, Long.MIN_VALUE));
                }
                activated = false;
                activationFailure = "could not fence " + step.peer() + " with --fence-peer (" + detail
                        + "): not activating beside its service";
            }
            case ACTIVATE -> {
                activated = ok;
                activationFailure = ok ? null : detail;
            }
            case STAND_DOWN -> {
                if (ok) {
                    stopping = false;
                    stopFailure = null;
                    return Optional.empty();
                }
                stopFailure = detail;
                if (step.attempt() < plan.stopAttempts()) {
                    return Optional.of(new HookStep(
                            HookStep.Kind.STAND_DOWN,
                            edge,
                            step.attempt() + 1,
                            nowNanos + plan.backoffAfter(step.attempt())));
                }
                if (plan.fence()) {
                    return Optional.of(new HookStep(HookStep.Kind.FENCE, edge, 1, Long.MIN_VALUE));
                }
            }
            case FENCE -> {
                if (ok) {
                    stopping = false;
                    stopFailure = null;
                } else {
                    stopFailure = "stand-down failed (" + stopFailure + ") and --on-fence failed too (" + detail + ")";
                }
            }
        }
        return Optional.empty();
    }

    /** The number of the latest edge (0 before the start-up edge). */
    public long latestEdge() {
        return edges;
    }

    /** Whether edge {@code edge} is still the latest (a hook retry for an older one is pointless). */
    public boolean isLatest(long edge) {
        return edge == edges;
    }

    /**
     * The role this node reports in its heartbeats: ACTIVE while it holds the role (its activation may still run),
     * STOPPING from a stand-down until its hook succeeded, STANDBY after.
     */
    public Role reportedRole() {
        return role == Role.ACTIVE ? Role.ACTIVE : stopping ? Role.STOPPING : Role.STANDBY;
    }

    /** Why the stand-down of the latest edge failed, or null. */
    public String stopFailure() {
        return stopFailure;
    }

    /** Why the latest (ACTIVE) edge does not serve although it holds the role, or null. */
    public String activationFailure() {
        return activationFailure;
    }

    /**
     * The role to serve as now, without changing state (a reader such as /role must not take edges): ACTIVE only
     * once the activation hook succeeded and while the lease is valid, or under KEEP_SERVING. {@link #tick} is what takes the edge.
     */
    public Role servingRole(long nowNanos) {
        boolean serving =
                role == Role.ACTIVE && activated && (leaseValid(nowNanos) || policy == BrokerLossPolicy.KEEP_SERVING);
        return serving ? Role.ACTIVE : Role.STANDBY;
    }

    public boolean leaseValid(long nowNanos) {
        return nowNanos < leaseUntil();
    }

    public long leaseRemainingMs(long nowNanos) {
        long until = leaseUntil();
        return until == Long.MIN_VALUE ? 0 : Math.max(0, (until - nowNanos) / 1_000_000);
    }

    private long leaseUntil() {
        long kafka = Math.min(ackLeaseUntil, feedLeaseUntil);
        if (failsafe == null || failsafeLeaseUntil == Long.MIN_VALUE || kafka == Long.MIN_VALUE) {
            return kafka;
        }
        return Math.max(kafka, Math.min(failsafeLeaseUntil, kafka + failsafe.maxNanos()));
    }

    /** The role this agent holds (its latest edge), and the epoch it has applied. */
    public Role role() {
        return role;
    }

    public long appliedEpoch() {
        return appliedEpoch;
    }

    public long staleIgnored() {
        return staleIgnored;
    }

    public boolean leaving() {
        return leaving;
    }
}
