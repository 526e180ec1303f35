package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The README's first command, as a user runs it: it tells the whole story, exits 0, and leaves nothing running. */
class DemoIT {

    @Test
    void theDemoShowsAFailoverAndARejoinThenCleansUp() throws Exception {
        Process demo = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), FailoverCli.class.getName(), "demo", "--duration", "1s")
                .redirectErrorStream(true).start();
        List<ProcessHandle> children = new java.util.ArrayList<>();
        StringBuilder output = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (var in = demo.getInputStream()) {
                byte[] buffer = new byte[8192];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    synchronized (output) {
                        output.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                    }
                    demo.descendants().forEach(children::add);
                }
            } catch (java.io.IOException e) {
                synchronized (output) {
                    output.append("(reading failed: ").append(e).append(')');
                }
            }
        });
        reader.start();
        boolean ended = demo.waitFor(180, TimeUnit.SECONDS);
        reader.join(5_000);
        String text;
        synchronized (output) {
            text = output.toString();
        }
        System.out.println(text.lines().filter(l -> l.contains(">>>") || l.contains("decision")).reduce("",
                (a, b) -> a + b + "\n"));
        assertTrue(ended, "the demo did not end by itself:\n" + text);
        assertEquals(0, demo.exitValue(), text);
        // whichever agent was eligible first is elected; the story must hold either way
        var elected = java.util.regex.Pattern.compile("decision, epoch 1 \\(ELECTION\\): elected (alpha|beta)").matcher(text);
        assertTrue(elected.find(), text);
        String primary = elected.group(1);
        String standby = primary.equals("alpha") ? "beta" : "alpha";
        assertTrue(text.matches("(?s).*>>> " + standby + " took over: its /role answered 200 \\d+ ms after the kill.*"),
                text);
        assertTrue(text.contains(">>> " + primary + " rejoined as STANDBY; " + standby + " stays ACTIVE"), text);
        assertTrue(text.contains("all processes stopped"), text);
        assertTrue(children.size() >= 5, "expected a broker, two agents, two services; saw " + children.size());
        for (ProcessHandle child : children) {
            assertTrue(!child.isAlive(), "left running: " + child.pid() + " " + child.info().commandLine().orElse(""));
        }
    }
}
