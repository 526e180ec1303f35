package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.failover.broker.FreePorts;
import dev.failover.cli.FaultHarness.Group;
import dev.failover.testkit.Await;
import dev.failover.testkit.JavaProcess;
import dev.failover.testkit.check.Observations;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * This project side by side with ZooKeeper + Curator, in one run on one machine (benchmark, not run by
 * {@code mvn verify}; {@code ./failover bench peers}). Ours: two agents at 200 ms / 1 s beside a broker and two
 * coordinators, as in {@code bench failover}. Theirs: a ZooKeeper 3.9.5 server and two Curator {@code LeaderLatch}
 * members ({@link LatchMember}), each its own process, with a 1 s session, one server per {@code -Dbench.zkTicks}
 * entry (tickTime in ms; default {@code 500,100}: 500 is ZooKeeper's largest tick that grants a 1 s session, 100 a
 * server tuned for it). Trials are interleaved (ours, theirs at each tick, ours, ...) so all see the same load:
 * SIGKILL of the leader's process, then the time on this JVM's monotonic clock until the other member's leadership
 * callback reaches the ledger (theirs) or the standby's {@code /role} answers 200 (ours; the row "activate hook
 * reported" is the like-for-like point, our hook being their callback). Every killed member is relaunched and the
 * group settled before the next trial. A quiet period (-Dbench.quiet, 60 s) at the end counts leadership changes
 * nobody provoked. {@code -Dbench.trials} (100) trials each.
 */
class PeersBenchmark {

    private static final Duration SESSION = FaultHarness.TIMEOUT;
    private static final String OURS_ROLE = "ours: kill -> standby /role 200 (ms)";
    private static final String OURS_HOOK = "ours: kill -> standby's activate hook reported (ms)";
    private static final Pattern NEGOTIATED = Pattern.compile("negotiated session timeout (\\d+) ms");

    @Test
    void sigkillOfTheLeaderOursAgainstZooKeeperAndCurator() throws Exception {
        int trials = Integer.getInteger("bench.trials", 100);
        Duration quiet = Duration.ofSeconds(Long.getLong("bench.quiet", 60));
        List<Integer> ticks = BenchmarkReport.listProperty("bench.zkTicks", "500,100").stream()
                .map(Integer::valueOf)
                .toList();
        BenchmarkReport report = new BenchmarkReport("peers");
        Path dir = Files.createTempDirectory("bench-peers-");
        List<Ensemble> theirs = new ArrayList<>();
        try (FaultHarness harness = new FaultHarness(dir.resolve("ours"));
                FaultHarness.HookLedger ledger = new FaultHarness.HookLedger(new Observations())) {
            try {
                for (int tick : ticks) {
                    theirs.add(new Ensemble(dir, tick, ledger));
                }
                Group g = harness.group("peers", true)
                        .timing(FaultHarness.HEARTBEAT, SESSION)
                        .node("alpha", 100, null)
                        .node("beta", 50, null)
                        .start();
                for (Ensemble e : theirs) {
                    e.settle();
                    report.note(e.label() + ": session timeout granted by the server " + e.negotiatedMs() + " ms");
                }
                for (int i = 0; i < trials; i++) {
                    StringBuilder line = new StringBuilder(
                            String.format("trial %d/%d: ours %.0f ms", i + 1, trials, ours(g, report)));
                    for (Ensemble e : theirs) {
                        line.append(String.format(", %s %.0f ms", e.label(), e.trial(report)));
                    }
                    System.out.println(line);
                }
                int oursBefore = hookRuns(g);
                List<Integer> theirsBefore =
                        theirs.stream().map(Ensemble::edges).toList();
                Await.hold(quiet, "a quiet period: no leader may change");
                report.note(
                        String.format("quiet %d s: ours %d hook runs", quiet.toSeconds(), hookRuns(g) - oursBefore));
                for (int k = 0; k < theirs.size(); k++) {
                    report.note(String.format(
                            "quiet %d s: %s %d leadership callbacks",
                            quiet.toSeconds(),
                            theirs.get(k).label(),
                            theirs.get(k).edges() - theirsBefore.get(k)));
                }
                for (Ensemble e : theirs) {
                    String theirSeries = e.series();
                    for (String ours : List.of(OURS_ROLE, OURS_HOOK)) {
                        report.note(String.format(
                                "ratio %s / %s: p50 %.2f, p90 %.2f, p99 %.2f, max %.2f",
                                ours.substring(0, ours.indexOf(" (ms)")),
                                e.label(),
                                ratio(report, ours, theirSeries, 0.5),
                                ratio(report, ours, theirSeries, 0.9),
                                ratio(report, ours, theirSeries, 0.99),
                                ratio(report, ours, theirSeries, 1.0)));
                    }
                }
                g.retire();
            } finally {
                theirs.forEach(Ensemble::close);
            }
            var verdict = harness.report();
            report.note("split-brain checker over our trials: "
                    + (verdict.ok() ? "no violations" : String.join("; ", verdict.messages())));
            report.finish();
            assertTrue(verdict.ok(), String.join("\n", verdict.messages()));
        }
    }

