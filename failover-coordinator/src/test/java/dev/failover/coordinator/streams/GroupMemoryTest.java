package dev.failover.coordinator.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.coordinator.core.GroupRecord;
import dev.failover.coordinator.core.Member;
import dev.failover.wire.Command;
import dev.failover.wire.CommandType;
import dev.failover.wire.GroupMode;
import dev.failover.wire.Role;
import dev.failover.wire.Timing;
import dev.failover.wire.WireSerdes;
import dev.failover.wire.sign.RecordSigner;
import dev.failover.wire.sign.RecordVerifier;
import dev.failover.wire.sign.SigningKeys;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The replay guards travel with the group through its changelogged record, to the instance that holds it next. */
class GroupMemoryTest {

    private static final long WALL = 1_800_000_000_000L;
    private static final Now NOW = new Now(5_000, WALL);

    private static GroupRecord orders() {
        return GroupRecord.empty("orders", GroupMode.ACTIVE_PASSIVE)
                .withMember(new Member("alpha", 100, new Timing(200, 800, 1000, 0), Role.ACTIVE, null))
                .withMember(new Member("beta", 10, new Timing(200, 800, 1000, 0), Role.STANDBY, null));
    }

    /** Through the store's serde, as the changelog carries it to the next owner of the task. */
    private static GroupMemory moved(GroupRecord record, GroupMemory memory) {
        byte[] bytes = WireSerdes.storedGroup().serialize("changelog", StoredGroups.toStored(record, NOW, memory));
        return StoredGroups.memoryFromStored(WireSerdes.storedGroup().deserialize("changelog", bytes));
    }

    @Test
    void answeredCommandsAndAcceptedIncarnationsAreStoredWithTheGroupAndOnlyForAsLongAsTheyMatter() {
        GroupMemory memory = new GroupMemory();
        assertFalse(memory.dirty());
        memory.answer("c-1", WALL + 120_000);
        memory.accepted("alpha", 42);
        memory.accepted("alpha", 41); // an older run changes nothing
        memory.accepted("gone", 7);
        memory.retain(Set.of("alpha", "beta"));
        assertTrue(memory.dirty());

        GroupMemory next = moved(orders(), memory);
        assertFalse(next.dirty(), "as read from the store");
        assertTrue(next.answered("c-1", WALL + 120_000), "remembered until its issue time plus the maximum age");
        assertEquals(42, next.incarnation("alpha"));
        assertEquals(Long.MIN_VALUE, next.incarnation("beta"), "nothing accepted of it");
        assertEquals(Long.MIN_VALUE, next.incarnation("gone"), "a forgotten member is not stored");
        assertFalse(next.answered("c-1", WALL + 120_001), "then forgotten: a copy is too old anyway");
        assertTrue(next.answeredIds().isEmpty());
    }

    @Test
    void aSignedCommandAnsweredByOneInstanceIsRefusedAsACopyByTheNext(@TempDir Path keys) throws Exception {
        SigningKeys.generate(keys, "operator");
        RecordSigner operator = RecordSigner.load(keys.resolve("operator.key"));
        RecordVerifier trusted = new RecordVerifier(List.of(SigningKeys.loadPublic(keys.resolve("operator.pub"))));
        Command pause = Command.newBuilder()
                .setGroup("orders")
                .setCommandId("c-pause")
                .setIssuedAtMs(WALL)
                .setType(CommandType.PAUSE)
                .setTargetNode(null)
                .setPauseForMs(null)
                .setIssuedBy("ops")
                .build();
        byte[] value = WireSerdes.command().serialize("commands", pause);
        var headers = operator.signCommand("orders", value, 3, new RecordHeaders());

        GroupMemory first = new GroupMemory();
        assertNull(new CommandGate(trusted, 120_000).refusal("orders", value, headers, pause, 3, WALL + 10, first));
        GroupMemory afterMove = moved(orders(), first);
        String refusal =
                new CommandGate(trusted, 120_000).refusal("orders", value, headers, pause, 3, WALL + 20, afterMove);
        assertTrue(refusal != null && refusal.contains("c-pause was already answered"), String.valueOf(refusal));

        String before = new CommandGate(trusted, 120_000)
                .refusal("orders", value, headers, pause, 3, WALL + 20, new GroupMemory());
        assertNull(before, "without the stored memory the copy would pass: PAUSE keeps the epoch");
    }

    @Test
    void atMostAThousandAnswersAreKeptPerGroup() {
        GroupMemory memory = new GroupMemory();
        for (int i = 0; i < GroupMemory.MAX_ANSWERED + 5; i++) {
            memory.answer("c-" + i, WALL + 120_000);
        }
        assertEquals(GroupMemory.MAX_ANSWERED, memory.answeredIds().size());
        assertFalse(memory.answered("c-0", WALL), "the oldest went first");
        assertTrue(memory.answered("c-" + (GroupMemory.MAX_ANSWERED + 4), WALL));
    }
}
