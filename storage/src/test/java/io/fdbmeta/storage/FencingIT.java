package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.wire.NodeCodec;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.ReplyStatus;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Routing-header fencing over real sockets: every refusal carries what the client needs to route
 * again.
 */
class FencingIT {
  TestClusters t;
  LocalCluster c;
  EventLoopGroup group;

  @BeforeEach
  void start() {
    t = TestClusters.start("fencing", o -> o);
    c = t.cluster;
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  }

  @AfterEach
  void stop() {
    group.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS).awaitUninterruptibly(2000);
    t.close();
  }

  NodeReply send(String node, NodeRequest req) throws Exception {
    String address =
        new NodeRegistry(c.keyspace(), c.layerConfig())
            .get(c.database(), node)
            .map(NodeRecord::address)
            .orElseThrow();
    try (NodeClient client =
        new NodeClient(
            group, PeerClients.parse(address), NodeCodec.DEFAULT_MAX_FRAME_BYTES, 1000)) {
      return client.send(req, 5000).get();
    }
  }

  static NodeRequest get(RangeDescriptor d, long gen, long epoch, String key) {
    return NodeRequest.keys(1, NodeOp.GET, d.rangeId(), gen, epoch, b(key));
  }

  @Test
  void aFollowerNamesTheLeaseholder() throws Exception {
    RangeDescriptor d = c.ranges().get(0);
    String follower =
        d.replicas().stream().filter(n -> !n.equals(d.leaseholder())).findFirst().orElseThrow();
    NodeReply r = send(follower, get(d, d.generation(), d.leaseEpoch(), "k"));
    assertThat(r.status()).isEqualTo(ReplyStatus.NOT_LEASEHOLDER);
    assertThat(RangeDescriptor.decode(r.descriptor())).isEqualTo(d);
    assertThat(r.message()).contains(d.leaseholder());
  }

  @Test
  void afterASplitTheParentsHeaderIsRedirectedToTheChild() throws Exception {
    RangeDescriptor parent = c.ranges().get(0);
    RangeCatalog.SplitResult split = c.split(b("m"));
    NodeReply left =
        send(parent.leaseholder(), get(parent, parent.generation(), parent.leaseEpoch(), "c"));
    assertThat(left.status()).isEqualTo(ReplyStatus.WRONG_RANGE);
    assertThat(RangeDescriptor.decode(left.descriptor())).isEqualTo(split.left());
    NodeReply right =
        send(parent.leaseholder(), get(parent, parent.generation(), parent.leaseEpoch(), "x"));
    assertThat(RangeDescriptor.decode(right.descriptor())).isEqualTo(split.right());
    NodeReply served =
        send(
            parent.leaseholder(),
            get(split.right(), split.right().generation(), split.right().leaseEpoch(), "x"));
    assertThat(served.status()).isEqualTo(ReplyStatus.OK);
    NodeReply outside =
        send(
            parent.leaseholder(),
            get(split.right(), split.right().generation(), split.right().leaseEpoch(), "c"));
    assertThat(outside.status()).isEqualTo(ReplyStatus.WRONG_RANGE);
    assertThat(RangeDescriptor.decode(outside.descriptor())).isEqualTo(split.left());
  }

  @Test
  void afterATransferTheOldEpochIsStaleEverywhere() throws Exception {
    RangeDescriptor d = c.ranges().get(0);
    String to =
        d.replicas().stream().filter(n -> !n.equals(d.leaseholder())).findFirst().orElseThrow();
    c.node(d.leaseholder()).transferLeaseAsync(d.rangeId(), to).get();
    NodeReply old = send(d.leaseholder(), get(d, d.generation(), d.leaseEpoch(), "k"));
    assertThat(old.status()).isEqualTo(ReplyStatus.STALE_EPOCH);
    RangeDescriptor now = RangeDescriptor.decode(old.descriptor());
    assertThat(now.leaseholder()).isEqualTo(to);
    assertThat(now.leaseEpoch()).isEqualTo(d.leaseEpoch() + 1);
    c.awaitServing(Duration.ofSeconds(5));
    assertThat(send(to, get(now, now.generation(), now.leaseEpoch(), "k")).status())
        .isEqualTo(ReplyStatus.OK);
    assertThat(send(to, get(d, d.generation(), d.leaseEpoch(), "k")).status())
        .isEqualTo(ReplyStatus.STALE_EPOCH);
    NodeReply formerHolder =
        send(d.leaseholder(), get(now, now.generation(), now.leaseEpoch(), "k"));
    assertThat(formerHolder.status()).isEqualTo(ReplyStatus.NOT_LEASEHOLDER);
  }

  @Test
  void aHeaderFromTheFutureMakesTheNodeCatchUpAndAskForARetry() throws Exception {
    RangeDescriptor d = c.ranges().get(0);
    NodeReply r = send(d.leaseholder(), get(d, d.generation() + 5, d.leaseEpoch(), "k"));
    assertThat(r.status()).isEqualTo(ReplyStatus.OVERLOADED);
    assertThat(r.message()).contains("catching up");
  }
}
