package dev.failover.cli;

import dev.failover.broker.LocalKafkaBroker;
import dev.failover.testkit.Await;
import dev.failover.testkit.Brokers;
import dev.failover.testkit.Signals;
import dev.failover.testkit.TcpProxy;
import dev.failover.testkit.check.Observations;
import dev.failover.testkit.check.Observations.Expect;
import dev.failover.testkit.check.Observations.ProcessEvent;
import dev.failover.testkit.check.SplitBrainChecker;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The whole system as separate OS processes for fault injection: a real broker (with two relayed listeners, so
 * that one agent at a time can be cut off through a {@link TcpProxy}), two coordinators, and agents in groups. It
 * records into {@link Observations}, on the one monotonic clock of this JVM:
 * <ul>
 *   <li>every hook run: each agent's hooks connect to the {@link HookLedger} here, which stamps the line on
 *       arrival (bash's {@code /dev/tcp}; no clock of the hook's own is trusted);</li>
 *   <li>every answer of every agent's {@code GET /role}, polled every 10 ms by a thread per node;</li>
 *   <li>launches, kills, SIGSTOP/SIGCONT of agent processes, and the faults with their windows.</li>
 * </ul>
 * {@link SplitBrainChecker} then proves the promises from those records.
 */
final class FaultHarness implements AutoCloseable {

    static final Duration HEARTBEAT = Duration.ofMillis(200);
    static final Duration TIMEOUT = Duration.ofSeconds(1);
    /** Stated overhead above the timeout for a takeover on this shared CI machine (benchmarks measure the real one). */
    static final Duration OVERHEAD = Await.scaled(Duration.ofMillis(1000));
    /**
     * Longest accepted wake-up overlap: a primary frozen (with its service) past its lease that wakes after its
     * successor took over serves until its stand-down hook has run (seen: 70-170 ms, most of it spawning the hook).
     * Its /role answers 503 from the first request and its epoch is stale; any other overlap has no tolerance.
     */
    static final Duration WAKE_TOLERANCE = Duration.ofMillis(250);
    /**
     * The longest a killed coordinator's partitions wait for a new owner to read them: its group session (3 s, the
     * Streams protocol's by default) or, when it died with a transaction open, that transaction's timeout (5 s) and
     * the broker's sweep that aborts it (1 s), whichever is longer.
     */
    static final Duration COORDINATOR_SESSION = Duration.ofSeconds(6);

    final Observations observations = new Observations();
    final TcpProxy relayA = TcpProxy.open();
    final TcpProxy relayB = TcpProxy.open();
    final LocalKafkaBroker broker;
    private final Path dir;
    private final HookLedger ledger;
    private final List<CoordinatorProcess> coordinators = new CopyOnWriteArrayList<>();
    private final List<Node> nodes = new CopyOnWriteArrayList<>();
    private int coordinatorLaunches;
    private final int coordinatorCount;
    private final List<String> coordinatorSettings;
    private final List<String> coordinatorJvmOptions;
    /** Wall-clock minus monotonic time, in ms, to place the coordinator's decision times on the monotonic clock. */
    final long wallMinusMonoMs = System.currentTimeMillis() - System.nanoTime() / 1_000_000;
    /** Every decision read, in the order read. */
    private final List<dev.failover.wire.RoleChange> decisionRecords = new CopyOnWriteArrayList<>();
    /** Every decision as {@code group epoch kind roles: reason}, read committed from the role-change topic. */
    private final List<String> decisions = new CopyOnWriteArrayList<>();

    private volatile boolean closing;

    FaultHarness(Path dir) {
        this(dir, 2, List.of(), java.util.Map.of());
    }

    /**
     * {@code coordinatorCount} coordinators launched with {@code coordinatorSettings} (as --set takes them) on a broker
     * with {@code brokerProperties} over its defaults.
     */
    FaultHarness(
            Path dir,
            int coordinatorCount,
            List<String> coordinatorSettings,
            java.util.Map<String, String> brokerProperties) {
        this(dir, coordinatorCount, coordinatorSettings, brokerProperties, CoordinatorProcess.JVM_OPTIONS);
    }

