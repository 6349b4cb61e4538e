package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fdbmeta export} and {@code fdbmeta import} as a user runs them: separate command lines on
 * one {@code --embedded} directory, clusters told apart by {@code --cluster}.
 */
class ExportImportCommandTest {
  @TempDir Path tmp;
  private String dir;

  @BeforeEach
  void setUp() {
    dir = tmp.resolve("store").toString();
  }

  private Cli fdbmeta(String... args) {
    List<String> all = new ArrayList<>(List.of("--embedded", dir));
    all.addAll(List.of(args));
    return Cli.run(all.toArray(String[]::new));
  }

  private Cli ok(String... args) {
    Cli r = fdbmeta(args);
    assertThat(r.exitCode()).as("%s: %s", String.join(" ", args), r.err()).isZero();
    return r;
  }

  private void nodes(String cluster, String... ids) {
    Cli.addNodes(List.of("--embedded", dir, "--cluster", cluster), ids);
  }

  private String rangeIdOf(String key) {
    Matcher m =
        Pattern.compile("\"rangeId\":(\\d+)").matcher(ok("ranges", "lookup", key, "--json").out());
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  /** The dump without its header (cluster name, read version) and trailer (checksum). */
  private static List<String> records(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
    return lines.subList(1, lines.size() - 1);
  }

  @Test
  void exportThenImportIntoAnotherClusterGivesTheSameRecordsAndANonEmptyTargetIsRefused()
      throws IOException {
    ok("init");
    nodes("default", "n1", "n2", "n3");
    for (String k : List.of("g", "m", "t")) ok("ranges", "split", rangeIdOf(k), k);
    ok("ranges", "place");
    Path dump = tmp.resolve("a.dump");
    Cli export = ok("export", "--out", dump.toString(), "--quiet");
    assertThat(export.out()).contains("4 ranges").contains("3 nodes");
    assertThat(Files.readAllLines(dump).get(0)).startsWith("fdbmeta-dump 1 cluster=default");
    assertThat(Files.exists(tmp.resolve("a.dump.partial"))).isFalse();

    Cli imported = ok("--cluster", "copy", "import", "--in", dump.toString(), "--quiet", "--json");
    assertThat(imported.out()).contains("\"ranges\":4").contains("\"resumed\":false");
    Path again = tmp.resolve("b.dump");
    ok("--cluster", "copy", "export", "--out", again.toString(), "--quiet");
    assertThat(records(again)).isEqualTo(records(dump));
    assertThat(ok("--cluster", "copy", "status").out()).doesNotContain("INCOMPLETE");

    Cli refused = fdbmeta("--cluster", "copy", "import", "--in", dump.toString(), "--quiet");
    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(refused.err()).contains("is not empty");
    Cli exists = fdbmeta("export", "--out", dump.toString());
    assertThat(exists.exitCode()).isEqualTo(2);
    assertThat(exists.err()).contains("exists");
  }

  @Test
  void aTruncatedDumpIsRefusedAndWritesNothing() throws IOException {
    ok("init");
    nodes("default", "n1");
    ok("ranges", "split", "1", "m");
    Path dump = tmp.resolve("a.dump");
    ok("export", "--out", dump.toString(), "--quiet");
    List<String> lines = Files.readAllLines(dump);
    Path cut = tmp.resolve("cut.dump");
    Files.write(cut, lines.subList(0, lines.size() - 2));
    Cli r = fdbmeta("--cluster", "copy", "import", "--in", cut.toString(), "--quiet");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines()).anyMatch(l -> l.contains("truncated"));
    assertThat(r.errLines().get(r.errLines().size() - 1))
        .endsWith("1 problem; nothing was written");
    assertThat(ok("--cluster", "copy", "status", "--json").out()).contains("\"ranges\":0");
  }

  @Test
  void aCsvWithAGapAnOverlapAndABadKeyGivesThreeErrorsWithLineNumbersAndWritesNothing()
      throws IOException {
    nodes("sql", "a", "b", "c");
    Path csv = tmp.resolve("ranges.csv");
    Files.writeString(
        csv,
        "start,end,replicas,leaseholder\n"
            + ",6b31,a;b;c,a\n"
            + "6b31,6b33,a;b;c,b\n"
            + "6b34,6b36,a;b;c,\n" // gap
            + "6b35,6b37,a;b;c,c\n" // overlap
            + "zz,6b39,a;b;c,a\n" // bad key
            + "6b39,,a;b;c,a\n");
    String before = ok("--cluster", "sql", "status", "--json").out();
    Cli r =
        fdbmeta(
            "--cluster",
            "sql",
            "import",
            "--from-csv",
            csv.toString(),
            "--keys",
            "hex",
            "--header");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines())
        .hasSize(4)
        .satisfies(
            l -> {
              assertThat(l.get(0)).startsWith(csv + ":4: gap");
              assertThat(l.get(1)).startsWith(csv + ":5: overlap");
              assertThat(l.get(2)).startsWith(csv + ":6: bad start key 'zz'");
              assertThat(l.get(3))
                  .isEqualTo("fdbmeta: " + csv + ": 3 problems; nothing was written");
            });
    assertThat(ok("--cluster", "sql", "status", "--json").out()).isEqualTo(before);
  }

  @Test
  void aMysqlOutfileImportsAndStatusThenShowsItsRanges() throws IOException {
    nodes("sql", "a", "b", "c", "d");
    ok("--cluster", "sql", "init");
    Path tsv = tmp.resolve("ranges.tsv");
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 300; i++) {
      String start = i == 0 ? "\\N" : String.format("user:%04d", i);
      String end = i == 299 ? "\\N" : String.format("user:%04d", i + 1);
      sb.append(i).append('\t').append(start).append('\t').append(end).append("\ta;b;c\t");
      sb.append("abc".charAt(i % 3)).append('\n');
    }
    Files.writeString(tsv, sb.toString());
    Cli unknown =
        fdbmeta(
            "--cluster",
            "other",
            "import",
            "--from-csv",
            tsv.toString(),
            "--columns",
            "id,start,end,replicas,leaseholder",
            "--quiet");
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.errLines().get(0)).contains(":1: unknown nodes a, b, c");

    Cli r =
        ok(
            "--cluster",
            "sql",
            "import",
            "--from-csv",
            tsv.toString(),
            "--columns",
            "id,start,end,replicas,leaseholder",
            "--format",
            "mysql",
            "--quiet");
    assertThat(r.out()).contains("300 ranges, 300 leases");
    assertThat(ok("--cluster", "sql", "status", "--json").out()).contains("\"ranges\":300");
    Cli lookup = ok("--cluster", "sql", "ranges", "lookup", "user:0042x", "--json");
    assertThat(lookup.out()).contains("user:0042").contains("\"leaseholder\":\"a\"");
  }
}
