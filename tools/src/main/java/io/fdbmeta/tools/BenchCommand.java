package io.fdbmeta.tools;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code fdbmeta bench}: groups the benchmarks. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks; each prints the command that reproduces it.",
    subcommands = {
      BenchStoreCommand.class,
      BenchLayerCommand.class,
      BenchRouterCommand.class,
      BenchFailoverCommand.class,
      BenchMigrateCommand.class,
      BenchExportCommand.class
    })
final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(
        spec.commandLine(),
        "missing benchmark, e.g. 'fdbmeta bench store', 'fdbmeta bench layer', 'fdbmeta bench router', 'fdbmeta bench failover' or 'fdbmeta bench export'");
  }
}
