package dev.failover.testkit;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Sends POSIX signals to processes, for fault tests that pause (STOP/CONT), interrupt (INT), terminate (TERM) or
 * kill (KILL) a real process. Uses the system's {@code kill} command: Java can only send TERM and KILL itself.
 */
public final class Signals {

    private Signals() {}

    /** Sends {@code signal} (a name such as {@code STOP}, {@code CONT}, {@code INT}) to {@code pid}. */
    public static void send(long pid, String signal) {
        String name = name(signal);
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid))
                    .redirectErrorStream(true)
                    .start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                String output = new String(kill.getInputStream().readAllBytes());
                throw new IllegalStateException("kill -" + name + " " + pid + " failed: " + output.strip());
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run kill -" + name + " " + pid, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted sending " + name + " to " + pid, e);
        }
    }

    private static String name(String signal) {
        String name = signal.toUpperCase(Locale.ROOT).replaceFirst("^SIG", "");
        if (!List.of("STOP", "CONT", "INT", "TERM", "KILL", "HUP").contains(name)) {
            throw new IllegalArgumentException("unsupported signal " + signal);
        }
        return name;
    }

    /**
     * A signal ready to go: a shell already started and waiting, so that {@link Armed#fire()} delivers it within about
     * a millisecond instead of the several a new {@code kill} process takes. For measurements that time from the
     * signal.
     */
    public static Armed arm(long pid, String signal) {
        String name = name(signal);
        try {
            return new Armed(
                    new ProcessBuilder("sh", "-c", "read go && exec kill -" + name + " " + pid)
                            .redirectErrorStream(true)
                            .start(),
                    name + " " + pid);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start a shell to send " + name + " to " + pid, e);
        }
    }

    /** See {@link #arm}. */
    public static final class Armed {
        private final Process shell;
        private final String what;

        private Armed(Process shell, String what) {
            this.shell = shell;
            this.what = what;
        }

        /** Sends the signal now and returns once it has been sent. */
        public void fire() {
            try {
                shell.getOutputStream().write('\n');
                shell.getOutputStream().flush();
                if (!shell.waitFor(10, TimeUnit.SECONDS) || shell.exitValue() != 0) {
                    throw new IllegalStateException("kill -" + what + " failed: "
                            + new String(shell.getInputStream().readAllBytes()).strip());
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot send " + what, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted sending " + what, e);
            }
        }
    }
}
