package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.control.ControllerEvent;
import io.fdbmeta.wire.NodeOp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A node killed under load, with the controller running: its leases move to live replicas, its
 * replicas are re-created elsewhere (so writes, which every replica must store, go on), every one
 * of its ranges serves again within the failover bound, and no acknowledged write is lost.
 */
class FailoverIT {
  static final Duration TICK = Duration.ofMillis(100);

  @Test
  void aKilledNodesRangesServeAgainWithinTheBoundAndNoAcknowledgedWriteIsLost() throws Exception {
    List<byte[]> splits =
        List.of(
            b(Writers.key(400)), b(Writers.key(800)), b(Writers.key(1200)), b(Writers.key(1600)));
    try (TestClusters t =
            TestClusters.start(
                "failover",
                o ->
                    o.nodes(6)
                        .splitKeys(splits)
                        .controller(cc -> cc.tickInterval(TICK).moveLimits(0, 0)));
        RedirectingClient probe = new RedirectingClient(t.cluster)) {
      LocalCluster c = t.cluster;
      List<ControllerEvent> events = new CopyOnWriteArrayList<>();
      c.controller().orElseThrow().addListener(events::add);
      Writers w = new Writers(c, 4);
      String victim;
      List<RangeDescriptor> affected = new ArrayList<>();
      long tookMillis;
      try {
        Thread.sleep(300);
        victim = c.ranges().get(0).leaseholder();
        for (RangeDescriptor d : c.ranges()) if (d.replicas().contains(victim)) affected.add(d);
        assertThat((long) affected.size())
            .as("the victim follows some ranges too")
            .isGreaterThan(affected.stream().filter(d -> victim.equals(d.leaseholder())).count());
        long killed = System.nanoTime();
        c.kill(victim);
        List<CompletableFuture<Long>> served = new ArrayList<>();
        for (RangeDescriptor d : affected)
          served.add(CompletableFuture.supplyAsync(() -> servedAgain(probe, d, killed)));
        tookMillis = 0;
        for (CompletableFuture<Long> f : served)
          tookMillis = Math.max(tookMillis, f.get(30, TimeUnit.SECONDS));
        Thread.sleep(300);
      } finally {
        w.close();
      }
      // lease + maxClockOffset + one detector tick (liveness here is longer than the lease, and
      // counts the same way), plus room for a busy machine
      long bound =
          Math.max(TestClusters.LAYER.leaseMillis(), TestClusters.LAYER.livenessMillis())
              + TestClusters.LAYER.maxClockOffsetMillis()
              + TICK.toMillis();
      System.out.printf(
          "failover: %s killed, %d ranges served again after %d ms (bound %d ms); %d writes, %d reads, %d redirects, %d retries; events %s%n",
          victim,
          affected.size(),
          tookMillis,
          bound,
          w.writes.get(),
          w.reads.get(),
          w.client.redirects.get(),
          w.client.retries.get(),
          events);
      assertThat(tookMillis).as("failover time").isLessThan(bound + 2_000);
      assertThat(w.failures).as("failed requests").isEmpty();
      assertThat(events)
          .extracting(ControllerEvent::kind)
          .contains(ControllerEvent.Kind.NODE_DEAD, ControllerEvent.Kind.MOVE_COMMITTED);

      awaitAllSynced(c);
      Set<String> zones = new HashSet<>();
      for (RangeDescriptor d : c.ranges()) {
        assertThat(d.replicas())
            .as("range %d", d.rangeId())
            .hasSize(3)
            .doesNotContain(victim)
            .contains(d.leaseholder());
        zones.clear();
        for (String n : d.replicas()) zones.add(c.node(n).config().locality().zone());
        assertThat(zones).as("replicas of range %d in distinct zones", d.rangeId()).hasSize(3);
      }
      w.verifyOn(c);
      for (var e : w.acked.entrySet())
        assertThat(
                Bytes.s(
                    probe.call(NodeOp.GET, new byte[][] {b(e.getKey())}, new byte[0][])
                        .values()[0]))
            .isEqualTo(e.getValue());
    }
  }

  /** Millis from the kill until a write and a read of a key of {@code d} both succeed. */
  private static long servedAgain(RedirectingClient client, RangeDescriptor d, long killedNanos) {
    byte[] key = probeKey(d);
    for (int attempt = 0; ; attempt++) {
      try {
        byte[] value = b("probe-" + attempt);
        client.call(NodeOp.SET, new byte[][] {key}, new byte[][] {value});
        byte[] got = client.call(NodeOp.GET, new byte[][] {key}, new byte[0][]).values()[0];
        if (java.util.Arrays.equals(got, value))
          return (System.nanoTime() - killedNanos) / 1_000_000;
      } catch (Exception e) {
        if (System.nanoTime() - killedNanos > TimeUnit.SECONDS.toNanos(30))
          throw new IllegalStateException("range " + d.rangeId() + " did not serve again", e);
      }
    }
  }

  /** A key inside {@code d} that the writers never use. */
  static byte[] probeKey(RangeDescriptor d) {
    byte[] start = d.startKey();
    byte[] suffix = b("\0probe");
    byte[] key = java.util.Arrays.copyOf(start, start.length + suffix.length);
    System.arraycopy(suffix, 0, key, start.length, suffix.length);
    assertThat(d.contains(key)).isTrue();
    return key;
  }

  private static void awaitAllSynced(LocalCluster c) throws InterruptedException {
    ReplicaJoinIT.await("every replica synced", c::allReplicasSynced);
  }
}
