package dev.failover.agent.shell;

import dev.failover.agent.core.CommandLineWords;
import dev.failover.agent.core.Edge;
import dev.failover.agent.core.HookStep;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a hook for a step of an edge ({@code --on-activate}, {@code --on-standby}, {@code --on-fence},
 * {@code --fence-peer}), without a shell, with the edge in the environment ({@code FAILOVER_GROUP},
 * {@code FAILOVER_NODE}, {@code FAILOVER_ROLE}, {@code FAILOVER_EPOCH}, {@code FAILOVER_REASON}, {@code FAILOVER_STEP},
 * {@code FAILOVER_ATTEMPT}, and {@code FAILOVER_FENCED_NODE} when the edge replaced a primary that was not seen to
 * stop); its output goes to the agent's log. A hook that fails or outlives its timeout is killed, with its children,
 * and reported as failed.
 */
public final class HookRunner {

    private static final Logger log = LoggerFactory.getLogger(HookRunner.class);

    private final String group;
    private final String node;
    private final Duration timeout;
    private final LongSupplier nanos;

    public HookRunner(String group, String node, Duration timeout, LongSupplier nanos) {
        this.group = group;
        this.node = node;
        this.timeout = timeout;
        this.nanos = nanos;
    }

    /** @param nanos how long the hook ran */
    public record Outcome(boolean ok, String detail, long nanos) {

        public Outcome(boolean ok, String detail) {
            this(ok, detail, 0);
        }
    }

    public Outcome run(String command, HookStep step) {
        Edge edge = step.edge();
        List<String> words = CommandLineWords.split(command);
        long began = nanos.getAsLong();
        try {
            ProcessBuilder builder = new ProcessBuilder(words).redirectErrorStream(true);
            Map<String, String> env = builder.environment();
            env.put("FAILOVER_GROUP", group);
            env.put("FAILOVER_NODE", node);
            env.put("FAILOVER_ROLE", edge.to().toString());
            env.put("FAILOVER_EPOCH", Long.toString(edge.epoch()));
            env.put("FAILOVER_REASON", edge.reason());
            env.put("FAILOVER_STEP", step.kind().toString());
            env.put("FAILOVER_ATTEMPT", Integer.toString(step.attempt()));
            if (step.peer() != null) {
                env.put("FAILOVER_FENCED_NODE", step.peer());
            }
            Process process = builder.start();
            Thread drain = new Thread(
                    () -> {
                        try (var in = new BufferedReader(
                                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                            for (String line; (line = in.readLine()) != null; ) {
                                log.atInfo().addKeyValue("hook", words.get(0)).log("{}", line);
                            }
                        } catch (IOException e) {
                            log.debug("hook output closed: {}", e.toString());
                        }
                    },
                    "hook-output");
            drain.setDaemon(true);
            drain.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                // the hook's own children too (a shell's sleep, the service it was starting): none may outlive it
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                return outcome(false, words.get(0) + " timed out after " + timeout.toMillis() + " ms", step, began);
            }
            drain.join(1_000);
            int code = process.exitValue();
            return outcome(code == 0, words.get(0) + " exited with " + code, step, began);
        } catch (IOException e) {
            return outcome(false, "cannot run " + words.get(0) + ": " + e.getMessage(), step, began);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return outcome(false, "interrupted while running " + words.get(0), step, began);
        }
    }

    private Outcome outcome(boolean ok, String detail, HookStep step, long began) {
        long took = nanos.getAsLong() - began;
        long ms = took / 1_000_000;
        var event = ok ? log.atInfo() : log.atError();
        event.addKeyValue("group", group)
                .addKeyValue("node", node)
                .addKeyValue("role", step.edge().to())
                .addKeyValue("step", step.kind())
                .addKeyValue("epoch", step.edge().epoch())
                .addKeyValue("durationMs", ms)
                .log(
                        "{} hook for {} {} ({} ms)",
                        step.kind(),
                        step.edge().to(),
                        ok ? "succeeded" : "FAILED: " + detail,
                        ms);
        return new Outcome(ok, detail, took);
    }
}
