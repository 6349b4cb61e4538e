package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.wire.NodeOp;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * close() releases leases so another replica leads at once; kill() leaves them to the failure
 * detector.
 */
class GracefulStopIT {
  @Test
  void aStoppedLeaseholderHandsItsRangesOnWithoutWaitingForExpiry() throws Exception {
    try (TestClusters t = TestClusters.start("stop", o -> o.splitKeys(List.of(b("g"), b("p"))));
        RedirectingClient client = new RedirectingClient(t.cluster)) {
      LocalCluster c = t.cluster;
      assertThat(c.ranges()).hasSize(3);
      assertThat(c.ranges().stream().map(RangeDescriptor::leaseholder).distinct())
          .as("leaseholders round robin")
          .hasSize(3);
      for (String k : List.of("a", "h", "q"))
        client.call(NodeOp.SET, new byte[][] {b(k)}, new byte[][] {b(k + "!")});
      RangeDescriptor d = c.rangeFor(b("h"));
      long started = System.nanoTime();
      c.stop(d.leaseholder());
      c.awaitServing(Duration.ofSeconds(5));
      long tookMillis = (System.nanoTime() - started) / 1_000_000;
      RangeDescriptor now = c.rangeFor(b("h"));
      assertThat(now.leaseholder()).isNotEqualTo(d.leaseholder());
      assertThat(now.leaseEpoch()).isGreaterThan(d.leaseEpoch());
      assertThat(tookMillis).as("no wait for the 2 s lease to expire").isLessThan(2000);
      assertThat(client.call(NodeOp.GET, new byte[][] {b("h")}, new byte[0][]).values()[0])
          .isEqualTo(b("h!"));
    }
  }

  /*
   * Leases ride on liveness: a killed leaseholder's leases are free only once it is marked DEAD,
   * never on time alone, so this needs the controller's failure detector.
   */
  @Test
  void aKilledLeaseholdersRangesAreTakenOverOnceTheControllerMarksItDead() throws Exception {
    try (TestClusters t =
            TestClusters.start(
                "kill", o -> o.controller(cc -> cc.tickInterval(Duration.ofMillis(200))));
        RedirectingClient client = new RedirectingClient(t.cluster)) {
      LocalCluster c = t.cluster;
      client.call(NodeOp.SET, new byte[][] {b("k")}, new byte[][] {b("v")});
      RangeDescriptor d = c.ranges().get(0);
      c.kill(d.leaseholder());
      c.awaitServing(Duration.ofSeconds(8));
      RangeDescriptor now = c.ranges().get(0);
      assertThat(now.leaseholder()).isNotEqualTo(d.leaseholder());
      assertThat(client.call(NodeOp.GET, new byte[][] {b("k")}, new byte[0][]).values()[0])
          .isEqualTo(b("v"));
    }
  }

  @Test
  void aNodeRegistersTheAddressItBoundAndReportsItsLoad() throws Exception {
    try (TestClusters t = TestClusters.start("registration", o -> o);
        RedirectingClient client = new RedirectingClient(t.cluster)) {
      LocalCluster c = t.cluster;
      for (int i = 0; i < 20; i++)
        client.call(NodeOp.SET, new byte[][] {b("k" + i)}, new byte[][] {b("value")});
      NodeRegistry registry = new NodeRegistry(c.keyspace(), c.layerConfig());
      StorageNode n = c.node("n2");
      assertThat(n.address()).isEqualTo("127.0.0.1:" + n.nodeSocketAddress().getPort());
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      NodeRecord rec;
      do {
        Thread.sleep(50);
        rec = registry.get(c.database(), "n2").orElseThrow();
      } while (rec.load().bytesUsed() == 0 && System.nanoTime() < deadline);
      assertThat(rec.address()).isEqualTo(n.address());
      assertThat(rec.locality()).isEqualTo(new NodeRecord.Locality("local", "z2", "r1"));
      assertThat(rec.incarnation()).isEqualTo(n.incarnation());
      assertThat(rec.load().rangeCount()).isEqualTo(1);
      assertThat(rec.load().bytesUsed()).isEqualTo(20 * (3 + 5) - 10);
    }
  }
}
