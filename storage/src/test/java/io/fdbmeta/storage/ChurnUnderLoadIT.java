package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.RangeDescriptor;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Splits and lease transfers mixed, on the same ranges, under continuous load. */
class ChurnUnderLoadIT {
  @Test
  void splitsAndTransfersInterleavedFailNoRequestAndLoseNoWrite() throws Exception {
    try (TestClusters t = TestClusters.start("churn", o -> o)) {
      LocalCluster c = t.cluster;
      Random rnd = new Random(42);
      int splits = 0;
      int transfers = 0;
      int refused = 0;
      Writers w = new Writers(c, 4);
      try {
        Thread.sleep(200);
        for (int i = 0; i < 24; i++) {
          String key = Writers.key(rnd.nextInt(Writers.KEYS));
          RangeDescriptor d = c.rangeFor(b(key));
          try {
            if (rnd.nextBoolean() && d.isInterior(b(key))) {
              c.leaseholderOf(d.rangeId()).splitAsync(d.rangeId(), b(key)).get();
              splits++;
            } else {
              String to =
                  d.replicas()
                      .get((d.replicas().indexOf(d.leaseholder()) + 1 + rnd.nextInt(2)) % 3);
              c.leaseholderOf(d.rangeId()).transferLeaseAsync(d.rangeId(), to).get();
              transfers++;
            }
          } catch (Exception e) {
            refused++; // e.g. the new holder has not started serving yet: an operator would retry
          }
          Thread.sleep(rnd.nextInt(60));
        }
        Thread.sleep(300);
      } finally {
        w.close();
      }
      assertThat(w.failures).as("failed requests").isEmpty();
      assertThat(splits).isGreaterThan(5);
      assertThat(transfers).isGreaterThan(5);
      c.awaitServing(Duration.ofSeconds(5));
      w.verifyOn(c);
      System.out.printf(
          "churn under load: %d splits, %d transfers, %d refused; %d writes, %d reads, %d redirects, %d retries%n",
          splits,
          transfers,
          refused,
          w.writes.get(),
          w.reads.get(),
          w.client.redirects.get(),
          w.client.retries.get());
    }
  }
}
