package io.fdbmeta.router;

import static io.fdbmeta.router.CheckedWorkload.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.storage.LocalCluster;
import io.fdbmeta.wire.ReplyStatus;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/**
 * The headline end to end: RESP clients write and read continuously through a router in
 * front of real storage nodes while ranges split and leases move; no request fails and no
 * acknowledged write is lost.
 */
class SplitsUnderLoadThroughRouterIT {
  private static final int KEYS = 2000;
  private static final Duration CHURN = Duration.ofSeconds(4);

  @Test
  void splitsAndLeaseTransfersUnderLoadFailNoRequestAndLoseNoWrite() throws Exception {
    try (NodesBehindRouter e = NodesBehindRouter.start("e2e-split-load");
        CheckedWorkload w = new CheckedWorkload(e.router(), 4, KEYS, 1)) {
      LocalCluster c = e.cluster;
      Router router = e.routers().get(0);
      Random rnd = new Random(42);
      int splits = 0;
      int transfers = 0;
      Map<String, Integer> refused = new TreeMap<>();
      try {
        Thread.sleep(300);
        long end = System.nanoTime() + CHURN.toNanos();
        for (int i = 0; System.nanoTime() < end; i++) {
          byte[] key = b(CheckedWorkload.key(rnd.nextInt(KEYS)));
          RangeDescriptor d = c.rangeFor(key);
          try {
            if (i % 2 == 0 && d.isInterior(key)) {
              c.leaseholderOf(d.rangeId()).splitAsync(d.rangeId(), key).get();
              splits++;
            } else {
              String to =
                  d.replicas()
                      .get(
                          (d.replicas().indexOf(d.leaseholder()) + 1 + rnd.nextInt(2))
                              % d.replicas().size());
              c.leaseholderOf(d.rangeId()).transferLeaseAsync(d.rangeId(), to).get();
              transfers++;
            }
          } catch (ExecutionException | RuntimeException ex) {
            // e.g. the new holder does not serve yet: an operator would try again; the clients must
            // not notice either way
            Throwable t =
                ex instanceof ExecutionException && ex.getCause() != null ? ex.getCause() : ex;
            refused.merge(t.getClass().getSimpleName(), 1, Integer::sum);
          }
          Thread.sleep(20 + rnd.nextInt(60));
        }
        Thread.sleep(300);
      } finally {
        w.stop();
      }
      String counts =
          String.format(
              "%d writes, %d reads acknowledged; %d splits, %d transfers, refused %s; router redirects %d (wrong range %d, stale epoch %d,"
                  + " not leaseholder %d), retries %d",
              w.writes(),
              w.reads(),
              splits,
              transfers,
              refused,
              router.metrics().redirects(),
              router.metrics().redirects(ReplyStatus.WRONG_RANGE),
              router.metrics().redirects(ReplyStatus.STALE_EPOCH),
              router.metrics().redirects(ReplyStatus.NOT_LEASEHOLDER),
              router.metrics().retries());
      System.out.println("splits under load through the router: " + counts);

      assertThat(w.problems())
          .as("requests that failed or read wrong, by kind (%s; %s)", w.describeProblems(), counts)
          .isEmpty();
      assertThat(router.metrics().failures()).as("requests the router failed").isZero();
      assertThat(splits).as("splits done (%s)", counts).isGreaterThanOrEqualTo(5);
      assertThat(transfers).as("lease transfers done (%s)", counts).isGreaterThanOrEqualTo(5);
      assertThat(w.writes()).as("writes acknowledged").isGreaterThan(500);
      assertThat(c.ranges()).hasSize(1 + splits);

      c.awaitServing(Duration.ofSeconds(5));
      CheckedWorkload.Verification v = w.verify(router, c);
      assertThat(v.lost()).as("acknowledged writes lost (of %d checked)", v.checked()).isEmpty();
      assertThat(v.checked()).isEqualTo(w.ackedKeys()).isPositive();
    }
  }
}
