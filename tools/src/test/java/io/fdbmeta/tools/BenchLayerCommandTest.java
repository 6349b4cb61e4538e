package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Runs the whole layer benchmark in-process at tiny sizes and checks what it reports. */
class BenchLayerCommandTest {
  private static final List<String> MEASUREMENTS =
      List.of(
          "heartbeats",
          "heartbeatsSaturated",
          "splitCommit",
          "splitTwoPhase",
          "splitCommitConcurrent",
          "splitTwoPhaseConcurrent",
          "coldLookup",
          "propagation",
          "propagationWatchesOnly");

  @Test
  void jsonLastLineHoldsEveryFigure() {
    Cli r =
        Cli.run(
            "bench",
            "layer",
            "--json",
            "--ranges",
            "20000",
            "--nodes",
            "500",
            "--rate",
            "5000",
            "--seconds",
            "0.2");
    assertThat(r.exitCode()).as(r.err()).isZero();

    List<String> lines = r.outLines();
    assertThat(lines.get(1))
        .isEqualTo(
            "reproduce: java -jar tools/target/fdbmeta.jar bench layer --json --ranges 20000 --nodes 500 --rate 5000.0 --seconds 0.2");
    assertThat(r.out())
        .contains(
            "heartbeats, open loop",
            "cold load / raw scan",
            "propagation commit -> applied",
            "split phase 2");
    assertThat(r.out()).containsPattern("(PASS|MISS)");

    @SuppressWarnings("unchecked")
    Map<String, Object> json = (Map<String, Object>) MiniJson.parse(lines.get(lines.size() - 1));
    assertThat(json)
        .containsEntry("bench", "layer")
        .containsEntry("ranges", 20000.0)
        .containsEntry("nodes", 500.0)
        .containsKeys(
            "reproduce",
            "seconds",
            "cpus",
            "buildSeconds",
            "trimmedEntries",
            "coldLoad",
            "gc",
            "targets",
            "allTargetsPass");
    for (String m : MEASUREMENTS) {
      @SuppressWarnings("unchecked")
      Map<String, Object> figures = (Map<String, Object>) json.get(m);
      assertThat(figures)
          .as(m)
          .isNotNull()
          .containsKeys("count", "perSec", "p50Millis", "p99Millis", "maxMillis")
          .containsEntry("errors", 0.0);
      assertThat((Double) figures.get("count")).as(m).isPositive();
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> load = (Map<String, Object>) json.get("coldLoad");
    assertThat(load)
        .containsKeys(
            "rawScanKeysPerSec", "loadDescriptorsPerSec", "ratio", "rawScanSeconds", "loadSeconds");
    assertThat((Double) load.get("ratio")).isPositive();
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> targets = (List<Map<String, Object>>) json.get("targets");
    assertThat(targets)
        .extracting(t -> t.get("id"))
        .containsExactly(
            "heartbeatsPerSec",
            "heartbeatP99Millis",
            "coldLoadOverRawScan",
            "propagationP99Millis");
    assertThat(targets).allSatisfy(t -> assertThat(t).containsKeys("target", "actual", "pass"));
  }

  @Test
  void rejectsSizesOutOfRange() {
    Cli r = Cli.run("bench", "layer", "--ranges", "10");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("ranges must be in [1000, 10000000], got 10");
  }
}
