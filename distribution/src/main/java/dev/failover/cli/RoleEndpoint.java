package dev.failover.cli;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Asks an agent's {@code /role} endpoint as a load balancer does: 200 while it serves, 503 while it does not. */
final class RoleEndpoint {

    private RoleEndpoint() {}

    /** The status code of {@code GET http://hostPort/role}, or -1 when the agent does not answer in time. */
    static int status(HttpClient http, String hostPort, Duration timeout) {
        try {
            return http.send(
                            HttpRequest.newBuilder(URI.create("http://" + hostPort + "/role"))
                                    .timeout(timeout)
                                    .build(),
                            HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
