package dev.failover.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Figures of one benchmark run: named series of samples summarised as percentiles, plus free lines, printed at the
 * end and appended to {@code target/benchmarks/<name>.txt} with the date, the commit and the machine.
 */
final class BenchmarkReport {

    private final String name;
    private final Map<String, List<Double>> series = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();

    BenchmarkReport(String name) {
        this.name = name;
    }

    void add(String series, double value) {
        this.series.computeIfAbsent(series, s -> new ArrayList<>()).add(value);
    }

    void note(String line) {
        notes.add(line);
        System.out.println(name + ": " + line);
    }

    /** The value at quantile {@code q} (nearest rank) of the samples of {@code series}, NaN when it has none. */
    double percentile(String series, double q) {
        List<Double> values = this.series.getOrDefault(series, List.of());
        return values.isEmpty() ? Double.NaN : percentile(values, q);
    }

    /** The comma-separated items of a system property, trimmed, blanks left out. */
    static List<String> listProperty(String name, String defaultValue) {
        return java.util.Arrays.stream(System.getProperty(name, defaultValue).split(","))
                .map(String::trim)
                .filter(item -> !item.isEmpty())
                .toList();
    }

    /** The value at quantile {@code q} (nearest rank) of {@code values}. */
    static double percentile(List<Double> values, double q) {
        List<Double> sorted = values.stream().sorted().toList();
        int rank = (int) Math.ceil(q * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    String table() {
        StringBuilder out = new StringBuilder(
                String.format("%-58s %6s %9s %9s %9s %9s %9s%n", "series", "n", "p50", "p90", "p99", "max", "min"));
        series.forEach((s, v) -> out.append(String.format(
                "%-58s %6d %9.1f %9.1f %9.1f %9.1f %9.1f%n",
                s,
                v.size(),
                percentile(v, 0.5),
                percentile(v, 0.9),
                percentile(v, 0.99),
                percentile(v, 1.0),
                percentile(v, 0.0))));
        notes.forEach(n -> out.append(n).append('\n'));
        return out.toString();
    }

    /** Prints the table and appends it, with date, commit and machine, to target/benchmarks/NAME.txt. */
    String finish() {
        String text = "## " + name + " — " + Instant.now() + ", commit " + commit() + "\n" + machine() + "\n\n```\n"
                + table() + "```\n\n";
        System.out.print(text);
        try {
            Path dir = Path.of("target", "benchmarks");
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(name + ".txt"), text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text;
    }

    static String commit() {
        try {
            Process git = new ProcessBuilder("git", "rev-parse", "--short", "HEAD")
                    .redirectErrorStream(true)
                    .start();
            String out = new String(git.getInputStream().readAllBytes()).strip();
            return git.waitFor() == 0 ? out : "(unknown)";
        } catch (IOException e) {
            return "(unknown)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(unknown)";
        }
    }

    static String machine() {
        String cpu = "(unknown cpu)";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .orElse(cpu);
        } catch (IOException e) {
            // keep the placeholder
        }
        return Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), Java "
                + System.getProperty("java.version") + ", " + System.getProperty("os.name") + " "
                + System.getProperty("os.version");
    }
}
