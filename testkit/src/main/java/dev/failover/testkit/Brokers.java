package dev.failover.testkit;

import dev.failover.broker.LocalKafkaBroker;
import java.time.Duration;

/** Local brokers for tests: the product's {@link LocalKafkaBroker}, its start deadline scaled as every test deadline. */
public final class Brokers {

    /** The product's default start deadline, before scaling. */
    public static final Duration START = Duration.ofSeconds(60);

    private Brokers() {}

    /** A builder whose start deadline is {@link #START} scaled by {@value Await#FACTOR_PROPERTY}. */
    public static LocalKafkaBroker.Builder builder() {
        return LocalKafkaBroker.builder().startTimeout(Await.scaled(START));
    }
}
