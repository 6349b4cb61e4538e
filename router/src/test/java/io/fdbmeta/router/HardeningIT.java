package io.fdbmeta.router;

import static io.fdbmeta.router.RespClient.str;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Malformed input, slow and greedy clients, caps and shutdown, on real sockets. */
class HardeningIT {
  private TestCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) cluster.close();
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * A well-behaved client writing and reading its own keys until stopped; counts failures and lost
   * writes.
   */
  private static final class Bystander implements AutoCloseable {
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicLong ops = new AtomicLong();
    final List<String> problems = new ArrayList<>();
    final CompletableFuture<Void> done;

    Bystander(Router router) {
      done =
          CompletableFuture.runAsync(
              () -> {
                try (RespClient c = new RespClient(router.address())) {
                  for (int i = 0; !stop.get(); i++) {
                    Object set = c.call("SET", "by:" + i, "v" + i);
                    if (!"OK".equals(set)) problems.add("SET " + i + " -> " + str(set));
                    Object got = c.call("GET", "by:" + (i / 2));
                    if (!("v" + (i / 2)).equals(str(got)))
                      problems.add("GET " + (i / 2) + " -> " + str(got));
                    ops.incrementAndGet();
                  }
                } catch (IOException e) {
                  problems.add(e.toString());
                }
              });
    }

    @Override
    public void close() {
      stop.set(true);
      done.join();
      assertThat(problems).isEmpty();
      assertThat(ops.get()).isPositive();
    }
  }

  @Test
  void malformedRespGetsAnErrorOrAClosedConnectionAndNobodyElseNotices() throws Exception {
    cluster = new TestCluster("n1");
    Router router =
        cluster.router(
            b ->
                b.requestTimeout(Duration.ofMillis(500))
                    .respLimits(
                        new io.fdbmeta.wire.RespDecoder.Limits(1024, 1 << 20, 4096, 4L << 20)));
    try (Bystander by = new Bystander(router)) {
      // bad type byte inside a command
      try (RespClient c = new RespClient(router.address())) {
        c.raw(ascii("*2\r\n$3\r\nGET\r\n?1\r\na\r\n"));
        assertThat(c.read()).asString().contains("Protocol error");
        assertThat(c.closedByServer()).isTrue();
      }
      // negative and huge lengths
      for (String bad :
          new String[] {
            "*1\r\n$-5\r\n", "*1\r\n$99999999999\r\n", "*2147483647\r\n", "*1\r\n$2000000\r\n"
          }) {
        try (RespClient c = new RespClient(router.address())) {
          c.raw(ascii(bad));
          assertThat(c.read()).as(bad).asString().contains("Protocol error");
          assertThat(c.closedByServer()).isTrue();
        }
      }
      // truncated frame, then the client goes away
      try (RespClient c = new RespClient(router.address())) {
        c.raw(ascii("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$10\r\nabc"));
      }
      // a trickle, one byte at a time, fast enough: served
      try (RespClient c = new RespClient(router.address())) {
        for (byte x : RespClient.command("SET", "trickle", "ok")) c.raw(new byte[] {x});
        assertThat(c.read()).isEqualTo("OK");
      }
      // a trickle too slow for the request deadline: cut off
      try (RespClient c = new RespClient(router.address())) {
        byte[] cmd = RespClient.command("SET", "slow", "no");
        for (int i = 0; i < 3; i++) {
          c.raw(new byte[] {cmd[i]});
          Thread.sleep(300);
        }
        assertThat(c.read()).asString().contains("deadline");
        assertThat(c.closedByServer()).isTrue();
      }
      // valid commands, then garbage in the same write: the valid ones are answered first
      try (RespClient c = new RespClient(router.address())) {
        ByteArrayOutputStream w = new ByteArrayOutputStream();
        w.write(RespClient.command("SET", "g1", "1"));
        w.write(RespClient.command("GET", "g1"));
        w.write(ascii("*1\r\n$x\r\n*1\r\n$4\r\nPING\r\n"));
        c.raw(w.toByteArray());
        assertThat(c.read()).isEqualTo("OK");
        assertThat(str(c.read())).isEqualTo("1");
        assertThat(c.read()).asString().contains("Protocol error");
        assertThat(c.closedByServer()).isTrue();
      }
    }
    try (RespClient c = new RespClient(router.address())) {
      assertThat(str(c.call("GET", "trickle"))).isEqualTo("ok");
      assertThat(c.call("GET", "slow")).isNull();
      assertThat(c.call("GET", "x")).isNull();
    }
    assertThat(router.metrics().protocolErrors()).isGreaterThanOrEqualTo(6);
    assertThat(router.metrics().deadlineCloses()).isEqualTo(1);
    assertThat(router.metrics().failures()).isZero();
  }

  @Test
  void aClientThatDoesNotReadStopsBeingReadAndLosesNothing() throws Exception {
    cluster = new TestCluster("n1");
    FakeNode n1 = cluster.node("n1");
    n1.delayMillis = 20;
    Router router = cluster.router(b -> b.maxInFlightPerConnection(8).writeWaterMarks(1024, 4096));
    try (RespClient c = new RespClient(router.address())) {
      ByteArrayOutputStream w = new ByteArrayOutputStream();
      for (int i = 0; i < 300; i++) w.write(RespClient.command("SET", "bp" + i, "x".repeat(100)));
      c.raw(w.toByteArray());
      Thread.sleep(200);
      assertThat(n1.peakOutstanding.get())
          .as("requests at the node at once")
          .isLessThanOrEqualTo(8);
      for (int i = 0; i < 300; i++) assertThat(c.read()).isEqualTo("OK");
    }
    assertThat(cluster.data).hasSize(300);
  }

  @Test
  void closeDrainsCommandsInFlight() throws Exception {
    cluster = new TestCluster("n1");
    cluster.node("n1").delayMillis = 300;
    Router router = cluster.router();
    try (RespClient c = new RespClient(router.address())) {
      ByteArrayOutputStream w = new ByteArrayOutputStream();
      for (int i = 0; i < 20; i++) w.write(RespClient.command("SET", "d" + i, "v"));
      c.raw(w.toByteArray());
      Thread.sleep(100);
      CompletableFuture<Void> closing = CompletableFuture.runAsync(router::close);
      for (int i = 0; i < 20; i++) assertThat(c.read()).isEqualTo("OK");
      assertThat(c.closedByServer()).isTrue();
      closing.join();
    }
    assertThat(cluster.data).hasSize(20);
    assertThat(router.metrics().failures()).isZero();
  }

  @Test
  void connectionsOverTheCapAreToldAndClosed() throws Exception {
    cluster = new TestCluster("n1");
    Router router = cluster.router(b -> b.maxConnections(2));
    try (RespClient a = new RespClient(router.address());
        RespClient b = new RespClient(router.address())) {
      assertThat(a.call("PING")).isEqualTo("PONG");
      assertThat(b.call("PING")).isEqualTo("PONG");
      try (RespClient c = new RespClient(router.address())) {
        assertThat(c.read()).asString().contains("max number of clients");
        assertThat(c.closedByServer()).isTrue();
      }
      assertThat(a.call("PING")).isEqualTo("PONG");
    }
    TestCluster.await(
        "connections to close",
        Duration.ofSeconds(5),
        () -> router.connections() == 0,
        () -> "open: " + router.connections());
    try (RespClient d = new RespClient(router.address())) {
      assertThat(d.call("PING")).isEqualTo("PONG");
    }
    assertThat(router.metrics().rejectedConnections()).isEqualTo(1);
  }

  @Test
  void idleConnectionsAreClosed() throws Exception {
    cluster = new TestCluster("n1");
    Router router = cluster.router(b -> b.idleTimeout(Duration.ofMillis(200)));
    try (RespClient c = new RespClient(router.address())) {
      assertThat(c.call("PING")).isEqualTo("PONG");
      assertThat(c.closedByServer()).isTrue();
    }
    assertThat(router.metrics().idleCloses()).isEqualTo(1);
  }

  @Test
  void aDeadNodeFailsRequestsWithTheUpstreamError() throws Exception {
    cluster = new TestCluster("n1");
    Router router = cluster.router(b -> b.maxAttempts(3).requestTimeout(Duration.ofSeconds(2)));
    cluster.node("n1").close();
    try (RespClient c = new RespClient(router.address())) {
      assertThat(c.call("GET", "a")).asString().startsWith("Err[text=TRYAGAIN cannot connect");
      assertThat(c.call("PING")).isEqualTo("PONG");
    }
    assertThat(router.metrics().failures(UpstreamFailure.CONNECT_FAILED)).isEqualTo(1);
  }

  /**
   * Found by HostileConnectionsIT: commands start only while the connection is writable, but a
   * pipeline of GETs of large values all started at once and every reply landed in the buffer of a
   * client that never read (64 GETs of 1 MiB: 64 MiB held for one connection; maxInFlight of them,
   * gigabytes). Replies past the high-water mark are now bounded, per connection and in total.
   */
  @Test
  void aClientThatDoesNotReadRepliesOfLargeGetsIsCutOff() throws Exception {
    cluster = new TestCluster("n1");
    Router router =
        cluster.router(
            b -> b.writeWaterMarks(16 << 10, 64 << 10).unsentReplyBytes(4 << 20, 8 << 20));
    byte[] big = new byte[1 << 20];
    java.util.Arrays.fill(big, (byte) 'b');
    try (RespClient c = new RespClient(router.address())) {
      assertThat(c.call("SET".getBytes(), "big".getBytes(), big)).isEqualTo("OK");
    }
    try (Bystander by = new Bystander(router);
        java.net.Socket greedy = new java.net.Socket()) {
      greedy.setReceiveBufferSize(4096);
      greedy.connect(router.address());
      ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
      for (int i = 0; i < 64; i++) pipeline.write(RespClient.command("GET", "big"));
      greedy.getOutputStream().write(pipeline.toByteArray()); // and never read
      TestCluster.await(
          "the greedy connection to be cut off",
          Duration.ofSeconds(20),
          () -> router.metrics().unsentReplyRejections() == 1,
          () -> router.connections() + " connections");
      TestCluster.await(
          "the greedy connection to be closed",
          Duration.ofSeconds(10),
          () -> router.connections() == 1,
          () -> router.connections() + " connections");
    }
    assertThat(router.metrics().prometheus())
        .contains("fdbmeta_router_errors_total{kind=\"unsent_replies_over_limit\"} 1");
  }

  @Test
  void connectionsOverTheirAddressCapAreToldAndClosedWhileOtherAddressesAreServed()
      throws Exception {
    cluster = new TestCluster("n1");
    Router router = cluster.router(b -> b.maxConnectionsPerAddress(2));
    try (RespClient a = new RespClient(router.address());
        RespClient b = new RespClient(router.address())) {
      assertThat(a.call("PING")).isEqualTo("PONG");
      assertThat(b.call("PING")).isEqualTo("PONG");
      try (RespClient c = new RespClient(router.address())) {
        assertThat(c.read())
            .isEqualTo(new RespClient.Err("ERR max number of clients reached for this address"));
        assertThat(c.closedByServer()).isTrue();
      }
      // another source address (Linux routes all of 127/8 to loopback) has its own count
      try (java.net.Socket other = new java.net.Socket()) {
        other.bind(new java.net.InetSocketAddress("127.0.0.2", 0));
        other.connect(router.address());
        other.setSoTimeout(5000);
        other.getOutputStream().write(RespClient.command("PING"));
        assertThat(new String(other.getInputStream().readNBytes(7), StandardCharsets.US_ASCII))
            .isEqualTo("+PONG\r\n");
      }
      assertThat(a.call("PING")).isEqualTo("PONG");
    }
    TestCluster.await(
        "connections to close",
        Duration.ofSeconds(5),
        () -> router.connections() == 0,
        () -> "open: " + router.connections());
    try (RespClient d = new RespClient(router.address())) {
      assertThat(d.call("PING")).as("a slot freed by a close").isEqualTo("PONG");
    }
    assertThat(router.metrics().rejectedConnectionsPerAddress()).isEqualTo(1);
    assertThat(router.metrics().rejectedConnections()).isZero();
    assertThat(router.metrics().prometheus())
        .contains("fdbmeta_router_errors_total{kind=\"rejected_per_address\"} 1");
  }
}
