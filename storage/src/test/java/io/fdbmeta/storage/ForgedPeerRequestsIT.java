package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.wire.NodeCodec;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.ReplyStatus;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Anyone who can reach a node port tries to be a peer (issue 14, item 2): a forged REPLICATE with a
 * huge sequence number must not make a follower ignore later acknowledged writes, and FETCH must
 * not hand a range's data to a stranger.
 */
class ForgedPeerRequestsIT {
  @Test
  void forgedHugeSequenceReplicateCannotHideLaterAcknowledgedWrites() throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try (TestClusters t = TestClusters.start("forged-replicate", o -> o);
        NodeClient leader = client(group, t, t.cluster.ranges().get(0).leaseholder());
        NodeClient follower = client(group, t, followerOf(t.cluster.ranges().get(0)))) {
      RangeDescriptor d = t.cluster.ranges().get(0);
      long incarnation = t.cluster.node(d.leaseholder()).incarnation();
      long huge = new WriteSequence(incarnation).next() | ((1L << WriteSequence.COUNTER_BITS) - 1);
      byte[][] keys = new byte[20][];
      for (int i = 0; i < keys.length; i++) keys[i] = b("key-" + i);
      java.util.List<ReplyStatus> forgedAnswers = new java.util.ArrayList<>();
      for (byte[] k : keys) {
        NodeReply forged =
            follower
                .send(
                    new NodeRequest(
                        huge,
                        NodeOp.REPLICATE,
                        d.rangeId(),
                        d.generation(),
                        d.leaseEpoch(),
                        0,
                        new byte[][] {k},
                        new byte[][] {b("forged")}),
                    5000)
                .get();
        forgedAnswers.add(forged.status());
      }
      for (int round = 1; round <= 3; round++) {
        for (byte[] k : keys) {
          NodeReply ack =
              leader
                  .send(
                      NodeRequest.set(
                          round * 100L + k.length,
                          d.rangeId(),
                          d.generation(),
                          d.leaseEpoch(),
                          new byte[][] {k},
                          new byte[][] {b("v" + round)}),
                      5000)
                  .get();
          assertThat(ack.status()).isEqualTo(ReplyStatus.OK);
        }
      }
      for (StorageNode n : t.cluster.nodes()) {
        for (byte[] k : keys)
          assertThat(n.localValue(k)).as(n.nodeId() + " " + new String(k)).isEqualTo(b("v3"));
      }
      assertThat(forgedAnswers).containsOnly(ReplyStatus.ERROR);
    } finally {
      group.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS).awaitUninterruptibly(2000);
    }
  }

  @Test
  void fetchFromAStrangerGetsNoData() throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try (TestClusters t = TestClusters.start("forged-fetch", o -> o);
        NodeClient leader = client(group, t, t.cluster.ranges().get(0).leaseholder());
        NodeClient follower = client(group, t, followerOf(t.cluster.ranges().get(0)))) {
      RangeDescriptor d = t.cluster.ranges().get(0);
      NodeReply ack =
          leader
              .send(
                  NodeRequest.set(
                      1,
                      d.rangeId(),
                      d.generation(),
                      d.leaseEpoch(),
                      new byte[][] {b("secret")},
                      new byte[][] {b("s3cr3t")}),
                  5000)
              .get();
      assertThat(ack.status()).isEqualTo(ReplyStatus.OK);
      for (NodeClient c : new NodeClient[] {leader, follower}) {
        NodeReply r =
            c.send(
                    NodeRequest.scan(
                        -1,
                        NodeOp.FETCH,
                        d.rangeId(),
                        d.generation(),
                        d.leaseEpoch(),
                        d.startKey(),
                        new byte[0],
                        100),
                    5000)
                .get();
        assertThat(r.status()).isEqualTo(ReplyStatus.ERROR);
        assertThat(
                Arrays.stream(r.values())
                    .noneMatch(v -> v != null && Arrays.equals(v, b("s3cr3t"))))
            .isTrue();
      }
    } finally {
      group.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS).awaitUninterruptibly(2000);
    }
  }

  private static String followerOf(RangeDescriptor d) {
    return d.replicas().stream().filter(n -> !n.equals(d.leaseholder())).findFirst().orElseThrow();
  }

  private static NodeClient client(EventLoopGroup group, TestClusters t, String node) {
    return new NodeClient(
        group,
        PeerClients.parse(t.cluster.node(node).address()),
        NodeCodec.DEFAULT_MAX_FRAME_BYTES,
        1000);
  }
}
