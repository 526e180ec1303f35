package dev.failover.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The scale benchmark's chart: detection overhead p50 and p99 (left, log scale) and the coordinator's CPU (right)
 * against the number of monitored nodes (log scale), as a PNG.
 */
final class ScaleChart {

    private ScaleChart() {}

    static Path draw(List<ScaleBenchmark.Step> steps, Path png) {
        System.setProperty("java.awt.headless", "true");
        XYSeries p50 = new XYSeries("detection overhead p50 (ms)");
        XYSeries p99 = new XYSeries("detection overhead p99 (ms)");
        XYSeries cpu = new XYSeries("coordinator CPU (% of one core)");
        for (ScaleBenchmark.Step s : steps) {
            if (!Double.isNaN(s.p50())) {
                p50.add(s.nodes(), Math.max(1, s.p50()));
                p99.add(s.nodes(), Math.max(1, s.p99()));
            }
            cpu.add(s.nodes(), s.cpu());
        }
        XYSeriesCollection latency = new XYSeriesCollection();
        latency.addSeries(p50);
        latency.addSeries(p99);
        LogAxis nodes = new LogAxis("monitored nodes (1 Hz heartbeats, 5 s timeout)");
        nodes.setBase(10);
        nodes.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        LogAxis ms = new LogAxis("detection overhead above the timeout (ms)");
        ms.setBase(10);
        ms.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        XYLineAndShapeRenderer latencyLines = new XYLineAndShapeRenderer(true, true);
        latencyLines.setSeriesPaint(0, new Color(0x1f77b4));
        latencyLines.setSeriesPaint(1, new Color(0xd62728));
        XYPlot plot = new XYPlot(latency, nodes, ms, latencyLines);
        NumberAxis cpuAxis = new NumberAxis("coordinator CPU (% of one core)");
        plot.setRangeAxis(1, cpuAxis);
        plot.setDataset(1, new XYSeriesCollection(cpu));
        plot.mapDatasetToRangeAxis(1, 1);
        XYLineAndShapeRenderer cpuLine = new XYLineAndShapeRenderer(true, true);
        cpuLine.setSeriesPaint(0, new Color(0x2ca02c));
        cpuLine.setSeriesStroke(
                0, new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1f, new float[] {6f, 4f}, 0f));
        plot.setRenderer(1, cpuLine);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart =
                new JFreeChart("One coordinator instance at scale", JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        try {
            Files.createDirectories(png.toAbsolutePath().getParent());
            ChartUtils.saveChartAsPNG(png.toFile(), chart, 960, 540);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return png;
    }
}
