package dev.failover.coordinator.streams;

import dev.failover.wire.FenceMarker;
import dev.failover.wire.TopicNames;
import dev.failover.wire.Topics;
import dev.failover.wire.WireSerdes;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.state.Stores;

/**
 * The coordinator's topology: heartbeats and commands (co-partitioned by group) into one processor with the
 * changelogged group store; role changes, current state, dead letters and fence markers out. Values stay bytes
 * up to the processor, so a bad record is dead-lettered there with its reason instead of failing the source.
 */
public final class CoordinatorTopology {

    private CoordinatorTopology() {}

    public static Topology build(ShellSettings settings, ShellStats stats) {
        return build(settings, stats, java.util.function.UnaryOperator.identity());
    }

    /**
     * The topology with each coordinator processor passed through {@code wrap}: the seam a test uses to inject a
     * processor fault (a crash loop) into a real instance. Production uses the processor as it is.
     */
    public static Topology build(
            ShellSettings settings,
            ShellStats stats,
            java.util.function.UnaryOperator<Processor<String, byte[], String, byte[]>> wrap) {
        return build(settings, stats, wrap, () -> System.nanoTime() / 1_000_000);
    }

    /** The topology on the given monotonic clock (ms): the seam a test uses to step the wall clock alone. */
    public static Topology build(
            ShellSettings settings,
            ShellStats stats,
            java.util.function.UnaryOperator<Processor<String, byte[], String, byte[]>> wrap,
            java.util.function.LongSupplier monotonicMs) {
        TopicNames topics = settings.topics();
        Topology topology = new Topology();
        topology.addSource(
                "heartbeats-source", new StringDeserializer(), new ByteArrayDeserializer(), topics.heartbeats());
        topology.addSource("commands-source", new StringDeserializer(), new ByteArrayDeserializer(), topics.commands());
        CommitPacer pacer = new CommitPacer(); // one per instance: it keeps each stream thread's last request
        topology.addProcessor(
                "coordinator",
                () -> wrap.apply(new CoordinatorProcessor(settings, stats, monotonicMs, pacer)),
                "heartbeats-source",
                "commands-source");
        // In memory with a changelog: a few hundred bytes per group, written only when durable facts change.
        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(Topics.GROUP_STORE), Serdes.String(), WireSerdes.storedGroup()),
                "coordinator");
        topology.addSink(
                CoordinatorProcessor.ROLE_CHANGES_SINK,
                topics.roleChanges(),
                new StringSerializer(),
                new ByteArraySerializer(),
                "coordinator");
        topology.addSink(
                CoordinatorProcessor.STATE_SINK,
                topics.state(),
                new StringSerializer(),
                new ByteArraySerializer(),
                "coordinator");
        topology.addSink(
                CoordinatorProcessor.DEAD_LETTER_SINK,
                topics.deadLetters(),
                new StringSerializer(),
                new ByteArraySerializer(),
                "coordinator");
        topology.addSink(
                CoordinatorProcessor.FENCE_SINK,
                topics.heartbeats(),
                new StringSerializer(),
                new ByteArraySerializer(),
                fencePartitioner(),
                "coordinator");
        return topology;
    }

    /** A fence marker goes to the partition named in its key: the writing task's own heartbeat partition. */
    static StreamPartitioner<String, byte[]> fencePartitioner() {
        return (topic, key, value, numPartitions) -> Optional.of(Set.of(FenceMarker.partition(key)));
    }
}