    /** As above, the coordinators' JVMs started with {@code coordinatorJvmOptions}. */
    FaultHarness(
            Path dir,
            int coordinatorCount,
            List<String> coordinatorSettings,
            java.util.Map<String, String> brokerProperties,
            List<String> coordinatorJvmOptions) {
        this.dir = dir;
        this.coordinatorJvmOptions = List.copyOf(coordinatorJvmOptions);
        this.coordinatorCount = coordinatorCount;
        this.coordinatorSettings = List.copyOf(coordinatorSettings);
        LocalKafkaBroker.Builder builder = Brokers.builder()
                .dataDir(dir.resolve("kafka"))
                .relayedListener("RELAY_A", relayA.port())
                .relayedListener("RELAY_B", relayB.port());
        brokerProperties.forEach(builder::property);
        this.broker = builder.build();
        broker.start();
        relayA.forwardTo("127.0.0.1", broker.listenerPort("RELAY_A"));
        relayB.forwardTo("127.0.0.1", broker.listenerPort("RELAY_B"));
        this.ledger = new HookLedger(observations);
        Thread reader = new Thread(this::readDecisions, "decision-log");
        reader.setDaemon(true);
        reader.start();
        replaceCoordinators();
    }

    CoordinatorProcess launchCoordinator() {
        int n = ++coordinatorLaunches;
        List<String> settings = new ArrayList<>(List.of("topic.partitions=2"));
        settings.addAll(coordinatorSettings);
        return CoordinatorProcess.launch(
                "coordinator-" + n,
                broker.bootstrapServers(),
                dir.resolve("coordinator-" + n),
                settings,
                List.of(),
                coordinatorJvmOptions);
    }

    List<CoordinatorProcess> coordinators() {
        return List.copyOf(coordinators);
    }

