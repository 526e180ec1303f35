package dev.failover.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.wire.sign.RecordVerifier;
import dev.failover.wire.sign.SigningKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustedKeysTest {

    @TempDir
    Path dir;

    private final AtomicLong nanos = new AtomicLong(1_000);

    private String id(String name) throws Exception {
        return SigningKeys.idHex(SigningKeys.id(SigningKeys.loadPublic(dir.resolve(name + ".pub"))));
    }

    private void replace(Path trusted, String name, long mtimeSeconds) throws Exception {
        Files.copy(dir.resolve(name + ".pub"), trusted, StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(trusted, FileTime.from(mtimeSeconds, TimeUnit.SECONDS));
    }

    private void pass(long ms) {
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
    }

    @Test
    void aChangedFileIsReadAgainAtTheNextCheckAndAnUnreadableOneKeepsTheKeysTrustedBefore() throws Exception {
        SigningKeys.generate(dir, "old");
        SigningKeys.generate(dir, "new");
        Path trusted = dir.resolve("trusted.pub");
        replace(trusted, "old", 1_000);
        TrustedKeys keys = TrustedKeys.fromFiles(List.of(trusted), nanos::get);
        assertEquals(List.of(id("old")), keys.current().keyIds());

        replace(trusted, "new", 2_000);
        pass(TrustedKeys.CHECK_INTERVAL_MS - 1);
        assertEquals(List.of(id("old")), keys.current().keyIds(), "not looked at before the interval");
        pass(1);
        assertEquals(List.of(id("new")), keys.current().keyIds(), "read again once changed");

        Files.writeString(trusted, "-----BEGIN PUBLIC KEY-----\nhalf wri");
        pass(TrustedKeys.CHECK_INTERVAL_MS);
        assertEquals(List.of(id("new")), keys.current().keyIds(), "a half-written file changes nothing");
        Files.delete(trusted);
        pass(TrustedKeys.CHECK_INTERVAL_MS);
        assertEquals(
                List.of(id("new")),
                keys.current().keyIds(),
                "nor the removal of the last file: no key would " + "mean obeying anyone");
        replace(trusted, "old", 3_000);
        pass(TrustedKeys.CHECK_INTERVAL_MS);
        assertEquals(List.of(id("old")), keys.current().keyIds(), "a good file again is read");
    }

    @Test
    void eachFileIsJudgedAloneARemovedOnesKeyIsNoLongerTrustedAndABadOneKeepsItsOwnKey() throws Exception {
        SigningKeys.generate(dir, "old");
        SigningKeys.generate(dir, "new");
        Path first = dir.resolve("first.pub");
        Path second = dir.resolve("second.pub");
        replace(first, "old", 1_000);
        replace(second, "new", 1_000);
        TrustedKeys keys = TrustedKeys.fromFiles(List.of(first, second), nanos::get);
        assertEquals(List.of(id("old"), id("new")), keys.current().keyIds());

        Files.writeString(second, "-----BEGIN PUBLIC KEY-----\nhalf wri");
        pass(TrustedKeys.CHECK_INTERVAL_MS);
        assertEquals(
                List.of(id("old"), id("new")),
                keys.current().keyIds(),
                "a half-written file keeps its own key; the other file is unaffected");
        Files.delete(first);
        pass(TrustedKeys.CHECK_INTERVAL_MS);
        assertEquals(
                List.of(id("new")),
                keys.current().keyIds(),
                "the removed file's key is dropped at once, " + "though another file is unreadable");
        byte[] value = {1, 2, 3};
        var byOld = dev.failover.wire.sign.RecordSigner.load(dir.resolve("old.key"))
                .sign("RoleChange", "orders", value, new org.apache.kafka.common.header.internals.RecordHeaders());
        var byNew = dev.failover.wire.sign.RecordSigner.load(dir.resolve("new.key"))
                .sign("RoleChange", "orders", value, new org.apache.kafka.common.header.internals.RecordHeaders());
        assertEquals(RecordVerifier.Outcome.UNKNOWN_KEY, keys.current().check("RoleChange", "orders", value, byOld));
        assertEquals(RecordVerifier.Outcome.VALID, keys.current().check("RoleChange", "orders", value, byNew));
    }

    @Test
    void noFilesTrustAnyoneAndABadFileAtStartIsNamed() throws Exception {
        assertNull(TrustedKeys.fromFiles(List.of()).current());
        assertTrue(TrustedKeys.none().isEmpty());
        Path bad = Files.writeString(dir.resolve("bad.pub"), "not a key");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> TrustedKeys.fromFiles(List.of(bad)));
        assertTrue(
                e.getMessage().startsWith("trust.keys: ") && e.getMessage().contains(bad.toString()), e.getMessage());
    }
}
