package dev.failover.broker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A certificate authority and the certificates it signs ({@link #issue}), made when a local secure broker or {@code failover secure-setup} needs them, with the JDK's own
 * {@code keytool} (EC P-256, valid 30 days), nothing checked in. The directory gets:
 * <ul>
 *   <li>{@code ca.pem}: the CA certificate, the trust store of every client and of the broker's mutual TLS;</li>
 *   <li>{@code broker.p12} (mode 600): the broker's key and chain, subject {@code CN=kafka-broker}, SAN
 *       {@code 127.0.0.1}/{@code localhost} and any extra DNS names: its server certificate and its client
 *       certificate on the internal and controller listeners;</li>
 *   <li>{@code broker.p12.password} (mode 600): the keystore's random password;</li>
 *   <li>{@code ca/ca.p12} (mode 600): the CA's key (only: each leaf's key is removed from it once issued), kept to
 *       sign more certificates.</li>
 * </ul>
 * Passwords reach keytool through its environment ({@code -storepass:env}), never its command line.
 */
public final class LocalPki {

    /** The broker certificate's subject: with the default principal mapping the broker is {@code User:CN=kafka-broker}. */
    public static final String BROKER_SUBJECT = "CN=kafka-broker";

    public static final String BROKER_PRINCIPAL = "User:" + BROKER_SUBJECT;

    private static final String PASSWORD_VARIABLE = "FAILOVER_PKI_PASSWORD";

    private final Path dir;
    private final String keystorePassword;

    private LocalPki(Path dir, String keystorePassword) {
        this.dir = dir;
        this.keystorePassword = keystorePassword;
    }

    /** Makes the CA and the broker certificate in {@code dir}, or reads them back if an earlier call made them. */
    public static LocalPki inDirectory(Path dir, List<String> extraDnsNames) {
        try {
            Files.createDirectories(dir);
            LocalPki pki = new LocalPki(dir, null);
            if (!Files.exists(pki.caKeystore()) || !Files.exists(pki.caPem())) {
                createCa(dir);
            }
            pki.issue("broker", BROKER_SUBJECT, extraDnsNames);
            return new LocalPki(
                    dir,
                    Files.readString(pki.passwordFile(), StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make test certificates in " + dir, e);
        }
    }

    private static void createCa(Path dir) throws IOException {
        Path caDir = Files.createDirectories(dir.resolve("ca"));
        Path work = caDir.resolve("ca.p12");
        Files.deleteIfExists(work);
        String caPassword = randomPassword();
        keytool(
                caPassword,
                "-genkeypair",
                "-storetype",
                "PKCS12",
                "-keystore",
                work.toString(),
                "-storepass:env",
                PASSWORD_VARIABLE,
                "-alias",
                "ca",
                "-dname",
                "CN=failover-test-ca",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-validity",
                "30",
                "-ext",
                "bc:c",
                "-ext",
                "ku:c=keyCertSign,cRLSign");
        restrict(work);
        try (OutputStream out = secretFile(caDir.resolve("ca.p12.password"))) {
            out.write(caPassword.getBytes(StandardCharsets.UTF_8));
        }
        try {
            KeyStore ca = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(work)) {
                ca.load(in, caPassword.toCharArray());
            }
            String pem = "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                            .encodeToString(ca.getCertificate("ca").getEncoded())
                    + "\n-----END CERTIFICATE-----\n";
            Files.writeString(dir.resolve("ca.pem"), pem, StandardCharsets.US_ASCII);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read back the CA keytool made in " + work, e);
        }
    }

    /**
     * A key and certificate signed by this CA in {@code DIR/NAME.p12} (mode 600, EC P-256, valid 30 days, for server
     * and client use), its random password in {@code DIR/NAME.p12.password}; kept if made before. Valid for
     * 127.0.0.1, localhost and {@code dnsNames}.
     */
    public Path issue(String name, String subject, List<String> dnsNames) {
        if (!name.matches("[a-z][a-z0-9-]*")) {
            throw new IllegalArgumentException(
                    "a certificate's file name is lower case letters, digits and '-': " + name);
        }
        Path keystore = keystore(name);
        if (Files.exists(keystore) && Files.exists(keystorePasswordFile(name))) {
            return keystore;
        }
        try {
            Path work = caKeystore();
            String caPassword = Files.readString(dir.resolve("ca").resolve("ca.p12.password"), StandardCharsets.UTF_8)
                    .strip();
            StringBuilder san = new StringBuilder("SAN=ip:127.0.0.1,dns:localhost");
            dnsNames.forEach(host -> san.append(",dns:").append(host));
            String alias = name + "-" + randomPassword().substring(0, 8); // a run cut short may have left one behind
            keytool(
                    caPassword,
                    "-genkeypair",
                    "-storetype",
                    "PKCS12",
                    "-keystore",
                    work.toString(),
                    "-storepass:env",
                    PASSWORD_VARIABLE,
                    "-alias",
                    alias,
                    "-dname",
                    subject,
                    "-keyalg",
                    "EC",
                    "-groupname",
                    "secp256r1",
                    "-validity",
                    "30",
                    "-signer",
                    "ca",
                    "-signerkeypass:env",
                    PASSWORD_VARIABLE,
                    "-ext",
                    san.toString(),
                    "-ext",
                    "eku=serverAuth,clientAuth");
            KeyStore all = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(work)) {
                all.load(in, caPassword.toCharArray());
            }
            Certificate[] chain = all.getCertificateChain(alias);
            if (chain.length == 1) {
                chain = new Certificate[] {chain[0], all.getCertificate("ca")}; // a peer checking the chain needs it
            }
            String password = randomPassword();
            KeyStore out = KeyStore.getInstance("PKCS12");
            out.load(null, null);
            out.setKeyEntry(name, all.getKey(alias, caPassword.toCharArray()), password.toCharArray(), chain);
            try (OutputStream stream = secretFile(keystore)) {
                out.store(stream, password.toCharArray());
            }
            try (OutputStream stream = secretFile(keystorePasswordFile(name))) {
                stream.write(password.getBytes(StandardCharsets.UTF_8));
            }
            // keytool made the leaf's key in the CA's store: it leaves it, and any a run cut short left behind, so the
            // CA's store holds the CA's key only (whoever has it must not also hold every host's key)
            for (String other : java.util.Collections.list(all.aliases())) {
                if (!other.equals("ca")) {
                    all.deleteEntry(other);
                }
            }
            Path rewritten = work.resolveSibling("ca.p12.new");
            try (OutputStream stream = secretFile(rewritten)) {
                all.store(stream, caPassword.toCharArray());
            }
            Files.move(
                    rewritten,
                    work,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return keystore;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot issue a certificate for " + subject + " in " + dir, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read back the certificate keytool made for " + subject, e);
        }
    }

    /** {@code DIR/NAME.p12}: a key store {@link #issue} made. */
    public Path keystore(String name) {
        return dir.resolve(name + ".p12");
    }

    /** The file holding the password of {@link #keystore}{@code (name)} (mode 600). */
    public Path keystorePasswordFile(String name) {
        return dir.resolve(name + ".p12.password");
    }

    private Path caKeystore() {
        return dir.resolve("ca").resolve("ca.p12");
    }

    public Path dir() {
        return dir;
    }

    /** The CA certificate (PEM): {@code ssl.truststore.type=PEM}, {@code ssl.truststore.location=} this. */
    public Path caPem() {
        return dir.resolve("ca.pem");
    }

    /** The broker's PKCS12 key store (its key and the chain up to the CA). */
    public Path brokerKeystore() {
        return keystore("broker");
    }

    public String brokerKeystorePassword() {
        return keystorePassword;
    }

    /** The file holding {@link #brokerKeystorePassword} (mode 600). */
    public Path passwordFile() {
        return keystorePasswordFile("broker");
    }

    /** A random password of 24 hex digits. */
    public static String randomPassword() {
        byte[] bytes = new byte[12];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** Opens a new file readable and writable by its owner only, created with those rights (never world-readable). */
    public static OutputStream secretFile(Path file) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        return Files.newOutputStream(file, StandardOpenOption.TRUNCATE_EXISTING);
    }

    private static void restrict(Path file) throws IOException {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    private static void keytool(String password, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put(PASSWORD_VARIABLE, password);
        Process process = builder.start();
        byte[] output;
        try (InputStream in = process.getInputStream()) {
            output = in.readAllBytes();
        }
        try {
            if (!process.waitFor(Duration.ofSeconds(60).toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("keytool did not finish in 60 s: " + String.join(" ", args));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while keytool ran", e);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("keytool " + args[0] + " failed (exit " + process.exitValue() + "): "
                    + new String(output, StandardCharsets.UTF_8).strip());
        }
    }
}
