package io.fdbmeta.tools;

import io.fdbmeta.tools.bench.LayerBenchmark;
import io.fdbmeta.tools.bench.LayerReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code fdbmeta bench layer}: heartbeats, splits, lookups, cold load and propagation on
 * fdb-embedded.
 */
@Command(
    name = "layer",
    mixinStandardHelpOptions = true,
    description = {
      "Measure the layer on fdb-embedded in one run: heartbeats from a node fleet (open loop, and saturated),"
          + " split commits, cold lookups, the cold load of the range catalog beside a raw scan of the same keys,"
          + " and change propagation from commit to a follower; check the targets.",
      "Always runs on its own store (in memory, or --dir), not on the one --embedded/--cluster-file names."
    })
final class BenchLayerCommand implements Callable<Integer> {
  static final String REPRODUCE = "java -jar tools/target/fdbmeta.jar bench layer";
  static final double DEFAULT_SECONDS = 2.0;

  @Spec CommandSpec spec;

  @Option(
      names = "--json",
      description = "Also print every figure as one JSON object, as the last line.")
  boolean json;

  @Option(
      names = "--ranges",
      paramLabel = "N",
      description =
          "Range descriptors in the catalog for cold load, lookups, splits and propagation (default: ${DEFAULT-VALUE}).")
  int ranges = LayerBenchmark.DEFAULT_RANGES;

  @Option(
      names = "--nodes",
      paramLabel = "N",
      description = "Simulated storage nodes sending heartbeats (default: ${DEFAULT-VALUE}).")
  int nodes = LayerBenchmark.DEFAULT_NODES;

  @Option(
      names = "--rate",
      paramLabel = "N",
      description =
          "Heartbeats per second offered in the open-loop phase (default: ${DEFAULT-VALUE}; the target is 20,000/s).")
  double rate = LayerBenchmark.DEFAULT_RATE;

  @Option(
      names = "--seconds",
      paramLabel = "S",
      description =
          "Measured seconds per timed phase, after a short warm-up (default: ${DEFAULT-VALUE}; 7 timed phases).")
  double seconds = DEFAULT_SECONDS;

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      description =
          "Run on fdb-embedded durable in DIR (default: in memory). Only keys under /fdbmeta/"
              + "fdbmeta-bench-layer/ are written, and they are cleared afterwards.")
  @Nullable Path dir;

  @Override
  public Integer call() throws InterruptedException {
    LayerBenchmark.Config config;
    try {
      config = new LayerBenchmark.Config(ranges, nodes, seconds, rate, dir);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "bench layer: " + e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    LayerReport report = new LayerBenchmark(config, err).run();
    report.print(out, Reproduce.commandLine(spec, REPRODUCE), json);
    return 0;
  }
}
