package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code bench export}, scaled down: it must print both figures, exact, and how to reproduce. */
class BenchExportCommandTest {
  @Test
  void printsExportAndImportTimesAndRatesOfAnExactRoundTripAndTheCommandThatReproducesIt() {
    Cli r = Cli.run("bench", "export", "--ranges", "3000", "--memory", "--quiet", "--json");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out())
        .containsPattern(
            "export \\(paged snapshot \\+ write the file\\) +[0-9.]+ s +[0-9,]+ records/s")
        .containsPattern(
            "import \\(read \\+ check the file \\+ load\\) +[0-9.]+ s +[0-9,]+ records/s")
        .contains("6,031 records") // 3,000 ranges + 3,000 leases + 30 nodes + schema
        .contains("re-export of the import equals the dump: yes (exact)")
        .contains(
            "reproduce: java -jar tools/target/fdbmeta.jar bench export --json --ranges 3000 --memory --quiet")
        .contains("\"exact\":true");
  }
}
