package dev.failover.cli;

import dev.failover.testkit.Await;
import dev.failover.testkit.Signals;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A coordinator as its own OS process, launched through the real CLI, for tests that kill or pause it. */
final class CoordinatorProcess implements AutoCloseable {

    private static final Pattern RUNNING = Pattern.compile("coordinator (\\S+) running against \\S+; HTTP (\\S+)");

    final String name;
    final Process process;
    final List<String> output = new CopyOnWriteArrayList<>();
    final String instanceId;
    final String http;

    private CoordinatorProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        Thread reader = new Thread(() -> {
            try (var in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    output.add(line);
                }
            } catch (IOException e) {
                output.add("(reading failed: " + e + ")");
            }
        }, name + "-output");
        reader.setDaemon(true);
        reader.start();
        Matcher m = Await.value(Duration.ofSeconds(60), name + " to start", () -> {
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited early:\n" + String.join("\n", output));
            }
            return output.stream().map(RUNNING::matcher).filter(Matcher::find).findFirst().orElse(null);
        });
        this.instanceId = m.group(1);
        this.http = m.group(2);
    }

    static CoordinatorProcess launch(String name, String bootstrap, Path stateDir, String prefix) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), FailoverCli.class.getName(),
                "coordinator", "--bootstrap-servers", bootstrap, "--state-dir", stateDir.toString(), "--http-port", "0",
                "--set", "application.id=" + prefix + "coordinator", "--set", "topic.partitions=4"));
        for (String topic : List.of("heartbeats", "role-changes", "state", "commands", "dead-letters")) {
            command.add("--set");
            command.add("topic." + topic + "=" + prefix + topic);
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        return new CoordinatorProcess(name, process);
    }

    boolean healthy() {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + http
                    + "/health")).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    void kill() {
        process.destroyForcibly();
        Await.until(Duration.ofSeconds(10), name + " to die", () -> !process.isAlive());
    }

    void signal(String signal) {
        Signals.send(process.pid(), signal);
    }

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
