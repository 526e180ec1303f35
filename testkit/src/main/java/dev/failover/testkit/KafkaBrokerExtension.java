package dev.failover.testkit;

import dev.failover.broker.KafkaBroker;
import dev.failover.broker.LocalKafkaBroker;
import java.util.Locale;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * JUnit extension behind {@link WithKafka}: starts one broker per test class on first use and stops it (and deletes
 * its data) when the class is done. Tests receive it as a {@link KafkaBroker} or {@link LocalKafkaBroker} parameter.
 * With the {@code container} provider and no Docker engine, the class is reported skipped, never failed.
 */
public final class KafkaBrokerExtension implements ParameterResolver, ExecutionCondition {

    public static final String PROVIDER_PROPERTY = "failover.test.kafka";

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(KafkaBrokerExtension.class);

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if ("container".equals(provider(classContext(context))) && !ContainerKafkaBroker.dockerAvailable()) {
            return ConditionEvaluationResult.disabled(
                    "no Docker engine answers here: the Testcontainers broker is skipped");
        }
        return ConditionEvaluationResult.enabled("broker provider " + provider(classContext(context)));
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == KafkaBroker.class || type == LocalKafkaBroker.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        ExtensionContext classContext = classContext(context);
        KafkaBroker broker = classContext
                .getStore(NAMESPACE)
                .computeIfAbsent("broker", key -> startBroker(provider(classContext)), KafkaBroker.class);
        if (parameter.getParameter().getType() == LocalKafkaBroker.class && !(broker instanceof LocalKafkaBroker)) {
            throw new ParameterResolutionException(
                    "this test needs a LocalKafkaBroker (kill/restart), but the provider gave "
                            + broker.getClass().getSimpleName());
        }
        return broker;
    }

    private static ExtensionContext classContext(ExtensionContext context) {
        ExtensionContext current = context;
        while (current.getTestMethod().isPresent() && current.getParent().isPresent()) {
            current = current.getParent().get();
        }
        return current;
    }

    private static String provider(ExtensionContext classContext) {
        String fromAnnotation = classContext
                .getTestClass()
                .flatMap(c -> AnnotationSupport.findAnnotation(c, WithKafka.class))
                .map(WithKafka::provider)
                .orElse("");
        String chosen = fromAnnotation.isEmpty() ? System.getProperty(PROVIDER_PROPERTY, "process") : fromAnnotation;
        return chosen.toLowerCase(Locale.ROOT);
    }

    private static KafkaBroker startBroker(String provider) {
        KafkaBroker broker = switch (provider) {
            case "process" -> temporaryBroker();
            case "container" -> ContainerKafkaBroker.create();
            default ->
                throw new ParameterResolutionException(
                        "unknown " + PROVIDER_PROPERTY + " '" + provider + "': use process or container");
        };
        try {
            broker.start();
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
        return broker;
    }

    /** A broker in a fresh temporary directory, deleted on close, given the scaled start deadline. */
    private static LocalKafkaBroker temporaryBroker() {
        try {
            return Brokers.builder()
                    .dataDir(java.nio.file.Files.createTempDirectory("failover-kafka-"))
                    .deleteDataOnClose(true)
                    .build();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot create a temporary directory for the broker", e);
        }
    }
}
