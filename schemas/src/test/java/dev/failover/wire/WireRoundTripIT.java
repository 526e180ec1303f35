package dev.failover.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.failover.broker.KafkaBroker;
import dev.failover.testkit.Await;
import dev.failover.testkit.WithKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Every record type through a real broker with the project's serdes, keyed by group id as plain UTF-8. */
@WithKafka
class WireRoundTripIT {

    private final KafkaBroker broker;

    WireRoundTripIT(KafkaBroker broker) {
        this.broker = broker;
        System.out.printf("WireRoundTripIT against %s (pid %s)%n", broker.bootstrapServers(), broker.pid());
    }

    @Test
    void everyRecordTypeCrossesTheBrokerUnchanged() {
        assertCrosses(Topics.HEARTBEATS, WireSerdes.heartbeat(), WireSamples.heartbeat());
        assertCrosses(Topics.ROLE_CHANGES, WireSerdes.roleChange(), WireSamples.roleChange());
        assertCrosses(Topics.STATE, WireSerdes.groupState(), WireSamples.groupState());
        assertCrosses(Topics.COMMANDS, WireSerdes.command(), WireSamples.command());
    }

    @Test
    void aConsumerMeetingGarbageGetsTheWireErrorAndCanSkipIt() {
        String topic = "garbage-" + System.nanoTime();
        try (var producer = producer(new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "orders-db", "not avro".getBytes()));
            producer.send(new ProducerRecord<>(
                    topic, "orders-db", WireSerdes.heartbeat().serialize(topic, WireSamples.heartbeat())));
            producer.flush();
        }
        try (var consumer = consumer(WireSerdes.heartbeat())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            RecordDeserializationException bad =
                    Await.value(Duration.ofSeconds(20), "the bad record to surface", () -> {
                        try {
                            consumer.poll(Duration.ofMillis(200));
                            return null;
                        } catch (RecordDeserializationException e) {
                            return e;
                        }
                    });
            assertEquals(0, bad.offset());
            WireFormatException cause = assertInstanceOf(WireFormatException.class, bad.getCause());
            assertEquals(WireFormatException.Problem.NOT_SINGLE_OBJECT_ENCODING, cause.problem());
            assertEquals(topic, cause.topic());

            consumer.seek(partition, bad.offset() + 1);
            List<Heartbeat> rest = pollUntil(consumer, 1);
            assertEquals(List.of(WireSamples.heartbeat()), rest);
        }
    }

    private <T extends SpecificRecordBase> void assertCrosses(String baseTopic, AvroSerde<T> serde, T record) {
        String topic = baseTopic + "-" + System.nanoTime();
        String group = WireSamples.heartbeat().getGroup();
        try (var producer = producer(serde)) {
            producer.send(new ProducerRecord<>(topic, group, record));
            producer.send(new ProducerRecord<>(topic, group, null));
            producer.flush();
        }
        try (var consumer = consumer(serde)) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            consumer.seekToBeginning(consumer.assignment());
            List<ConsumerRecord<String, T>> seen = new ArrayList<>();
            Await.until(Duration.ofSeconds(20), "2 records on " + topic, () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
                return seen.size() >= 2;
            });
            assertEquals(group, seen.get(0).key());
            assertEquals(record, seen.get(0).value());
            assertNull(seen.get(1).value(), "a tombstone stays a tombstone");
        }
    }

    private <T> List<T> pollUntil(KafkaConsumer<String, T> consumer, int count) {
        List<T> seen = new ArrayList<>();
        Await.until(Duration.ofSeconds(20), count + " records", () -> {
            consumer.poll(Duration.ofMillis(200)).forEach(r -> seen.add(r.value()));
            return seen.size() >= count;
        });
        return seen;
    }

    private <V> KafkaProducer<String, V> producer(Serializer<V> values) {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        broker.bootstrapServers(),
                        ProducerConfig.ACKS_CONFIG,
                        "all"),
                new StringSerializer(),
                values);
    }

    private <V> KafkaConsumer<String, V> consumer(org.apache.kafka.common.serialization.Deserializer<V> values) {
        return new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        broker.bootstrapServers(),
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest"),
                new StringDeserializer(),
                values);
    }
}
