package dev.failover.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP relay that a test can cut: the network partition of one process from a server, without touching the
 * process. While cut it is a black hole, as a dropped link is: nothing passes in either direction, connections stay
 * open and new ones are accepted but never reach the server, so clients learn of it only through their own
 * timeouts. {@link #restore()} then resets every connection that lived through the cut (as a peer that lost its
 * state would) and relays new ones again.
 */
public final class TcpProxy implements AutoCloseable {

    private final ServerSocket server;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Object gate = new Object();
    private volatile InetSocketAddress target;
    private boolean cut;
    private volatile boolean closed;
    private final Thread acceptor;

    private TcpProxy(ServerSocket server) {
        this.server = server;
        this.acceptor = new Thread(this::acceptLoop, "tcp-proxy-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A relay on a free loopback port; give it a target with {@link #forwardTo} before clients connect. */
    public static TcpProxy open() {
        try {
            return new TcpProxy(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a loopback port for the proxy", e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    public TcpProxy forwardTo(String host, int port) {
        this.target = new InetSocketAddress(host, port);
        return this;
    }

    /** From now on nothing passes; returns at once. */
    public void cut() {
        synchronized (gate) {
            cut = true;
        }
    }

    /** Resets every connection that lived through the cut and relays again. */
    public void restore() {
        synchronized (gate) {
            // reset the survivors before the gate opens, so that nothing held during the cut gets through
            List<Socket> old = new ArrayList<>(sockets);
            old.forEach(TcpProxy::closeQuietly);
            sockets.removeAll(old);
            cut = false;
            gate.notifyAll();
        }
    }

    public boolean isCut() {
        synchronized (gate) {
            return cut;
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            sockets.add(client);
            Thread connector = new Thread(() -> connect(client), "tcp-proxy-connect");
            connector.setDaemon(true);
            connector.start();
        }
    }

    private void connect(Socket client) {
        if (!awaitOpen(client)) {
            return;
        }
        Socket upstream = new Socket();
        sockets.add(upstream);
        try {
            upstream.setTcpNoDelay(true);
            client.setTcpNoDelay(true);
            upstream.connect(target, 5_000);
        } catch (IOException | RuntimeException e) {
            closeQuietly(client);
            closeQuietly(upstream);
            return;
        }
        pump(client, upstream, "up");
        pump(upstream, client, "down");
    }

    private void pump(Socket from, Socket to, String direction) {
        Thread t = new Thread(
                () -> {
                    byte[] buffer = new byte[64 * 1024];
                    try (InputStream in = from.getInputStream();
                            OutputStream out = to.getOutputStream()) {
                        for (int n; (n = in.read(buffer)) >= 0; ) {
                            if (!awaitOpen(from)) {
                                break;
                            }
                            out.write(buffer, 0, n);
                            out.flush();
                        }
                    } catch (IOException e) {
                        // one side went away: take the other down with it
                    } finally {
                        closeQuietly(from);
                        closeQuietly(to);
                        sockets.remove(from);
                        sockets.remove(to);
                    }
                },
                "tcp-proxy-" + direction);
        t.setDaemon(true);
        t.start();
    }

    /** Holds the caller while the link is cut; false if its socket was reset meanwhile. */
    private boolean awaitOpen(Socket socket) {
        synchronized (gate) {
            while (cut && !socket.isClosed() && !closed) {
                try {
                    gate.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return !socket.isClosed() && !closed;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already gone
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // already closed
        }
        sockets.forEach(TcpProxy::closeQuietly);
        synchronized (gate) {
            gate.notifyAll();
        }
    }
}
