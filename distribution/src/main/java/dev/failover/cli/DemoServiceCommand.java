package dev.failover.cli;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** A stand-in service for the demo: answers {@code GET /} with 200 and its name until it is killed. */
@Command(name = "demo-service", hidden = true, description = "A tiny HTTP service for the demo.")
public final class DemoServiceCommand implements Callable<Integer> {

    @Option(names = "--name", required = true)
    String name;

    @Option(names = "--port", required = true)
    int port;

    @Override
    public Integer call() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 8);
        server.createContext("/", exchange -> {
            byte[] body = (name + " is up\n").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        new CountDownLatch(1).await();
        return 0;
    }
}
