package dev.failover.testkit;

import dev.failover.broker.KafkaBroker;
import dev.failover.broker.LocalKafkaBroker;
import java.util.OptionalLong;
import org.opentest4j.TestAbortedException;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The same broker contract on Testcontainers' {@code apache/kafka} image, for machines with a Docker engine. Where
 * none runs, {@link #create()} aborts the test (JUnit reports it skipped, never failed).
 *
 * <p>IMPORTANT: a container gets new host ports when it is started again, so {@link #start()} after
 * {@link #stop()} or {@link #kill()} is refused: tests that restart the broker need {@link LocalKafkaBroker}.
 */
public final class ContainerKafkaBroker implements KafkaBroker {

    public static final String IMAGE = "apache/kafka:4.4.0";

    private final KafkaContainer container;
    private boolean everStarted;

    private ContainerKafkaBroker(KafkaContainer container) {
        this.container = container;
    }

    /** A container broker, or an aborted (skipped) test when no Docker engine answers. */
    public static ContainerKafkaBroker create() {
        if (!dockerAvailable()) {
            throw new TestAbortedException("no Docker engine answers here: the Testcontainers broker is skipped");
        }
        return new ContainerKafkaBroker(new KafkaContainer(IMAGE));
    }

    public static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public String bootstrapServers() {
        return container.getBootstrapServers();
    }

    @Override
    public synchronized void start() {
        if (everStarted) {
            throw new TestAbortedException("a container broker cannot be restarted on the same ports");
        }
        everStarted = true;
        container.start();
    }

    @Override
    public void stop() {
        container.stop();
    }

    @Override
    public void kill() {
        if (container.isRunning()) {
            container
                    .getDockerClient()
                    .killContainerCmd(container.getContainerId())
                    .withSignal("KILL")
                    .exec();
        }
    }

    @Override
    public boolean isRunning() {
        return container.isRunning();
    }

    @Override
    public OptionalLong pid() {
        return OptionalLong.empty();
    }

    @Override
    public void close() {
        container.close();
    }
}
