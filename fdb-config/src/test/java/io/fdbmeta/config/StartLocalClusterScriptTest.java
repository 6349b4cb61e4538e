package io.fdbmeta.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * start-local-cluster.sh, run with a PATH built for each test: only the tools the script needs,
 * plus stand-ins for fdbserver and fdbcli where a test wants them. So the result does not depend on
 * whether FoundationDB happens to be installed.
 */
class StartLocalClusterScriptTest {

  private static final Path SCRIPT = ConfigFiles.ROOT.resolve("start-local-cluster.sh");
  // External commands the script runs, besides fdbserver and fdbcli.
  private static final List<String> TOOLS =
      List.of(
          "bash", "cat", "grep", "kill", "mkdir", "mktemp", "nohup", "od", "rm", "sleep", "tail",
          "tr");

  @TempDir Path tmp;
  private Path bin;
  private final List<Long> stubPids = new ArrayList<>();

  record Run(int exitCode, String stdout, String stderr) {}

  @AfterEach
  void stopStubServersAndUnlinkTools() throws IOException {
    stubPids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    // Removed here so @TempDir cleanup does not warn about links leaving the directory.
    for (String tool : TOOLS) {
      if (bin != null) {
        Files.deleteIfExists(bin.resolve(tool));
      }
    }
  }

  @Test
  void scriptIsExecutableAndValidBash() throws Exception {
    assertThat(Files.isExecutable(SCRIPT)).isTrue();
    Process p =
        new ProcessBuilder("bash", "-n", SCRIPT.toString()).redirectErrorStream(true).start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEmpty();
    assertThat(p.exitValue()).isZero();
  }

  @Test
  void withoutFdbserverItSaysSoAndExitsThree() throws Exception {
    Run run = run();

    assertThat(run.exitCode()).isEqualTo(3);
    assertThat(run.stderr()).contains("fdbserver not found on PATH").contains("FoundationDB 7.3");
    assertThat(run.stdout()).isEmpty();
    try (var leftovers = Files.list(tmp.resolve("tmp"))) {
      assertThat(leftovers).as("nothing created before the check").isEmpty();
    }
  }

  @Test
  void rejectsBadPort() throws Exception {
    Run run = run("-p", "70000");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.stderr()).contains("port must be 1-65535");
  }

  @Test
  void startsConfiguresWaitsAndPrintsTheClusterFile() throws Exception {
    stub("fdbserver", "echo \"$@\" > \"$STUB_DIR/fdbserver.args\"\nexec sleep 30\n");
    stub("fdbcli", FDBCLI_STUB);
    Path dir = tmp.resolve("cluster");

    Run run = run("-p", "4701", "-t", "20", dir.toString());

    assertThat(run.exitCode()).as(run.stderr()).isZero();
    Path clusterFile = dir.resolve("fdb.cluster");
    assertThat(run.stdout().strip()).isEqualTo(clusterFile.toString());
    stubPids.add(Long.parseLong(Files.readString(dir.resolve("fdbserver.pid")).strip()));
    assertThat(ClusterFile.parse(Files.readString(clusterFile)).coordinators())
        .containsExactly(new ClusterFile.Address("127.0.0.1", 4701));
    assertThat(Files.readString(tmp.resolve("fdbserver.args")))
        .contains("--public-address 127.0.0.1:4701")
        .contains("--cluster-file " + clusterFile);
    // Same database as the documented development configuration.
    assertThat(Files.readAllLines(tmp.resolve("fdbcli.log")))
        .contains(ConfigFiles.read("single-process/configure.fdbcli").strip())
        .endsWith("status minimal");
  }

  @Test
  void reportsAServerThatDiesAtStartup() throws Exception {
    stub("fdbserver", "echo 'Local address in use' >&2\nexit 1\n");
    stub("fdbcli", FDBCLI_STUB);
    Path dir = tmp.resolve("cluster");

    Run run = run("-p", "4701", "-t", "20", dir.toString());

    assertThat(run.exitCode()).isEqualTo(4);
    assertThat(run.stderr()).contains("fdbserver exited").contains("Local address in use");
    assertThat(run.stdout()).isEmpty();
    assertThat(dir.resolve("fdbserver.pid")).doesNotExist();
  }

  // Reports the database available once `configure new` has been issued, like a fresh cluster.
  private static final String FDBCLI_STUB =
      """
      while [ $# -gt 0 ]; do [ "$1" = --exec ] && cmd=$2; shift; done
      echo "$cmd" >> "$STUB_DIR/fdbcli.log"
      case $cmd in
        "status minimal")
          if grep -q '^configure new' "$STUB_DIR/fdbcli.log"; then echo 'The database is available.';
          else echo 'The database is unavailable; type `status` for more information.'; fi ;;
        configure*) echo 'Database created' ;;
      esac
      """;

  private Run run(String... args) throws IOException, InterruptedException {
    bin = bin == null ? toolsOnlyBin() : bin;
    Files.createDirectories(tmp.resolve("tmp"));
    List<String> command =
        new ArrayList<>(List.of(bin.resolve("bash").toString(), SCRIPT.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("PATH", bin.toString());
    pb.environment().put("TMPDIR", tmp.resolve("tmp").toString());
    pb.environment().put("STUB_DIR", tmp.toString());
    pb.redirectOutput(tmp.resolve("stdout").toFile()).redirectError(tmp.resolve("stderr").toFile());
    Process p = pb.start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("script finished").isTrue();
    return new Run(
        p.exitValue(),
        Files.readString(tmp.resolve("stdout")),
        Files.readString(tmp.resolve("stderr")));
  }

  private Path toolsOnlyBin() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("bin"));
    for (String tool : TOOLS) {
      Path found = which(tool);
      if (found != null) {
        Files.createSymbolicLink(dir.resolve(tool), found);
      }
    }
    assertThat(dir.resolve("bash")).exists();
    return dir;
  }

  private void stub(String name, String body) throws IOException {
    bin = bin == null ? toolsOnlyBin() : bin;
    Path file = bin.resolve(name);
    Files.writeString(file, "#!/bin/sh\n" + body);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static Path which(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      Path candidate = Path.of(dir, tool);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }
}
