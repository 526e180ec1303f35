package dev.failover.agent.shell;

import dev.failover.wire.Health;
import dev.failover.wire.Role;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** The agent's meters, served as Prometheus text on {@code GET /metrics}. */
public final class AgentMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter sent;
    private final Counter acknowledged;
    private final Counter failed;
    private final Counter unreadable;
    private final Counter feedChecksMissed;
    private final Counter failsafeRounds;
    private final Counter failsafeGranted;
    /** Held here: meters keep only a weak reference to what they read, and a lambda nobody else holds would vanish. */
    private final Supplier<AgentSnapshot> snapshot;

    public AgentMetrics(Supplier<AgentSnapshot> snapshot) {
        this.snapshot = snapshot;
        sent = Counter.builder("failover.agent.heartbeats.sent")
                .description("heartbeats handed to the producer")
                .register(registry);
        acknowledged = Counter.builder("failover.agent.heartbeats.acknowledged")
                .description("heartbeats the broker acknowledged (acks=all)")
                .register(registry);
        failed = Counter.builder("failover.agent.heartbeats.failed")
                .description("heartbeats not acknowledged")
                .register(registry);
        unreadable = Counter.builder("failover.agent.records.unreadable")
                .description("records of this group on the role-change or state topic that could not be decoded "
                        + "(skipped, logged)")
                .register(registry);
        feedChecksMissed = Counter.builder("failover.agent.feed.checks.missed")
                .description("role feed checks (end offset and position) not answered within their bound: the feed's "
                        + "half of the lease was not renewed by them")
                .register(registry);
        failsafeRounds = Counter.builder("failover.agent.failsafe.rounds")
                .description("failsafe rounds asked of the peers while Kafka did not renew this primary's lease")
                .register(registry);
        failsafeGranted = Counter.builder("failover.agent.failsafe.granted")
                .description("grants this node gave a primary (each holds its activations for one promise)")
                .register(registry);
        Gauge.builder("failover.agent.active", snapshot, s -> s.get().role() == Role.ACTIVE ? 1 : 0)
                .description("1 while this node serves as ACTIVE (what /role answers 200 for)")
                .register(registry);
        Gauge.builder("failover.agent.epoch", snapshot, s -> s.get().epoch())
                .description("the epoch (fencing token) of the last role applied")
                .register(registry);
        Gauge.builder("failover.agent.lease.remaining", snapshot, s -> s.get().leaseRemainingMs() / 1000.0)
                .baseUnit("seconds")
                .description("time left on the lease; an ACTIVE node stands down at 0")
                .register(registry);
        Gauge.builder("failover.agent.stopping", snapshot, s -> s.get().reported() == Role.STOPPING ? 1 : 0)
                .description("1 while a stand-down has not finished (or failed): its service may still run, and the "
                        + "coordinator promotes nobody on it")
                .register(registry);
        Gauge.builder("failover.agent.stand.down.budget", snapshot, s -> s.get().standDownBudgetMs() / 1000.0)
                .baseUnit("seconds")
                .description("how long --on-standby has after a lease lapse before a successor "
                        + "may start (failure timeout - lease): a service must stop within it")
                .register(registry);
        Gauge.builder("failover.agent.healthy", snapshot, s -> s.get().health() == Health.HEALTHY ? 1 : 0)
                .description("1 while the service's checks pass (after rise/fall)")
                .register(registry);
        FunctionCounter.builder(
                        "failover.agent.stale.epochs.ignored",
                        snapshot,
                        s -> s.get().staleIgnored())
                .description("role changes ignored because their epoch was older than one applied")
                .register(registry);
    }

    public void heartbeatSent() {
        sent.increment();
    }

    public void heartbeatAcknowledged() {
        acknowledged.increment();
    }

    public void heartbeatFailed() {
        failed.increment();
    }

    public void unreadableRecord() {
        unreadable.increment();
    }

    /** A record of this group not acted on: unsigned, signed by a key not trusted, or wrongly signed. */
    public void unverifiedRecord(String reason) {
        Counter.builder("failover.agent.records.unverified")
                .tag("reason", reason)
                .description("role change and state records of this group not acted on: unsigned, signed by a key "
                        + "not given with --trust-key, or wrongly signed (someone else wrote them)")
                .register(registry)
                .increment();
    }

    public void feedCheckMissed() {
        feedChecksMissed.increment();
    }

    public void failsafeRound() {
        failsafeRounds.increment();
    }

    public void failsafeGranted() {
        failsafeGranted.increment();
    }

    public void probed(boolean ok, long nanos) {
        Timer.builder("failover.agent.probe")
                .tag("result", ok ? "pass" : "fail")
                .description("service checks")
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    public void hookRan(Role role, boolean ok, long nanos) {
        Timer.builder("failover.agent.hook")
                .tag("role", role.name())
                .tag("outcome", ok ? "ok" : "failed")
                .description("hook runs")
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    public String scrape() {
        return registry.scrape();
    }
}
