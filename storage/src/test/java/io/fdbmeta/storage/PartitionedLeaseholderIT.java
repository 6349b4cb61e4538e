package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.NodeStatus;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.wire.NodeOp;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/*
 * The weak spot of leases riding on liveness: a leaseholder that still heartbeats but cannot reach
 * its replicas keeps its liveness, so nothing would ever move its leases, and none of the range's
 * writes can be acknowledged (each needs every replica). It must give the lease up itself once its
 * writes have failed to replicate for longer than a lease; another replica then acquires it (no
 * controller runs here, so this is the node's own rule, not failure detection).
 */
class PartitionedLeaseholderIT {
  @Test
  void aLeaseholderCutOffFromItsReplicasGivesItsLeaseUpAndTheRangeServesAgainLosingNoAckedWrite()
      throws Exception {
    try (TestClusters t = TestClusters.start("partition", o -> o);
        RedirectingClient client = new RedirectingClient(t.cluster)) {
      LocalCluster c = t.cluster;
      Map<String, String> acked = new LinkedHashMap<>();
      for (int i = 0; i < 20; i++) set(client, acked, "before-" + i);
      RangeDescriptor d = c.ranges().get(0);
      String cutOff = d.leaseholder();
      Set<String> others = new TreeSet<>(d.replicas());
      others.remove(cutOff);
      long incarnation = c.node(cutOff).incarnation();

      long partitioned = System.nanoTime();
      c.node(cutOff).partitionFrom(others);
      long servedAfterMillis = -1;
      int failed = 0;
      for (int i = 0; System.nanoTime() - partitioned < 30_000_000_000L; i++) {
        try {
          set(client, acked, "during-" + i);
        } catch (Exception e) {
          failed++; // not acknowledged (the client retries refusals itself, so rarely seen here)
          continue;
        }
        RangeDescriptor now = c.ranges().get(0);
        if (!cutOff.equals(now.leaseholder())) {
          servedAfterMillis = (System.nanoTime() - partitioned) / 1_000_000;
          break;
        }
      }
      long bound =
          TestClusters.LAYER.leaseMillis()
              + c.node(cutOff).config().replicationTimeout().toMillis()
              + 3_000;
      System.out.printf(
          "partition: %s cut off from %s; range %d served again through %s after %d ms (bound %d"
              + " ms), %d writes refused meanwhile%n",
          cutOff,
          others,
          d.rangeId(),
          c.ranges().get(0).leaseholder(),
          servedAfterMillis,
          bound,
          failed);
      assertThat(servedAfterMillis).as("served again through another replica").isPositive();
      assertThat(servedAfterMillis).isLessThan(bound);
      assertThat(c.ranges().get(0).leaseEpoch()).isGreaterThan(d.leaseEpoch());

      // it kept heartbeating all along: not marked dead, same process
      NodeRecord rec =
          new NodeRegistry(c.keyspace(), c.layerConfig()).get(c.database(), cutOff).orElseThrow();
      assertThat(rec.status()).isEqualTo(NodeStatus.LIVE);
      assertThat(rec.incarnation()).isEqualTo(incarnation);

      for (int i = 0; i < 20; i++) set(client, acked, "after-" + i);
      for (Map.Entry<String, String> e : acked.entrySet())
        assertThat(
                Bytes.s(
                    client.call(NodeOp.GET, new byte[][] {b(e.getKey())}, new byte[0][])
                        .values()[0]))
            .as("acknowledged write of %s", e.getKey())
            .isEqualTo(e.getValue());
    }
  }

  private static void set(RedirectingClient client, Map<String, String> acked, String key)
      throws Exception {
    String value = key + "!";
    client.call(NodeOp.SET, new byte[][] {b(key)}, new byte[][] {b(value)});
    acked.put(key, value);
  }
}
