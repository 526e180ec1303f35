package dev.failover.architecture.violations.core;

import io.micrometer.core.instrument.Counter;
import java.net.URI;
import java.nio.file.Path;
import java.time.InstantSource;
import java.time.LocalDateTime;
import javax.crypto.Mac;

/** Breaks the pure-core rule in the remaining ways: files, the network, metrics, javax, a time source, local time. */
public final class ReachesOut {

    public String decide(Path file, URI peer, Counter decisions, Mac mac, InstantSource time) {
        decisions.increment();
        return file + " " + peer + " " + mac.getAlgorithm() + " " + time.millis() + " " + LocalDateTime.now();
    }
}
