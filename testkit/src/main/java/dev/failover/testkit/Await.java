package dev.failover.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Polls for a condition until a deadline: the one place where tests and the testkit wait. Every deadline is scaled
 * by the system property {@value #FACTOR_PROPERTY} (default 1), so slow machines raise one number instead of
 * editing timeouts.
 */
public final class Await {

    public static final String FACTOR_PROPERTY = "failover.test.timeout.factor";

    private static final long POLL_MS = 20;

    private Await() {}

    /** {@code timeout} scaled by {@value #FACTOR_PROPERTY}. */
    public static Duration scaled(Duration timeout) {
        double factor = Double.parseDouble(System.getProperty(FACTOR_PROPERTY, "1"));
        return Duration.ofMillis(Math.round(timeout.toMillis() * factor));
    }

    /** Waits until {@code condition} holds; fails naming {@code what} when the scaled deadline passes. */
    public static void until(Duration timeout, String what, BooleanSupplier condition) {
        value(timeout, what, () -> condition.getAsBoolean() ? Boolean.TRUE : null);
    }

    /** Waits until {@code supplier} returns non-null and returns it; fails naming {@code what} at the deadline. */
    public static <T> T value(Duration timeout, String what, Supplier<T> supplier) {
        Duration scaled = scaled(timeout);
        long deadline = System.nanoTime() + scaled.toNanos();
        RuntimeException last = null;
        while (true) {
            try {
                T value = supplier.get();
                if (value != null) {
                    return value;
                }
            } catch (RuntimeException e) {
                last = e;
            }
            if (System.nanoTime() - deadline >= 0) {
                AssertionError error =
                        new AssertionError("timed out after " + scaled.toMillis() + " ms waiting for " + what);
                if (last != null) {
                    error.initCause(last);
                }
                throw error;
            }
            pause(POLL_MS);
        }
    }

    /**
     * Lets {@code duration} pass on purpose, unscaled: a fault that lasts that long (a process stopped for 3 s) or
     * an observation window in which nothing may happen (no false failover for 12 s). Not for waiting for a
     * condition: use {@link #until} for that.
     */
    public static void hold(Duration duration, String why) {
        pause(duration.toMillis());
    }

    /** Sleeps, restoring the interrupt flag if interrupted. */
    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting", e);
        }
    }
}
