package io.fdbmeta.tools;

import io.fdbmeta.tools.sim.SimConfig;
import io.fdbmeta.tools.sim.SimReport;
import io.fdbmeta.tools.sim.Simulation;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code fdbmeta sim}: the deterministic simulation of the control loops. */
@Command(
    name = "sim",
    mixinStandardHelpOptions = true,
    description = {
      "Run the controller, unchanged, on fdb-embedded with a virtual clock against a simulated fleet: heartbeats with"
          + " noisy load, deaths, pauses longer than a lease, clock skew within maxClockOffset, a rack failure, node"
          + " additions, hot ranges, controller failures. Prints moves per hour at steady state, convergence from a 40%%"
          + " skew against the lower bound, detection and failover times, detector keys read per cycle, placement"
          + " violations, double-leader intervals and takeovers, and checks the targets. A seed replays a run exactly.",
      "Always runs on its own in-memory store, not on the one --embedded/--cluster-file names. Exit code 1 if a target is missed."
    })
final class SimCommand implements Callable<Integer> {
  static final String REPRODUCE = "java -jar tools/target/fdbmeta.jar sim";

  @Spec CommandSpec spec;

  @Option(
      names = "--nodes",
      paramLabel = "N",
      defaultValue = "10000",
      description = "Storage nodes (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(
      names = "--ranges",
      paramLabel = "N",
      defaultValue = "1000000",
      description = "Ranges, 3 replicas each (default: ${DEFAULT-VALUE}).")
  int ranges;

  @Option(
      names = "--hours",
      paramLabel = "H",
      defaultValue = "2",
      description = "Simulated hours (default: ${DEFAULT-VALUE}).")
  double hours;

  @Option(
      names = "--seed",
      paramLabel = "S",
      defaultValue = "1",
      description = "Seed of every random choice (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--json",
      description = "Also print every figure as one JSON object, as the last line.")
  boolean json;

  @Override
  public Integer call() {
    SimConfig config;
    try {
      config = new SimConfig(nodes, ranges, hours, seed);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "sim: " + e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    SimReport report = new Simulation(config, spec.commandLine().getErr()).run();
    String reproduce =
        String.format(
            Locale.ROOT,
            "%s --nodes %d --ranges %d --hours %s --seed %d%s",
            REPRODUCE,
            nodes,
            ranges,
            hours,
            seed,
            json ? " --json" : "");
    out.print(report.text(reproduce));
    if (json) out.println(report.json(reproduce));
    out.flush();
    return report.pass() ? 0 : 1;
  }
}
