package dev.failover.agent.probe;

import dev.failover.agent.core.CommandLineWords;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A health check of the service beside the agent: HTTP (2xx), TCP connect, or a command's exit code. */
public interface Probe {

    Result check();

    record Result(boolean ok, String detail) {}

    /** A probe from its spec ({@code http:URL}, {@code tcp:HOST:PORT}, {@code exec:COMMAND}). */
    static Probe of(String spec, Duration timeout) {
        if (spec.startsWith("http:") || spec.startsWith("https:")) {
            return http(URI.create(spec), timeout);
        }
        if (spec.startsWith("tcp:")) {
            String target = spec.substring(4);
            int colon = target.lastIndexOf(':');
            return tcp(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)), timeout);
        }
        return exec(CommandLineWords.split(spec.substring(5)), timeout);
    }

    static Probe http(URI uri, Duration timeout) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
        return () -> {
            long began = System.nanoTime();
            try {
                int status = client.send(
                                HttpRequest.newBuilder(uri)
                                        .timeout(timeout)
                                        .GET()
                                        .build(),
                                HttpResponse.BodyHandlers.discarding())
                        .statusCode();
                return new Result(status / 100 == 2, "HTTP " + status + " in " + millisSince(began) + " ms");
            } catch (IOException e) {
                return new Result(false, "HTTP " + uri + ": " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Result(false, "interrupted");
            }
        };
    }

    static Probe tcp(String host, int port, Duration timeout) {
        return () -> {
            long began = System.nanoTime();
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
                return new Result(true, "TCP " + host + ":" + port + " connected in " + millisSince(began) + " ms");
            } catch (IOException e) {
                return new Result(false, "TCP " + host + ":" + port + ": " + e.getMessage());
            }
        };
    }

    static Probe exec(List<String> command, Duration timeout) {
        return () -> {
            try {
                Process p = new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start();
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    return new Result(false, command.get(0) + " timed out after " + timeout.toMillis() + " ms");
                }
                return new Result(p.exitValue() == 0, command.get(0) + " exited with " + p.exitValue());
            } catch (IOException e) {
                return new Result(false, "cannot run " + command.get(0) + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Result(false, "interrupted");
            }
        };
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }
}
