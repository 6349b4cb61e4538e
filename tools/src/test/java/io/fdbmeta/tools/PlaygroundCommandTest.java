package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.tools.PlaygroundState.Component;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code fdbmeta playground} refuses before it starts anything, and its state file. */
class PlaygroundCommandTest {
  @TempDir Path tmp;

  @Test
  void badCountsAreUsageErrors() {
    Cli r = Cli.run("playground", "--nodes", "0", "--dir", tmp.toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.errLines()).singleElement().asString().contains("--nodes must be 1-64, got 0");
    assertThat(Cli.run("playground", "--routers", "17").exitCode()).isEqualTo(2);
    assertThat(Cli.run("playground", "--controllers", "0").exitCode()).isEqualTo(2);
  }

  @Test
  void aTakenRouterPortIsNamedBeforeAnythingStarts() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      Path dir = tmp.resolve("pg");
      Cli r = Cli.run("playground", "--port", "" + port, "--dir", dir.toString());
      assertThat(r.exitCode()).isEqualTo(1);
      assertThat(r.errLines())
          .singleElement()
          .asString()
          .contains("port " + port + " (router 1's RESP port) is taken");
      assertThat(dir).doesNotExist();
    }
  }

  @Test
  void anEarlierPlaygroundsDirectoryIsRefused() throws IOException {
    Files.createDirectories(tmp.resolve("data"));
    Cli r = Cli.run("playground", "--dir", "" + tmp, "--routers", "1", "--port", "" + freePort());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("holds the store of an earlier playground").contains("new --dir");
  }

  @Test
  void statusReadsTheStateFileAndSaysWhoIsDown() {
    Cli none = Cli.run("playground", "status", "--dir", tmp.toString());
    assertThat(none.exitCode()).isEqualTo(1);
    assertThat(none.err()).contains("no playground in " + tmp);

    long self = ProcessHandle.current().pid();
    PlaygroundState.write(
        tmp,
        self,
        List.of(
            new Component("node", "n1", self, "127.0.0.1:1", "127.0.0.1:1", tmp.resolve("n1.log")),
            new Component(
                "router", "r1", Long.MAX_VALUE - 1, "127.0.0.1:1", "-", tmp.resolve("r.log"))));
    assertThat(PlaygroundState.read(tmp).components()).hasSize(2);
    Cli r = Cli.run("playground", "status", "--dir", tmp.toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out())
        .contains("no: /healthz does not answer")
        .contains("no: not running (see r.log)")
        .contains("2 of 2 down; the playground (pid " + self + ") runs");
  }

  /** kill -9 of the playground leaves its children running (they run in their own sessions). */
  @Test
  void statusSaysHowToStopProcessesThatOutlivedTheirPlayground() {
    long self = ProcessHandle.current().pid();
    PlaygroundState.write(
        tmp,
        Long.MAX_VALUE - 1, // a playground that is gone
        List.of(
            new Component("node", "n1", self, "127.0.0.1:1", "127.0.0.1:1", tmp.resolve("n.log"))));
    Cli r = Cli.run("playground", "status", "--dir", tmp.toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out())
        .contains("is not running")
        .contains("its processes outlived it; stop them with: kill " + self);
  }

  @Test
  void replicationLeavesANodeSpare() {
    assertThat(List.of(1, 2, 3, 4, 6).stream().map(PlaygroundCommand::replication))
        .containsExactly(1, 1, 2, 3, 3);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
