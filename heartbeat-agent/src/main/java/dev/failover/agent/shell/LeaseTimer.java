package dev.failover.agent.shell;

import java.util.OptionalLong;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The agent's lease timer: one pending tick, set for just after the role machine's next deadline (an ACTIVE node's
 * lease end), instead of polling the machine. Re-armed after every machine step; a deadline that did not move keeps
 * its tick.
 */
public final class LeaseTimer {

    /** A tick lands this long after the deadline it is for, so that the lease has surely run out by then. */
    static final long SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final ScheduledExecutorService timers;
    private final LongSupplier nanos;
    private final Runnable tick;
    private ScheduledFuture<?> next;
    private long armedFor = Long.MIN_VALUE;
    private boolean stopped;

    public LeaseTimer(ScheduledExecutorService timers, LongSupplier nanos, Runnable tick) {
        this.timers = timers;
        this.nanos = nanos;
        this.tick = tick;
    }

    /** Sets the one tick for {@code deadline} (nanoseconds on the injected clock), or none if empty. */
    public synchronized void arm(OptionalLong deadline) {
        if (deadline.isPresent() && deadline.getAsLong() == armedFor) {
            return;
        }
        if (next != null) {
            next.cancel(false);
            next = null;
        }
        armedFor = deadline.orElse(Long.MIN_VALUE);
        if (deadline.isPresent() && !stopped) {
            long delay = Math.max(0, deadline.getAsLong() - nanos.getAsLong()) + SLACK_NANOS;
            next = timers.schedule(tick, delay, TimeUnit.NANOSECONDS);
        }
    }

    public synchronized void stop() {
        stopped = true;
        if (next != null) {
            next.cancel(false);
        }
    }
}
