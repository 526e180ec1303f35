package dev.failover.coordinator.app;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.util.Collections;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.common.config.ConfigException;

/**
 * TLS and a bearer token for the coordinator's HTTP endpoint, for where it must listen beyond loopback
 * ({@code http.tls.keystore.file} with {@code http.tls.keystore.password.file}, {@code http.token.file}). The server
 * presents the key store's certificate; when forwarding a query to another instance it trusts the root of each chain
 * in the same key store (instances share a CA) and sends the same token.
 *
 * @param server the server's TLS context, or null for plain HTTP
 * @param client the TLS context used to reach other instances, or null
 * @param token  the bearer token every request but {@code /health} must carry, or null for none
 */
record HttpSecurity(SSLContext server, SSLContext client, byte[] token) {

    static final int MIN_TOKEN_LENGTH = 16;

    static HttpSecurity none() {
        return new HttpSecurity(null, null, null);
    }

    String scheme() {
        return server == null ? "http" : "https";
    }

    /** Whether the exchange carries {@code Authorization: Bearer TOKEN} (compared in constant time), or none is set. */
    boolean authorized(HttpExchange exchange) {
        if (token == null) {
            return true;
        }
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        return header != null
                && header.startsWith("Bearer ")
                && MessageDigest.isEqual(token, header.substring(7).strip().getBytes(StandardCharsets.UTF_8));
    }

    /** The value of an Authorization header that passes, for forwarded queries; null without a token. */
    String authorization() {
        return token == null ? null : "Bearer " + new String(token, StandardCharsets.UTF_8);
    }

    /** A query forwarded to another instance ({@code host:port}): this deployment's scheme, and the token if any. */
    java.net.http.HttpRequest.Builder forward(String instance, String path, java.time.Duration timeout) {
        java.net.http.HttpRequest.Builder ask = java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(scheme() + "://" + instance + path))
                .timeout(timeout);
        return token == null ? ask : ask.header("Authorization", authorization());
    }

    static HttpSecurity from(CoordinatorConfig config) {
        String keystore = config.getString(CoordinatorConfig.HTTP_TLS_KEYSTORE_FILE_CONFIG);
        String passwordFile = config.getString(CoordinatorConfig.HTTP_TLS_KEYSTORE_PASSWORD_FILE_CONFIG);
        String tokenFile = config.getString(CoordinatorConfig.HTTP_TOKEN_FILE_CONFIG);
        SSLContext server = null;
        SSLContext client = null;
        if (!keystore.isBlank()) {
            if (passwordFile.isBlank()) {
                throw new ConfigException(CoordinatorConfig.HTTP_TLS_KEYSTORE_PASSWORD_FILE_CONFIG
                        + " is required with " + CoordinatorConfig.HTTP_TLS_KEYSTORE_FILE_CONFIG);
            }
            char[] password = secret(passwordFile, CoordinatorConfig.HTTP_TLS_KEYSTORE_PASSWORD_FILE_CONFIG)
                    .toCharArray();
            try {
                KeyStore store = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(Path.of(keystore))) {
                    store.load(in, password);
                }
                KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(store, password);
                server = SSLContext.getInstance("TLS");
                server.init(keys.getKeyManagers(), null, null);
                KeyStore roots = KeyStore.getInstance("PKCS12");
                roots.load(null, null);
                for (String alias : Collections.list(store.aliases())) {
                    Certificate[] chain = store.getCertificateChain(alias);
                    if (chain != null && chain.length > 0) {
                        roots.setCertificateEntry("root-" + alias, chain[chain.length - 1]);
                    }
                }
                TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trust.init(roots);
                client = SSLContext.getInstance("TLS");
                client.init(null, trust.getTrustManagers(), null);
            } catch (IOException | GeneralSecurityException e) {
                throw new ConfigException(CoordinatorConfig.HTTP_TLS_KEYSTORE_FILE_CONFIG + ": cannot use " + keystore
                        + " as a PKCS12 key store with the password in " + passwordFile + " (" + e.getMessage() + ")");
            }
        } else if (!passwordFile.isBlank()) {
            throw new ConfigException(CoordinatorConfig.HTTP_TLS_KEYSTORE_PASSWORD_FILE_CONFIG + " without "
                    + CoordinatorConfig.HTTP_TLS_KEYSTORE_FILE_CONFIG);
        }
        byte[] token = null;
        if (!tokenFile.isBlank()) {
            String text = secret(tokenFile, CoordinatorConfig.HTTP_TOKEN_FILE_CONFIG);
            if (text.length() < MIN_TOKEN_LENGTH || !text.matches("[\\x21-\\x7e]+")) {
                throw new ConfigException(CoordinatorConfig.HTTP_TOKEN_FILE_CONFIG + ": the token in " + tokenFile
                        + " must be at least " + MIN_TOKEN_LENGTH + " printable characters without spaces");
            }
            token = text.getBytes(StandardCharsets.UTF_8);
        }
        return new HttpSecurity(server, client, token);
    }

    /** A secret file's content, stripped; refused when others may read it. */
    private static String secret(String file, String key) {
        try {
            dev.failover.wire.sign.SigningKeys.requireOwnerOnly(Path.of(file), key);
            return Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new ConfigException(key + ": cannot read " + file + " (" + e + ")");
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }
}
