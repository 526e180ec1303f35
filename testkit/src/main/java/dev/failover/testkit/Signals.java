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

    private Signals() {
    }

    /** Sends {@code signal} (a name such as {@code STOP}, {@code CONT}, {@code INT}) to {@code pid}. */
    public static void send(long pid, String signal) {
        String name = signal.toUpperCase(Locale.ROOT).replaceFirst("^SIG", "");
        if (!List.of("STOP", "CONT", "INT", "TERM", "KILL", "HUP").contains(name)) {
            throw new IllegalArgumentException("unsupported signal " + signal);
        }
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).redirectErrorStream(true).start();
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
}
