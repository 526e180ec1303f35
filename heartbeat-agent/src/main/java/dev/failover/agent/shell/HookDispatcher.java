package dev.failover.agent.shell;

import dev.failover.agent.core.HookStep;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's hook dispatch: runs hook steps one at a time on one thread, in the order they were handed in, each
 * once its time has come ({@link HookStep#notBeforeNanos}); a step waiting out a retry's backoff holds up nothing
 * queued behind it. What a step does, and what comes next, is the work function's business (the role machine
 * decides); this class only runs, chains and counts.
 */
public final class HookDispatcher {

    private static final Logger log = LoggerFactory.getLogger(HookDispatcher.class);

    private final ScheduledThreadPoolExecutor thread = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "agent-hooks");
        t.setDaemon(true);
        return t;
    });
    private final LongSupplier nanos;
    private final Function<HookStep, Optional<HookStep>> work;
    /** Steps handed in and not finished yet (queued, waiting for their time, or running). */
    private int outstanding;

    /** @param work runs one step and returns the next step of its edge, if any */
    public HookDispatcher(LongSupplier nanos, Function<HookStep, Optional<HookStep>> work) {
        this.nanos = nanos;
        this.work = work;
        // once shut down, a retry still waiting for its backoff does not run
        thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    public void submit(HookStep step) {
        synchronized (this) {
            outstanding++;
        }
        try {
            thread.schedule(() -> runAndChain(step), step.delayNanos(nanos.getAsLong()), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            log.warn(
                    "not running the {} hook for epoch {}: the agent is shutting down",
                    step.kind(),
                    step.edge().epoch());
            finished();
        }
    }

    private void runAndChain(HookStep step) {
        try {
            work.apply(step).ifPresent(this::submit);
        } catch (RuntimeException e) {
            log.error(
                    "the {} hook step for epoch {} failed unexpectedly",
                    step.kind(),
                    step.edge().epoch(),
                    e);
        } finally {
            finished();
        }
    }

    private synchronized void finished() {
        outstanding--;
        notifyAll();
    }

    /** Waits until no step is queued, waiting for its time or running; false if {@code timeout} passed first. */
    public synchronized boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = nanos.getAsLong() + timeout.toNanos();
        while (outstanding > 0) {
            long left = deadline - nanos.getAsLong();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    /** Stops taking steps; one that runs finishes. */
    public void shutdown() {
        thread.shutdown();
    }
}
