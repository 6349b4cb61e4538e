package io.fdbmeta.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.storage.RespDirectIT.Conn;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A node's own RESP port has the router's protections (issue 14): a client that pipelines without
 * reading stops being served once its unsent replies pass the high-water mark, and an incomplete
 * command may hold only so much memory.
 */
class RespPortLimitsIT {
  private static final int VALUE = 256 << 10;
  private TestClusters t;
  private InetSocketAddress resp;

  @BeforeEach
  void start() {
    t =
        TestClusters.start(
            "resp-limits",
            o ->
                o.nodes(1)
                    .replication(1)
                    .respPorts(true)
                    .nodeConfig(
                        n ->
                            n.replicationTimeout(Duration.ofSeconds(1))
                                .respIncompleteCommandBytes(1 << 20, 4 << 20)));
    resp = t.cluster.nodes().get(0).respSocketAddress().orElseThrow();
  }

  @AfterEach
  void stop() {
    t.close();
  }

  private static byte[] command(String... args) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
    for (String a : args) {
      byte[] x = a.getBytes(StandardCharsets.UTF_8);
      b.writeBytes(("$" + x.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      b.writeBytes(x);
      b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    return b.toByteArray();
  }

  /**
   * Was: RespHandler wrote every reply whatever the channel's writability, so 200 pipelined GETs of
   * a 256 KiB value, never read, put 50 MiB in the node's buffers, and the SET after them ran.
   */
  @Test
  void aClientThatPipelinesWithoutReadingStopsBeingServed() throws Exception {
    try (Conn c = new Conn(resp)) {
      assertThat(c.call("SET", "big", "v".repeat(VALUE))).isEqualTo("+OK");
    }
    try (Socket greedy = new Socket();
        Conn watcher = new Conn(resp)) {
      greedy.setReceiveBufferSize(4096);
      greedy.connect(resp);
      greedy.setSoTimeout(10_000);
      ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
      for (int i = 0; i < 200; i++) pipeline.writeBytes(command("GET", "big"));
      pipeline.writeBytes(command("SET", "marker", "1"));
      greedy.getOutputStream().write(pipeline.toByteArray()); // and reads nothing yet
      // the SET waits behind GETs whose replies nobody reads; old code ran it within milliseconds
      long until = System.nanoTime() + 2_000_000_000L;
      while (System.nanoTime() < until) {
        assertThat(watcher.call("GET", "marker"))
            .as("the SET after unread replies")
            .isEqualTo("$nil");
        Thread.sleep(50);
      }
      // once the client reads, everything is served, in order
      var in = new java.io.BufferedInputStream(greedy.getInputStream());
      String header = "$" + VALUE + "\r\n";
      for (int i = 0; i < 200; i++) {
        assertThat(new String(in.readNBytes(header.length()), StandardCharsets.US_ASCII))
            .as("reply %d", i)
            .isEqualTo(header);
        in.skipNBytes(VALUE + 2);
      }
      assertThat(new String(in.readNBytes(5), StandardCharsets.US_ASCII)).isEqualTo("+OK\r\n");
      assertThat(watcher.call("GET", "marker")).isEqualTo("$1");
    }
  }

  private static String readOrReset(Conn c) throws Exception {
    try {
      return c.read();
    } catch (java.net.SocketException reset) {
      return "<reset>";
    }
  }

  /** Was: the node's RespDecoder held any incomplete command without a bound. */
  @Test
  void anIncompleteCommandOverTheMemoryBoundGetsAnErrorAndIsClosed() throws Exception {
    try (Conn c = new Conn(resp);
        Conn bystander = new Conn(resp)) {
      boolean sent = true;
      try {
        c.send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n" + "x".repeat(1_200_000));
      } catch (java.net.SocketException closedWhileSending) {
        sent = false; // the node refused and closed before it read all of it: a broken pipe
      }
      // the node answers and closes at once, maybe before it read all we sent: then the close
      // resets the connection and the answer may be lost (old code waited for the rest: timeout)
      String answer = sent ? readOrReset(c) : "<reset>";
      assertThat(answer)
          .isIn(
              "-ERR incomplete command holds more than 1048576 bytes (the connection's limit)",
              "<reset>");
      if (!answer.equals("<reset>")) assertThat(readOrReset(c)).isIn("<closed>", "<reset>");
      assertThat(t.cluster.nodes().get(0).respIncompleteRejections()).isEqualTo(1);
      assertThat(bystander.call("PING")).isEqualTo("+PONG");
    }
  }

  /** Was: the node's RESP port had no idle timeout, so a partial command held its connection. */
  @Test
  void aCommandTricklingInDoesNotKeepItsConnectionOpen() throws Exception {
    try (TestClusters idle =
            TestClusters.start(
                "resp-idle",
                o ->
                    o.nodes(1)
                        .replication(1)
                        .respPorts(true)
                        .nodeConfig(
                            n ->
                                n.replicationTimeout(Duration.ofSeconds(1))
                                    .idleTimeout(Duration.ofMillis(400))));
        Socket trickle =
            new Socket(
                idle.cluster.nodes().get(0).respSocketAddress().orElseThrow().getAddress(),
                idle.cluster.nodes().get(0).respSocketAddress().orElseThrow().getPort())) {
      var out = trickle.getOutputStream();
      out.write("*2\r\n$4\r\nECHO\r\n$100000\r\n".getBytes(StandardCharsets.US_ASCII));
      boolean closed = false;
      long until = System.nanoTime() + 10_000_000_000L;
      while (!closed && System.nanoTime() < until) {
        try {
          out.write('x');
          out.flush();
          Thread.sleep(50); // a byte every 50 ms: never idle at the socket, never a whole command
        } catch (java.io.IOException e) {
          closed = true;
        }
      }
      assertThat(closed).as("the trickling connection closed by the node").isTrue();
    }
  }
}
