package io.fdbmeta.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.RangeDescriptor;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** RESP straight to a node, no router: the leaseholder serves, the others name it. */
class RespDirectIT {
  TestClusters t;
  StorageNode leader;
  StorageNode follower;

  @BeforeEach
  void start() {
    t = TestClusters.start("resp", o -> o.respPorts(true));
    RangeDescriptor d = t.cluster.ranges().get(0);
    leader = t.cluster.node(d.leaseholder());
    follower =
        t.cluster.node(
            d.replicas().stream()
                .filter(n -> !n.equals(d.leaseholder()))
                .findFirst()
                .orElseThrow());
  }

  @AfterEach
  void stop() {
    t.close();
  }

  static final class Conn implements AutoCloseable {
    final Socket s;
    final InputStream in;

    Conn(InetSocketAddress a) throws Exception {
      s = new Socket(a.getAddress(), a.getPort());
      s.setSoTimeout(5000);
      in = s.getInputStream();
    }

    String call(String... args) throws Exception {
      StringBuilder sb = new StringBuilder("*" + args.length + "\r\n");
      for (String a : args)
        sb.append('$')
            .append(a.getBytes(StandardCharsets.UTF_8).length)
            .append("\r\n")
            .append(a)
            .append("\r\n");
      send(sb.toString());
      return read();
    }

    void send(String raw) throws Exception {
      s.getOutputStream().write(raw.getBytes(StandardCharsets.UTF_8));
    }

    String read() throws Exception {
      int type = in.read();
      if (type < 0) return "<closed>";
      String line = line();
      if (type != '$') return (char) type + line;
      int n = Integer.parseInt(line);
      if (n < 0) return "$nil";
      byte[] b = in.readNBytes(n + 2);
      return "$" + new String(b, 0, n, StandardCharsets.UTF_8);
    }

    private String line() throws Exception {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int c;
      while ((c = in.read()) != '\n') {
        if (c < 0) break;
        if (c != '\r') out.write(c);
      }
      return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws java.io.IOException {
      s.close();
    }
  }

  @Test
  void theLeaseholderServesCommandsAndReplicatesWrites() throws Exception {
    try (Conn c = new Conn(leader.respSocketAddress().orElseThrow())) {
      assertThat(c.call("PING")).isEqualTo("+PONG");
      assertThat(c.call("PING", "hi")).isEqualTo("$hi");
      assertThat(c.call("ECHO", "héllo")).isEqualTo("$héllo");
      assertThat(c.call("SET", "a", "1")).isEqualTo("+OK");
      assertThat(c.call("SET", "b", "2")).isEqualTo("+OK");
      assertThat(c.call("GET", "a")).isEqualTo("$1");
      assertThat(c.call("GET", "zz")).isEqualTo("$nil");
      assertThat(c.call("EXISTS", "a", "b", "zz")).isEqualTo(":2");
      assertThat(c.call("DEL", "a", "zz")).isEqualTo(":1");
      assertThat(c.call("GET", "a")).isEqualTo("$nil");
      assertThat(c.call("SET", "a", "1", "NX")).isEqualTo("+OK");
      assertThat(c.call("SET", "a", "2", "NX")).isEqualTo("$nil");
      assertThat(c.call("INCR", "a")).isEqualTo(":2");
      assertThat(c.call("SET", "a", "1", "NX", "XX")).isEqualTo("-ERR syntax error");
      assertThat(c.call("GET")).isEqualTo("-ERR wrong number of arguments for 'get' command");
      assertThat(c.call("FLUSHALL")).isEqualTo("-ERR unknown command 'FLUSHALL'");
      c.send("PING\r\n"); // inline, as at a terminal
      assertThat(c.read()).isEqualTo("+PONG");
      // pipelined: replies in command order
      c.send(
          "*3\r\n$3\r\nSET\r\n$1\r\np\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$1\r\np\r\n*1\r\n$4\r\nPING\r\n");
      assertThat(c.read()).isEqualTo("+OK");
      assertThat(c.read()).isEqualTo("$1");
      assertThat(c.read()).isEqualTo("+PONG");
      assertThat(c.call("QUIT")).isEqualTo("+OK");
      assertThat(c.read()).isEqualTo("<closed>");
    }
    assertThat(follower.localValue("b".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo("2".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aNodeThatDoesNotLeadTheKeyNamesTheLeaseholder() throws Exception {
    try (Conn c = new Conn(follower.respSocketAddress().orElseThrow())) {
      assertThat(c.call("GET", "a"))
          .startsWith("-MOVED range ")
          .contains("is led by node " + leader.nodeId() + " (" + leader.address() + ")");
      assertThat(c.call("PING")).isEqualTo("+PONG");
    }
  }

  @Test
  void malformedInputGetsAProtocolErrorAndOnlyThatConnectionCloses() throws Exception {
    try (Conn bad = new Conn(leader.respSocketAddress().orElseThrow());
        Conn good = new Conn(leader.respSocketAddress().orElseThrow())) {
      assertThat(bad.call("SET", "x", "1")).isEqualTo("+OK");
      bad.send("*2\r\n$3\r\nGET\r\n:oops\r\n");
      assertThat(bad.read()).startsWith("-ERR Protocol error: expected '$'");
      assertThat(bad.read()).isEqualTo("<closed>");
      assertThat(good.call("GET", "x")).isEqualTo("$1");
    }
  }
}
