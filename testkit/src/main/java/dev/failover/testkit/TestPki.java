package dev.failover.testkit;

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
import java.security.Key;
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
 * A certificate authority and one broker certificate made at test time with the JDK's own {@code keytool} (EC P-256,
 * valid 30 days), nothing checked in. The directory gets:
 * <ul>
 *   <li>{@code ca.pem}: the CA certificate, the trust store of every client and of the broker's mutual TLS;</li>
 *   <li>{@code broker.p12} (mode 600): the broker's key and chain, subject {@code CN=kafka-broker}, SAN
 *       {@code 127.0.0.1}/{@code localhost} and any extra DNS names: its server certificate and its client
 *       certificate on the internal and controller listeners;</li>
 *   <li>{@code broker.p12.password} (mode 600): the keystore's random password;</li>
 *   <li>{@code ca/ca.p12} (mode 600): the CA's key, kept to sign more certificates.</li>
 * </ul>
 * Passwords reach keytool through its environment ({@code -storepass:env}), never its command line.
 */
public final class TestPki {

    /** The broker certificate's subject: with the default principal mapping the broker is {@code User:CN=kafka-broker}. */
    public static final String BROKER_SUBJECT = "CN=kafka-broker";
    public static final String BROKER_PRINCIPAL = "User:" + BROKER_SUBJECT;

    private static final String PASSWORD_VARIABLE = "FAILOVER_PKI_PASSWORD";

    private final Path dir;
    private final String keystorePassword;

    private TestPki(Path dir, String keystorePassword) {
        this.dir = dir;
        this.keystorePassword = keystorePassword;
    }

    /** Makes the CA and the broker certificate in {@code dir}, or reads them back if an earlier call made them. */
    public static TestPki inDirectory(Path dir, List<String> extraDnsNames) {
        try {
            Files.createDirectories(dir);
            TestPki pki = new TestPki(dir, null);
            if (Files.exists(pki.brokerKeystore()) && Files.exists(pki.passwordFile())) {
                return new TestPki(dir, Files.readString(pki.passwordFile(), StandardCharsets.UTF_8).strip());
            }
            return create(dir, extraDnsNames);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make test certificates in " + dir, e);
        }
    }

    private static TestPki create(Path dir, List<String> extraDnsNames) throws IOException {
        Path caDir = Files.createDirectories(dir.resolve("ca"));
        Path work = caDir.resolve("ca.p12");
        Files.deleteIfExists(work);
        String caPassword = randomPassword();
        keytool(caPassword, "-genkeypair", "-storetype", "PKCS12", "-keystore", work.toString(),
                "-storepass:env", PASSWORD_VARIABLE, "-alias", "ca", "-dname", "CN=failover-test-ca", "-keyalg", "EC",
                "-groupname", "secp256r1", "-validity", "30", "-ext", "bc:c", "-ext", "ku:c=keyCertSign,cRLSign");
        StringBuilder san = new StringBuilder("SAN=ip:127.0.0.1,dns:localhost");
        extraDnsNames.forEach(name -> san.append(",dns:").append(name));
        keytool(caPassword, "-genkeypair", "-storetype", "PKCS12", "-keystore", work.toString(),
                "-storepass:env", PASSWORD_VARIABLE, "-alias", "broker", "-dname", BROKER_SUBJECT, "-keyalg", "EC",
                "-groupname", "secp256r1", "-validity", "30", "-signer", "ca", "-signerkeypass:env", PASSWORD_VARIABLE,
                "-ext", san.toString(), "-ext", "eku=serverAuth,clientAuth");
        restrict(work);
        String brokerPassword = randomPassword();
        try {
            KeyStore all = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(work)) {
                all.load(in, caPassword.toCharArray());
            }
            Certificate caCert = all.getCertificate("ca");
            Certificate[] chain = all.getCertificateChain("broker");
            if (chain.length == 1) {
                chain = new Certificate[] {chain[0], caCert}; // a client checking the chain needs the issuer too
            }
            Key key = all.getKey("broker", caPassword.toCharArray());
            KeyStore broker = KeyStore.getInstance("PKCS12");
            broker.load(null, null);
            broker.setKeyEntry("broker", key, brokerPassword.toCharArray(), chain);
            TestPki pki = new TestPki(dir, brokerPassword);
            try (OutputStream out = secretFile(pki.brokerKeystore())) {
                broker.store(out, brokerPassword.toCharArray());
            }
            try (OutputStream out = secretFile(pki.passwordFile())) {
                out.write(brokerPassword.getBytes(StandardCharsets.UTF_8));
            }
            try (OutputStream out = secretFile(caDir.resolve("ca.p12.password"))) {
                out.write(caPassword.getBytes(StandardCharsets.UTF_8));
            }
            String pem = "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(caCert.getEncoded())
                    + "\n-----END CERTIFICATE-----\n";
            Files.writeString(pki.caPem(), pem, StandardCharsets.US_ASCII);
            return pki;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read back the certificates keytool made in " + work, e);
        }
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
        return dir.resolve("broker.p12");
    }

    public String brokerKeystorePassword() {
        return keystorePassword;
    }

    /** The file holding {@link #brokerKeystorePassword} (mode 600). */
    public Path passwordFile() {
        return dir.resolve("broker.p12.password");
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
