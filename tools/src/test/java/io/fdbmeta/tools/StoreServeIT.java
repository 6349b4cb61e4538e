package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.FDBException;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.tuple.Tuple;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.tools.bench.ServedStoreProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fdbmeta store serve} as its users run it: a server process, clients in other processes
 * (this JVM, and the CLI), the server killed with kill -9 and started again on the same directory
 * and port.
 */
class StoreServeIT {
  @TempDir Path tmp;

  private static String freeLoopbackPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return "127.0.0.1:" + s.getLocalPort();
    }
  }

  @Test
  void adminCommandsWorkAgainstAStoreServer() throws Exception {
    try (ServedStoreProcess server = ServedStoreProcess.start(tmp.resolve("data"), "127.0.0.1:0")) {
      String at = server.address();
      assertThat(Cli.run("--store", at, "init").outLines())
          .singleElement()
          .asString()
          .startsWith("initialised cluster 'default' in fdb-embedded served by " + at);
      Cli add =
          Cli.runWithEnv(
              Map.of("FDBMETA_STORE", at),
              "nodes",
              "add",
              "n1",
              "--addr",
              "127.0.0.1:7001",
              "--zone",
              "z1",
              "--rack",
              "r1");
      assertThat(add.exitCode()).as(add.err()).isZero();
      Cli split = Cli.run("--store", at, "ranges", "split", "1", "m");
      assertThat(split.exitCode()).as(split.err()).isZero();
      Cli status = Cli.run("--store", at, "status", "--json");
      assertThat(status.exitCode()).as(status.err()).isZero();
      assertThat(status.out())
          .contains("\"ranges\":2")
          .contains("\"total\":1")
          .contains("fdb-embedded served by " + at);
    }
    assertThat(Files.exists(tmp.resolve("data"))).isTrue();
  }

  @Test
  void sigtermStopsTheServerCleanlyAndTheDirectoryOpensAgain() throws Exception {
    Path dir = tmp.resolve("data");
    try (ServedStoreProcess server = ServedStoreProcess.start(dir, "127.0.0.1:0")) {
      try (Database db = EmbeddedFdb.connect(server.address())) {
        db.run(tr -> set(tr, "kept", "yes"));
      }
      server.close();
      assertThat(server.exitValue()).isIn(0, 143); // 143: the JVM's exit status after SIGTERM
    }
    try (Database db = EmbeddedFdb.open(dir)) {
      byte[] kept = db.run((Transaction tr) -> tr.get(Tuple.from("kept").pack()).join());
      assertThat(kept).isNotNull();
    }
  }

  @Test
  void noStoreServerIsOneClearLine() throws Exception {
    Cli r = Cli.run("--store", freeLoopbackPort(), "status");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.errLines()).singleElement().asString().contains("no store server answers at");
  }

  /**
   * Idempotent transactions (each checks its own marker before counting) stream from this process
   * while the server is killed with kill -9 and started again: every one that was acknowledged, or
   * reported 1021 and retried, is applied exactly once.
   */
  @Test
  void killNineDuringIdempotentCommitsLosesNothingAndAppliesNothingTwice() throws Exception {
    Path dir = tmp.resolve("data");
    String listen = freeLoopbackPort();
    int transactions = 400;
    ServedStoreProcess server = ServedStoreProcess.start(dir, listen);
    try (Database db = EmbeddedFdb.connect(listen)) {
      CompletableFuture<Integer> writer =
          CompletableFuture.supplyAsync(
              () -> {
                int unknownResults = 0;
                for (int i = 0; i < transactions; i++) {
                  int n = i;
                  int[] attempts = {0};
                  db.run(
                      tr -> {
                        attempts[0]++;
                        byte[] marker = Tuple.from("marker", n).pack();
                        if (tr.get(marker).join() != null) return null; // applied by an attempt
                        tr.set(marker, new byte[] {1});
                        tr.mutate(
                            com.apple.foundationdb.MutationType.ADD,
                            Tuple.from("count").pack(),
                            new byte[] {1, 0, 0, 0, 0, 0, 0, 0});
                        return null;
                      });
                  if (attempts[0] > 1) unknownResults++;
                }
                return unknownResults;
              });
      waitForCount(db, 50);
      server.kill();
      Thread.sleep(300);
      server = ServedStoreProcess.start(dir, listen);
      int retried = writer.get(120, TimeUnit.SECONDS);
      long count =
          db.run(
              tr ->
                  java.nio.ByteBuffer.wrap(tr.get(Tuple.from("count").pack()).join())
                      .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                      .getLong());
      assertThat(count).isEqualTo(transactions);
      int markers =
          db.run(
              tr ->
                  tr.getRange(com.apple.foundationdb.Range.startsWith(Tuple.from("marker").pack()))
                      .asList()
                      .join()
                      .size());
      assertThat(markers).isEqualTo(transactions);
      assertThat(retried).as("transactions retried across the kill").isPositive();
    } finally {
      server.close();
    }
  }

  /** A watch armed before the server dies completes (a spurious fire), and re-armed, fires. */
  @Test
  void watchArmedBeforeTheServerDiesCompletesAndRearmsAfterTheRestart() throws Exception {
    Path dir = tmp.resolve("data");
    String listen = freeLoopbackPort();
    ServedStoreProcess server = ServedStoreProcess.start(dir, listen);
    try (Database db = EmbeddedFdb.connect(listen)) {
      byte[] key = Tuple.from("watched").pack();
      db.run(tr -> set(tr, "watched", "1"));
      CompletableFuture<Void> watch = db.run(tr -> tr.watch(key));
      server.kill();
      // Completes, never hangs: it fires, or fails with an error a retry loop retries.
      Throwable failure = watch.handle((v, e) -> e).get(10, TimeUnit.SECONDS);
      if (failure != null) {
        assertThat(failure).isInstanceOf(FDBException.class);
        assertThat(((FDBException) failure).getCode()).as(failure.toString()).isEqualTo(1037);
      }
      server = ServedStoreProcess.start(dir, listen);
      CompletableFuture<Void> rearmed = rearm(db, key);
      try (Database other = EmbeddedFdb.connect(listen)) {
        other.run(tr -> set(tr, "watched", "2"));
      }
      rearmed.get(10, TimeUnit.SECONDS);
      String now = db.run((Transaction tr) -> Tuple.fromBytes(tr.get(key).join()).getString(0));
      assertThat(now).isEqualTo("2");
    } finally {
      server.close();
    }
  }

  /** What a watch loop does: re-read and re-arm, retrying while the server is not back. */
  private static CompletableFuture<Void> rearm(Database db, byte[] key)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try {
        return db.run(
            tr -> {
              tr.get(key).join();
              return tr.watch(key);
            });
      } catch (FDBException e) {
        if (System.nanoTime() > deadline) throw e;
        Thread.sleep(50);
      }
    }
  }

  private static void waitForCount(Database db, long atLeast) throws InterruptedException {
    while (true) {
      byte[] v = db.run(tr -> tr.get(Tuple.from("count").pack()).join());
      if (v != null
          && java.nio.ByteBuffer.wrap(v).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong()
              >= atLeast) return;
      Thread.sleep(5);
    }
  }

  private static Void set(Transaction tr, String key, String value) {
    tr.set(Tuple.from(key).pack(), Tuple.from(value).pack());
    return null;
  }
}
