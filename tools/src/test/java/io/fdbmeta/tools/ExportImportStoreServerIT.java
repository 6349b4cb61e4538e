package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.tools.bench.ServedStoreProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export and import against {@code fdbmeta store serve} ({@code --store HOST:PORT}), and an import
 * killed with kill -9 in its own process: the cluster must say it is incomplete until the same
 * import, run again, finishes it.
 */
class ExportImportStoreServerIT {
  @TempDir Path tmp;

  private static Cli ok(String... args) {
    Cli r = Cli.run(args);
    assertThat(r.exitCode()).as("%s: %s", String.join(" ", args), r.err()).isZero();
    return r;
  }

  private static void nodes(String at, String cluster, String... ids) {
    Cli.addNodes(List.of("--store", at, "--cluster", cluster), ids);
  }

  private static List<String> records(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
    return lines.subList(1, lines.size() - 1);
  }

  private static long ranges(String at, String cluster) {
    Matcher m =
        Pattern.compile("\"ranges\":(\\d+)")
            .matcher(ok("--store", at, "--cluster", cluster, "status", "--json").out());
    assertThat(m.find()).isTrue();
    return Long.parseLong(m.group(1));
  }

  @Test
  void exportAndImportWorkThroughAStoreServer() throws Exception {
    try (ServedStoreProcess server = ServedStoreProcess.start(tmp.resolve("data"), "127.0.0.1:0")) {
      String at = server.address();
      ok("--store", at, "init");
      nodes(at, "default", "n1", "n2", "n3");
      ok("--store", at, "ranges", "split", "1", "m");
      ok("--store", at, "ranges", "place");
      Path dump = tmp.resolve("a.dump");
      ok("--store", at, "export", "--out", dump.toString(), "--quiet");
      Cli imp =
          ok("--store", at, "--cluster", "copy", "import", "--in", dump.toString(), "--quiet");
      assertThat(imp.out()).contains("2 ranges, 2 leases, 3 nodes").contains("served by " + at);
      Path again = tmp.resolve("b.dump");
      ok("--store", at, "--cluster", "copy", "export", "--out", again.toString(), "--quiet");
      assertThat(records(again)).isEqualTo(records(dump));

      nodes(at, "sql", "a", "b");
      Path csv = tmp.resolve("t.csv");
      Files.writeString(csv, ",m,a;b,a\nm,,b;a,b\n");
      ok("--store", at, "--cluster", "sql", "import", "--from-csv", csv.toString(), "--quiet");
      assertThat(ranges(at, "sql")).isEqualTo(2);
    }
  }

  @Test
  void anImportKilledWithKill9IsReportedIncompleteAndFinishedByRunningItAgain() throws Exception {
    int n = 60_000;
    Path csv = tmp.resolve("big.csv");
    StringBuilder sb = new StringBuilder(n * 40);
    for (int i = 0; i < n; i++) {
      sb.append(i == 0 ? "" : String.format("user:%08d", i)).append(',');
      sb.append(i == n - 1 ? "" : String.format("user:%08d", i + 1)).append(",a;b;c,a\n");
    }
    Files.writeString(csv, sb);
    try (ServedStoreProcess server = ServedStoreProcess.start(tmp.resolve("data"), "127.0.0.1:0")) {
      String at = server.address();
      nodes(at, "big", "a", "b", "c");
      List<String> args =
          List.of("--store", at, "--cluster", "big", "import", "--from-csv", csv.toString());
      try (FdbmetaProcess importer = FdbmetaProcess.start("import", List.of(), args, null)) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (ranges(at, "big") < 2 && System.nanoTime() < deadline && importer.isAlive())
          Thread.sleep(20);
        assertThat(importer.isAlive()).as("the import still runs: %s", importer.output()).isTrue();
        importer.kill();
      }
      long partial = ranges(at, "big");
      assertThat(partial).isBetween(2L, (long) n);
      Cli status = ok("--store", at, "--cluster", "big", "status");
      assertThat(status.out()).contains("INCOMPLETE").contains(csv.toString());
      Cli export =
          Cli.run(
              "--store", at, "--cluster", "big", "export", "--out", tmp.resolve("x").toString());
      assertThat(export.exitCode()).isEqualTo(1);
      assertThat(export.err()).contains("incomplete import");

      Cli again = ok(args.toArray(String[]::new));
      assertThat(again.out()).startsWith("finished the interrupted import of " + csv);
      assertThat(ranges(at, "big")).isEqualTo(n);
      assertThat(ok("--store", at, "--cluster", "big", "status").out())
          .doesNotContain("INCOMPLETE");
      Cli lookup = ok("--store", at, "--cluster", "big", "ranges", "lookup", "user:00030000x");
      assertThat(lookup.out()).contains("user:00030000");
    }
  }
}
