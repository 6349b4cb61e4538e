package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parsing and error paths of the CLI; none of these opens a database. */
class MainTest {
  @Test
  void versionPrintsProjectAndFdbApiVersion() {
    Cli r = Cli.run("--version");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out())
        .contains("fdbmeta 0.")
        .contains("FoundationDB Java API version 730")
        .contains("fdb-java 7.3.");
    assertThat(r.out()).doesNotContain("${");
    assertThat(r.err()).isEmpty();
  }

  @Test
  void helpListsCommandsAndGlobalOptions() {
    Cli r = Cli.run("--help");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out())
        .contains("Usage: fdbmeta")
        .contains("bench")
        .contains("ping")
        .contains("demo")
        .contains("--embedded")
        .contains("--cluster-file")
        .contains("--cluster=NAME");
  }

  @Test
  void subcommandHelpShowsInheritedOptions() {
    Cli r = Cli.run("bench", "store", "--help");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out())
        .contains("fdbmeta bench store")
        .contains("--json")
        .contains("--seconds")
        .contains("--cluster-file");
  }

  @Test
  void embeddedAndClusterFileAreMutuallyExclusive(@TempDir Path tmp) throws Exception {
    Path clusterFile = Files.writeString(tmp.resolve("fdb.cluster"), "a:b@127.0.0.1:4500\n");
    for (String[] args :
        new String[][] {
          {"--embedded", tmp.toString(), "--cluster-file", clusterFile.toString(), "ping"},
          {"ping", "--embedded", tmp.toString(), "--cluster-file", clusterFile.toString()},
          {
            "--embedded", tmp.toString(), "bench", "store", "--cluster-file", clusterFile.toString()
          },
          {"--store", "127.0.0.1:4690", "status", "--embedded", tmp.toString()}
        }) {
      Cli r = Cli.run(args);
      assertThat(r.exitCode()).as(String.join(" ", args)).isEqualTo(2);
      assertThat(r.errLines())
          .as(String.join(" ", args))
          .singleElement()
          .asString()
          .contains("--embedded, --store and --cluster-file are mutually exclusive");
      assertThat(r.out()).isEmpty();
    }
  }

  @Test
  void unknownCommandIsOneLineWithSuggestion() {
    Cli r = Cli.run("bnech");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines())
        .singleElement()
        .asString()
        .startsWith("fdbmeta: unknown command 'bnech'")
        .contains("did you mean bench");
  }

  @Test
  void unknownOptionIsOneLine() {
    Cli r = Cli.run("bench", "store", "--bogus");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines()).singleElement().asString().contains("unknown option '--bogus'");
  }

  /**
   * It said "fdbmeta demo: demo: --nodes must be at least 3 ...", and left an empty fdbmeta-demo-*
   * directory in the temporary directory.
   */
  @Test
  void badDemoArgumentSaysItsPrefixOnceAndLeavesNoDirectory() throws Exception {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    long before = demoDirs(tmp);
    Cli r = Cli.run("demo", "--nodes", "1");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines())
        .singleElement()
        .asString()
        .startsWith("fdbmeta demo: --nodes must be at least 3");
    assertThat(demoDirs(tmp)).isEqualTo(before);
  }

  private static long demoDirs(Path tmp) throws Exception {
    try (var dirs = Files.list(tmp)) {
      return dirs.filter(p -> p.getFileName().toString().startsWith("fdbmeta-demo-")).count();
    }
  }

  @Test
  void missingCommandIsAUsageError() {
    assertThat(Cli.run().exitCode()).isEqualTo(2);
    Cli bench = Cli.run("bench");
    assertThat(bench.exitCode()).isEqualTo(2);
    assertThat(bench.errLines()).singleElement().asString().contains("bench store");
  }

  @Test
  void invalidClusterNameIsRejected() {
    Cli r = Cli.run("--cluster", "a/b", "ping");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines())
        .singleElement()
        .asString()
        .contains("--cluster 'a/b' is not a valid name");
  }

  @Test
  void badSecondsIsAUsageError() {
    Cli r = Cli.run("bench", "store", "--seconds", "0");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines()).singleElement().asString().contains("--seconds must be in (0, 600]");
  }

  @Test
  void missingClusterFileFromEnvironmentIsReportedWhenTheStoreIsOpened(@TempDir Path tmp) {
    Cli r =
        Cli.runWithEnv(Map.of("FDB_CLUSTER_FILE", tmp.resolve("nope.cluster").toString()), "ping");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines())
        .singleElement()
        .asString()
        .contains("FDB_CLUSTER_FILE")
        .contains("no such file");
  }
}
