package dev.failover.coordinator.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.wire.sign.HeartbeatMac;
import dev.failover.wire.sign.WatchedFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** heartbeat.key.dir read again while the coordinator runs: rotations and new nodes need no restart; nothing opens. */
class HeartbeatKeysTest {

    @TempDir
    Path tmp;

    private Path dir;

    @org.junit.jupiter.api.BeforeEach
    void keyDir() throws Exception {
        dir = Files.createDirectories(tmp.resolve("hb"));
    }

    private final AtomicLong nanos = new AtomicLong(1);
    private static final byte[] BEAT = {7, 7, 7};

    private void pass() {
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(WatchedFile.CHECK_INTERVAL_MS));
    }

    private static Headers signed(Path keyFile) throws Exception {
        return HeartbeatMac.load(keyFile).sign("orders", BEAT, new RecordHeaders());
    }

    @Test
    void aGroupStaysKeyedThroughAReKeyAndNewNodesAndGroupsAreFoundWithoutARestart() throws Exception {
        Path alpha = dir.resolve("orders/alpha.key");
        HeartbeatMac.generate(alpha);
        Path elsewhere = tmp.resolve("elsewhere");
        Files.createDirectories(elsewhere);
        HeartbeatMac.generate(elsewhere.resolve("alpha-new.key"));
        HeartbeatMac.generate(elsewhere.resolve("beta.key"));
        HeartbeatKeys keys = HeartbeatKeys.load(dir, nanos::get);
        assertEquals(1, keys.groups());
        assertNull(keys.refusal("orders", "alpha", "orders", BEAT, signed(alpha)));
        assertTrue(keys.refusal("orders", "alpha", "orders", BEAT, signed(elsewhere.resolve("beta.key")))
                .contains("its authentication code is wrong"));
        assertNull(keys.refusal("payments", "x", "payments", BEAT, new RecordHeaders()), "a group without keys");

        // re-keyed the way `keys hmac` says: the old file removed first, then the new one written
        Files.delete(alpha);
        pass();
        assertTrue(
                keys.refusal("orders", "alpha", "orders", BEAT, signed(elsewhere.resolve("alpha-new.key")))
                        .contains("alpha has no key"),
                "with every file gone the group is not opened to anyone");
        pass();
        assertTrue(keys.keyed("orders"));
        assertTrue(keys.refusal("orders", "alpha", "orders", BEAT, new RecordHeaders())
                .contains("has no key"));
        Files.copy(elsewhere.resolve("alpha-new.key"), alpha);
        pass();
        assertNull(
                keys.refusal("orders", "alpha", "orders", BEAT, signed(elsewhere.resolve("alpha-new.key"))),
                "the new key is read once its file is back");

        // a node given its own key later is found when its first beat is refused
        assertTrue(keys.refusal("orders", "beta", "orders", BEAT, signed(elsewhere.resolve("beta.key")))
                .contains("beta has no key"));
        Files.copy(elsewhere.resolve("beta.key"), dir.resolve("orders/beta.key"));
        assertTrue(
                keys.refusal("orders", "beta", "orders", BEAT, signed(elsewhere.resolve("beta.key")))
                        .contains("beta has no key"),
                "the group was looked at less than an interval ago");
        pass();
        assertNull(keys.refusal("orders", "beta", "orders", BEAT, signed(elsewhere.resolve("beta.key"))));

        // a group keyed later is found from the directory's change
        assertFalse(keys.keyed("billing"));
        HeartbeatMac.generate(dir.resolve("billing.key"));
        pass();
        assertTrue(keys.keyed("billing"));
        assertTrue(keys.refusal("billing", "n", "billing", BEAT, new RecordHeaders())
                .contains("no authentication code"));
        assertEquals(2, keys.groups());
    }

    @Test
    void aBadFileStopsTheStartNamedButLaterOnlyKeepsWhatWasReadBefore() throws Exception {
        Path alpha = dir.resolve("orders/alpha.key");
        HeartbeatMac.generate(alpha);
        Files.writeString(dir.resolve("bad.key"), "not a key");
        Files.setPosixFilePermissions(
                dir.resolve("bad.key"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HeartbeatKeys.load(dir));
        assertTrue(e.getMessage().contains("bad.key"), e.getMessage());
        Files.delete(dir.resolve("bad.key"));

        HeartbeatKeys keys = HeartbeatKeys.load(dir, nanos::get);
        Headers good = signed(alpha);
        Files.writeString(alpha, "half");
        pass();
        assertNull(keys.refusal("orders", "alpha", "orders", BEAT, good), "a half-written file keeps the key before");
    }
}
