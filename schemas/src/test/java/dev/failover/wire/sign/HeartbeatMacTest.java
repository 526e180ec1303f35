package dev.failover.wire.sign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HeartbeatMacTest {

    @TempDir
    Path dir;

    private static final byte[] BEAT = {1, 2, 3, 4};

    private static Headers signed(HeartbeatMac key) {
        return key.sign("orders", BEAT, new RecordHeaders());
    }

    @Test
    void aFileWithSeveralKeysSignsWithTheFirstAndAcceptsAnySoARotationHasNoGap() throws Exception {
        Path old = dir.resolve("old.key");
        HeartbeatMac.generate(old);
        HeartbeatMac before = HeartbeatMac.load(old);
        HeartbeatMac.append(old);
        HeartbeatMac both = HeartbeatMac.load(old);
        assertEquals(2, both.size());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(old)));
        assertTrue(
                both.verify("orders", BEAT, signed(before)), "still signs with the first key: the agent's beats pass");

        List<String> lines = Files.readAllLines(old);
        Path swapped = dir.resolve("swapped.key");
        SigningKeys.writeSecret(swapped, (lines.get(1) + "\n" + lines.get(0) + "\n").getBytes());
        HeartbeatMac next = HeartbeatMac.load(swapped);
        assertTrue(both.verify("orders", BEAT, signed(next)), "a coordinator with both accepts the new first key");
        assertFalse(before.verify("orders", BEAT, signed(next)), "one with only the old key does not");
        assertFalse(both.verify("payments", BEAT, signed(next)), "bound to the record key");
        assertFalse(both.verify("orders", BEAT, new RecordHeaders()), "no code");
    }

    @Test
    void aBadFileIsNamedWithItsLine() throws Exception {
        Path file = dir.resolve("bad.key");
        HeartbeatMac.generate(file);
        Files.writeString(file, Files.readString(file) + "not*base64\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HeartbeatMac.load(file));
        assertTrue(
                e.getMessage().contains(file + " is not a heartbeat key file: line 2 is not base64"), e.getMessage());
        Files.writeString(file, "c2hvcnQ=\n");
        e = assertThrows(IllegalArgumentException.class, () -> HeartbeatMac.load(file));
        assertTrue(e.getMessage().contains("line 1 holds 5 bytes, at least 32 needed"), e.getMessage());
        Files.writeString(file, "\n\n");
        e = assertThrows(IllegalArgumentException.class, () -> HeartbeatMac.load(file));
        assertTrue(e.getMessage().contains("holds no key"), e.getMessage());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        e = assertThrows(IllegalArgumentException.class, () -> HeartbeatMac.load(file));
        assertTrue(e.getMessage().contains("may be read by others"), e.getMessage());
    }

    @Test
    void aWatchedFileIsReadAgainWhenItChangesKeepsItsContentWhenUnreadableAndIsNullOnceRemoved() throws Exception {
        Path file = dir.resolve("node.key");
        HeartbeatMac.generate(file);
        AtomicLong nanos = new AtomicLong();
        List<String> said = new ArrayList<>();
        WatchedFile<HeartbeatMac> watched =
                WatchedFile.read(file, HeartbeatMac::load, nanos::get, (f, what) -> said.add(what));
        HeartbeatMac first = watched.current();
        HeartbeatMac.append(file);
        assertSame(first, watched.current(), "not looked at before the interval");
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(WatchedFile.CHECK_INTERVAL_MS));
        assertEquals(2, watched.current().size(), "read again once changed");

        Files.writeString(file, "half");
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(WatchedFile.CHECK_INTERVAL_MS));
        assertEquals(2, watched.current().size(), "an unreadable change keeps what was read before");
        Files.delete(file);
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(WatchedFile.CHECK_INTERVAL_MS));
        assertNull(watched.current(), "a removed file holds no key");
        HeartbeatMac.generate(file);
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(WatchedFile.CHECK_INTERVAL_MS));
        assertEquals(1, watched.current().size(), "and one put back is read");
        assertEquals(4, said.size(), said.toString());
        assertTrue(said.get(1).startsWith("changed but cannot be read"), said.get(1));
        assertTrue(said.get(2).startsWith("removed"), said.get(2));
    }
}
