package dev.failover.architecture.violations.core;

/** Breaks the pure-core rule: a core that reads the clock itself. */
public final class ReadsTheClock {

    public long age(long since) {
        return System.currentTimeMillis() - since + java.time.Instant.now().getNano() * 0L;
    }
}
