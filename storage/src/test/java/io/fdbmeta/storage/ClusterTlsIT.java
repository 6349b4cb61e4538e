package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.wire.ClusterTls;
import io.fdbmeta.wire.NodeCodec;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.ReplyStatus;
import io.fdbmeta.wire.TestCertificates;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS on the node protocol (issue 14): nodes replicate to each other over it, a router's
 * certificate is served but can never act as a peer, and a connection without a certificate of the
 * cluster's CA saying OU=node or OU=router gets nothing at all.
 */
class ClusterTlsIT {
  @TempDir static Path certs;
  @TempDir static Path otherCerts;
  private static EventLoopGroup group;

  @BeforeAll
  static void makeCertificates() throws Exception {
    TestCertificates.create(certs, List.of("127.0.0.1", "localhost"));
    TestCertificates.create(otherCerts, List.of("127.0.0.1"));
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  }

  @AfterAll
  static void stopGroup() {
    group.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS).awaitUninterruptibly(2000);
  }

  @Test
  void writesReplicateOverMutualTlsAndARouterCertificateIsServed() throws Exception {
    try (TestClusters t = secureCluster("tls-replicate");
        NodeClient router = client(t, leaseholder(t), tls(certs, "router"))) {
      RangeDescriptor d = t.cluster.ranges().get(0);
      NodeReply ack =
          router
              .send(
                  NodeRequest.set(
                      1,
                      d.rangeId(),
                      d.generation(),
                      d.leaseEpoch(),
                      new byte[][] {b("k")},
                      new byte[][] {b("over-tls")}),
                  5000)
              .get();
      assertThat(ack.status()).as(ack.message()).isEqualTo(ReplyStatus.OK);
      for (String replica : d.replicas())
        assertThat(t.cluster.node(replica).localValue(b("k"))).as(replica).isEqualTo(b("over-tls"));
    }
  }

  @Test
  void aForgedReplicateFromARouterCertificateIsRefused() throws Exception {
    try (TestClusters t = secureCluster("tls-forged");
        NodeClient router = client(t, follower(t), tls(certs, "router"))) {
      RangeDescriptor d = t.cluster.ranges().get(0);
      NodeReply hello =
          router
              .send(
                  new NodeRequest(
                      7,
                      NodeOp.HELLO,
                      0,
                      0,
                      0,
                      0,
                      new byte[][] {b(d.leaseholder()), new byte[16]},
                      new byte[0][]),
                  5000)
              .get();
      assertThat(hello.status()).isEqualTo(ReplyStatus.ERROR);
      assertThat(hello.message())
          .contains("node certificate")
          .contains("a connection with a router certificate");
      NodeReply vouch =
          router
              .send(
                  new NodeRequest(
                      8,
                      NodeOp.VOUCH,
                      0,
                      0,
                      0,
                      0,
                      new byte[][] {new byte[16], b(d.leaseholder())},
                      new byte[0][]),
                  5000)
              .get();
      assertThat(vouch.status()).isEqualTo(ReplyStatus.ERROR);
      NodeReply replicate =
          router
              .send(
                  new NodeRequest(
                      9,
                      NodeOp.REPLICATE,
                      d.rangeId(),
                      d.generation(),
                      d.leaseEpoch(),
                      0,
                      new byte[][] {b("k")},
                      new byte[][] {b("forged")}),
                  5000)
              .get();
      assertThat(replicate.status()).isEqualTo(ReplyStatus.ERROR);
      assertThat(t.cluster.node(follower(t)).localValue(b("k"))).isNull();
    }
  }

  @Test
  void connectionsWithoutAClusterCertificateGetNothing() throws Exception {
    try (TestClusters t = secureCluster("tls-strangers")) {
      RangeDescriptor d = t.cluster.ranges().get(0);
      NodeRequest get = NodeRequest.keys(1, NodeOp.GET, d.rangeId(), d.generation(), 0, b("k"));
      for (ClusterTls stranger :
          new ClusterTls[] {
            null, // plaintext
            tls(otherCerts, "router"), // another cluster's CA
            tls(
                certs,
                "client") // this CA, but a RESP client's certificate: neither node nor router
          }) {
        try (NodeClient c = client(t, leaseholder(t), stranger)) {
          assertThatThrownBy(() -> c.send(get, 3000).get())
              .as(stranger == null ? "plaintext" : stranger.cert().toString())
              .isInstanceOf(ExecutionException.class);
        }
      }
    }
  }

  private static TestClusters secureCluster(String name) {
    ClusterTls nodeTls = tls(certs, "node");
    return TestClusters.start(name, o -> o.nodeConfig(n -> n.tls(nodeTls)));
  }

  private static ClusterTls tls(Path dir, String name) {
    return TestCertificates.clusterTls(dir, name);
  }

  private static String leaseholder(TestClusters t) {
    return t.cluster.ranges().get(0).leaseholder();
  }

  private static String follower(TestClusters t) {
    RangeDescriptor d = t.cluster.ranges().get(0);
    return d.replicas().stream().filter(n -> !n.equals(d.leaseholder())).findFirst().orElseThrow();
  }

  private static NodeClient client(TestClusters t, String node, @Nullable ClusterTls tls) {
    return new NodeClient(
        group,
        PeerClients.parse(t.cluster.node(node).address()),
        NodeCodec.DEFAULT_MAX_FRAME_BYTES,
        1000,
        tls,
        null);
  }
}
