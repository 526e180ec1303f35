package dev.failover.cli;

import dev.failover.testkit.JavaProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A coordinator as its own OS process, launched through the real CLI, for tests that kill or pause it. */
final class CoordinatorProcess implements AutoCloseable {

    /** The JVM options of a test's coordinator: a small heap, so that several fit beside a broker on 2 cores. */
    static final List<String> JVM_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC");

    private static final Pattern RUNNING = Pattern.compile("coordinator (\\S+) running against \\S+; HTTP (\\S+)");

    final JavaProcess process;
    final String instanceId;
    final String http;

    private CoordinatorProcess(JavaProcess process) {
        this.process = process;
        Matcher m = process.awaitLine(RUNNING, Duration.ofSeconds(60));
        this.instanceId = m.group(1);
        this.http = m.group(2);
    }

    static CoordinatorProcess launch(String name, String bootstrap, Path stateDir, String prefix) {
        List<String> settings =
                new ArrayList<>(List.of("application.id=" + prefix + "coordinator", "topic.partitions=4"));
        for (String topic : List.of("heartbeats", "role-changes", "state", "commands", "dead-letters")) {
            settings.add("topic." + topic + "=" + prefix + topic);
        }
        return launch(name, bootstrap, stateDir, settings);
    }

    /** A coordinator with {@code settings} ({@code key=value}, as --set takes them) over the defaults. */
    static CoordinatorProcess launch(String name, String bootstrap, Path stateDir, List<String> settings) {
        return launch(name, bootstrap, stateDir, settings, List.of());
    }

    /** As {@link #launch(String, String, Path, List)}, with {@code extraArgs} (flags) after the usual ones. */
    static CoordinatorProcess launch(
            String name, String bootstrap, Path stateDir, List<String> settings, List<String> extraArgs) {
        return launch(name, bootstrap, stateDir, settings, extraArgs, JVM_OPTIONS);
    }

    /** As above, the JVM started with {@code jvmOptions}. */
    static CoordinatorProcess launch(
            String name,
            String bootstrap,
            Path stateDir,
            List<String> settings,
            List<String> extraArgs,
            List<String> jvmOptions) {
        List<String> args = new ArrayList<>(List.of(
                "coordinator",
                "--bootstrap-servers",
                bootstrap,
                "--state-dir",
                stateDir.toString(),
                "--http-port",
                "0"));
        args.addAll(extraArgs);
        for (String setting : settings) {
            args.add("--set");
            args.add(setting);
        }
        return new CoordinatorProcess(JavaProcess.start(name, jvmOptions, FailoverCli.class.getName(), args));
    }

    boolean healthy() {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://" + http + "/health"))
                                    .timeout(Duration.ofSeconds(2))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    void kill() {
        process.kill();
    }

    void signal(String signal) {
        process.signal(signal);
    }

    @Override
    public void close() {
        process.close();
    }
}
