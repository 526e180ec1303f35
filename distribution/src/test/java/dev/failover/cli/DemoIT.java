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
        Process demo = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        FailoverCli.class.getName(),
                        "demo",
                        "--duration",
                        "1s",
                        "--kill-after",
                        "0s")
                .redirectErrorStream(true)
                .start();
        List<ProcessHandle> children = new java.util.ArrayList<>();
        StringBuilder output = new StringBuilder();
        List<String> pageAnswers = new java.util.ArrayList<>();
        var pageLine = java.util.regex.Pattern.compile("status page: (http://127\\.0\\.0\\.1:\\d+/) \\(live");
        Thread reader = new Thread(() -> {
            try (var in = demo.getInputStream()) {
                byte[] buffer = new byte[8192];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    String seen;
                    synchronized (output) {
                        output.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                        seen = output.toString();
                    }
                    demo.descendants().forEach(children::add);
                    var page = pageLine.matcher(seen);
                    if (pageAnswers.isEmpty() && page.find() && seen.contains(" took over: ")) {
                        // while the demo runs, after its failover: the page and its data answer
                        pageAnswers.add(get(page.group(1)));
                        pageAnswers.add(get(page.group(1) + "api/groups"));
                    }
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
        System.out.println(text.lines()
                .filter(l -> l.contains(">>>") || l.contains("decision"))
                .reduce("", (a, b) -> a + b + "\n"));
        assertTrue(ended, "the demo did not end by itself:\n" + text);
        assertEquals(0, demo.exitValue(), text);
        // whichever agent was eligible first is elected; the story must hold either way
        var elected = java.util.regex.Pattern.compile("decision, epoch 1 \\(ELECTION\\): elected (alpha|beta)")
                .matcher(text);
        assertTrue(elected.find(), text);
        String primary = elected.group(1);
        String standby = primary.equals("alpha") ? "beta" : "alpha";
        assertTrue(
                text.matches("(?s).*>>> " + standby + " took over: its /role answered 200 \\d+ ms after the kill.*"),
                text);
        assertTrue(text.contains(">>> " + primary + " rejoined as STANDBY; " + standby + " stays ACTIVE"), text);
        assertTrue(text.contains("all processes stopped"), text);
        assertEquals(2, pageAnswers.size(), "the demo printed no status page address:\n" + text);
        assertTrue(
                pageAnswers.get(0).startsWith("200 ") && pageAnswers.get(0).contains("/ui/status.js"),
                "the status page did not answer with the page: " + pageAnswers.get(0));
        assertTrue(
                pageAnswers.get(1).startsWith("200 ")
                        && pageAnswers.get(1).contains("\"groups\":[{\"group\": \"demo\""),
                "the status page's data did not answer: " + pageAnswers.get(1));
        assertTrue(children.size() >= 5, "expected a broker, two agents, two services; saw " + children.size());
        for (ProcessHandle child : children) {
            assertTrue(
                    !child.isAlive(),
                    "left running: " + child.pid() + " "
                            + child.info().commandLine().orElse(""));
        }
    }

    /** "STATUS BODY" of a GET, or the failure. */
    private static String get(String url) {
        try {
            var response = java.net.http.HttpClient.newHttpClient()
                    .send(
                            java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                                    .timeout(java.time.Duration.ofSeconds(5))
                                    .build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
            return response.statusCode() + " " + response.body();
        } catch (Exception e) {
            return "failed: " + e;
        }
    }
}
