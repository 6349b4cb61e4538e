package io.fdbmeta.tools;

import io.fdbmeta.tools.bench.ExportBenchmark;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code fdbmeta bench export}: export and import of a whole catalog, timed. */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {
      "Build a catalog of --ranges ranges (3 replicas and a lease each), then time its export to a"
          + " dump file and the import of that file into an empty cluster, and check the round trip"
          + " is exact. Target: each under 60 s for 1,000,000 ranges.",
      "Always runs on its own stores, a source and a fresh target (durable in a temporary"
          + " directory, or --dir, or --memory), not on the one --embedded/--cluster-file names."
    })
final class BenchExportCommand implements Callable<Integer> {
  static final String REPRODUCE = "java -jar tools/target/fdbmeta.jar bench export";

  @Spec CommandSpec spec;

  @Option(names = "--json", description = "Also print every figure as one JSON object, last.")
  boolean json;

  @Option(
      names = "--ranges",
      paramLabel = "N",
      description = "Ranges in the catalog (default: ${DEFAULT-VALUE}).")
  int ranges = ExportBenchmark.DEFAULT_RANGES;

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      description =
          "Run on fdb-embedded durable in DIR/source (the exported store) and DIR/target (the"
              + " import's) (default: a temporary directory, deleted after). Only keys under"
              + " /fdbmeta/fdbmeta-bench-export/ and /fdbmeta/fdbmeta-bench-import/ are written, and"
              + " they are cleared afterwards.")
  @Nullable Path dir;

  @Option(names = "--memory", description = "Run on fdb-embedded in memory instead.")
  boolean memory;

  @Option(names = "--quiet", description = "No progress on stderr.")
  boolean quiet;

  @Override
  public Integer call() {
    ExportBenchmark.Config config;
    try {
      config = new ExportBenchmark.Config(ranges, dir, memory);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "bench export: " + e.getMessage());
    }
    PrintWriter err = spec.commandLine().getErr();
    ProgressReporter bar = ProgressReporter.forConsole(err);
    ExportBenchmark.Result r =
        new ExportBenchmark(config, err, quiet ? ProgressReporter.quiet() : bar).run();
    if (!quiet) bar.finish();
    r.print(spec.commandLine().getOut(), Reproduce.commandLine(spec, REPRODUCE), json);
    return r.exact() ? 0 : 1;
  }
}
