package dev.failover.broker;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Loopback ports for a listener that another process will open later (a broker JVM, an agent, a demo service).
 *
 * <p>A port the kernel hands out for {@code bind(0)} comes from its ephemeral range, the same range it draws the
 * source ports of outgoing connections from: between the moment such a port is found free and the moment a broker
 * JVM binds it (seconds later, or after a restart), any client connection on the machine may take it, and the broker
 * fails with "Address already in use". The ports chosen here lie below the ephemeral range (read from
 * {@code /proc/sys/net/ipv4/ip_local_port_range} where there is one), where the kernel never assigns a port on its
 * own, are free when chosen, and are never handed out twice by this JVM. Only another program choosing the same
 * fixed port can still collide; {@link LocalKafkaBroker} recovers from that by choosing again.
 */
public final class FreePorts {

    /** Lowest port chosen: above the registered ports most services use by default (9092, 8080, 2181...). */
    static final int LOWEST = 20_000;

    private static final Set<Integer> handedOut = new HashSet<>();

    private FreePorts() {}

    /** One free loopback port outside the ephemeral range. */
    public static int pick() {
        return pickRun(1);
    }

    /** A port {@code p} such that {@code p} and {@code p + 1} are both free (a broker's client and controller ports). */
    public static int pickPair() {
        return pickRun(2);
    }

    /** A port {@code p} such that {@code p} to {@code p + length - 1} are all free (a cluster's nodes, two each). */
    public static synchronized int pickRun(int length) {
        int highest = ephemeralStart() - length;
        if (highest - LOWEST < 1000) {
            return fromKernel(length);
        }
        for (int attempt = 0; attempt < 200; attempt++) {
            int first = ThreadLocalRandom.current().nextInt(LOWEST, highest + 1);
            if (allFree(first, length)) {
                for (int p = first; p < first + length; p++) {
                    handedOut.add(p);
                }
                return first;
            }
        }
        throw new IllegalStateException("no run of " + length + " free loopback ports between " + LOWEST + " and "
                + highest + " after 200 tries");
    }

    /** Where the kernel has no range below its ephemeral one to spare: its own choice, checked for the run. */
    private static int fromKernel(int length) {
        for (int attempt = 0; attempt < 200; attempt++) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                int first = socket.getLocalPort();
                if (first + length - 1 <= 65535 && !handedOut.contains(first) && allFree(first + 1, length - 1)) {
                    handedOut.add(first);
                    return first;
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot open a loopback socket to find a free port", e);
            }
        }
        throw new IllegalStateException("the kernel offered no run of " + length + " free ports in 200 tries");
    }

    private static boolean allFree(int first, int length) {
        for (int p = first; p < first + length; p++) {
            if (handedOut.contains(p) || !isFree(p)) {
                return false;
            }
        }
        return true;
    }

    /** True if a listener could bind {@code port} on the loopback address right now. */
    public static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The first port of the kernel's ephemeral range: Linux's from /proc, otherwise IANA's 49152 (macOS, Windows). */
    static int ephemeralStart() {
        Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        try {
            if (Files.isReadable(range)) {
                // read a line, not the file's size in bytes: procfs reports a size of 0
                try (var in = Files.newBufferedReader(range, StandardCharsets.US_ASCII)) {
                    return Integer.parseInt(in.readLine().trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through to the IANA range
        }
        return 49_152;
    }
}
