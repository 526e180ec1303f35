package dev.failover.wire.sign;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;

/**
 * Ed25519 key files, PEM as OpenSSL writes them ({@code openssl genpkey -algorithm ed25519}, {@code openssl pkey
 * -pubout}): {@code NAME.key} (PKCS#8, created readable by its owner only) and {@code NAME.pub} (X.509
 * SubjectPublicKeyInfo). A key's id is the first 8 bytes of the SHA-256 of its public key's DER encoding.
 */
public final class SigningKeys {

    private static final String PRIVATE = "PRIVATE KEY";
    private static final String PUBLIC = "PUBLIC KEY";

    private SigningKeys() {}

    /** A new key pair written to {@code dir/name.key} (mode 600) and {@code dir/name.pub}; refuses to overwrite. */
    public static KeyPair generate(Path dir, String name) throws IOException {
        KeyPair pair;
        try {
            pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is not available in this JVM", e);
        }
        Files.createDirectories(dir);
        Path key = dir.resolve(name + ".key");
        Path pub = dir.resolve(name + ".pub");
        if (Files.exists(pub)) {
            throw new FileAlreadyExistsException(pub.toString(), null, "not overwriting an existing key");
        }
        writeSecret(key, pem(PRIVATE, pair.getPrivate().getEncoded()).getBytes(StandardCharsets.US_ASCII));
        Files.writeString(pub, pem(PUBLIC, pair.getPublic().getEncoded()));
        return pair;
    }

    /** The private key in {@code file}; refuses one that its group or others may read, naming the fix. */
    public static PrivateKey loadPrivate(Path file) throws IOException {
        requireOwnerOnly(file, "the signing key");
        byte[] der = der(file, PRIVATE);
        try {
            return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(file + " is not an Ed25519 private key (" + e.getMessage() + ")", e);
        }
    }

    /** The public key in {@code file}. */
    public static PublicKey loadPublic(Path file) throws IOException {
        byte[] der = der(file, PUBLIC);
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(file + " is not an Ed25519 public key (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Writes {@code content} to a new file created with its final permissions (readable by its owner only, not even
     * for a moment by others) through the same open file, so nothing can swap it for a link in between; refuses to
     * overwrite.
     */
    static void writeSecret(Path file, byte[] content) throws IOException {
        try (java.nio.channels.SeekableByteChannel out = Files.newByteChannel(
                file,
                Set.of(java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            out.write(java.nio.ByteBuffer.wrap(content));
        }
    }

    /** Refuses a secret file that its group or others may read, naming the fix. */
    public static void requireOwnerOnly(Path file, String what) throws IOException {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            perms = Set.of(); // a file system without POSIX permissions: nothing to check
        }
        if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
            throw new IllegalArgumentException(what + " " + file + " may be read by others ("
                    + PosixFilePermissions.toString(perms) + "): chmod 600 " + file);
        }
    }

    /** A public key's id: the first 8 bytes of the SHA-256 of its DER encoding. */
    public static byte[] id(PublicKey key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            return java.util.Arrays.copyOf(digest, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }

    public static String idHex(byte[] id) {
        return HexFormat.of().formatHex(id);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    private static byte[] der(Path file, String type) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int from = text.indexOf(begin);
        int to = text.indexOf(end);
        if (from < 0 || to < from) {
            throw new IllegalArgumentException(file + " holds no PEM block '" + begin + "'");
        }
        try {
            return Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": its PEM block is not base64 (" + e.getMessage() + ")", e);
        }
    }
}
