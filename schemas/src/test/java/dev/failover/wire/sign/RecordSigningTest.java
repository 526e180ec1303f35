package dev.failover.wire.sign;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.wire.sign.RecordVerifier.Outcome;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.List;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordSigningTest {

    @TempDir
    Path dir;

    private static final byte[] VALUE = "an avro body naming group g1 at epoch 7".getBytes(StandardCharsets.UTF_8);

    private RecordSigner signer(String name) throws Exception {
        SigningKeys.generate(dir, name);
        return new RecordSigner(
                SigningKeys.loadPrivate(dir.resolve(name + ".key")),
                SigningKeys.loadPublic(dir.resolve(name + ".pub")));
    }

    private RecordVerifier trusting(String... names) throws Exception {
        List<java.security.PublicKey> keys = new java.util.ArrayList<>();
        for (String name : names) {
            keys.add(SigningKeys.loadPublic(dir.resolve(name + ".pub")));
        }
        return new RecordVerifier(keys);
    }

    @Test
    void generatedKeysAreFilesOnlyTheirOwnerReadsAndSignWhatTheirPublicHalfVerifies() throws Exception {
        RecordSigner coordinator = signer("coordinator");
        assertEquals(
                "rw-------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("coordinator.key"))));
        assertTrue(Files.readString(dir.resolve("coordinator.key")).startsWith("-----BEGIN PRIVATE KEY-----\n"));
        assertTrue(Files.readString(dir.resolve("coordinator.pub")).startsWith("-----BEGIN PUBLIC KEY-----\n"));
        Headers headers = coordinator.sign("RoleChange", "g1", VALUE, new RecordHeaders());
        assertEquals(64, headers.lastHeader(RecordSigner.SIGNATURE_HEADER).value().length);
        assertArrayEquals(
                coordinator.keyId(),
                headers.lastHeader(RecordSigner.KEY_ID_HEADER).value());
        assertEquals(Outcome.VALID, trusting("coordinator").check("RoleChange", "g1", VALUE, headers));
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> SigningKeys.generate(dir, "coordinator"));
    }

    @Test
    void anythingChangedUnsignedOrSignedByAnotherKeyIsNotValid() throws Exception {
        RecordSigner coordinator = signer("coordinator");
        RecordSigner rogue = signer("rogue");
        RecordVerifier verifier = trusting("coordinator");
        Headers headers = coordinator.sign("RoleChange", "g1", VALUE, new RecordHeaders());
        byte[] changed = VALUE.clone();
        changed[changed.length - 1] ^= 1;
        assertEquals(Outcome.INVALID, verifier.check("RoleChange", "g1", changed, headers), "one bit of the body");
        assertEquals(Outcome.INVALID, verifier.check("RoleChange", "g2", VALUE, headers), "another group's key");
        assertEquals(Outcome.INVALID, verifier.check("GroupState", "g1", VALUE, headers), "another kind of record");
        assertEquals(Outcome.UNSIGNED, verifier.check("RoleChange", "g1", VALUE, new RecordHeaders()));
        assertEquals(
                Outcome.UNKNOWN_KEY,
                verifier.check("RoleChange", "g1", VALUE, rogue.sign("RoleChange", "g1", VALUE, new RecordHeaders())));
        // a rogue signature under the trusted key's id
        Headers forged = rogue.sign("RoleChange", "g1", VALUE, new RecordHeaders());
        forged.remove(RecordSigner.KEY_ID_HEADER);
        forged.add(RecordSigner.KEY_ID_HEADER, coordinator.keyId());
        assertEquals(Outcome.INVALID, verifier.check("RoleChange", "g1", VALUE, forged));
        Headers truncated = new RecordHeaders()
                .add(RecordSigner.SIGNATURE_HEADER, new byte[3])
                .add(RecordSigner.KEY_ID_HEADER, coordinator.keyId());
        assertEquals(Outcome.INVALID, verifier.check("RoleChange", "g1", VALUE, truncated), "a malformed signature");
    }

    @Test
    void aTombstoneDoesNotSignTheSameAsAnEmptyValueAndAMismatchedPairIsFound() throws Exception {
        RecordSigner coordinator = signer("coordinator");
        RecordVerifier verifier = trusting("coordinator");
        Headers tombstone = coordinator.sign("GroupState", "g1", null, new RecordHeaders());
        assertEquals(Outcome.VALID, verifier.check("GroupState", "g1", null, tombstone));
        assertEquals(Outcome.INVALID, verifier.check("GroupState", "g1", new byte[0], tombstone));
        assertTrue(coordinator.pairsWithItsPublicKey());
        signer("other");
        RecordSigner mismatched = new RecordSigner(
                SigningKeys.loadPrivate(dir.resolve("coordinator.key")),
                SigningKeys.loadPublic(dir.resolve("other.pub")));
        assertTrue(!mismatched.pairsWithItsPublicKey(), "a private key with another pair's public key");
    }

    @Test
    void duringARotationBothKeysAreTrusted() throws Exception {
        RecordSigner old = signer("old");
        RecordSigner next = signer("new");
        RecordVerifier both = trusting("old", "new");
        assertEquals(
                Outcome.VALID,
                both.check("GroupState", "g1", VALUE, old.sign("GroupState", "g1", VALUE, new RecordHeaders())));
        assertEquals(
                Outcome.VALID,
                both.check("GroupState", "g1", VALUE, next.sign("GroupState", "g1", VALUE, new RecordHeaders())));
        assertEquals(2, both.keyIds().size());
    }

    @Test
    void aPrivateKeyOthersMayReadOrAFileThatIsNoKeyIsRefusedWithTheReason() throws Exception {
        signer("coordinator");
        Path key = dir.resolve("coordinator.key");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        IllegalArgumentException open =
                assertThrows(IllegalArgumentException.class, () -> SigningKeys.loadPrivate(key));
        assertTrue(open.getMessage().contains("chmod 600"), open.getMessage());
        Path junk = dir.resolve("junk.pub");
        Files.writeString(junk, "not a key");
        IllegalArgumentException notPem =
                assertThrows(IllegalArgumentException.class, () -> SigningKeys.loadPublic(junk));
        assertTrue(notPem.getMessage().contains("no PEM block"), notPem.getMessage());
    }

    @Test
    void aSignerIsLoadedWithItsPublicKeyBesideItAndAWrongOrMissingHalfIsNamed() throws Exception {
        SigningKeys.generate(dir, "one");
        SigningKeys.generate(dir, "two");
        RecordSigner one = RecordSigner.load(dir.resolve("one.key"));
        assertArrayEquals(SigningKeys.id(SigningKeys.loadPublic(dir.resolve("one.pub"))), one.keyId());
        Files.copy(dir.resolve("two.pub"), dir.resolve("one.pub"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        IllegalArgumentException mismatch =
                assertThrows(IllegalArgumentException.class, () -> RecordSigner.load(dir.resolve("one.key")));
        assertTrue(mismatch.getMessage().contains("are not one key pair"), mismatch.getMessage());
        Files.delete(dir.resolve("two.pub"));
        IllegalArgumentException missing =
                assertThrows(IllegalArgumentException.class, () -> RecordSigner.load(dir.resolve("two.key")));
        assertTrue(missing.getMessage().contains("two.pub (the public key must sit beside"), missing.getMessage());
    }

    @Test
    void aCommandIsSignedForItsEpochAndPassesForNoOther() throws Exception {
        KeyPair pair = SigningKeys.generate(dir, "operator");
        RecordSigner signer = new RecordSigner(pair.getPrivate(), pair.getPublic());
        RecordVerifier verifier = new RecordVerifier(List.of(pair.getPublic()));
        byte[] value = "pause".getBytes(StandardCharsets.UTF_8);
        Headers headers = signer.signCommand("g", value, 42, new RecordHeaders());
        assertEquals(42, RecordSigner.commandEpoch(headers).getAsLong());
        assertEquals(Outcome.VALID, verifier.check(RecordSigner.commandKind(42), "g", value, headers));
        assertEquals(Outcome.INVALID, verifier.check(RecordSigner.commandKind(43), "g", value, headers));
        assertEquals(Outcome.INVALID, verifier.check(RecordSigner.ROLE_CHANGE, "g", value, headers));
        for (String bad : new String[] {"", "-1", "4x", "9999999999999999999", "99999999999999999999"}) {
            Headers h =
                    new RecordHeaders().add(RecordSigner.COMMAND_EPOCH_HEADER, bad.getBytes(StandardCharsets.US_ASCII));
            assertTrue(RecordSigner.commandEpoch(h).isEmpty(), bad);
        }
    }
}