    /** SIGKILL the coordinator hosting {@code group}; returns it (already dead). */
    CoordinatorProcess killOwnerOf(String group) {
        String owner = ownerOf(group).orElseThrow(() -> new AssertionError("no coordinator says who hosts " + group));
        CoordinatorProcess victim = coordinators.stream()
                .filter(c -> c.http.endsWith(owner.replaceFirst("^[^:]*", "")))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no coordinator at " + owner + " among "
                        + coordinators.stream().map(c -> c.http).toList()));
        victim.kill();
        coordinators.remove(victim);
        return victim;
    }

    /** Replaces killed coordinators until all run again, and waits until they are healthy. */
    void replaceCoordinators() {
        while (coordinators.size() < coordinatorCount) {
            coordinators.add(launchCoordinator());
        }
        for (CoordinatorProcess c : coordinators) {
            Await.until(Duration.ofSeconds(90), c.instanceId + " healthy", c::healthy);
        }
    }

    Optional<String> ownerOf(String group) {
        return Await.value(Duration.ofSeconds(30), "a coordinator to name the host of " + group, () -> {
            Reply r = groupReply(group);
            return r == null ? null : r.header("Failover-Owner");
        });
    }

    /** The stored group as the coordinators' JSON, or "" while none can say. */
    String groupView(String group) {
        Reply r = groupReply(group);
        return r == null ? "" : r.body();
    }

    /** The first coordinator's 200 answer to GET /groups/{group}, or null while none has one. */
    private Reply groupReply(String group) {
        for (CoordinatorProcess c : coordinators) {
            Reply r = get(c.http, "/groups/" + group, Duration.ofSeconds(2));
            if (r != null && r.status() == 200) {
                return r;
            }
        }
        return null;
    }

    private static final Duration POLL_TIMEOUT = Duration.ofMillis(250);

    /** A status code, the header lines and the body. */
    record Reply(int status, String head, String body) {
        /** The value of header {@code name} (case-insensitive), if the reply has it. */
        Optional<String> header(String name) {
            return head.lines()
                    .filter(l -> l.regionMatches(true, 0, name + ":", 0, name.length() + 1))
                    .map(l -> l.substring(name.length() + 1).strip())
                    .findFirst();
        }
    }

    /**
     * One GET on a fresh connection, as a load balancer's health check does: no pooled connection, no shared client
     * state, a hard timeout on connect and on every read. Null when nothing (complete) came back in time.
     */
    static Reply get(String hostPort, String path, Duration timeout) {
        int colon = hostPort.lastIndexOf(':');
        try (Socket socket = new Socket()) {
            socket.connect(
                    new java.net.InetSocketAddress(
                            hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1))),
                    (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            socket.getOutputStream()
                    .write(("GET " + path + " HTTP/1.1\r\nHost: " + hostPort + "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!response.startsWith("HTTP/1.1 ")) {
                return null;
            }
            int bodyAt = response.indexOf("\r\n\r\n");
            return new Reply(
                    Integer.parseInt(response.substring(9, 12)),
                    bodyAt < 0 ? response : response.substring(0, bodyAt),
                    bodyAt < 0 ? "" : response.substring(bodyAt + 4));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private void readDecisions() {
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(
                java.util.Map.<String, Object>of(
                        "bootstrap.servers",
                        broker.bootstrapServers(),
                        "group.id",
                        "decision-log-" + java.util.UUID.randomUUID(),
                        "auto.offset.reset",
                        "earliest",
                        "isolation.level",
                        "read_committed"),
                new org.apache.kafka.common.serialization.StringDeserializer(),
                dev.failover.wire.WireSerdes.roleChange())) {
            consumer.subscribe(List.of(dev.failover.wire.Topics.ROLE_CHANGES));
            while (!closing) {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    var c = r.value();
                    decisionRecords.add(c);
                    decisions.add(c.getGroup() + " " + java.time.Instant.ofEpochMilli(c.getDecidedAtMs()) + " epoch "
                            + c.getEpoch() + " " + c.getKind() + " "
                            + dev.failover.wire.tools.DecisionText.roles(c.getMembers()) + ": " + c.getReason());
                }
            }
        } catch (RuntimeException e) {
            decisions.add("(the decision log stopped: " + e + ")");
        }
    }

    /** The decisions about {@code group} read so far. */
    List<dev.failover.wire.RoleChange> decisions(String group) {
        return decisionRecords.stream().filter(c -> c.getGroup().equals(group)).toList();
    }

    /** A decision's time on this JVM's monotonic clock, in nanoseconds. */
    long monotonicNs(long wallMs) {
        return (wallMs - wallMinusMonoMs) * 1_000_000;
    }

    /** The checker's verdict on everything observed so far. */
    SplitBrainChecker.Report report() {
        return SplitBrainChecker.check(observations, System.nanoTime(), WAKE_TOLERANCE.toNanos());
    }

    /**
     * The decisions about {@code group} and the last lines of every coordinator's and agent's output, for a failure
     * message; the whole outputs go to files in the harness directory.
     */
    String dump(Group group) {
        StringBuilder out = new StringBuilder("\n--- decisions about " + group.name + " ---\n");
        decisions.forEach(line -> {
            if (line.startsWith(group.name + " ")) {
                out.append(line).append('\n');
            }
        });
        for (CoordinatorProcess c : coordinators) {
            out.append(tail("coordinator-" + c.instanceId, c.process.output()));
            out.append(streamThreads("threads-coordinator-" + c.instanceId, c.process.threadDump()));
        }
        out.append(transactions());
        for (Node n : group.members) {
            AgentProcess a = n.agent;
            Reply role = a == null ? null : get(a.http, "/role", Duration.ofSeconds(1));
            out.append("\n--- ")
                    .append(n)
                    .append(": last polled /role ")
                    .append(n.lastStatus)
                    .append(", now ")
                    .append(role == null ? "no answer" : role.status() + " " + role.body());
            out.append(tail("agent-" + group.name + "-" + n.name, n.output()));
        }
        return out.toString();
    }

    /**
     * What the broker says of transactions, as kafka-transactions.sh would show it: every transaction its coordinators
     * know, and every producer with an open transaction on the project's and the group offsets' partitions. What a
     * failure after a broker restart needs to tell a hanging transaction from a group coordinator that is stuck.
     */
    private String transactions() {
        StringBuilder out = new StringBuilder("\n--- transactions (broker's view) ---\n");
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(java.util.Map.of(
                "bootstrap.servers",
                broker.bootstrapServers(),
                "default.api.timeout.ms",
                5000,
                "request.timeout.ms",
                5000))) {
            var listings = admin.listTransactions().all().get(5, TimeUnit.SECONDS);
            var ids = listings.stream()
                    .map(org.apache.kafka.clients.admin.TransactionListing::transactionalId)
                    .toList();
            admin.describeTransactions(ids)
                    .all()
                    .get(5, TimeUnit.SECONDS)
                    .forEach((id, d) -> out.append(id).append(": ").append(d).append('\n'));
            List<org.apache.kafka.common.TopicPartition> partitions = new ArrayList<>();
            admin.describeTopics(List.of(
                            "__consumer_offsets",
                            "failover.heartbeats",
                            "failover.commands",
                            "failover.role-changes",
                            "failover.state"))
                    .allTopicNames()
                    .get(5, TimeUnit.SECONDS)
                    .forEach((name, d) -> d.partitions()
                            .forEach(p ->
                                    partitions.add(new org.apache.kafka.common.TopicPartition(name, p.partition()))));
            var producers = admin.describeProducers(partitions);
            for (var partition : partitions) {
                var open = producers.partitionResult(partition).get(5, TimeUnit.SECONDS).activeProducers().stream()
                        .filter(p -> p.currentTransactionStartOffset().isPresent())
                        .toList();
                if (!open.isEmpty()) {
                    out.append("open on ")
                            .append(partition)
                            .append(": ")
                            .append(open)
                            .append('\n');
                }
            }
        } catch (Exception e) {
            out.append("(could not read: ").append(e).append(")\n");
        }
        return out.toString();
    }

    private String tail(String name, List<String> lines) {
        Path file = save(name + ".log", String.join("\n", lines));
        return "\n--- " + name + " (whole output: " + file + ") ---\n"
                + String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    }

    /** Writes a coordinator's thread dump to a file and returns the stacks of its stream threads (where it may hang). */
    private String streamThreads(String name, String threadDump) {
        Path file = save(name + ".txt", threadDump);
        StringBuilder out = new StringBuilder("\n--- stream threads of " + name + " (whole dump: " + file + ") ---\n");
        for (String thread : threadDump.split("\n\n")) {
            if (thread.lines().findFirst().orElse("").matches("\"[^\"]*StreamThread-\\d+\".*")) {
                thread.lines().limit(25).forEach(line -> out.append(line).append('\n'));
            }
        }
        return out.toString();
    }

    /** {@code text} in a file of the harness directory, for a failure message to point at; null if it cannot be. */
    private Path save(String fileName, String text) {
        Path file = dir.resolve(fileName);
        try {
            Files.writeString(file, text + "\n");
            return file;
        } catch (IOException e) {
            return null;
        }
    }

    Group group(String name, boolean activePassive) {
        return new Group(name, activePassive);
    }

    @Override
    public void close() {
        closing = true;
        nodes.forEach(Node::close);
        coordinators.forEach(CoordinatorProcess::close);
        ledger.close();
        broker.close();
        relayA.close();
        relayB.close();
    }

    /** A failover group of agents, set up, faulted trial by trial, and retired. */
    final class Group {
        final String name;
        final boolean activePassive;
        final List<Node> members = new ArrayList<>();
        private long setupFrom;
        Duration heartbeat = HEARTBEAT;
        Duration timeout = TIMEOUT;
        /** How long each member's stand-down hook works before it reports (and exits). */
        private Duration standDown = Duration.ZERO;
        /** Failsafe mode's maximum, or null when its agents run without --failsafe. */
        private Duration failsafeMax;
        /** Each member's failsafe flags, made once the members are known. */
        private java.util.Map<String, List<String>> failsafeFlags;

        /** Every agent of the group with --failsafe, peers of each other over fixed HTTP ports (before start). */
        Group failsafe(Duration max) {
            this.failsafeMax = max;
            return this;
        }

        /** The failsafe flags of {@code node}: fixed port, the group's token, every other member as a peer. */
        private synchronized List<String> failsafeArgs(Node node) {
            if (failsafeMax == null) {
                return List.of();
            }
            if (failsafeFlags == null) {
                failsafeFlags = FailsafeFlags.of(
                        dir, name, members.stream().map(n -> n.name).toList(), failsafeMax);
            }
            return failsafeFlags.get(node.name);
        }

        private Group(String name, boolean activePassive) {
            this.name = name;
            this.activePassive = activePassive;
            observations.group(name, activePassive);
        }

        /** Heartbeat interval and failure timeout of every agent of the group (before {@link #start()}). */
        Group timing(Duration heartbeatInterval, Duration failureTimeout) {
            this.heartbeat = heartbeatInterval;
            this.timeout = failureTimeout;
            return this;
        }

        /** Stand-down hooks that take {@code work} before they report and exit, as a service that drains (before start). */
        Group standDownHook(Duration work) {
            this.standDown = work;
            return this;
        }

        /** Adds a node; {@code relay} (or null) is the proxy it reaches the broker through. */
        Group node(String node, int priority, TcpProxy relay) {
            members.add(new Node(this, node, priority, relay));
            return this;
        }

        /** Launches every node and waits until the group is settled; all of it is a setup window. */
        Group start() {
            setupFrom = System.nanoTime();
            try {
                members.parallelStream().forEach(Node::launch);
                settle();
            } finally {
                observations.fault(
                        new Observations.Fault("setup", name, null, Expect.SETUP, setupFrom, System.nanoTime(), 0));
            }
            return this;
        }

        Node node(String node) {
            return members.stream().filter(n -> n.name.equals(node)).findFirst().orElseThrow();
        }

        /** The one node answering /role 200 (active/passive), waited for. */
        Node primary() {
            return Await.value(Duration.ofSeconds(30), name + " to have exactly one ACTIVE", () -> {
                List<Node> active = members.stream().filter(Node::answersActive).toList();
                return active.size() == 1 ? active.get(0) : null;
            });
        }

        Node other(Node node) {
            return members.stream().filter(n -> n != node).findFirst().orElseThrow();
        }

        /**
         * Waits until every node has reconciled to the group's state and heartbeats (its /health says connected), a
         * primary answers (every node, for active/active), and a few more heartbeats have passed, so every standby
         * is proven and eligible again.
         */
        void settle() {
            await(
                    Duration.ofSeconds(60),
                    "every node of " + name + " heartbeating",
                    () -> members.stream().allMatch(Node::heartbeating));
            if (activePassive) {
                primary();
            } else {
                await(
                        Duration.ofSeconds(30),
                        "every node of " + name + " ACTIVE",
                        () -> members.stream().allMatch(Node::answersActive));
            }
            Await.hold(heartbeat.multipliedBy(3), "rise (2) more heartbeats, so every standby is eligible");
        }

        /**
         * One takeover trial: SIGKILL of the primary inside a {@code fault} window that expects a takeover within
         * {@code bound}, until the standby answers /role 200 (waited for up to {@code wait}); then the killed node is
         * relaunched and the group settled, still inside the window.
         */
        Takeover killPrimaryUntilTakeover(String fault, Duration bound, Duration wait) {
            Node primary = primary();
            Node standby = other(primary);
            try (Window w = fault(fault, primary, Expect.TAKEOVER, bound)) {
                long killedAt = System.nanoTime();
                primary.kill();
                await(
                        wait,
                        "the standby to take over",
                        () -> standby.answersActive() && standby.becameActiveNs > killedAt);
                Takeover takeover = new Takeover(primary, standby, killedAt, standby.becameActiveNs);
                primary.launch();
                settle();
                return takeover;
            }
        }

        /** Starts a fault's window now; {@link Window#close()} ends it and records the fault. */
        Window fault(String fault, Node node, Expect expect, Duration bound) {
            return new Window(this, fault, node, expect, bound);
        }

        /** {@link Await#until}, failing with the decisions and the processes' output. */
        void await(Duration timeout, String what, java.util.function.BooleanSupplier condition) {
            try {
                Await.until(timeout, what, condition);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + dump(this), e);
            }
        }

        /** Time with no fault: anything that changes now is a false failover. */
        void quiet(Duration duration) {
            Await.hold(duration, "steady state in " + name + ": no hook may run");
        }

        List<String> violations() {
            return report().messages(name);
        }

        /** Ends the group: what happens while its agents stop is not judged. */
        void retire() {
            observations.fault(
                    new Observations.Fault("teardown", name, null, Expect.SETUP, System.nanoTime(), Long.MAX_VALUE, 0));
            members.forEach(Node::close);
        }
    }

    /** A takeover trial: who was killed when (monotonic ns), and when its standby first answered /role 200. */
    record Takeover(Node dead, Node standby, long killedAtNs, long servingAtNs) {
        double ms() {
            return (servingAtNs - killedAtNs) / 1e6;
        }
    }

    /** A fault's window, from injection until the test says its consequences are over. */
    final class Window implements AutoCloseable {
        private final Group group;
        private final String fault;
        private final Node node;
        private final Expect expect;
        private final Duration bound;
        final long startNs = System.nanoTime();

        private Window(Group group, String fault, Node node, Expect expect, Duration bound) {
            this.group = group;
            this.fault = fault;
            this.node = node;
            this.expect = expect;
            this.bound = bound;
            // the wall-clock start, to read a slow trial against the decisions' timestamps and the processes' logs
            System.out.printf(
                    "fault window: %s on %s of %s starts at %s%n",
                    fault, node == null ? "-" : node.name, group.name, java.time.Instant.now());
        }

        @Override
        public void close() {
            observations.fault(new Observations.Fault(
                    fault,
                    group.name,
                    node == null ? null : node.name,
                    expect,
                    startNs,
                    System.nanoTime(),
                    bound.toNanos()));
        }
    }

    /** One agent process of a group (relaunched in place), with its /role poller. */
    final class Node {
        final Group group;
        final String name;
        final int priority;
        final TcpProxy relay;
        private volatile AgentProcess agent;
        private int incarnations;
        private volatile int lastStatus = -1;
        /** When /role last went to 200 (answer time) and last stopped answering 200 (ask time), monotonic ns. */
        volatile long becameActiveNs;

        volatile long lostActiveNs;
        private volatile boolean closed;
        private Thread poller;

        private Node(Group group, String name, int priority, TcpProxy relay) {
            this.group = group;
            this.name = name;
            this.priority = priority;
            this.relay = relay;
            nodes.add(this);
        }

        void launch() {
            String bootstrap = relay == null ? broker.bootstrapServers() : "127.0.0.1:" + relay.port();
            observations.lifecycle(System.nanoTime(), group.name, name, ProcessEvent.LAUNCH);
            lastStatus = -1;
            if (agent != null) {
                // keep the previous incarnation's output: a slow trial is read from the process that was faulted
                save(
                        "agent-" + group.name + "-" + name + "-" + (++incarnations) + ".log",
                        String.join("\n", agent.output()));
            }
            List<String> args = new ArrayList<>(List.of(
                    "--mode",
                    group.activePassive ? "active-passive" : "active-active",
                    "--heartbeat-interval",
                    group.heartbeat.toMillis() + "ms",
                    "--failure-timeout",
                    group.timeout.toMillis() + "ms"));
            args.addAll(group.failsafeArgs(this));
            agent = AgentProcess.start(bootstrap, group.name, name, priority, ledger.hook(group.standDown), args, null);
            if (poller == null) {
                poller = new Thread(this::poll, "role-poller-" + group.name + "-" + name);
                poller.setDaemon(true);
                poller.start();
            }
        }

        boolean answersActive() {
            return lastStatus == 200;
        }

        boolean alive() {
            return agent != null && agent.process.isAlive();
        }

        /** Reconciled to the group's state, so it heartbeats (an agent does not before it knows its epoch). */
        boolean heartbeating() {
            AgentProcess a = agent;
            if (a == null || !a.process.isAlive()) {
                return false;
            }
            Reply r = get(a.http, "/health", Duration.ofMillis(500));
            return r != null && r.body().contains("\"connected\":true");
        }

        void kill() {
            agent.java.kill();
            observations.lifecycle(System.nanoTime(), group.name, name, ProcessEvent.DEATH);
        }

        void stop() {
            agent.signal("STOP");
            observations.lifecycle(System.nanoTime(), group.name, name, ProcessEvent.STOP);
        }

        /** SIGCONT, recorded just before it is sent (an armed shell delivers it within about a millisecond). */
        void cont() {
            Signals.Armed cont = Signals.arm(agent.process.pid(), "CONT");
            observations.lifecycle(System.nanoTime(), group.name, name, ProcessEvent.CONT);
            cont.fire();
        }

        /** SIGTERM; returns once the process has exited. */
        void term() {
            agent.signal("TERM");
            Await.until(Duration.ofSeconds(20), name + " to exit after SIGTERM", () -> !agent.process.isAlive());
            observations.lifecycle(System.nanoTime(), group.name, name, ProcessEvent.DEATH);
        }

        /** The agent's {@code /metrics} text, or empty when it does not answer. */
        String metrics() {
            AgentProcess a = agent;
            return a == null ? "" : a.metrics();
        }

        /** The roles this node's hooks took so far, e.g. {@code [ACTIVE 3, STANDBY 3]}. */
        List<String> edges() {
            return ledger.edges(group.name, name);
        }

        /** When the ledger last heard this node's activate hook (monotonic ns), or 0. */
        long lastActivationNs() {
            return ledger.lastActivationNs(group.name, name);
        }

        List<String> output() {
            return agent == null ? List.of() : agent.output();
        }

        private void poll() {
            while (!closed) {
                AgentProcess a = agent;
                long sent = System.nanoTime();
                int status = a == null || !a.process.isAlive() ? -1 : status(a);
                long answered = System.nanoTime();
                if (status == 200 && lastStatus != 200) {
                    becameActiveNs = answered;
                } else if (status != 200 && lastStatus == 200) {
                    lostActiveNs = sent;
                }
                lastStatus = status;
                observations.sample(new Observations.RoleSample(sent, answered, group.name, name, status));
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
        }

        private int status(AgentProcess a) {
            Reply r = FaultHarness.get(a.http, "/role", POLL_TIMEOUT);
            return r == null ? -1 : r.status();
        }

        void close() {
            closed = true;
            if (agent != null) {
                agent.java.close();
            }
        }

        @Override
        public String toString() {
            return group.name + "/" + name;
        }
    }

    /**
     * Where hooks report: each hook run opens a connection and writes {@code role epoch group node}; the line is
     * stamped with this JVM's monotonic clock when the connection is accepted.
     */
    static final class HookLedger implements AutoCloseable {
        private final ServerSocket server;
        private final Observations observations;
        private final List<String[]> lines = new CopyOnWriteArrayList<>();
        private final java.util.Map<String, Long> activations = new java.util.concurrent.ConcurrentHashMap<>();

        HookLedger(Observations observations) {
            this.observations = observations;
            try {
                this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Thread t = new Thread(this::serve, "hook-ledger");
            t.setDaemon(true);
            t.start();
        }

        /** The port a reporter connects to, to write one {@code role epoch group node} line. */
        int port() {
            return server.getLocalPort();
        }

        /**
         * The hook command for both edges: no shell quoting problems, values have no spaces. A stand-down hook works for
         * {@code standDown} first, so its report marks when it finished.
         */
        String hook(Duration standDown) {
            String work = standDown.isZero()
                    ? ""
                    : String.format(
                            java.util.Locale.ROOT,
                            "[ $FAILOVER_ROLE = STANDBY ] && sleep %.3f; ",
                            standDown.toMillis() / 1000.0);
            return "bash -c '" + work
                    + "echo $FAILOVER_ROLE $FAILOVER_EPOCH $FAILOVER_GROUP $FAILOVER_NODE > /dev/tcp/127.0.0.1/"
                    + server.getLocalPort() + "'";
        }

        private void serve() {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    long at = System.nanoTime();
                    s.setSoTimeout(2_000);
                    String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
                            .readLine();
                    String[] f = line == null ? new String[0] : line.trim().split(" ");
                    if (f.length == 4) {
                        lines.add(f);
                        if (f[0].equals("ACTIVE")) {
                            activations.put(f[2] + "/" + f[3], at);
                        }
                        observations.edge(new Observations.Edge(at, f[2], f[3], f[0], Long.parseLong(f[1])));
                    }
                } catch (IOException | NumberFormatException e) {
                    if (server.isClosed()) {
                        return;
                    }
                }
            }
        }

        long lastActivationNs(String group, String node) {
            return activations.getOrDefault(group + "/" + node, 0L);
        }

        List<String> edges(String group, String node) {
            return lines.stream()
                    .filter(f -> f[2].equals(group) && f[3].equals(node))
                    .map(f -> f[0] + " " + f[1])
                    .toList();
        }

        @Override
        public void close() {
            try {
                server.close();
            } catch (IOException e) {
                // closed already
            }
        }
    }
}
