package io.fdbmeta.tools.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The simulation scaled down to seconds: 300 nodes, 30,000 ranges, 12 simulated minutes with every
 * kind of failure, on several seeds. The invariants must hold in every run; a failure names the
 * seed, and `fdbmeta sim --nodes 300 --ranges 30000 --hours 0.2 --seed S` replays it.
 */
class SimulationTest {
  static SimReport run(long seed) {
    return new Simulation(new SimConfig(300, 30_000, 0.2, seed), null).run();
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void invariantsHoldInEveryRun(long seed) {
    SimReport r = run(seed);
    String why = r.text("fdbmeta sim --nodes 300 --ranges 30000 --hours 0.2 --seed " + seed);
    Map<String, io.fdbmeta.tools.bench.Target> t = new java.util.HashMap<>();
    r.targets().forEach(x -> t.put(x.id(), x));
    for (String id :
        new String[] {
          "placement_violations",
          "double_leaders",
          "steady_upkeep_ratio",
          "two_controllers",
          "failover_seconds",
          "detector_quiet_keys",
          "detector_keys_per_down",
          "takeover_seconds",
          "swaps",
          "moves_back",
          "simulation_errors"
        }) {
      assertThat(t.get(id).pass()).as("%s with seed %d:%n%s", id, seed, why).isTrue();
    }
    assertThat((Long) r.figure("controller takeovers")).as(why).isEqualTo(3);
    assertThat((Long) r.figure("replicas re-created")).as(why).isPositive();
    assertThat((Long) r.figure("splits")).as(why).isPositive();
  }

  @Test
  void aSeedReplaysExactly() {
    SimConfig small = new SimConfig(200, 10_000, 0.1, 7);
    assertThat(withoutWallTimes(new Simulation(small, null).run()))
        .isEqualTo(withoutWallTimes(new Simulation(small, null).run()));
  }

  /** The report's lines, except those measuring the machine rather than the simulation. */
  private static String withoutWallTimes(SimReport r) {
    return r.text("x")
        .lines()
        .filter(
            l ->
                !l.startsWith("  wall seconds")
                    && !l.startsWith("  set-up seconds")
                    && !l.startsWith("  load average"))
        .collect(java.util.stream.Collectors.joining("\n"));
  }
}
