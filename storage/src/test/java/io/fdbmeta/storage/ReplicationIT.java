package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import io.fdbmeta.wire.ReplyStatus;
import org.junit.jupiter.api.Test;

/** A write is acknowledged only once every replica stored it. */
class ReplicationIT {
  @Test
  void acknowledgedWritesAreOnEveryReplicaAndAFollowerDownMeansNoAcknowledgement()
      throws Exception {
    try (TestClusters t = TestClusters.start("replication", o -> o);
        RedirectingClient client = new RedirectingClient(t.cluster)) {
      LocalCluster c = t.cluster;
      RangeDescriptor d = c.ranges().get(0);
      for (int i = 0; i < 50; i++) {
        NodeReply r =
            client.call(NodeOp.SET, new byte[][] {b("key" + i)}, new byte[][] {b("value" + i)});
        assertThat(r.status()).isEqualTo(ReplyStatus.OK);
        for (String node : d.replicas())
          assertThat(c.node(node).localValue(b("key" + i)))
              .as("key%d on %s", i, node)
              .isEqualTo(b("value" + i));
      }
      NodeReply del =
          client.call(NodeOp.DEL, new byte[][] {b("key0"), b("nothing")}, new byte[0][]);
      assertThat(del.number()).isEqualTo(1);
      for (String node : d.replicas()) assertThat(c.node(node).localValue(b("key0"))).isNull();

      String follower =
          d.replicas().stream().filter(n -> !n.equals(d.leaseholder())).findFirst().orElseThrow();
      c.kill(follower);
      long started = System.nanoTime();
      NodeReply refused =
          client.once(NodeOp.SET, new byte[][] {b("key1")}, new byte[][] {b("not acknowledged")});
      long tookMillis = (System.nanoTime() - started) / 1_000_000;
      assertThat(refused.status()).isEqualTo(ReplyStatus.OVERLOADED);
      assertThat(refused.message()).contains("not acknowledged").contains(follower);
      assertThat(tookMillis).as("bounded by the replication timeout").isBetween(900L, 3000L);
      NodeReply read = client.once(NodeOp.GET, new byte[][] {b("key2")}, new byte[0][]);
      assertThat(read.status()).isEqualTo(ReplyStatus.OK);
      assertThat(read.values()[0]).isEqualTo(b("value2"));
    }
  }
}
