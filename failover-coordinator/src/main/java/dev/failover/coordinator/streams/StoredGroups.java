package dev.failover.coordinator.streams;

import dev.failover.coordinator.core.GroupRecord;
import dev.failover.coordinator.core.Handover;
import dev.failover.coordinator.core.Member;
import dev.failover.coordinator.core.Timing;
import dev.failover.wire.StoredGroup;
import dev.failover.wire.StoredHandover;
import dev.failover.wire.StoredMember;
import java.util.TreeMap;

/** Converts the decider's durable {@link GroupRecord} to and from its changelogged Avro form. */
final class StoredGroups {

    private StoredGroups() {
    }

    static StoredGroup toStored(GroupRecord record) {
        Handover h = record.pending();
        return StoredGroup.newBuilder()
                .setGroup(record.group()).setMode(record.mode()).setEpoch(record.epoch())
                .setMembers(record.members().values().stream().map(m -> StoredMember.newBuilder()
                        .setNode(m.node()).setPriority(m.priority())
                        .setHeartbeatIntervalMs(m.timing().heartbeatIntervalMs()).setLeaseMs(m.timing().leaseMs())
                        .setFailureTimeoutMs(m.timing().failureTimeoutMs()).setAssigned(m.assigned())
                        .setProblem(m.problem()).build()).toList())
                .setPending(h == null ? null : StoredHandover.newBuilder().setFrom(h.from()).setTo(h.to())
                        .setStandDownEpoch(h.standDownEpoch()).setWhy(h.why()).setCommandId(h.commandId())
                        .setSinceMs(h.sinceMs()).build())
                .setPausedUntilMs(record.pausedUntilMs())
                .build();
    }

    static GroupRecord fromStored(StoredGroup stored) {
        TreeMap<String, Member> members = new TreeMap<>();
        for (StoredMember m : stored.getMembers()) {
            members.put(m.getNode(), new Member(m.getNode(), m.getPriority(),
                    new Timing(m.getHeartbeatIntervalMs(), m.getLeaseMs(), m.getFailureTimeoutMs()), m.getAssigned(),
                    m.getProblem()));
        }
        StoredHandover h = stored.getPending();
        return new GroupRecord(stored.getGroup(), stored.getMode(), stored.getEpoch(), members,
                h == null ? null : new Handover(h.getFrom(), h.getTo(), h.getStandDownEpoch(), h.getWhy(),
                        h.getCommandId(), h.getSinceMs()),
                stored.getPausedUntilMs());
    }
}
