package dev.failover.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TcpProxyTest {

    private ServerSocket echo;
    private TcpProxy proxy;

    @BeforeEach
    void start() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread server = new Thread(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    Thread t = new Thread(() -> {
                        try (s) {
                            s.getInputStream().transferTo(s.getOutputStream());
                        } catch (IOException e) {
                            // client went away
                        }
                    });
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        server.setDaemon(true);
        server.start();
        proxy = TcpProxy.open().forwardTo("127.0.0.1", echo.getLocalPort());
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        echo.close();
    }

    @Test
    void relaysThenBlackHolesWhileCutThenResetsSurvivorsAndRelaysAgain() throws IOException {
        try (Socket client = connect()) {
            assertEquals('a', roundTrip(client, 'a'));

            proxy.cut();
            assertTrue(proxy.isCut());
            client.getOutputStream().write('b');
            assertThrows(
                    SocketTimeoutException.class,
                    () -> client.getInputStream().read(),
                    "nothing may come back through a cut link");
            try (Socket during = connect()) {
                during.getOutputStream().write('c');
                assertThrows(
                        SocketTimeoutException.class,
                        () -> during.getInputStream().read(),
                        "a connection made during the cut is accepted but never reaches the server");
            }

            proxy.restore();
            assertEquals(
                    -1, readOrMinusOne(client.getInputStream()), "a connection that lived through the cut is reset");
        }
        try (Socket after = connect()) {
            assertEquals('d', roundTrip(after, 'd'));
        }
    }

    private Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", proxy.port());
        s.setSoTimeout(300);
        return s;
    }

    private static int roundTrip(Socket s, char c) throws IOException {
        s.setSoTimeout(5_000);
        s.getOutputStream().write(c);
        int back = s.getInputStream().read();
        s.setSoTimeout(300);
        return back;
    }

    private static int readOrMinusOne(InputStream in) throws IOException {
        try {
            return in.read();
        } catch (java.net.SocketException e) {
            return -1; // reset
        }
    }
}
