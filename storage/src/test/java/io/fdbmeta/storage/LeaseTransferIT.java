package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.Lease;
import io.fdbmeta.layer.RangeDescriptor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Lease transfer with handover while clients write: nothing fails, nothing acknowledged is lost.
 */
class LeaseTransferIT {
  @Test
  void transfersUnderWritesHandOverEveryAcknowledgedWrite() throws Exception {
    try (TestClusters t =
        TestClusters.start("transfer", o -> o.splitKeys(List.of(b(Writers.key(1000)))))) {
      LocalCluster c = t.cluster;
      List<String> holders = new ArrayList<>();
      Writers w = new Writers(c, 3);
      try {
        Thread.sleep(200);
        for (int round = 0; round < 6; round++) {
          RangeDescriptor d = c.rangeFor(b(Writers.key(round % 2 == 0 ? 10 : 1990)));
          String from = d.leaseholder();
          String to = d.replicas().get((d.replicas().indexOf(from) + 1) % d.replicas().size());
          Lease l = c.node(from).transferLeaseAsync(d.rangeId(), to).get();
          assertThat(l.holder()).isEqualTo(to);
          assertThat(l.epoch()).isEqualTo(d.leaseEpoch() + 1);
          assertThat(c.node(from).isServing(d.rangeId())).isFalse();
          holders.add(from + "->" + to);
          Thread.sleep(150);
        }
        Thread.sleep(200);
      } finally {
        w.close();
      }
      assertThat(w.failures).as("failed requests").isEmpty();
      assertThat(w.writes.get()).isGreaterThan(300);
      c.awaitServing(Duration.ofSeconds(5));
      for (RangeDescriptor d : c.ranges())
        assertThat(d.leaseEpoch()).as("epoch of %s", d).isGreaterThanOrEqualTo(4);
      w.verifyOn(c);
      System.out.printf(
          "lease transfer under load: %s; %d writes, %d reads, %d redirects, %d retries%n",
          holders, w.writes.get(), w.reads.get(), w.client.redirects.get(), w.client.retries.get());
    }
  }

  @Test
  void transferToANodeThatIsNotAReplicaIsRefusedAndTheLeaseKept() throws Exception {
    try (TestClusters t = TestClusters.start("transfer-refused", o -> o.nodes(4))) {
      LocalCluster c = t.cluster;
      RangeDescriptor d = c.ranges().get(0);
      StorageNode holder = c.leaseholderOf(d.rangeId());
      assertThat(d.replicas()).doesNotContain("n4");
      assertThat(holder.transferLeaseAsync(d.rangeId(), "n4"))
          .failsWithin(Duration.ofSeconds(5))
          .withThrowableThat()
          .withMessageContaining("not another replica");
      assertThat(holder.isServing(d.rangeId())).isTrue();
      String other =
          d.replicas().stream().filter(n -> !n.equals(holder.nodeId())).findFirst().orElseThrow();
      assertThat(c.node(other).transferLeaseAsync(d.rangeId(), holder.nodeId()))
          .failsWithin(Duration.ofSeconds(5))
          .withThrowableThat()
          .withMessageContaining("does not serve");
    }
  }
}
