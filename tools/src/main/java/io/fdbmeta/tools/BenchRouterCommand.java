package io.fdbmeta.tools;

import io.fdbmeta.tools.bench.RouterBenchmark;
import io.fdbmeta.tools.bench.RouterReport;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code fdbmeta bench router}: the router beside a storage node's own RESP port, and route lookups
 * beside a hash map.
 */
@Command(
    name = "router",
    mixinStandardHelpOptions = true,
    description = {
      "Measure the router in one run: the same RESP client straight to a storage node and through the router"
          + " (GET and SET, one command outstanding per client and pipelined; GET from few clients for the latency it adds), then route lookups at a million ranges"
          + " beside ConcurrentHashMap.get on the same keys (uniform and Zipf); check the targets. Where redis-benchmark"
          + " is on PATH, its figures through the router and direct are printed too.",
      "Always runs its own cluster (3 nodes, fdb-embedded in memory), not the store --embedded/--cluster-file names."
    })
final class BenchRouterCommand implements Callable<Integer> {
  static final String REPRODUCE = "java -jar tools/target/fdbmeta.jar bench router";
  static final double DEFAULT_SECONDS = 1.0;

  @Spec CommandSpec spec;

  @Option(
      names = "--json",
      description = "Also print every figure as one JSON object, as the last line.")
  boolean json;

  @Option(
      names = "--seconds",
      paramLabel = "S",
      description =
          "Measured seconds per run, after a short warm-up (default: ${DEFAULT-VALUE}; 8 runs per round).")
  double seconds = DEFAULT_SECONDS;

  @Option(
      names = "--rounds",
      paramLabel = "N",
      description =
          "Rounds of every data-path run, direct and routed alternating (default: ${DEFAULT-VALUE}).")
  int rounds = RouterBenchmark.DEFAULT_ROUNDS;

  @Option(
      names = "--clients",
      paramLabel = "N",
      description =
          "Client connections per path for the throughput runs, also redis-benchmark's -c (default: ${DEFAULT-VALUE}, as redis-benchmark's).")
  int clients = RouterBenchmark.DEFAULT_CLIENTS;

  @Option(
      names = "--light-clients",
      paramLabel = "L",
      description =
          "Client connections per path for the light-load GET run that judges added latency (default: ${DEFAULT-VALUE}).")
  int lightClients = RouterBenchmark.DEFAULT_LIGHT_CLIENTS;

  @Option(
      names = "--pipeline",
      paramLabel = "P",
      description =
          "Commands per pipelined batch, also redis-benchmark's -P (default: ${DEFAULT-VALUE}).")
  int pipeline = RouterBenchmark.DEFAULT_PIPELINE;

  @Option(
      names = "--keys",
      paramLabel = "N",
      description =
          "Keys written before the data-path runs and read or overwritten at random, also redis-benchmark's -r (default: ${DEFAULT-VALUE}).")
  int keys = RouterBenchmark.DEFAULT_KEYS;

  @Option(
      names = "--ranges",
      paramLabel = "N",
      description =
          "Range descriptors in the route cache for the lookup phase (default: ${DEFAULT-VALUE}).")
  int ranges = RouterBenchmark.DEFAULT_RANGES;

  @Option(
      names = "--lookups",
      paramLabel = "N",
      description = "Keys in each lookup stream, uniform and Zipf (default: ${DEFAULT-VALUE}).")
  int lookups = RouterBenchmark.DEFAULT_LOOKUPS;

  @Option(
      names = "--no-redis-benchmark",
      description = "Do not run redis-benchmark even if it is on PATH.")
  boolean noRedisBenchmark;

  @Override
  public Integer call() throws InterruptedException {
    RouterBenchmark.Config config;
    try {
      config =
          new RouterBenchmark.Config(
              seconds,
              clients,
              lightClients,
              pipeline,
              keys,
              ranges,
              lookups,
              rounds,
              !noRedisBenchmark);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "bench router: " + e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    RouterReport report = new RouterBenchmark(config, err, Main.env(spec).get("PATH")).run();
    report.print(out, Reproduce.commandLine(spec, REPRODUCE), json);
    return 0;
  }
}
