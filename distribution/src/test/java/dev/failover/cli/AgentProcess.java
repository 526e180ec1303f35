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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An agent as its own OS process through the real CLI, with hooks that append
 * {@code <wall-clock ns> <role> <epoch> <group> <node>} to a ledger file, and its /role endpoint.
 */
final class AgentProcess implements AutoCloseable {

    private static final Pattern READY = Pattern.compile("/role on http://(\\S+)/role");

    final String node;
    final Process process;
    final Path ledger;
    final String http;
    final List<String> output = new CopyOnWriteArrayList<>();

    private AgentProcess(String node, Process process, Path ledger) {
        this.node = node;
        this.process = process;
        this.ledger = ledger;
        Thread reader = new Thread(() -> {
            try (var in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    output.add(line);
                }
            } catch (IOException e) {
                output.add("(reading failed: " + e + ")");
            }
        }, node + "-output");
        reader.setDaemon(true);
        reader.start();
        Matcher m = Await.value(Duration.ofSeconds(60), node + " to start", () -> {
            if (!process.isAlive()) {
                throw new AssertionError(node + " exited early:\n" + String.join("\n", output));
            }
            return output.stream().map(READY::matcher).filter(Matcher::find).findFirst().orElse(null);
        });
        this.http = m.group(1);
    }

    static AgentProcess launch(String bootstrap, String group, String node, int priority, Path dir) throws IOException {
        Path ledger = dir.resolve(group + "-" + node + ".ledger");
        Files.createDirectories(dir);
        String hook = "sh -c 'echo $(date +%s%N) $FAILOVER_ROLE $FAILOVER_EPOCH $FAILOVER_GROUP $FAILOVER_NODE >> "
                + ledger + "'";
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), FailoverCli.class.getName(),
                "agent", "--bootstrap-servers", bootstrap, "--group", group, "--node", node,
                "--priority", Integer.toString(priority), "--http-port", "0",
                "--on-activate", hook, "--on-standby", hook));
        return new AgentProcess(node, new ProcessBuilder(command).redirectErrorStream(true).start(), ledger);
    }

    /** Ledger lines as {@code role epoch group node}, in order, without the timestamp. */
    List<String> edges() {
        return ledgerLines().stream().map(l -> l.substring(l.indexOf(' ') + 1)).toList();
    }

    List<String> ledgerLines() {
        try {
            return Files.exists(ledger) ? Files.readAllLines(ledger) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The /role status code, or -1 when the agent does not answer (stopped, gone). */
    int roleStatus() {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + http + "/role"))
                    .timeout(Duration.ofMillis(500)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    String roleBody() throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + http + "/role"))
                .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    void signal(String signal) {
        Signals.send(process.pid(), signal);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
