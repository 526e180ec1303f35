package dev.failover.wire.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.wire.Command;
import dev.failover.wire.CommandType;
import dev.failover.wire.DecisionKind;
import dev.failover.wire.GroupMode;
import dev.failover.wire.Health;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.Role;
import dev.failover.wire.RoleChange;
import dev.failover.wire.WireSerdes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class FailoverRecordFormatterTest {

    private final FailoverRecordFormatter formatter = new FailoverRecordFormatter();

    private String format(String topic, String key, byte[] value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        formatter.writeTo(
                new ConsumerRecord<>(topic, 2, 41, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value),
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(1, out.lines().count(), "one line per record: " + out);
        return out.strip();
    }

    @Test
    void printsEachRecordTypeAsOneJsonLineNamingItsType() {
        Heartbeat beat = Heartbeat.newBuilder()
                .setGroup("orders")
                .setNode("alpha")
                .setSequence(1)
                .setIncarnation(2)
                .setSentAtMs(3)
                .setHealth(Health.HEALTHY)
                .setRole(Role.ACTIVE)
                .setEpoch(4)
                .setMode(GroupMode.ACTIVE_PASSIVE)
                .setPriority(5)
                .setHeartbeatIntervalMs(200)
                .setLeaseMs(800)
                .setFailureTimeoutMs(1000)
                .build();
        String line =
                format("failover.heartbeats", "orders", WireSerdes.heartbeat().serialize("t", beat));
        assertTrue(line.startsWith("{\"topic\":\"failover.heartbeats\",\"partition\":2,\"offset\":41"), line);
        assertTrue(line.contains("\"key\":\"orders\",\"type\":\"Heartbeat\",\"value\":{"), line);
        assertTrue(line.contains("\"node\": \"alpha\"") && line.contains("\"role\": \"ACTIVE\""), line);

        RoleChange change = RoleChange.newBuilder()
                .setGroup("orders")
                .setEpoch(9)
                .setMode(GroupMode.ACTIVE_PASSIVE)
                .setDecidedAtMs(1)
                .setKind(DecisionKind.FAILOVER)
                .setMembers(List.of())
                .setReason("promoted beta: alpha silent for 1012 ms > timeout 1000 ms")
                .setCommandId(null)
                .build();
        line = format("failover.role-changes", "orders", WireSerdes.roleChange().serialize("t", change));
        assertTrue(line.contains("\"type\":\"RoleChange\"") && line.contains("alpha silent for 1012 ms"), line);

        Command command = Command.newBuilder()
                .setGroup("orders")
                .setCommandId("c1")
                .setIssuedAtMs(1)
                .setType(CommandType.PAUSE)
                .setTargetNode(null)
                .setPauseForMs(null)
                .setIssuedBy(null)
                .build();
        line = format("failover.commands", "orders", WireSerdes.command().serialize("t", command));
        assertTrue(line.contains("\"type\":\"Command\"") && line.contains("\"PAUSE\""), line);

        line = format(
                "failover.heartbeats",
                "__fence/2",
                WireSerdes.fence().serialize("t", dev.failover.wire.FenceMarker.body("coordinator-1", 7, 100, 250)));
        assertTrue(line.contains("\"type\":\"Fence\"") && line.contains("\"instance\": \"coordinator-1\""), line);
    }

    @Test
    void saysWhatIsWrongWithAMalformedRecordInsteadOfStopping() {
        String garbage = format("failover.heartbeats", "orders", "hello".getBytes(StandardCharsets.UTF_8));
        assertTrue(garbage.contains("\"error\":\"") && garbage.contains("not the Avro single-object marker"), garbage);
        byte[] valid = WireSerdes.command()
                .serialize(
                        "t",
                        Command.newBuilder()
                                .setGroup("g")
                                .setCommandId("c")
                                .setIssuedAtMs(1)
                                .setType(CommandType.RESUME)
                                .setTargetNode(null)
                                .setPauseForMs(null)
                                .setIssuedBy(null)
                                .build());
        String cut = format("failover.commands", "g", Arrays.copyOf(valid, valid.length - 2));
        assertTrue(cut.contains("cannot decode Command") && cut.contains("does not decode"), cut);
        byte[] unknown = valid.clone();
        unknown[4] ^= 0x7F;
        String foreign = format("failover.commands", "g", unknown);
        assertTrue(foreign.contains("no released version of any failover record"), foreign);
    }

    @Test
    void aTombstoneHasANullValue() {
        assertTrue(format("failover.state", "orders", null).endsWith("\"key\":\"orders\",\"value\":null}"));
    }
}
