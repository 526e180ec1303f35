package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.coordinator.replay.Recording;
import dev.failover.wire.WireHeaders;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CtlReplayTest {

    @Test
    void aRecordingMadeBeforeTheElectionGraceExistedReplaysWithoutOneAndANewerOneWithItsOwn() {
        Map<String, String> old = CtlReplay.recordedSettings(recordingWith("rise=2;fall=3;min.margin.ms=100"));
        assertEquals(Map.of("rise", "2", "fall", "3", "min.margin.ms", "100"), old, "as recorded, nothing added");
        assertTrue(CtlReplay.predatesTheGrace(old), "its coordinator elected at once: replayed with 0");

        Map<String, String> newer =
                CtlReplay.recordedSettings(recordingWith("rise=2;election.grace.ms=-1;brake.window.ms=10000"));
        assertEquals("-1", newer.get("election.grace.ms"), newer.toString());
        assertFalse(CtlReplay.predatesTheGrace(newer));

        Map<String, String> none = CtlReplay.recordedSettings(recordingWith(null));
        assertEquals(Map.of(), none);
        assertFalse(CtlReplay.predatesTheGrace(none), "no header at all: the defaults apply, nothing is inferred");
    }

    private static Recording recordingWith(String settings) {
        Map<String, byte[]> headers =
                settings == null ? Map.of() : Map.of(WireHeaders.SETTINGS, settings.getBytes(StandardCharsets.UTF_8));
        Recording.Entry change = new Recording.Entry(
                Recording.ROLE_CHANGE, "failover.role-changes", 0, 0, 1_000, "orders", headers, new byte[0], null);
        Recording.Header header =
                new Recording.Header("v1", "test", 1_000, 0, 0, 2_000, "orders", Map.of(), "failover-coordinator");
        return new Recording(header, List.of(change));
    }
}