    /** One trial of ours: SIGKILL of the primary agent until the standby's /role answers 200; the group settled. */
    private static double ours(Group g, BenchmarkReport report) {
        FaultHarness.Takeover t =
                g.killPrimaryUntilTakeover("SIGKILL primary (peers)", SESSION.plusSeconds(2), SESSION.plusSeconds(15));
        report.add(OURS_ROLE, t.ms());
        report.add(OURS_HOOK, (t.standby().lastActivationNs() - t.killedAtNs()) / 1e6);
        return t.ms();
    }

    private static int hookRuns(Group g) {
        return g.members.stream().mapToInt(n -> n.edges().size()).sum();
    }

    private static double ratio(BenchmarkReport report, String ours, String theirs, double q) {
        return report.percentile(ours, q) / report.percentile(theirs, q);
    }

    /** One ZooKeeper server and its two latch members. */
    private static final class Ensemble implements AutoCloseable {
        private final int tick;
        private final String group;
        private final FaultHarness.HookLedger ledger;
        private final String connect;
        private final JavaProcess server;
        private final List<Member> members = new ArrayList<>();

        Ensemble(Path dir, int tick, FaultHarness.HookLedger ledger) throws IOException {
            this.tick = tick;
            this.group = "zk" + tick;
            this.ledger = ledger;
            Path home = dir.resolve(group);
            Files.createDirectories(home.resolve("data"));
            int port = FreePorts.pick();
            Path cfg = Files.writeString(
                    home.resolve("zoo.cfg"),
                    String.join(
                            "\n",
                            "tickTime=" + tick,
                            "dataDir=" + home.resolve("data"),
                            "clientPort=" + port,
                            "admin.enableServer=false",
                            "maxClientCnxns=0",
                            ""));
            this.connect = "127.0.0.1:" + port;
            this.server = JavaProcess.start(
                    "zookeeper-" + group,
                    List.of("-Xmx128m", "-XX:+UseSerialGC"),
                    "org.apache.zookeeper.server.ZooKeeperServerMain",
                    List.of(cfg.toString()));
            Await.until(
                    Duration.ofSeconds(60), "ZooKeeper (tick " + tick + ") listening on " + port, () -> accepts(port));
            members.add(new Member("a"));
            members.add(new Member("b"));
            members.forEach(Member::launch);
        }

        String label() {
            return "ZooKeeper+Curator tick " + tick + " ms";
        }

        String series() {
            return "zk tick " + tick + " ms: kill -> new leader's callback (ms)";
        }

        /** Waits until both members run their latch and exactly one leads, then a second more. */
        void settle() {
            for (Member m : members) {
                m.process.awaitLine(Pattern.compile("latch started"), Duration.ofSeconds(60));
            }
            leader();
            Await.hold(Duration.ofSeconds(1), "the standby's latch node in place");
        }

        int negotiatedMs() {
            Matcher m = members.get(0).process.awaitLine(NEGOTIATED, Duration.ofSeconds(60));
            return Integer.parseInt(m.group(1));
        }

        Member leader() {
            return Await.value(Duration.ofSeconds(30), label() + " to have exactly one leader", () -> {
                List<Member> leading = members.stream().filter(Member::leads).toList();
                return leading.size() == 1 ? leading.get(0) : null;
            });
        }

        double trial(BenchmarkReport report) {
            Member leader = leader();
            Member other = members.get(0) == leader ? members.get(1) : members.get(0);
            long killedAt = System.nanoTime();
            leader.process.kill();
            Await.until(
                    SESSION.plusSeconds(15),
                    label() + ": " + other.id + " to lead",
                    () -> ledger.lastActivationNs(group, other.id) > killedAt);
            double ms = (ledger.lastActivationNs(group, other.id) - killedAt) / 1e6;
            report.add(series(), ms);
            leader.launch();
            settle();
            return ms;
        }

        int edges() {
            return members.stream()
                    .mapToInt(m -> ledger.edges(group, m.id).size())
                    .sum();
        }

        @Override
        public void close() {
            members.forEach(m -> m.process.close());
            server.close();
        }

        private final class Member {
            private final String id;
            private JavaProcess process;
            private long launchedNs;

            Member(String id) {
                this.id = id;
            }

            void launch() {
                launchedNs = System.nanoTime();
                process = JavaProcess.start(
                        "latch-" + group + "-" + id,
                        List.of("-Xmx64m", "-XX:+UseSerialGC"),
                        LatchMember.class.getName(),
                        List.of(
                                connect,
                                group,
                                id,
                                Integer.toString(ledger.port()),
                                Long.toString(SESSION.toMillis())));
            }

            /** This incarnation took leadership and has not reported losing it. */
            boolean leads() {
                List<String> edges = ledger.edges(group, id);
                return process.process().isAlive()
                        && ledger.lastActivationNs(group, id) > launchedNs
                        && !edges.isEmpty()
                        && edges.get(edges.size() - 1).startsWith("ACTIVE");
            }
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
