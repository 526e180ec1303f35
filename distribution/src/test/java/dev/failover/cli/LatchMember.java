package dev.failover.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.retry.RetryForever;

/**
 * One ZooKeeper + Curator {@link LeaderLatch} member of the peers benchmark ({@link PeersBenchmark}), run as its own
 * process the way a service would embed it: a session of {@code sessionMs}, Curator's default error policy (a
 * suspended connection counts as leadership lost). Each leadership edge is reported as our hooks report theirs: one
 * line {@code ACTIVE|STANDBY n group id} written to the benchmark's ledger, which stamps it on accept.
 * Arguments: {@code connectString group id ledgerPort sessionMs}.
 */
final class LatchMember {

    private LatchMember() {}

    public static void main(String[] args) throws Exception {
        String connect = args[0];
        String group = args[1];
        String id = args[2];
        int ledgerPort = Integer.parseInt(args[3]);
        int sessionMs = Integer.parseInt(args[4]);
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .sessionTimeoutMs(sessionMs)
                .connectionTimeoutMs(sessionMs)
                .retryPolicy(new RetryForever(100))
                .build();
        client.start();
        if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) {
            System.out.println("latch member " + id + ": no connection to " + connect + " in 30 s");
            System.exit(1);
        }
        System.out.println("latch member " + id + ": negotiated session timeout "
                + client.getZookeeperClient().getZooKeeper().getSessionTimeout() + " ms");
        AtomicLong edges = new AtomicLong();
        LeaderLatch latch = new LeaderLatch(client, "/bench/" + group, id);
        latch.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                report(ledgerPort, "ACTIVE " + edges.incrementAndGet() + " " + group + " " + id);
            }

            @Override
            public void notLeader() {
                report(ledgerPort, "STANDBY " + edges.incrementAndGet() + " " + group + " " + id);
            }
        });
        latch.start();
        System.out.println("latch member " + id + ": latch started");
        new CountDownLatch(1).await(); // until killed
    }

    private static void report(int port, String line) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
                OutputStream out = s.getOutputStream()) {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            System.out.println("cannot report '" + line + "': " + e);
        }
    }
}
