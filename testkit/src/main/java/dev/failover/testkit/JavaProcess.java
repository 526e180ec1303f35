package dev.failover.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Java main class run as its own OS process with this JVM's class path, for tests that kill, pause or signal a
 * real process. Its output (stdout and stderr) is collected line by line; {@link #awaitLine} waits for a line the
 * program prints when it is ready, and fails with the whole output if the process exits first.
 */
public final class JavaProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final List<String> output = new CopyOnWriteArrayList<>();

    private JavaProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        Thread reader = new Thread(
                () -> {
                    try (var in = new BufferedReader(
                            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                        for (String line; (line = in.readLine()) != null; ) {
                            output.add(line);
                        }
                    } catch (IOException e) {
                        output.add("(reading the output failed: " + e + ")");
                    }
                },
                name + "-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code mainClass} with {@code jvmOptions} and {@code args}, on this JVM's class path. */
    public static JavaProcess start(String name, List<String> jvmOptions, String mainClass, List<String> args) {
        return start(name, jvmOptions, System.getProperty("java.class.path"), mainClass, args);
    }

    /** Starts {@code mainClass} with {@code jvmOptions} and {@code args}, on {@code classPath}. */
    public static JavaProcess start(
            String name, List<String> jvmOptions, String classPath, String mainClass, List<String> args) {
        return start(name, java.util.Map.of(), jvmOptions, classPath, mainClass, args);
    }

    /** Starts {@code mainClass} as above, with {@code environment} added to this JVM's environment. */
    public static JavaProcess start(
            String name,
            java.util.Map<String, String> environment,
            List<String> jvmOptions,
            String classPath,
            String mainClass,
            List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(classPath);
        command.add(mainClass);
        command.addAll(args);
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().putAll(environment);
            return new JavaProcess(name, builder.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
    }

    /** The first output line matching {@code pattern}, waited for up to {@code timeout}. */
    public Matcher awaitLine(Pattern pattern, Duration timeout) {
        return Await.value(timeout, name + " to print " + pattern, () -> {
            Matcher found = output.stream()
                    .map(pattern::matcher)
                    .filter(Matcher::find)
                    .findFirst()
                    .orElse(null);
            if (found == null && !process.isAlive()) {
                throw new AssertionError(
                        name + " exited with " + process.exitValue() + ":\n" + String.join("\n", output));
            }
            return found;
        });
    }

    public Process process() {
        return process;
    }

    public long pid() {
        return process.pid();
    }

    public List<String> output() {
        return List.copyOf(output);
    }

    /**
     * Every thread's stack, as {@code jcmd PID Thread.print} prints it, for a failure message when the process looks
     * stuck; a line saying why when it cannot be had (the process is gone or frozen).
     */
    public String threadDump() {
        if (!process.isAlive()) {
            return "(" + name + " has exited)";
        }
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        try {
            Process dump = new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "Thread.print")
                    .redirectErrorStream(true)
                    .start();
            String text = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return dump.waitFor() == 0 ? text : "(jcmd failed for " + name + ": " + text.strip() + ")";
        } catch (IOException e) {
            return "(no thread dump of " + name + ": " + e + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(thread dump of " + name + " interrupted)";
        }
    }

    public void signal(String signal) {
        Signals.send(process.pid(), signal);
    }

    /** SIGKILL, and wait until it is gone. */
    public void kill() {
        process.destroyForcibly();
        Await.until(Duration.ofSeconds(10), name + " to die", () -> !process.isAlive());
    }

    /** SIGTERM, then SIGKILL if it is still there after 30 s. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                Await.until(Duration.ofSeconds(30), name + " to stop", () -> !process.isAlive());
            } catch (AssertionError e) {
                process.destroyForcibly();
            }
        }
    }
}
