package dev.failover.coordinator.app;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.failover.broker.LocalKafkaBroker;
import dev.failover.testkit.Signals;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;

/**
 * The coordinator's producers give up closing after a bound when the broker does not answer, instead of waiting for
 * their unsent records for as long as the delivery timeout (2 minutes by default) or, in Streams' fenced-producer
 * path, for ever. A real broker, frozen with SIGSTOP so that connections stay open and nothing is answered.
 */
class BoundedCloseClientsIT {

    @Test
    void closingAProducerWhoseBrokerIsFrozenReturnsAndDropsWhatWasNotSent() throws Exception {
        try (LocalKafkaBroker broker = LocalKafkaBroker.temporary()) {
            broker.start();
            Producer<byte[], byte[]> producer = new BoundedCloseClients()
                    .getProducer(Map.of(
                            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                            broker.bootstrapServers(),
                            ProducerConfig.CLIENT_ID_CONFIG,
                            "bounded-close-test"));
            producer.send(new ProducerRecord<>("bounded-close", new byte[] {1})).get(); // metadata known, connected
            long pid = broker.pid().orElseThrow();
            Signals.send(pid, "STOP");
            try {
                Future<RecordMetadata> stuck = producer.send(new ProducerRecord<>("bounded-close", new byte[] {2}));
                // a plain KafkaProducer waits here until delivery.timeout.ms (120 s) has passed
                assertTimeoutPreemptively(
                        BoundedCloseClients.PRODUCER_CLOSE.multipliedBy(4),
                        () -> producer.close(),
                        "close() must give up after " + BoundedCloseClients.PRODUCER_CLOSE);
                assertThrows(ExecutionException.class, stuck::get, "the unsent record is dropped, not delivered");
            } finally {
                Signals.send(pid, "CONT");
            }
        }
    }
}
