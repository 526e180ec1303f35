package dev.failover.broker;

import java.util.OptionalLong;

/**
 * A Kafka broker that a test or a user can start, stop, kill and restart. Implementations: {@link LocalKafkaBroker}
 * (a real KRaft broker as its own JVM process, no Docker needed), {@link LocalKafkaCluster}, and the test kit's
 * {@code ContainerKafkaBroker} (Testcontainers' {@code apache/kafka} image, where a Docker engine runs).
 */
public interface KafkaBroker extends AutoCloseable {

    /** {@code host:port} for clients. Stays the same across restarts. */
    String bootstrapServers();

    /** Starts the broker, or restarts it on the same data, and returns once a client sees it. */
    void start();

    /** Stops the broker gracefully (SIGTERM, controlled shutdown) and waits until it is gone. */
    void stop();

    /** Kills the broker at once (SIGKILL): no controlled shutdown, no flush. */
    void kill();

    boolean isRunning();

    /** The broker's OS process id while it runs, where there is one to name. */
    OptionalLong pid();

    /** Stops the broker if it runs and frees what it holds. */
    @Override
    void close();
}
