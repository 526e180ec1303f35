package dev.failover.coordinator.streams;

import dev.failover.coordinator.core.Policy;
import dev.failover.wire.TopicNames;
import dev.failover.wire.sign.RecordSigner;
import dev.failover.wire.sign.RecordVerifier;

/**
 * What the Streams shell needs besides the decider's policy.
 *
 * @param punctuationIntervalMs how often the wall-clock punctuator looks for expiring groups and writes a fence marker
 * @param instanceId            this instance's id: only fence markers it wrote itself count (its own clock)
 * @param guards                what authenticates the records written and read: signatures, trusted operator keys
 * @param inputPartitions       how many partitions the heartbeat and command topics have (checked at start; they may
 *                              not change while coordinators run), so that a record outside its key's partition is
 *                              refused; 0: unknown, not checked
 */
public record ShellSettings(
        TopicNames topics,
        long punctuationIntervalMs,
        String instanceId,
        Policy policy,
        BrakeSettings brake,
        Guards guards,
        int inputPartitions) {

    /** Input partitions not checked. */
    public ShellSettings(
            TopicNames topics,
            long punctuationIntervalMs,
            String instanceId,
            Policy policy,
            BrakeSettings brake,
            Guards guards) {
        this(topics, punctuationIntervalMs, instanceId, policy, brake, guards, 0);
    }

    /** Records unsigned, commands from anyone. */
    public ShellSettings(
            TopicNames topics, long punctuationIntervalMs, String instanceId, Policy policy, BrakeSettings brake) {
        this(topics, punctuationIntervalMs, instanceId, policy, brake, Guards.none());
    }

    /** Signs every role change and state record written (signing.key), or null. */
    public RecordSigner signer() {
        return guards.signer();
    }

    /**
     * @param signer          signs every role change and state record written, or null
     * @param operatorKeys    the operator keys commands must be signed with (operator.trust.keys), or null: any
     *                        command is acted on
     * @param commandMaxAgeMs how far a signed command's issue time may be from this coordinator's wall clock
     * @param heartbeatKeys   the keys that authenticate heartbeats of the groups that require it, or null: none
     */
    public record Guards(
            RecordSigner signer, RecordVerifier operatorKeys, long commandMaxAgeMs, HeartbeatKeys heartbeatKeys) {
        public static Guards none() {
            return new Guards(null, null, 120_000, null);
        }
    }

    /** See {@link dev.failover.coordinator.core.Brake}. */
    public record BrakeSettings(double maxShare, int minFailovers, long windowMs) {
        public static BrakeSettings defaults() {
            return new BrakeSettings(0.5, 3, 10_000);
        }
    }

    /**
     * The settings a decision depends on, as the coordinator's own keys ({@code rise=2;fall=3;...}): what
     * {@code ctl replay} runs a recording with. Unsigned, and only read by the replay.
     */
    public String decisionSettings() {
        Policy p = policy();
        return "rise=" + p.rise() + ";fall=" + p.fall() + ";min.margin.ms=" + p.minMarginMs()
                + ";failback=" + p.failback().name().toLowerCase(java.util.Locale.ROOT)
                + ";failback.after.ms=" + p.failbackAfterMs() + ";min.active=" + p.minActive()
                + ";max.members.per.group=" + p.maxMembers() + ";member.retention.ms=" + p.memberRetentionMs()
                + ";election.grace.ms=" + p.electionGraceMs()
                + ";brake.max.share=" + brake().maxShare() + ";brake.min.failovers=" + brake().minFailovers()
                + ";brake.window.ms=" + brake().windowMs() + ";punctuation.interval.ms=" + punctuationIntervalMs();
    }
}
