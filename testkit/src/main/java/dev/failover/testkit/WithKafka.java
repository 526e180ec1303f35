package dev.failover.testkit;

import dev.failover.broker.KafkaBroker;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Hands the test class a running {@link KafkaBroker} as a parameter (constructor, lifecycle or test method), one
 * per test class. Which broker: {@link #provider()}, else the system property {@value KafkaBrokerExtension#PROVIDER_PROPERTY}
 * ({@code process}, the default, or {@code container}).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(KafkaBrokerExtension.class)
public @interface WithKafka {

    /** {@code process}, {@code container}, or empty for the system property's choice. */
    String provider() default "";
}
