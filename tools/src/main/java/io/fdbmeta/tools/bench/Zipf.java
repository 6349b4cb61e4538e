package io.fdbmeta.tools.bench;

import java.util.SplittableRandom;

/*
 * Zipf-distributed ranks in [0, n) with exponent theta < 1, by the rejection-free method of Gray et
 * al., "Quickly Generating Billion-Record Synthetic Databases" (SIGMOD 1994), the one YCSB uses:
 * zeta(n) is summed once, then each draw is O(1). Rank 0 is the most popular. Ranks are then
 * scrambled by a fixed bijection so that the hot items are spread over the key space, as hot keys
 * are in practice, instead of all sitting in the first ranges.
 */
/** Draws Zipf-distributed item indexes in [0, n); one instance per thread. */
final class Zipf {
  private final long n;
  private final double theta;
  private final double alpha;
  private final double zetaN;
  private final double eta;
  private final SplittableRandom random;

  Zipf(long n, double theta, long seed) {
    if (n < 2) throw new IllegalArgumentException("n must be at least 2, got " + n);
    if (!(theta > 0 && theta < 1))
      throw new IllegalArgumentException("theta must be in (0, 1), got " + theta);
    this.n = n;
    this.theta = theta;
    this.alpha = 1 / (1 - theta);
    this.zetaN = zeta(n, theta);
    double zeta2 = zeta(2, theta);
    this.eta = (1 - Math.pow(2.0 / n, 1 - theta)) / (1 - zeta2 / zetaN);
    this.random = new SplittableRandom(seed);
  }

  private static double zeta(long n, double theta) {
    double sum = 0;
    for (long i = 1; i <= n; i++) sum += 1 / Math.pow(i, theta);
    return sum;
  }

  /** The next rank, unscrambled: 0 is the most popular. */
  long nextRank() {
    double u = random.nextDouble();
    double uz = u * zetaN;
    if (uz < 1) return 0;
    if (uz < 1 + Math.pow(0.5, theta)) return 1;
    return Math.min(n - 1, (long) (n * Math.pow(eta * u - eta + 1, alpha)));
  }

  /** The next item: a rank mapped through a fixed bijection of [0, n). */
  long next() {
    return scramble(nextRank(), n);
  }

  /**
   * A bijection of [0, n): multiplication by an odd constant modulo the next power of two,
   * cycle-walked back into range.
   */
  static long scramble(long rank, long n) {
    long mask = Long.highestOneBit(Math.max(1, n - 1)) * 2 - 1;
    long x = rank;
    do {
      x = (x * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L) & mask;
    } while (x >= n);
    return x;
  }
}
