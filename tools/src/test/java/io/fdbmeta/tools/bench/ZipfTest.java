package io.fdbmeta.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ZipfTest {
  @Test
  void scrambleIsABijection() {
    for (long n : new long[] {2, 3, 1000, 1025}) {
      Set<Long> seen = new HashSet<>();
      for (long i = 0; i < n; i++) {
        long x = Zipf.scramble(i, n);
        assertThat(x).isBetween(0L, n - 1);
        seen.add(x);
      }
      assertThat(seen).hasSize((int) n);
    }
  }

  @Test
  void lowRanksDominateAsZipfSays() {
    Zipf z = new Zipf(1_000_000, 0.99, 42);
    int draws = 200_000;
    long[] counts = new long[4];
    int top1000 = 0;
    for (int i = 0; i < draws; i++) {
      long r = z.nextRank();
      assertThat(r).isBetween(0L, 999_999L);
      if (r < counts.length) counts[(int) r]++;
      if (r < 1000) top1000++;
    }
    // P(rank 0) = 1 / zeta(1e6, 0.99) ~ 0.069; rank 1 about half of that
    assertThat(counts[0] / (double) draws).isBetween(0.06, 0.08);
    assertThat(counts[1] / (double) counts[0]).isBetween(0.4, 0.6);
    // the top 0.1% of items take roughly half the draws
    assertThat(top1000 / (double) draws).isBetween(0.4, 0.6);
  }
}
