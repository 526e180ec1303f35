package dev.failover.cli;

import static dev.failover.testkit.AvroBytes.concat;
import static dev.failover.testkit.AvroBytes.varint;

import dev.failover.wire.AvroSerde;
import dev.failover.wire.Command;
import dev.failover.wire.CommandType;
import dev.failover.wire.GroupMode;
import dev.failover.wire.Health;
import dev.failover.wire.Heartbeat;
import dev.failover.wire.Role;
import dev.failover.wire.Topics;
import dev.failover.wire.WireSerdes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Every kind of malformed record, for every topic the processes read, as an outsider with a plain producer would
 * write them: garbage, a cut header, a header of the right type with a body that declares two gigabytes (or a
 * negative length, or random bytes), a record of another type, an unknown schema fingerprint, a value of almost a
 * megabyte (100 kB on the role-change topic, see {@link #ROLE_FEED_LARGE}), a tombstone, a record keyed by another
 * group, a valid record of the group in another partition than its key's, a heartbeat with no node, and a fence
 * marker from an instance that does not exist.
 */
final class HostileRecords {

    /**
     * The largest value written to the role-change topic. A record of almost a megabyte there made a primary's lease
     * lapse on this loaded 2-core machine while its feed check waited behind the feed's fetch on one connection; the
     * check has a connection of its own now (RoleFeed's checker), and this stays below the agent's fetch size.
     */
    static final int ROLE_FEED_LARGE = 100_000;

    /** The key of the records written under another group's key. */
    static final String ANOTHER_GROUP = "another-group";

    /** What was written where, so a test can tell what each reader must have refused. */
    record Written(int toCoordinator, int forgedFenceMarkers, int roleChangesOfTheGroup, int statesOfTheGroup) {}

    private HostileRecords() {}

    static Written writeAll(String bootstrap, String group) {
        Random random = new Random(20261201);
        int toCoordinator = 0;
        int roleChanges = 0;
        int states = 0;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                        1_048_576),
                new StringSerializer(),
                new ByteArraySerializer())) {
            for (String topic : List.of(Topics.HEARTBEATS, Topics.COMMANDS, Topics.ROLE_CHANGES, Topics.STATE)) {
                byte[] header = headerFor(topic);
                List<byte[]> values = new ArrayList<>(List.of(
                        "not avro at all".getBytes(),
                        new byte[] {(byte) 0xC3, 0x01, 0x11, 0x22},
                        concat(header, varint(1L << 30), "g".getBytes()),
                        concat(header, varint(-5), "g".getBytes()),
                        concat(header, randomBytes(random, 40)),
                        concat(new byte[] {(byte) 0xC3, 0x01}, randomBytes(random, 8), randomBytes(random, 20)),
                        concat(header, new byte[topic.equals(Topics.ROLE_CHANGES) ? ROLE_FEED_LARGE : 1_000_000])));
                values.add(otherTypeThan(topic, group));
                for (byte[] value : values) {
                    producer.send(new ProducerRecord<>(topic, group, value));
                }
                producer.send(new ProducerRecord<>(topic, group, null));
                int sent = values.size() + 1;
                if (topic.equals(Topics.HEARTBEATS) || topic.equals(Topics.COMMANDS)) {
                    byte[] valid = topic.equals(Topics.HEARTBEATS)
                            ? beat(group, "alpha")
                            : WireSerdes.command().serialize(topic, pause(group));
                    producer.send(new ProducerRecord<>(topic, ANOTHER_GROUP, valid));
                    // well formed and keyed by the group, but in another partition: a second copy of the group there
                    int partitions = producer.partitionsFor(topic).size();
                    if (partitions < 2) {
                        throw new IllegalStateException(topic + " has one partition: no record can be misplaced");
                    }
                    int belongs =
                            org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
                                            group.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                                    % partitions;
                    byte[] shadow = topic.equals(Topics.HEARTBEATS) ? beat(group, "shadow") : valid;
                    producer.send(new ProducerRecord<>(topic, (belongs + 1) % partitions, group, shadow));
                    sent += 2;
                    toCoordinator += sent;
                } else if (topic.equals(Topics.ROLE_CHANGES)) {
                    roleChanges += sent - 1; // a tombstone is no record of the group to decode
                } else {
                    states += sent - 1;
                }
            }
            producer.send(new ProducerRecord<>(Topics.HEARTBEATS, group, beat(group, "")));
            toCoordinator++;
            for (int partition = 0; partition < 6; partition++) {
                producer.send(new ProducerRecord<>(
                        Topics.HEARTBEATS, "__fence/" + partition, beat("__fence", "an-instance-that-does-not-exist")));
            }
            producer.flush();
        }
        return new Written(toCoordinator, 6, roleChanges, states);
    }

    private static byte[] headerFor(String topic) {
        byte[] valid = switch (topic) {
            case Topics.HEARTBEATS -> beat("g", "n");
            case Topics.COMMANDS -> WireSerdes.command().serialize(topic, pause("g"));
            case Topics.ROLE_CHANGES, Topics.STATE -> {
                AvroSerde<?> serde = topic.equals(Topics.STATE) ? WireSerdes.groupState() : WireSerdes.roleChange();
                yield Arrays.copyOf(concat(new byte[] {(byte) 0xC3, 0x01}, fingerprint(serde)), 10);
            }
            default -> throw new IllegalArgumentException(topic);
        };
        return Arrays.copyOf(valid, 10);
    }

    private static byte[] fingerprint(AvroSerde<?> serde) {
        long f = dev.failover.wire.WireType.fingerprint(serde.type().currentSchema());
        byte[] out = new byte[8];
        for (int i = 0; i < 8; i++) {
            out[i] = (byte) (f >>> (8 * i));
        }
        return out;
    }

    /** A well-formed record of a type the topic does not carry. */
    private static byte[] otherTypeThan(String topic, String group) {
        return topic.equals(Topics.HEARTBEATS) ? WireSerdes.command().serialize(topic, pause(group)) : beat(group, "x");
    }

    private static byte[] beat(String group, String node) {
        return WireSerdes.heartbeat()
                .serialize(
                        Topics.HEARTBEATS,
                        Heartbeat.newBuilder()
                                .setGroup(group)
                                .setNode(node)
                                .setSequence(0)
                                .setIncarnation(1)
                                .setSentAtMs(0)
                                .setHealth(Health.HEALTHY)
                                .setRole(Role.STANDBY)
                                .setEpoch(0)
                                .setMode(GroupMode.ACTIVE_PASSIVE)
                                .setPriority(1)
                                .setHeartbeatIntervalMs(200)
                                .setLeaseMs(800)
                                .setFailureTimeoutMs(1000)
                                .build());
    }

    private static Command pause(String group) {
        return Command.newBuilder()
                .setGroup(group)
                .setCommandId("hostile-1")
                .setIssuedAtMs(0)
                .setType(CommandType.PAUSE)
                .setTargetNode(null)
                .setPauseForMs(null)
                .setIssuedBy("mallory")
                .build();
    }

    private static byte[] randomBytes(Random random, int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return bytes;
    }
}
