package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What the launcher ships (after {@code package}): {@code target/failover.jar}, {@code target/lib} and the agent's
 * {@code target/agent-lib} hold the local broker but no test support of ours or anyone's. Kafka's
 * {@code kafka-streams-test-utils} is the one exception, on purpose: {@code ctl replay} runs the real topology in its
 * TopologyTestDriver.
 */
class ShippedJarsIT {

    private static final Pattern TEST_SUPPORT = Pattern.compile(
            "failover-testkit.*|junit.*|opentest4j.*|testcontainers.*|selenium.*|archunit.*|mockito.*|assertj.*"
                    + "|jqwik.*|hamcrest.*|.*-tests\\.jar");

    @Test
    void theLaunchersClassPathHoldsTheLocalBrokerAndNoTestSupport() throws IOException {
        List<String> lib = names(Path.of("target", "lib"));
        assertTrue(lib.stream().anyMatch(n -> n.startsWith("failover-local-broker-")), "no local broker in " + lib);
        assertTrue(lib.stream().anyMatch(n -> n.startsWith("kafka_2.13-")), "no Kafka broker jar in " + lib);
        assertFalse(
                lib.stream().anyMatch(n -> TEST_SUPPORT.matcher(n).matches()),
                "test support shipped: "
                        + lib.stream()
                                .filter(n -> TEST_SUPPORT.matcher(n).matches())
                                .toList());
    }

    @Test
    void theAgentsClassPathHoldsNeitherTestSupportNorTheBroker() throws IOException {
        List<String> lib = names(Path.of("target", "agent-lib"));
        assertTrue(lib.stream().anyMatch(n -> n.startsWith("heartbeat-agent-")), "no agent in " + lib);
        assertFalse(
                lib.stream()
                        .anyMatch(n -> TEST_SUPPORT.matcher(n).matches()
                                || n.startsWith("failover-local-broker")
                                || n.startsWith("kafka_2.13")
                                || n.startsWith("failover-coordinator")),
                "the agent ships " + lib);
    }

    @Test
    void theLauncherJarHoldsOnlyTheLaunchersClasses() throws IOException {
        try (JarFile jar = new JarFile(Path.of("target", "failover.jar").toFile())) {
            List<String> classes = jar.stream()
                    .map(e -> e.getName())
                    .filter(n -> n.endsWith(".class"))
                    .toList();
            assertTrue(classes.stream().anyMatch(n -> n.equals("dev/failover/cli/FailoverCli.class")), "no launcher");
            assertFalse(
                    classes.stream().anyMatch(n -> !n.startsWith("dev/failover/cli/")),
                    "classes from elsewhere: "
                            + classes.stream()
                                    .filter(n -> !n.startsWith("dev/failover/cli/"))
                                    .toList());
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
