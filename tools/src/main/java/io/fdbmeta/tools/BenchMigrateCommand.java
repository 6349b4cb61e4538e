package io.fdbmeta.tools;

import io.fdbmeta.tools.bench.MigrateBenchmark;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code fdbmeta bench migrate}: an online migration of a large catalog under load. */
@Command(
    name = "migrate",
    mixinStandardHelpOptions = true,
    description = {
      "Migrate a catalog of old-form leases (schema 1 -> 2) while threads look ranges up and split"
          + " them; print the migration's time and records/s, and the lookups' p99 before it and"
          + " during its swap, against the targets (under 2 minutes for 1,000,000 ranges; p99"
          + " within 2x).",
      "Always runs on its own store (in memory, or --dir), not on the one the global options name."
    })
final class BenchMigrateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--ranges",
      paramLabel = "N",
      description = "Ranges in the catalog (default: ${DEFAULT-VALUE}).")
  int ranges = MigrateBenchmark.DEFAULT_RANGES;

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      description = "Run on a durable store in DIR instead of in memory.")
  @Nullable Path dir;

  @Override
  public Integer call() throws InterruptedException {
    MigrateBenchmark b;
    try {
      b = new MigrateBenchmark(ranges, dir, spec.commandLine().getOut());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    return b.run() ? 0 : 1;
  }
}
