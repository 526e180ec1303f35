package dev.failover.cli;

import dev.failover.wire.sign.SigningKeys;
import java.io.IOException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;

/** The public keys of {@code --trust-key} (agent and ctl), each file named when it cannot be read as one. */
final class TrustKeys {

    private TrustKeys() {
    }

    static List<PublicKey> load(List<Path> files) {
        List<PublicKey> keys = new ArrayList<>();
        for (Path file : files) {
            try {
                keys.add(SigningKeys.loadPublic(file));
            } catch (IOException e) {
                throw new IllegalArgumentException("--trust-key: cannot read " + file + " (" + e.getMessage() + ")");
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--trust-key: " + e.getMessage());
            }
        }
        return keys;
    }
}
