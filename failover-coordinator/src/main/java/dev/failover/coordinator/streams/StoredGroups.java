package dev.failover.coordinator.streams;

import dev.failover.coordinator.core.GroupRecord;
import dev.failover.coordinator.core.Handover;
import dev.failover.coordinator.core.Member;
import dev.failover.wire.StoredAnswer;
import dev.failover.wire.StoredGroup;
import dev.failover.wire.StoredHandover;
import dev.failover.wire.StoredMember;
import dev.failover.wire.Timing;
import java.util.TreeMap;

/**
 * Converts the decider's durable {@link GroupRecord} to and from its changelogged Avro form. The decider's times are
 * on this instance's monotonic clock; the store, read by other instances and after restarts, holds wall-clock times
 * (a pause's end, when a handover began), converted at {@code now}.
 */
final class StoredGroups {

    private StoredGroups() {}

    static StoredGroup toStored(GroupRecord record, Now now) {
        return toStored(record, now, new GroupMemory());
    }

    /** The record and the shell's memory of the group ({@link GroupMemory}), stored together. */
    static StoredGroup toStored(GroupRecord record, Now now, GroupMemory memory) {
        Handover h = record.pending();
        return StoredGroup.newBuilder()
                .setGroup(record.group())
                .setMode(record.mode())
                .setEpoch(record.epoch())
                .setMembers(record.members().values().stream()
                        .map(m -> StoredMember.newBuilder()
                                .setNode(m.node())
                                .setPriority(m.priority())
                                .setHeartbeatIntervalMs(m.timing().heartbeatIntervalMs())
                                .setLeaseMs(m.timing().leaseMs())
                                .setFailureTimeoutMs(m.timing().failureTimeoutMs())
                                .setFailsafeMaxMs(m.timing().failsafeMaxMs())
                                .setAssigned(m.assigned())
                                .setProblem(m.problem())
                                .setFenceOwedSince(m.fenceOwedSince())
                                .setIncarnation(Math.max(0, memory.incarnation(m.node())))
                                .build())
                        .toList())
                .setPending(
                        h == null
                                ? null
                                : StoredHandover.newBuilder()
                                        .setFrom(h.from())
                                        .setTo(h.to())
                                        .setStandDownEpoch(h.standDownEpoch())
                                        .setWhy(h.why())
                                        .setCommandId(h.commandId())
                                        .setSinceMs(now.toWall(h.sinceMs()))
                                        .build())
                .setPausedUntilMs(
                        sentinel(record.pausedUntilMs()) ? record.pausedUntilMs() : now.toWall(record.pausedUntilMs()))
                .setAnsweredCommands(memory.answeredIds().entrySet().stream()
                        .map(e -> StoredAnswer.newBuilder()
                                .setCommandId(e.getKey())
                                .setUntilMs(e.getValue())
                                .build())
                        .toList())
                .build();
    }

    /** The shell's memory of the group, as stored with it (a record from before v5 holds none). */
    static GroupMemory memoryFromStored(StoredGroup stored) {
        GroupMemory memory = new GroupMemory();
        for (StoredMember m : stored.getMembers()) {
            if (m.getIncarnation() > 0) {
                memory.accepted(m.getNode(), m.getIncarnation());
            }
        }
        for (StoredAnswer a : stored.getAnsweredCommands()) {
            memory.answer(a.getCommandId(), a.getUntilMs());
        }
        memory.stored();
        return memory;
    }

    static GroupRecord fromStored(StoredGroup stored, Now now) {
        TreeMap<String, Member> members = new TreeMap<>();
        for (StoredMember m : stored.getMembers()) {
            members.put(
                    m.getNode(),
                    new Member(
                            m.getNode(),
                            m.getPriority(),
                            new Timing(
                                    m.getHeartbeatIntervalMs(),
                                    m.getLeaseMs(),
                                    m.getFailureTimeoutMs(),
                                    m.getFailsafeMaxMs()),
                            m.getAssigned(),
                            m.getProblem(),
                            m.getFenceOwedSince()));
        }
        StoredHandover h = stored.getPending();
        return new GroupRecord(
                stored.getGroup(),
                stored.getMode(),
                stored.getEpoch(),
                members,
                h == null
                        ? null
                        : new Handover(
                                h.getFrom(),
                                h.getTo(),
                                h.getStandDownEpoch(),
                                h.getWhy(),
                                h.getCommandId(),
                                now.toMono(h.getSinceMs())),
                sentinel(stored.getPausedUntilMs())
                        ? stored.getPausedUntilMs()
                        : now.toMono(stored.getPausedUntilMs()));
    }

    private static boolean sentinel(long pausedUntilMs) {
        return pausedUntilMs == GroupRecord.NOT_PAUSED || pausedUntilMs == GroupRecord.PAUSED_INDEFINITELY;
    }
}
