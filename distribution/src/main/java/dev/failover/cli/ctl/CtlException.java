package dev.failover.cli.ctl;

/** A failure of {@code failover ctl} with the exit code that tells a script what kind it was. */
public final class CtlException extends RuntimeException {

    /** Failed at run time: Kafka unreachable, a read that did not finish. */
    public static final int FAILED = 1;
    /** The coordinator refused the command (the reason is printed). */
    public static final int REFUSED = 3;
    /** No acknowledgement from a coordinator within --timeout. */
    public static final int NO_ANSWER = 4;
    /** Unknown group, unknown epoch, or nothing to read yet. */
    public static final int NOTHING = 5;

    private final int exitCode;

    public CtlException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
