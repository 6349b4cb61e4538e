package io.fdbmeta.tools;

import io.fdbmeta.tools.bench.BenchReport;
import io.fdbmeta.tools.bench.StoreBenchmark;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code fdbmeta bench store}: fdb-embedded in memory and durable, beside a raw skip-list map. */
@Command(
    name = "store",
    mixinStandardHelpOptions = true,
    description = {
      "Measure fdb-embedded in memory and durable (point reads, single-key and 10-key commits, range reads,"
          + " commit latency) beside a raw ConcurrentSkipListMap, and check the targets.",
      "Always runs on its own stores, not on the one --embedded/--cluster-file names."
    })
final class BenchStoreCommand implements Callable<Integer> {
  static final String REPRODUCE = "java -jar tools/target/fdbmeta.jar bench store";
  static final double DEFAULT_SECONDS = 1.0;

  @Spec CommandSpec spec;

  @Option(
      names = "--json",
      description = "Also print every figure as one JSON object, as the last line.")
  boolean json;

  @Option(
      names = "--seconds",
      paramLabel = "N",
      description =
          "Measured seconds per measurement, after a short warm-up (default: ${DEFAULT-VALUE}; 18 measurements).")
  double seconds = DEFAULT_SECONDS;

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      description =
          "Directory for the durable run (default: a temporary directory, deleted afterwards). "
              + "Only keys under 'fdbmeta-bench/' are written, and they are cleared afterwards.")
  @Nullable Path dir;

  @Override
  public Integer call() throws InterruptedException {
    if (!(seconds > 0 && seconds <= 600)) {
      throw new ParameterException(
          spec.commandLine(), "--seconds must be in (0, 600], got " + seconds);
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    StoreBenchmark.Config config = StoreBenchmark.Config.of(seconds, dir);
    BenchReport report = new StoreBenchmark(config, err).run();
    report.print(out, Reproduce.commandLine(spec, REPRODUCE), json);
    return 0;
  }
}
