package dev.failover.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FreePortsTest {

    @Test
    void portsLieBelowTheEphemeralRangeAreFreeAndNeverHandedOutTwice() throws Exception {
        int ephemeral = FreePorts.ephemeralStart();
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            int port = FreePorts.pick();
            assertTrue(port >= FreePorts.LOWEST && port < ephemeral, port + " is not below " + ephemeral);
            assertTrue(seen.add(port), "handed out twice: " + port);
            // free when handed out: a listener can bind it
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                assertEquals(port, socket.getLocalPort());
            }
        }
    }

    @Test
    void aPairIsTwoAdjacentFreePorts() throws Exception {
        int first = FreePorts.pickPair();
        try (ServerSocket a = new ServerSocket(first, 1, InetAddress.getLoopbackAddress());
                ServerSocket b = new ServerSocket(first + 1, 1, InetAddress.getLoopbackAddress())) {
            assertFalse(FreePorts.isFree(first));
            assertFalse(FreePorts.isFree(first + 1));
        }
    }
}
