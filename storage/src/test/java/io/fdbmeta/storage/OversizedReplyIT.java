package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.NodeRequest;
import io.fdbmeta.wire.ReplyStatus;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * One request whose reply is larger than the frame limit (issue 14, item 4): it fails alone, and
 * the connection it shares with other requests keeps serving them.
 */
class OversizedReplyIT {
  static final int LIMIT = 64 << 10;

  @Test
  void oversizedReplyFailsItsRequestNotTheSharedConnection() throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try (TestClusters t =
            TestClusters.start(
                "oversized",
                o ->
                    o.nodeConfig(
                        n -> n.replicationTimeout(Duration.ofSeconds(1)).maxFrameBytes(LIMIT)));
        NodeClient shared =
            new NodeClient(
                group,
                PeerClients.parse(
                    t.cluster.node(t.cluster.ranges().get(0).leaseholder()).address()),
                LIMIT,
                1000)) {
      RangeDescriptor d = t.cluster.ranges().get(0);
      byte[] big = b("x".repeat(20_000));
      assertThat(shared.send(set(d, 1, "big", big), 5000).get().status()).isEqualTo(ReplyStatus.OK);
      byte[][] sixTimes = new byte[6][];
      java.util.Arrays.fill(sixTimes, b("big"));
      CompletableFuture<NodeReply> mget =
          shared.send(
              new NodeRequest(
                  2,
                  NodeOp.GET,
                  d.rangeId(),
                  d.generation(),
                  d.leaseEpoch(),
                  0,
                  sixTimes,
                  new byte[0][]),
              5000);
      CompletableFuture<NodeReply> other = shared.send(set(d, 3, "small", b("v")), 5000);
      NodeReply tooLarge = mget.get();
      assertThat(tooLarge.status()).isEqualTo(ReplyStatus.ERROR);
      assertThat(tooLarge.message()).contains("above this node's reply limit");
      assertThat(other.get().status()).isEqualTo(ReplyStatus.OK);
      assertThat(shared.send(set(d, 4, "after", b("w")), 5000).get().status())
          .isEqualTo(ReplyStatus.OK);
    } finally {
      group.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS).awaitUninterruptibly(2000);
    }
  }

  private static NodeRequest set(RangeDescriptor d, long id, String key, byte[] value) {
    return NodeRequest.set(
        id,
        d.rangeId(),
        d.generation(),
        d.leaseEpoch(),
        new byte[][] {b(key)},
        new byte[][] {value});
  }
}
