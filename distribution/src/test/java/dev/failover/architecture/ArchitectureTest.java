package dev.failover.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.time.Clock;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDateTime;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering rules of docs/ARCHITECTURE.md, checked on the product's classes (every module's main classes, nothing
 * from test sources or the test kit), and each shown to fail on a class written to break it
 * ({@code dev.failover.architecture.violations}).
 */
class ArchitectureTest {

    /** The product: our packages, from main class directories and jars only. */
    private static JavaClasses product;

    @BeforeAll
    static void importProduct() {
        product = new ClassFileImporter()
                .withImportOption(ArchitectureTest::isProduct)
                .importPackages("dev.failover");
    }

    static boolean isProduct(Location location) {
        return !location.contains("/test-classes/")
                && !location.contains("-tests.jar")
                && !location.contains("/testkit/")
                && !location.contains("failover-testkit");
    }

    /** A core decides from what it is given: no Kafka, no I/O, no logging, no threads, no clock of its own. */
    static final ArchRule CORES_ARE_PURE = noClasses()
            .that()
            .resideInAPackage("dev.failover..core..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                    "org.apache.kafka..",
                    "java.io..",
                    "java.nio..",
                    "java.net..",
                    "java.util.concurrent..",
                    "org.slf4j..",
                    "io.micrometer..",
                    "javax..")
            .orShould()
            .dependOnClassesThat()
            .belongToAnyOf(Clock.class, InstantSource.class)
            .orShould()
            .callMethod(System.class, "currentTimeMillis")
            .orShould()
            .callMethod(System.class, "nanoTime")
            .orShould()
            .callMethod(Instant.class, "now")
            .orShould()
            .callMethod(LocalDateTime.class, "now")
            .orShould()
            .callMethod(Thread.class, "sleep", long.class)
            .because("a core is a pure function of its input and the time it is handed");

    /**
     * A core takes its own small records, translated in its shell: it reads no record format (no Avro record class;
     * the wire's enums, plain values, are shared).
     */
    static final ArchRule CORES_TAKE_THEIR_OWN_RECORDS = noClasses()
            .that()
            .resideInAPackage("dev.failover..core..")
            .should()
            .dependOnClassesThat()
            .areAssignableTo(org.apache.avro.specific.SpecificRecord.class)
            .because("the shell translates the wire's records, so a change of format never reaches a decision");

    /** Packages form no cycle: every arrow goes one way, so a package can be read, tested and moved alone. */
    static final ArchRule NO_PACKAGE_CYCLES =
            slices().matching("dev.failover.(**)").should().beFreeOfCycles();

