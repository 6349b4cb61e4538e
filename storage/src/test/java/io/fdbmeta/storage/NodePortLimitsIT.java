package io.fdbmeta.storage;

import static io.fdbmeta.storage.MalformedFrameIT.closedByPeer;
import static io.fdbmeta.storage.MalformedFrameIT.connect;
import static io.fdbmeta.storage.MalformedFrameIT.read;
import static io.fdbmeta.storage.MalformedFrameIT.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.ReplyStatus;
import java.io.DataOutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The node protocol port bounds connections, partial frames and idle time (issue 14, item 8). */
class NodePortLimitsIT {
  private static TestClusters node(
      String name, java.util.function.UnaryOperator<StorageNodeConfig.Builder> c) {
    return TestClusters.start(
        name,
        o ->
            o.nodes(1)
                .replication(1)
                .nodeConfig(n -> c.apply(n.replicationTimeout(Duration.ofSeconds(1)))));
  }

  private static void announce(Socket s, int length, int sent) throws Exception {
    DataOutputStream out = new DataOutputStream(s.getOutputStream());
    out.writeInt(length);
    out.write(new byte[sent]);
    out.flush();
  }

  private static boolean pings(Socket s) throws Exception {
    write(s, NodeRequest.ping(7));
    return read(s).status() == ReplyStatus.OK;
  }

  @Test
  void connectionsBeyondTheCapAreRefusedWhileOthersAreServed() throws Exception {
    try (TestClusters t = node("cap", n -> n.maxConnections(3))) {
      StorageNode n = t.cluster.nodes().get(0);
      List<Socket> open = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          open.add(connect(n.nodeSocketAddress()));
          assertThat(pings(open.get(i))).isTrue();
        }
        try (Socket extra = connect(n.nodeSocketAddress())) {
          NodeReply r = read(extra);
          assertThat(r.status()).isEqualTo(ReplyStatus.OVERLOADED);
          assertThat(r.message()).contains("3 node protocol connections open");
          assertThat(closedByPeer(extra)).isTrue();
        }
        assertThat(pings(open.get(0))).isTrue();
        open.remove(0).close();
        long until = System.nanoTime() + 5_000_000_000L;
        boolean served = false;
        while (!served && System.nanoTime() < until) {
          try (Socket again = connect(n.nodeSocketAddress())) {
            served = pings(again);
          } catch (Exception refusedStill) {
            Thread.sleep(20);
          }
        }
        assertThat(served).isTrue();
      } finally {
        for (Socket s : open) s.close();
      }
    }
  }

  @Test
  void partialFramesOfAllConnectionsCannotExceedThePortBudget() throws Exception {
    try (TestClusters t =
            node("partial", n -> n.maxFrameBytes(1 << 20).maxPartialFrameBytes(2 << 20));
        Socket good = connect(t.cluster.nodes().get(0).nodeSocketAddress());
        Socket a = connect(t.cluster.nodes().get(0).nodeSocketAddress());
        Socket b = connect(t.cluster.nodes().get(0).nodeSocketAddress());
        Socket c = connect(t.cluster.nodes().get(0).nodeSocketAddress())) {
      announce(a, 1 << 20, 10);
      announce(b, 1 << 20, 10);
      announce(c, 1 << 20, 10);
      // two fit the budget and wait for the rest of their frame; the third, whichever, is refused
      int refused = 0;
      for (Socket s : List.of(a, b, c)) {
        s.setSoTimeout(1500);
        try {
          NodeReply r = read(s);
          assertThat(r.status()).isEqualTo(ReplyStatus.ERROR);
          assertThat(r.message()).contains("partial frames would hold more than");
          assertThat(closedByPeer(s)).isTrue();
          refused++;
        } catch (java.net.SocketTimeoutException stillWaiting) {
          // holds its partial frame
        }
      }
      assertThat(refused).isEqualTo(1);
      assertThat(pings(good)).isTrue();
    }
  }

  @Test
  void aTricklingPartialFrameDoesNotKeepItsConnectionOpen() throws Exception {
    try (TestClusters t = node("idle", n -> n.idleTimeout(Duration.ofMillis(400)));
        Socket quiet = connect(t.cluster.nodes().get(0).nodeSocketAddress());
        Socket trickle = connect(t.cluster.nodes().get(0).nodeSocketAddress())) {
      DataOutputStream out = new DataOutputStream(trickle.getOutputStream());
      out.writeInt(1000);
      boolean closed = false;
      long until = System.nanoTime() + 5_000_000_000L;
      while (!closed && System.nanoTime() < until) {
        try {
          out.write(0);
          out.flush();
          Thread.sleep(50);
        } catch (java.io.IOException e) {
          closed = true;
        }
      }
      assertThat(closed).isTrue();
      assertThat(closedByPeer(quiet)).isTrue();
    }
  }

  @Test
  void connectionsBeyondTheirAddressCapAreRefusedAndCountedWhileOtherAddressesAreServed()
      throws Exception {
    try (TestClusters t = node("per-address", n -> n.maxConnectionsPerAddress(3))) {
      StorageNode n = t.cluster.nodes().get(0);
      List<Socket> open = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          open.add(connect(n.nodeSocketAddress()));
          assertThat(pings(open.get(i))).isTrue();
        }
        try (Socket extra = connect(n.nodeSocketAddress())) {
          NodeReply r = read(extra);
          assertThat(r.status()).isEqualTo(ReplyStatus.OVERLOADED);
          assertThat(r.message())
              .contains("3 node protocol connections open from /127.0.0.1, its limit");
          assertThat(closedByPeer(extra)).isTrue();
        }
        try (Socket other = new Socket()) { // Linux routes all of 127/8 to loopback
          other.bind(new java.net.InetSocketAddress("127.0.0.2", 0));
          other.connect(n.nodeSocketAddress());
          other.setSoTimeout(5000);
          assertThat(pings(other)).as("another address has its own count").isTrue();
        }
        assertThat(pings(open.get(0))).isTrue();
      } finally {
        for (Socket s : open) s.close();
      }
      assertThat(n.portRejections()).isEqualTo(new StorageNode.PortRejections(0, 1, 0, 0));
    }
  }

  @Test
  void refusedPartialFramesAndMalformedFramesAreCounted() throws Exception {
    try (TestClusters t =
            node("counted", n -> n.maxFrameBytes(1 << 20).maxPartialFrameBytes(1 << 20));
        Socket a = connect(t.cluster.nodes().get(0).nodeSocketAddress());
        Socket b = connect(t.cluster.nodes().get(0).nodeSocketAddress())) {
      StorageNode n = t.cluster.nodes().get(0);
      announce(a, 1 << 20, 10);
      announce(b, 1 << 20, 10);
      // one fits the budget and waits for the rest of its frame; the other, whichever, is refused
      int refused = 0;
      for (Socket s : List.of(a, b)) {
        s.setSoTimeout(1500);
        try {
          assertThat(read(s).message()).contains("partial frames would hold more than");
          refused++;
        } catch (java.net.SocketTimeoutException stillWaiting) {
          // holds its partial frame
        }
      }
      assertThat(refused).isEqualTo(1);
      assertThat(n.portRejections()).isEqualTo(new StorageNode.PortRejections(0, 0, 1, 1));
    }
  }
}
