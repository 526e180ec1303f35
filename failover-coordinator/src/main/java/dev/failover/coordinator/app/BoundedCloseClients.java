package dev.failover.coordinator.app;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaClientSupplier;

/**
 * The clients Kafka Streams would make itself, except that a producer's {@code close()} gives up after
 * {@link #PRODUCER_CLOSE}. Streams closes a fenced thread producer with the unbounded {@code close()} before it makes a
 * new one (exactly-once v2, after a broker restart aborted its transaction); a close that never returns leaves the
 * stream thread stuck while its consumer keeps heartbeating, so its tasks, and the groups in them, never move to
 * another instance. A fenced producer's unsent records are worthless (its transaction is aborted), so dropping them
 * after a bound loses nothing.
 */
final class BoundedCloseClients implements KafkaClientSupplier {

    static final Duration PRODUCER_CLOSE = Duration.ofSeconds(5);

    @Override
    public Admin getAdmin(Map<String, Object> config) {
        return Admin.create(config);
    }

    @Override
    public Producer<byte[], byte[]> getProducer(Map<String, Object> config) {
        return new BoundedCloseProducer(config);
    }

    @Override
    public Consumer<byte[], byte[]> getConsumer(Map<String, Object> config) {
        return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @Override
    public Consumer<byte[], byte[]> getRestoreConsumer(Map<String, Object> config) {
        return getConsumer(config);
    }

    @Override
    public Consumer<byte[], byte[]> getGlobalConsumer(Map<String, Object> config) {
        return getConsumer(config);
    }

    static final class BoundedCloseProducer extends KafkaProducer<byte[], byte[]> {

        BoundedCloseProducer(Map<String, Object> config) {
            super(config, new ByteArraySerializer(), new ByteArraySerializer());
        }

        @Override
        public void close() {
            close(PRODUCER_CLOSE);
        }
    }
}