    /** The launcher talks to the coordinator through its app and replay packages, never its Kafka Streams shell. */
    static final ArchRule CLI_STAYS_OUT_OF_THE_STREAMS_SHELL = noClasses()
            .that()
            .resideInAPackage("dev.failover.cli..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("dev.failover.coordinator.streams..");

    /** Product code needs no test support: the test kit, JUnit, Testcontainers and Selenium stay off its class path. */
    static final ArchRule NO_TEST_SUPPORT_IN_THE_PRODUCT = noClasses()
            .that()
            .resideInAPackage("dev.failover..")
            .and()
            .resideOutsideOfPackage("dev.failover.testkit..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                    "dev.failover.testkit..",
                    "org.junit..",
                    "org.opentest4j..",
                    "org.testcontainers..",
                    "org.openqa..");

    /** The protocol module depends on no other module; the local broker on none either; each side only on the protocol. */
    static final List<ArchRule> MODULE_ARROWS = List.of(
                    noClasses()
                            .that()
                            .resideInAPackage("dev.failover.wire..")
                            .should()
                            .dependOnClassesThat()
                            .resideInAnyPackage(
                                    "dev.failover.coordinator..",
                                    "dev.failover.agent..",
                                    "dev.failover.cli..",
                                    "dev.failover.broker.."),
                    noClasses()
                            .that()
                            .resideInAPackage("dev.failover.broker..")
                            .should()
                            .dependOnClassesThat()
                            .resideInAnyPackage(
                                    "dev.failover.wire..",
                                    "dev.failover.coordinator..",
                                    "dev.failover.agent..",
                                    "dev.failover.cli.."),
                    noClasses()
                            .that()
                            .resideInAPackage("dev.failover.coordinator..")
                            .should()
                            .dependOnClassesThat()
                            .resideInAnyPackage("dev.failover.agent..", "dev.failover.cli..", "dev.failover.broker.."),
                    noClasses()
                            .that()
                            .resideInAPackage("dev.failover.agent..")
                            .should()
                            .dependOnClassesThat()
                            .resideInAnyPackage(
                                    "dev.failover.coordinator..", "dev.failover.cli..", "dev.failover.broker.."))
            .stream()
            .map(rule -> rule.allowEmptyShould(true))
            .toList();

    @Test
    void theImportSeesEveryModuleAndNoTestSupport() {
        for (String pkg : List.of(
                "dev.failover.wire",
                "dev.failover.broker",
                "dev.failover.coordinator.core",
                "dev.failover.coordinator.streams",
                "dev.failover.agent.core",
                "dev.failover.agent.shell",
                "dev.failover.cli")) {
            assertTrue(product.containPackage(pkg), "the product import misses " + pkg);
        }
        assertFalse(product.containPackage("dev.failover.testkit"), "the test kit was imported as product");
        assertFalse(product.contain(ArchitectureTest.class), "test classes were imported as product");
    }

    @Test
    void coresArePure() {
        CORES_ARE_PURE.check(product);
    }

    @Test
    void coresTakeTheirOwnRecords() {
        CORES_TAKE_THEIR_OWN_RECORDS.check(product);
    }

    @Test
    void aCoreReadingAWireRecordFails() {
        JavaClasses bad =
                new ClassFileImporter().importClasses(dev.failover.architecture.violations.core.ReadsAWireRecord.class);
        assertViolations(CORES_TAKE_THEIR_OWN_RECORDS.evaluate(bad), "ReadsAWireRecord", "dev.failover.wire.Heartbeat");
    }

    @Test
    void packagesFormNoCycle() {
        NO_PACKAGE_CYCLES.check(product);
    }

    @Test
    void theLauncherStaysOutOfTheStreamsShell() {
        CLI_STAYS_OUT_OF_THE_STREAMS_SHELL.check(product);
    }

    @Test
    void theProductNeedsNoTestSupport() {
        NO_TEST_SUPPORT_IN_THE_PRODUCT.check(product);
    }

    @Test
    void modulesDependOnlyDownwards() {
        MODULE_ARROWS.forEach(rule -> rule.check(product));
    }

    // Each rule fails on a class that breaks it: the rules can fail, and they fail for the reason they name.

    @Test
    void aCoreThatReadsTheClockOrTalksToKafkaFails() {
        JavaClasses bad = new ClassFileImporter()
                .importClasses(
                        dev.failover.architecture.violations.core.ReadsTheClock.class,
                        dev.failover.architecture.violations.core.TalksToKafka.class,
                        dev.failover.architecture.violations.core.WritesAFile.class,
                        dev.failover.architecture.violations.core.WaitsAndLogs.class,
                        dev.failover.architecture.violations.core.ReachesOut.class);
        EvaluationResult result = CORES_ARE_PURE.evaluate(bad);
        assertViolations(
                result,
                "System.currentTimeMillis",
                "Instant.now",
                "org.apache.kafka",
                "java.io.FileWriter",
                "System.nanoTime",
                "Thread.sleep",
                "java.time.Clock",
                "org.slf4j.LoggerFactory",
                "java.util.concurrent.atomic.AtomicLong",
                "java.nio.file.Path",
                "java.net.URI",
                "io.micrometer.core.instrument.Counter",
                "javax.crypto.Mac",
                "java.time.InstantSource",
                "LocalDateTime.now");
        // each class on its own breaks the rule too
        for (Class<?> each : List.of(
                dev.failover.architecture.violations.core.ReadsTheClock.class,
                dev.failover.architecture.violations.core.TalksToKafka.class,
                dev.failover.architecture.violations.core.WritesAFile.class,
                dev.failover.architecture.violations.core.WaitsAndLogs.class,
                dev.failover.architecture.violations.core.ReachesOut.class)) {
            assertTrue(
                    CORES_ARE_PURE
                            .evaluate(new ClassFileImporter().importClasses(each))
                            .hasViolation(),
                    each.getSimpleName() + " passed the pure-core rule");
        }
    }

    @Test
    void aPackageCycleFails() {
        JavaClasses bad = new ClassFileImporter().importPackages("dev.failover.architecture.violations.cycle");
        assertViolations(
                NO_PACKAGE_CYCLES.evaluate(bad),
                "Cycle detected",
                "violations.cycle.Outer",
                "violations.cycle.inner.Inner");
    }

    @Test
    void aLauncherClassUsingTheStreamsShellFails() {
        JavaClasses bad =
                new ClassFileImporter().importClasses(dev.failover.cli.violations.ReachesIntoTheStreamsShell.class);
        assertViolations(
                CLI_STAYS_OUT_OF_THE_STREAMS_SHELL.evaluate(bad),
                "ReachesIntoTheStreamsShell",
                "dev.failover.coordinator.streams");
    }

    @Test
    void aProductClassUsingTheTestKitFails() {
        JavaClasses bad =
                new ClassFileImporter().importClasses(dev.failover.architecture.violations.UsesTheTestKit.class);
        assertViolations(NO_TEST_SUPPORT_IN_THE_PRODUCT.evaluate(bad), "UsesTheTestKit", "dev.failover.testkit.Await");
    }

    @Test
    void eachModuleArrowFailsOnAClassThatPointsUpwards() {
        List<Class<?>> upwards = List.of(
                dev.failover.wire.violations.UsesTheCoordinator.class,
                dev.failover.broker.violations.UsesTheProtocol.class,
                dev.failover.coordinator.violations.UsesTheAgent.class,
                dev.failover.agent.violations.UsesTheCoordinator.class);
        for (int i = 0; i < upwards.size(); i++) {
            JavaClasses bad = new ClassFileImporter().importClasses(upwards.get(i));
            for (int r = 0; r < MODULE_ARROWS.size(); r++) {
                assertEquals(
                        r == i,
                        MODULE_ARROWS.get(r).evaluate(bad).hasViolation(),
                        "module rule " + r + " on " + upwards.get(i).getName());
            }
        }
    }

    private static void assertViolations(EvaluationResult result, String... mentioned) {
        assertTrue(result.hasViolation(), "the rule passed a class written to break it");
        String report = result.getFailureReport().toString();
        for (String text : mentioned) {
            assertTrue(report.contains(text), "the failure report does not name " + text + ":\n" + report);
        }
    }
}
