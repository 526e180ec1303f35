package dev.failover.cli;

import dev.failover.broker.FreePorts;
import dev.failover.broker.LocalKafkaBroker;
import dev.failover.coordinator.app.CoordinatorApp;
import dev.failover.coordinator.app.CoordinatorConfig;
import dev.failover.wire.RoleChange;
import dev.failover.wire.Topics;
import dev.failover.wire.WireSerdes;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code failover demo}: the whole system on this machine, and a failover shown live. A real Kafka broker, one
 * coordinator, and two demo services (alpha, beta), each with its agent as its own process, in the active/passive
 * group {@code demo}. It kills the primary's agent and service with SIGKILL, measures until the standby's /role
 * answers 200, restarts the killed node to show it rejoin as STANDBY, then stops everything it started.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a local broker, a coordinator and two agents with demo services, kills the primary, and "
                    + "shows the standby take over. Ends by itself and cleans up every process it started."
        })
public final class DemoCommand implements Callable<Integer> {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
    private static final Pattern FIELD = Pattern.compile("\"(role|epoch|leaseRemainingMs|health)\":\"?([A-Z0-9_]+)\"?");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--duration",
            paramLabel = "DURATION",
            defaultValue = "40s",
            converter = Durations.class,
            description = "How long the demo runs before it cleans up (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(
            names = "--kill-after",
            paramLabel = "DURATION",
            defaultValue = "10s",
            converter = Durations.class,
            description = "How long the elected primary serves before the demo kills it: time to open the status "
                    + "page (default: ${DEFAULT-VALUE}).")
    Duration killAfter;

    @Option(names = "--interactive", description = "Keep running after the scenario until Ctrl-C.")
    boolean interactive;

    private PrintWriter out;
    private final List<Process> children = new ArrayList<>();
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();
    private volatile boolean done;
    private volatile LocalKafkaBroker broker;

    private final class Node {
        final String name;
        final int priority;
        final int servicePort;
        final int agentPort;
        Process service;
        Process agent;

        Node(String name, int priority) throws IOException {
            this.name = name;
            this.priority = priority;
            this.servicePort = FreePorts.pick();
            this.agentPort = FreePorts.pick();
        }

        String row() {
            String body = get("http://127.0.0.1:" + agentPort + "/role");
            if (body == null) {
                return String.format(
                        "  %-6s %-8s %6s %9s %-10s %s",
                        name, "-", "-", "-", "-", agent == null || !agent.isAlive() ? "(killed)" : "(starting)");
            }
            Map<String, String> f = new LinkedHashMap<>();
            Matcher m = FIELD.matcher(body);
            while (m.find()) {
                f.put(m.group(1), m.group(2));
            }
            return String.format(
                    "  %-6s %-8s %6s %7sms %-10s %s",
                    name,
                    f.get("role"),
                    f.get("epoch"),
                    f.get("leaseRemainingMs"),
                    f.get("health"),
                    "ACTIVE".equals(f.get("role")) ? "<- serving" : "");
        }
    }

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        quietenLogs();
        Path work = Files.createTempDirectory("failover-demo-");
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopChildren, "demo-cleanup"));
        long end = System.nanoTime() + duration.toNanos();
        say("starting a real Kafka broker (KRaft, its own JVM; logs in %s)", work);
        try (LocalKafkaBroker broker = LocalKafkaBroker.builder()
                .dataDir(work.resolve("broker"))
                .property("auto.create.topics.enable", "false")
                .build()) {
            this.broker = broker;
            broker.start();
            say(
                    "broker up at %s (pid %d)",
                    broker.bootstrapServers(), broker.pid().orElse(-1));
            nodes.put("alpha", new Node("alpha", 100));
            nodes.put("beta", new Node("beta", 50));
            for (Node n : nodes.values()) {
                startNode(n, broker.bootstrapServers(), work);
            }
            say("started demo services alpha and beta, each with its agent (priority 100 and 50, group 'demo', "
                    + "heartbeat 200ms, timeout 1s (one broker, so no leader moves; the default is 2s), HTTP check of "
                    + "the service)");
            say("starting the coordinator (Kafka Streams, exactly-once)");
            try (CoordinatorApp coordinator = new CoordinatorApp(CoordinatorConfig.parse(Map.of(
                    CoordinatorConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                    CoordinatorConfig.STATE_DIR_CONFIG,
                            work.resolve("coordinator").toString(),
                    CoordinatorConfig.HTTP_HOST_CONFIG, "127.0.0.1",
                    CoordinatorConfig.HTTP_PORT_CONFIG, Integer.toString(statusPort()),
                    CoordinatorConfig.TOPIC_PARTITIONS_CONFIG, "1")))) {
                coordinator.start();
                waitFor(() -> coordinator.state() == KafkaStreams.State.RUNNING, Duration.ofSeconds(60), "coordinator");
                say("coordinator running");
                String page = "http://127.0.0.1:"
                        + coordinator
                                .httpAddress()
                                .map(a -> a.substring(a.lastIndexOf(':') + 1))
                                .orElseThrow() + "/";
                say("status page: %s (live; open it now)", page);
                Thread decisions = followDecisions(broker.bootstrapServers());
                String primary = waitForPrimary(Duration.ofSeconds(30));
                table(6, Duration.ofMillis(500));
                if (!killAfter.isZero()) {
                    say(
                            "the primary %s is killed in %d s: watch the group on %sui/groups/demo",
                            primary, killAfter.toSeconds(), page);
                    table((int) Math.max(1, killAfter.toSeconds()), Duration.ofSeconds(1));
                }
                Node victim = nodes.get(primary);
                Node survivor = nodes.values().stream()
                        .filter(n -> n != victim)
                        .findFirst()
                        .orElseThrow();
                say(
                        "killing the primary %s: its agent (pid %d) and its service (pid %d), with SIGKILL",
                        victim.name, victim.agent.pid(), victim.service.pid());
                long killedAt = System.nanoTime();
                victim.agent.destroyForcibly();
                victim.service.destroyForcibly();
                long takeover = -1;
                while (System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(15)) {
                    if (get("http://127.0.0.1:" + survivor.agentPort + "/role") != null && status(survivor) == 200) {
                        takeover = (System.nanoTime() - killedAt) / 1_000_000;
                        break;
                    }
                    Thread.sleep(5);
                }
                if (takeover < 0) {
                    say("%s did not take over within 15 s: something is wrong (see %s)", survivor.name, work);
                    return 1;
                }
                say(
                        ">>> %s took over: its /role answered 200 %d ms after the kill (failure timeout 1000 ms)",
                        survivor.name, takeover);
                table(4, Duration.ofMillis(500));
                say("restarting %s: it rejoins as STANDBY (sticky: no failback)", victim.name);
                startNode(victim, broker.bootstrapServers(), work);
                long restartDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!victim.row().contains("STANDBY") || !victim.row().contains("HEALTHY")) {
                    if (System.nanoTime() > restartDeadline) {
                        say("%s did not rejoin within 60 s (see %s)", victim.name, work);
                        return 1;
                    }
                    table(1, Duration.ofMillis(500));
                }
                say(">>> %s rejoined as STANDBY; %s stays ACTIVE", victim.name, survivor.name);
                table(3, Duration.ofMillis(500));
                while (!interactive && System.nanoTime() < end) {
                    table(1, Duration.ofMillis(1000));
                }
                while (interactive && !done) {
                    table(1, Duration.ofMillis(1000));
                }
                say(
                        "summary: %s failed over to %s in %d ms; %s came back as STANDBY (the timeline with each "
                                + "decision's reason is on %s; --interactive keeps it open). Stopping everything.",
                        victim.name, survivor.name, takeover, victim.name, page);
                done = true;
                decisions.join(2_000);
                stopChildren();
            }
        }
        say("all processes stopped; bye");
        return 0;
    }

    /** 8090 for the status page when it is free (an address to remember), else any free port. */
    private static int statusPort() {
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new java.net.InetSocketAddress("127.0.0.1", 8090));
            return 8090;
        } catch (IOException e) {
            return 0;
        }
    }

    private void startNode(Node n, String bootstrap, Path work) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        n.service = start(
                List.of(
                        java,
                        "-Xmx32m",
                        "-XX:+UseSerialGC",
                        "-XX:TieredStopAtLevel=1",
                        "-cp",
                        cp,
                        FailoverCli.class.getName(),
                        "demo-service",
                        "--name",
                        n.name,
                        "--port",
                        Integer.toString(n.servicePort)),
                work.resolve(n.name + "-service.log"));
        n.agent = start(
                List.of(
                        java,
                        "-Xmx64m",
                        "-XX:+UseSerialGC",
                        "-XX:TieredStopAtLevel=1",
                        "-cp",
                        cp,
                        FailoverCli.class.getName(),
                        "agent",
                        "--bootstrap-servers",
                        bootstrap,
                        "--group",
                        "demo",
                        "--node",
                        n.name,
                        "--priority",
                        Integer.toString(n.priority),
                        "--http-port",
                        Integer.toString(n.agentPort),
                        "--check-http",
                        "http://127.0.0.1:" + n.servicePort + "/",
                        "--heartbeat-interval",
                        "200ms",
                        "--failure-timeout",
                        "1s"),
                work.resolve(n.name + "-agent.log"));
    }

    private Process start(List<String> command, Path log) throws IOException {
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        synchronized (children) {
            children.add(p);
        }
        return p;
    }

    private String waitForPrimary(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            table(1, Duration.ofMillis(500));
            for (Node n : nodes.values()) {
                if (status(n) == 200) {
                    return n.name;
                }
            }
        }
        throw new IllegalStateException("no primary was elected within " + timeout.toSeconds() + " s");
    }

    private void table(int times, Duration every) throws InterruptedException {
        for (int i = 0; i < times; i++) {
            StringBuilder rows = new StringBuilder();
            rows.append(String.format("  %-6s %-8s %6s %9s %-10s%n", "node", "role", "epoch", "lease", "health"));
            for (Node n : nodes.values()) {
                rows.append(n.row()).append('\n');
            }
            out.print("[" + LocalTime.now().format(TIME) + "]\n" + rows);
            out.flush();
            Thread.sleep(every.toMillis());
        }
    }

    private Thread followDecisions(String bootstrap) {
        Thread t = new Thread(
                () -> {
                    try (var consumer = new KafkaConsumer<>(
                            Map.<String, Object>of(
                                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                    bootstrap,
                                    ConsumerConfig.GROUP_ID_CONFIG,
                                    "demo-" + UUID.randomUUID(),
                                    ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                                    "read_committed",
                                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                                    "earliest"),
                            new StringDeserializer(),
                            WireSerdes.roleChange())) {
                        consumer.subscribe(List.of(Topics.ROLE_CHANGES));
                        while (!done && !Thread.currentThread().isInterrupted()) {
                            for (var r : consumer.poll(Duration.ofMillis(100))) {
                                RoleChange c = r.value();
                                say("decision, epoch %d (%s): %s", c.getEpoch(), c.getKind(), c.getReason());
                            }
                        }
                    } catch (RuntimeException e) {
                        if (!done) {
                            say("(stopped following decisions: %s)", e.getMessage());
                        }
                    }
                },
                "demo-decisions");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private int status(Node n) {
        return RoleEndpoint.status(http, "127.0.0.1:" + n.agentPort, Duration.ofMillis(300));
    }

    private String get(String url) {
        try {
            return http.send(
                            HttpRequest.newBuilder(URI.create(url))
                                    .timeout(Duration.ofMillis(300))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private void stopChildren() {
        done = true;
        List<Process> all;
        synchronized (children) {
            all = new ArrayList<>(children);
        }
        all.forEach(Process::destroy);
        for (Process p : all) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        LocalKafkaBroker b = broker;
        if (b != null && Thread.currentThread().getName().equals("demo-cleanup")) {
            b.stop(); // interrupted (Ctrl-C): the broker is a child process and would outlive us
        }
    }

    private synchronized void say(String format, Object... args) {
        out.println("[" + LocalTime.now().format(TIME) + "] " + String.format(format, args));
        out.flush();
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, Duration timeout, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + " did not start within " + timeout.toSeconds() + " s");
            }
            Thread.sleep(50);
        }
    }

    /** The demo tells its own story; the coordinator's INFO lines would drown it (they are in the decisions). */
    /** Only warnings of ours and errors of Kafka's: the command's own output tells the story (the demo, ctl replay). */
    static void quietenLogs() {
        if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
            context.getLogger("dev.failover").setLevel(ch.qos.logback.classic.Level.WARN);
            context.getLogger("org.apache.kafka").setLevel(ch.qos.logback.classic.Level.ERROR);
            for (ch.qos.logback.classic.Logger logger : context.getLoggerList()) {
                if (logger.getName().startsWith("dev.failover")) {
                    logger.setLevel(ch.qos.logback.classic.Level.WARN);
                } else if (logger.getName().startsWith("org.apache.kafka")) {
                    logger.setLevel(ch.qos.logback.classic.Level.ERROR);
                }
            }
        }
    }
}
