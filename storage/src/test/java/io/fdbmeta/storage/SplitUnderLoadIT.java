package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The headline: splits under continuous load, with zero failed requests and zero lost
 * acknowledged writes.
 */
class SplitUnderLoadIT {
  @Test
  void splitsWhileClientsWriteLoseNothingAndFailNothing() throws Exception {
    try (TestClusters t = TestClusters.start("split-load", o -> o)) {
      LocalCluster c = t.cluster;
      List<RangeCatalog.SplitResult> splits = new ArrayList<>();
      Writers w = new Writers(c, 4);
      try {
        Thread.sleep(300);
        for (int i : new int[] {1000, 500, 1500, 250, 750, 1250, 1750, 125, 1875, 1001}) {
          splits.add(c.split(b(Writers.key(i))));
          Thread.sleep(120);
        }
        Thread.sleep(300);
      } finally {
        w.close();
      }
      assertThat(w.failures).as("failed requests").isEmpty();
      assertThat(splits).hasSize(10);
      List<RangeDescriptor> ranges = c.ranges();
      assertThat(ranges).hasSize(11);
      for (RangeDescriptor d : ranges) assertThat(d.replicas()).hasSize(3);
      assertThat(w.writes.get()).as("writes acknowledged").isGreaterThan(500);
      assertThat(w.client.redirects.get()).as("requests redirected by the splits").isPositive();
      c.awaitServing(java.time.Duration.ofSeconds(5));
      w.verifyOn(c);
      System.out.printf(
          "split under load: %d writes, %d reads acknowledged, %d redirects, %d retries, 10 splits%n",
          w.writes.get(), w.reads.get(), w.client.redirects.get(), w.client.retries.get());
    }
  }
}
