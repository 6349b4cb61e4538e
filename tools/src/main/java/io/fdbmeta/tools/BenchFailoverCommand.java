package io.fdbmeta.tools;

import io.fdbmeta.tools.bench.FailoverBenchmark;
import io.fdbmeta.tools.bench.FailoverReport;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code fdbmeta bench failover}: storage nodes killed under load, time until their ranges serve
 * again, and no acknowledged write lost.
 */
@Command(
    name = "failover",
    mixinStandardHelpOptions = true,
    description = {
      "Kill storage nodes one at a time under load through the router, with the controller running, and measure the time until"
          + " every range of the killed node serves a write and a read again, over the lease (target <= 1.2); then check every"
          + " acknowledged write through the router and on every replica (target: none lost).",
      "Always runs its own cluster (fdb-embedded in memory, short leases), not the store --embedded/--cluster-file names."
    })
final class BenchFailoverCommand implements Callable<Integer> {
  static final String REPRODUCE = "java -jar tools/target/fdbmeta.jar bench failover";

  @Spec CommandSpec spec;

  @Option(
      names = "--json",
      description = "Also print every figure as one JSON object, as the last line.")
  boolean json;

  @Option(
      names = "--kills",
      paramLabel = "N",
      description = "Nodes killed, one after another (default: ${DEFAULT-VALUE}).")
  int kills = FailoverBenchmark.DEFAULT_KILLS;

  @Option(
      names = "--lease",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Range lease and liveness duration (default: 4s; production's is 9s).")
  Duration lease = FailoverBenchmark.DEFAULT_LEASE;

  @Option(
      names = "--nodes",
      paramLabel = "N",
      description = "Storage nodes (default: ${DEFAULT-VALUE}).")
  int nodes = FailoverBenchmark.DEFAULT_NODES;

  @Option(
      names = "--ranges",
      paramLabel = "N",
      description = "Ranges the keyspace is split into (default: ${DEFAULT-VALUE}).")
  int ranges = FailoverBenchmark.DEFAULT_RANGES;

  @Option(
      names = "--clients",
      paramLabel = "N",
      description = "Load connections through the router (default: ${DEFAULT-VALUE}).")
  int clients = FailoverBenchmark.DEFAULT_CLIENTS;

  @Override
  public Integer call() throws InterruptedException {
    FailoverBenchmark.Config config;
    try {
      config = new FailoverBenchmark.Config(kills, lease, nodes, ranges, clients, 1);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "bench failover: " + e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    FailoverReport report = new FailoverBenchmark(config, spec.commandLine().getErr()).run();
    report.print(out, Reproduce.commandLine(spec, REPRODUCE), json);
    return 0;
  }
}
