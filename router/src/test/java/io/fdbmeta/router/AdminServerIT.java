package io.fdbmeta.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link AdminServer} against slow and hostile clients: each gets a 4xx or a close within the
 * request timeout, and a health check from another client is answered meanwhile.
 */
class AdminServerIT {
  private static final Duration TIMEOUT = Duration.ofMillis(400);
  private static final Duration ONE_SECOND = Duration.ofSeconds(1);
  private static final String BIG = "x".repeat(1 << 20);
  private AdminServer server;
  private InetSocketAddress address;

  @BeforeEach
  void setUp() {
    start(8);
  }

  private void start(int maxConnections) {
    if (server != null) server.close();
    Map<String, Supplier<AdminServer.Reply>> routes =
        Map.of(
            "/healthz", () -> AdminServer.Reply.text(200, "ok\n"),
            "/big", () -> AdminServer.Reply.text(200, BIG));
    server =
        AdminServer.start(
            "127.0.0.1", 0, routes, new AdminServer.Limits(TIMEOUT, maxConnections, 8192, 4096));
    address = server.address();
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  private void healthzAnsweredWithinASecond() throws IOException {
    long t0 = System.nanoTime();
    String reply = RawHttp.get(address, "/healthz", ONE_SECOND);
    assertThat(reply).startsWith("HTTP/1.1 200").endsWith("ok\n");
    assertThat((System.nanoTime() - t0) / 1_000_000).as("ms to answer /healthz").isLessThan(1_000);
  }

  /** Sends {@code bytes}, then expects a 4xx status or nothing, and the connection closed. */
  private static void refusedWith4xxOrClose(RawHttp c, byte[] bytes) throws IOException {
    try {
      c.send(bytes);
    } catch (IOException closedWhileSending) {
      return;
    }
    c.timeout(TIMEOUT.plus(ONE_SECOND));
    String reply = c.readToEnd(4096);
    if (!reply.isEmpty()) assertThat(RawHttp.status(reply) / 100).as(reply).isEqualTo(4);
  }

  @Test
  void halfRequestsAreClosedAfterTheTimeoutWhileHealthzIsAnswered() throws Exception {
    start(128);
    List<RawHttp> slow = new ArrayList<>();
    try {
      for (int i = 0; i < 100; i++) {
        RawHttp c = new RawHttp(address);
        slow.add(c);
        c.send("GET /healthz HTTP/1.1\r\nHost: t\r\n");
      }
      healthzAnsweredWithinASecond();
      long t0 = System.nanoTime();
      for (RawHttp c : slow) {
        c.timeout(TIMEOUT.plus(ONE_SECOND));
        assertThat(c.readToEnd(4096)).as("a half request gets no reply, only a close").isEmpty();
      }
      assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(TIMEOUT.toMillis() + 1_000);
    } finally {
      for (RawHttp c : slow) c.close();
    }
  }

  @Test
  void tricklingBytesDoNotExtendTheRequestTimeout() throws Exception {
    try (RawHttp c = new RawHttp(address)) {
      byte[] request =
          "GET /healthz HTTP/1.1\r\nHost: t\r\nX: ".getBytes(StandardCharsets.US_ASCII);
      long t0 = System.nanoTime();
      try {
        for (int i = 0; ; i++) {
          c.send(new byte[] {i < request.length ? request[i] : (byte) 'a'});
          Thread.sleep(20);
          if (System.nanoTime() - t0 > TIMEOUT.multipliedBy(5).toNanos()) break;
        }
      } catch (IOException closed) {
        // expected once the timeout passes
      }
      c.timeout(ONE_SECOND);
      assertThat(c.readToEnd(4096)).isEmpty();
      assertThat((System.nanoTime() - t0) / 1_000_000)
          .as("ms until closed")
          .isLessThan(TIMEOUT.toMillis() + 1_000);
    }
  }

  @Test
  void garbageGets400AndAClose() throws Exception {
    Random random = new Random(14);
    for (int i = 0; i < 20; i++) {
      byte[] junk = new byte[1 + random.nextInt(2_000)];
      random.nextBytes(junk);
      byte[] withEnd = Arrays.copyOf(junk, junk.length + 4);
      System.arraycopy("\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0, withEnd, junk.length, 4);
      try (RawHttp c = new RawHttp(address)) {
        refusedWith4xxOrClose(c, withEnd);
      }
    }
    healthzAnsweredWithinASecond();
  }

  @Test
  void tenMegabyteHeaderGets4xxOrAClose() throws Exception {
    byte[] head = new byte[10 << 20];
    Arrays.fill(head, (byte) 'a');
    byte[] start = "GET /healthz HTTP/1.1\r\nX-Big: ".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(start, 0, head, 0, start.length);
    try (RawHttp c = new RawHttp(address)) {
      refusedWith4xxOrClose(c, head);
    }
    healthzAnsweredWithinASecond();
  }

  @Test
  void endlessChunkedBodyGets413AndAClose() throws Exception {
    try (RawHttp c = new RawHttp(address)) {
      c.send("POST /healthz HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
      byte[] chunk = ("400\r\n" + "y".repeat(0x400) + "\r\n").getBytes(StandardCharsets.US_ASCII);
      Thread writer =
          new Thread(
              () -> {
                try {
                  while (true) c.send(chunk);
                } catch (IOException closed) {
                  // the server closed the connection: what this test waits for
                }
              });
      writer.start();
      c.timeout(TIMEOUT.plus(ONE_SECOND));
      String reply = c.readToEnd(4096);
      assertThat(RawHttp.status(reply)).as(reply).isEqualTo(413);
      writer.join(ONE_SECOND.toMillis());
      assertThat(writer.isAlive()).as("still sending after the close").isFalse();
    }
    healthzAnsweredWithinASecond();
  }

  @Test
  void connectionOverTheCapClosesTheLongestOpen() throws Exception {
    start(4);
    List<RawHttp> idle = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) idle.add(new RawHttp(address));
      healthzAnsweredWithinASecond(); // the fifth: the first idle one makes room
      RawHttp first = idle.get(0);
      first.timeout(Duration.ofMillis(TIMEOUT.toMillis() / 2));
      assertThat(first.readToEnd(16)).isEmpty();
      RawHttp second = idle.get(1);
      second.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
      second.timeout(ONE_SECOND);
      assertThat(second.readToEnd(4096)).startsWith("HTTP/1.1 200").endsWith("ok\n");
    } finally {
      for (RawHttp c : idle) c.close();
    }
  }

  @Test
  void clientThatNeverReadsGetsNoMoreThanItsFirstReplies() throws Exception {
    try (RawHttp c = new RawHttp(address)) {
      String request = "GET /big HTTP/1.1\r\nHost: t\r\n\r\n";
      c.send(request.repeat(200)); // 200 MB of replies, if all were written
      Thread.sleep(TIMEOUT.toMillis() * 2);
      c.timeout(ONE_SECOND);
      long received = c.countToEnd();
      assertThat(received).as("bytes sent to a client that did not read").isLessThan(4L << 20);
    }
    healthzAnsweredWithinASecond();
  }

  @Test
  void wrongMethodAndUnknownPathAreAnswered() throws Exception {
    try (RawHttp c = new RawHttp(address)) {
      c.send("DELETE /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
      assertThat(RawHttp.status(c.readToEnd(4096))).isEqualTo(405);
    }
    assertThat(RawHttp.get(address, "/x", ONE_SECOND))
        .startsWith("HTTP/1.1 404")
        .contains("/healthz");
    try (RawHttp c = new RawHttp(address)) {
      c.send("HEAD /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
      assertThat(c.readToEnd(4096)).startsWith("HTTP/1.1 200").contains("content-length: 3");
    }
  }
}
