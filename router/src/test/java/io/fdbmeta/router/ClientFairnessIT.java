package io.fdbmeta.router;

import static io.fdbmeta.router.RespClient.str;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One connection's large or half-closed pipeline against the others on the same event loop (issue
 * 14, defects 3 and 8), on real sockets with a fake node.
 */
class ClientFairnessIT {
  private TestCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) cluster.close();
  }

  private static byte[][] pairs(String prefix, int n, boolean values) {
    byte[][] args = new byte[1 + n * (values ? 2 : 1)][];
    args[0] = TestCluster.b(values ? "MSET" : "MGET");
    for (int i = 0, j = 1; i < n; i++) {
      args[j++] = TestCluster.b(prefix + i);
      if (values) args[j++] = TestCluster.b("v" + i);
    }
    return args;
  }

  /**
   * The ordering check compared every key of a new command with every key of every unanswered
   * write: a pipelined MSET and MGET of 60,000 different keys each held the loop (and PING on
   * another connection) for about ten seconds.
   */
  @Test
  void aPipelinedMsetAndMgetOfSixtyThousandKeysDoNotHoldOtherConnectionsPing() throws Exception {
    cluster = new TestCluster("n1");
    cluster.node("n1").delayMillis = 200; // the MSET is still unanswered when the MGET arrives
    Router router = cluster.router(b -> b.ioThreads(1).requestTimeout(Duration.ofSeconds(60)));
    int n = 60_000;
    try (RespClient big = new RespClient(router.address());
        RespClient other = new RespClient(router.address())) {
      assertThat(other.call("PING")).isEqualTo("PONG");
      ByteArrayOutputStream w = new ByteArrayOutputStream();
      w.write(RespClient.command(pairs("k", n, true)));
      w.write(RespClient.command(pairs("m", n, false)));
      big.raw(w.toByteArray());
      Thread.sleep(50);
      long t0 = System.nanoTime();
      assertThat(other.call("PING")).isEqualTo("PONG");
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(2_000);
      assertThat(big.read()).isEqualTo("OK");
      List<?> got = (List<?>) big.read();
      assertThat(got).hasSize(n);
      assertThat(got.get(n - 1)).isNull();
      assertThat(str(other.call("GET", "k" + (n - 1)))).isEqualTo("v" + (n - 1));
    }
  }

  /**
   * A single legal MSET of 500,000 pairs went to its range as one request and kept the node busy
   * while other clients' writes timed out (BUSY): a command's keys now go in bounded batches, a few
   * in flight at once.
   */
  @Test
  void oneHugeMsetLeavesRoomForOtherClients() throws Exception {
    cluster = new TestCluster("n1");
    FakeNode node = cluster.node("n1");
    node.delayMillis = 10;
    Router router = cluster.router(b -> b.ioThreads(1).requestTimeout(Duration.ofSeconds(60)));
    int n = 50_000;
    try (RespClient big = new RespClient(router.address());
        RespClient other = new RespClient(router.address())) {
      assertThat(other.call("SET", "warm", "up")).isEqualTo("OK");
      node.peakOutstanding.set(0);
      big.send(pairs("h", n, true));
      CompletableFuture<Object> mset =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return big.read();
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              });
      Thread.sleep(20);
      assertThat(other.call("SET", "small", "write")).isEqualTo("OK");
      assertThat(mset).as("the small SET is answered while the MSET is still running").isNotDone();
      assertThat(mset.get(30, TimeUnit.SECONDS)).isEqualTo("OK");
      assertThat(node.peakKeysPerRequest.get()).isLessThanOrEqualTo(KeysOp.BATCH_KEYS);
      assertThat(node.peakOutstanding.get()).isLessThanOrEqualTo(KeysOp.BATCHES_IN_FLIGHT + 1);
      assertThat(str(other.call("GET", "h" + (n - 1)))).isEqualTo("v" + (n - 1));
    }
  }

  /**
   * A client that shut down its write side after sending lost the replies: the router closed the
   * connection on end-of-input although the SET was applied.
   */
  @Test
  void aHalfClosedClientStillGetsItsReplies() throws Exception {
    cluster = new TestCluster("n1");
    cluster.node("n1").delayMillis = 100;
    Router router = cluster.router();
    try (RespClient c = new RespClient(router.address())) {
      c.send("SET", "half", "closed");
      c.send("GET", "half");
      c.shutdownOutput();
      assertThat(c.read()).isEqualTo("OK");
      assertThat(str(c.read())).isEqualTo("closed");
      assertThat(c.closedByServer()).isTrue();
    }
  }
}
