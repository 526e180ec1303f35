package dev.failover.broker;

/** Sleeps between polls of a broker that is starting or a credential that is on its way. */
final class Pause {

    private Pause() {}

    /** Sleeps, restoring the interrupt flag if interrupted. */
    static void millis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting", e);
        }
    }
}
