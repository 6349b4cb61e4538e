package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the whole store benchmark in-process with tiny windows and checks what it reports. */
class BenchStoreCommandTest {
  private static final List<String> WORKLOADS =
      List.of(
          "pointReads",
          "batchedPointReads",
          "commits1Client",
          "commits16Clients",
          "tenKeyCommits",
          "rangeReads");

  @Test
  void jsonLastLineHoldsEveryFigure(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("durable");
    Cli r = Cli.run("bench", "store", "--json", "--seconds", "0.05", "--dir", dir.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();

    List<String> lines = r.outLines();
    assertThat(lines.get(1))
        .startsWith(
            "reproduce: java -jar tools/target/fdbmeta.jar bench store --json --seconds 0.05 --dir ");
    assertThat(r.out())
        .contains(
            "point reads/s",
            "single-key commits/s",
            "range-read keys/s",
            "commit latency p99 (us)");
    assertThat(r.out()).containsPattern("(PASS|MISS)");

    @SuppressWarnings("unchecked")
    Map<String, Object> json = (Map<String, Object>) MiniJson.parse(lines.get(lines.size() - 1));
    assertThat(json)
        .containsEntry("bench", "store")
        .containsKeys("reproduce", "seconds", "cpus", "targets", "allTargetsPass");
    for (String backend : List.of("memory", "durable", "served", "skiplist")) {
      @SuppressWarnings("unchecked")
      Map<String, Object> figures = (Map<String, Object>) json.get(backend);
      assertThat(figures).as(backend).isNotNull().containsEntry("errors", 0.0);
      for (String w : WORKLOADS) {
        for (String suffix : List.of("TxnPerSec", "KeysPerSec", "P50Micros", "P99Micros")) {
          assertThat(figures).as(backend + " " + w + suffix).containsKey(w + suffix);
        }
        assertThat((Double) figures.get(w + "KeysPerSec")).as(backend + " " + w).isPositive();
      }
    }
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> targets = (List<Map<String, Object>>) json.get("targets");
    assertThat(targets)
        .extracting(t -> t.get("id"))
        .containsExactly(
            "memoryPointReads",
            "memoryCommits16Clients",
            "memoryTenKeyWrites",
            "durableOverMemoryCommits256Clients",
            "servedPointReads",
            "servedCommitP50OneClient",
            "servedOverDurableCommits256Clients");
    assertThat(targets).allSatisfy(t -> assertThat(t).containsKeys("target", "actual", "pass"));

    assertThat(dir).as("a --dir given by the user is kept").isDirectory();
  }
}
