package dev.failover.agent.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.failover.wire.Health;
import java.util.List;
import org.junit.jupiter.api.Test;

class HealthAndWordsTest {

    @Test
    void aProbedNodeIsUnknownUntilRisePassesAndUnhealthyOnlyAfterFallFailures() {
        HealthTracker h = new HealthTracker(2, 3, true);
        assertEquals(Health.UNKNOWN, h.reported(false));
        h.onProbe(true, "200");
        assertEquals(Health.UNKNOWN, h.reported(false), "one pass is below rise=2");
        h.onProbe(true, "200");
        assertEquals(Health.HEALTHY, h.reported(false));
        h.onProbe(false, "503");
        h.onProbe(false, "503");
        assertEquals(Health.HEALTHY, h.reported(false), "two failures are below fall=3");
        h.onProbe(false, "503");
        assertEquals(Health.UNHEALTHY, h.reported(false));
        h.onProbe(true, "200");
        assertEquals(Health.UNHEALTHY, h.reported(false), "one pass is below rise=2");
    }

    @Test
    void aFailedHookReportsUnhealthyUntilALaterHookSucceeds() {
        HealthTracker h = new HealthTracker(1, 1, false);
        h.onHook(false, "on-activate exited with 3");
        assertEquals(Health.UNHEALTHY, h.reported(false));
        assertEquals("hook failed: on-activate exited with 3", h.detail());
        h.onHook(true, "ok");
        assertEquals(Health.HEALTHY, h.reported(false));
        assertEquals(Health.LEAVING, h.reported(true));
    }

    @Test
    void splitsCommandsLikeAReaderWithoutAShell() {
        assertEquals(
                List.of("systemctl", "start", "my service"), CommandLineWords.split("systemctl start 'my service'"));
        assertEquals(
                List.of("sh", "-c", "echo $FAILOVER_ROLE >> /tmp/x"),
                CommandLineWords.split("sh -c \"echo $FAILOVER_ROLE >> /tmp/x\""));
        assertThrows(IllegalArgumentException.class, () -> CommandLineWords.split("echo 'oops"));
        assertThrows(IllegalArgumentException.class, () -> CommandLineWords.split("   "));
    }
}
