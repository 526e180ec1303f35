package dev.failover.architecture.violations.core;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.LoggerFactory;

/** Breaks the pure-core rule in the other ways: a monotonic clock of its own, a Clock, a sleep, a lock, a log. */
public final class WaitsAndLogs {

    private final AtomicLong decisions = new AtomicLong();

    public long decide(Clock clock) throws InterruptedException {
        long started = System.nanoTime();
        Thread.sleep(1);
        LoggerFactory.getLogger(WaitsAndLogs.class).info("deciding at {}", clock.millis());
        decisions.incrementAndGet();
        return System.nanoTime() - started;
    }
}
