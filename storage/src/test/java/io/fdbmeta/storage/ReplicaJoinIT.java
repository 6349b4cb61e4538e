package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.ReplicaSyncMarks;
import io.fdbmeta.wire.NodeOp;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Replicas that join a range, or come back with empty memory, copy its data with FETCH before
 * serving.
 */
class ReplicaJoinIT {
  static void await(String what, java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() - deadline).as(what).isNegative();
      Thread.sleep(10);
    }
  }

  /**
   * Waits until the store says every replica of the range holds its data (the marks a controller in
   * any process reads), checking each time it does that {@code node} really finished its copy.
   */
  static void awaitStoredSynced(LocalCluster c, long rangeId, String node)
      throws InterruptedException {
    ReplicaSyncMarks marks = new ReplicaSyncMarks(c.keyspace());
    await(
        "the store says range " + rangeId + "'s replicas are synced",
        () -> {
          boolean stored = marks.replicasSynced(c.database(), rangeId, c.layerConfig().now());
          if (stored)
            assertThat(c.node(node).isSynced(rangeId))
                .as("%s marked before its copy", node)
                .isTrue();
          return stored;
        });
  }

  @Test
  void anAddedReplicaFetchesEverythingAndCanThenLead() throws Exception {
    try (TestClusters t = TestClusters.start("join", o -> o.nodes(4));
        RedirectingClient client = new RedirectingClient(t.cluster)) {
      LocalCluster c = t.cluster;
      for (int i = 0; i < 2500; i++)
        client.call(NodeOp.SET, new byte[][] {b("key" + i)}, new byte[][] {b("v" + i)});
      client.call(NodeOp.DEL, new byte[][] {b("key7")}, new byte[0][]);
      RangeDescriptor d = c.ranges().get(0);
      Writers w = new Writers(c, 2);
      RangeDescriptor grown;
      try {
        grown = c.catalog().addReplicaAsync(c.database(), d.rangeId(), "n4", -1).get();
        awaitStoredSynced(c, d.rangeId(), "n4");
        Thread.sleep(200);
      } finally {
        w.close();
      }
      assertThat(w.failures).isEmpty();
      StorageNode n4 = c.node("n4");
      for (int i = 0; i < 2500; i++)
        assertThat(n4.localValue(b("key" + i)))
            .as("key%d", i)
            .isEqualTo(i == 7 ? null : b("v" + i));
      w.verifyOn(c);
      c.node(grown.leaseholder()).transferLeaseAsync(d.rangeId(), "n4").get();
      c.awaitServing(Duration.ofSeconds(5));
      assertThat(n4.isServing(d.rangeId())).isTrue();
      assertThat(client.call(NodeOp.GET, new byte[][] {b("key42")}, new byte[0][]).values()[0])
          .isEqualTo(b("v42"));
    }
  }

  @Test
  void aRestartedReplicaFetchesItsDataAgain() throws Exception {
    try (TestClusters t = TestClusters.start("restart", o -> o);
        RedirectingClient client = new RedirectingClient(t.cluster)) {
      LocalCluster c = t.cluster;
      RangeDescriptor d = c.ranges().get(0);
      for (int i = 0; i < 300; i++)
        client.call(NodeOp.SET, new byte[][] {b("key" + i)}, new byte[][] {b("v" + i)});
      String follower =
          d.replicas().stream().filter(n -> !n.equals(d.leaseholder())).findFirst().orElseThrow();
      c.kill(follower);
      StorageNode back = c.restart(follower);
      assertThat(back.incarnation()).isEqualTo(2);
      awaitStoredSynced(c, d.rangeId(), follower);
      for (int i = 0; i < 300; i++) assertThat(back.localValue(b("key" + i))).isEqualTo(b("v" + i));
      client.call(NodeOp.SET, new byte[][] {b("after")}, new byte[][] {b("restart")});
      assertThat(back.localValue(b("after"))).isEqualTo(b("restart"));
    }
  }
}
