package io.fdbmeta.tools.sim;

import java.util.Arrays;
import java.util.List;

/*
 * The fewest replica moves that any rebalancer could need to bring a fleet into the band the
 * issue's hysteresis asks for: a node more than `start` (20%) off the fleet mean in some dimension
 * (replica count, request rate, bytes) must end within `stop` (15%) of it in every dimension.
 * Moves keep the fleet's totals, so the means do not change.
 *
 * A move takes one replica off one node and puts it on one other node. So a node over the band
 * needs at least as many moves out as the fewest of its own replicas whose loads add up to its
 * excess, in the dimension that needs the most (the heaviest first: no choice of replicas does it
 * in fewer); a node under the band needs at least its missing replicas in count, and its deficit
 * divided by the heaviest replica in the fleet in the other dimensions. Each move serves one
 * source and one target, so the bound is the larger of the two sums, not their total.
 */
/** A true lower bound of the moves needed to balance a fleet; see the comment at the top. */
final class MoveLowerBound {
  /** One node's replicas: the request rate and the bytes of each. */
  record NodeLoad(double[] rps, double[] bytes) {
    NodeLoad {
      if (rps.length != bytes.length)
        throw new IllegalArgumentException("one rate and one size per replica");
    }

    int replicas() {
      return rps.length;
    }
  }

  private MoveLowerBound() {}

  static long of(List<NodeLoad> fleet, double start, double stop) {
    if (!(stop > 0 && stop < start))
      throw new IllegalArgumentException("need 0 < stop < start, got " + start + ", " + stop);
    if (fleet.isEmpty()) return 0;
    double[] mean = new double[3];
    double[] heaviest = new double[3];
    for (NodeLoad n : fleet) {
      mean[0] += n.replicas();
      mean[1] += sum(n.rps());
      mean[2] += sum(n.bytes());
      heaviest[1] = Math.max(heaviest[1], max(n.rps()));
      heaviest[2] = Math.max(heaviest[2], max(n.bytes()));
    }
    for (int d = 0; d < 3; d++) mean[d] /= fleet.size();
    long out = 0;
    long in = 0;
    for (NodeLoad n : fleet) {
      double[] load = {n.replicas(), sum(n.rps()), sum(n.bytes())};
      boolean over = false;
      boolean under = false;
      for (int d = 0; d < 3; d++) {
        over |= load[d] > mean[d] * (1 + start);
        under |= load[d] < mean[d] * (1 - start);
      }
      if (over) {
        long k = (long) Math.ceil(load[0] - mean[0] * (1 + stop));
        k = Math.max(k, fewestCovering(n.rps(), load[1] - mean[1] * (1 + stop)));
        k = Math.max(k, fewestCovering(n.bytes(), load[2] - mean[2] * (1 + stop)));
        out += k;
      } else if (under) {
        long k = Math.max(0, (long) Math.ceil(mean[0] * (1 - stop) - load[0]));
        for (int d = 1; d < 3; d++) {
          double deficit = mean[d] * (1 - stop) - load[d];
          if (deficit > 0 && heaviest[d] > 0)
            k = Math.max(k, (long) Math.ceil(deficit / heaviest[d]));
        }
        in += k;
      }
    }
    return Math.max(out, in);
  }

  /** The fewest of {@code loads} whose sum reaches {@code excess}: the heaviest ones first. */
  private static long fewestCovering(double[] loads, double excess) {
    if (excess <= 0) return 0;
    double[] sorted = loads.clone();
    Arrays.sort(sorted);
    double sum = 0;
    for (int i = sorted.length - 1; i >= 0; i--) {
      sum += sorted[i];
      if (sum >= excess) return sorted.length - i;
    }
    return sorted.length;
  }

  private static double sum(double[] xs) {
    double s = 0;
    for (double x : xs) s += x;
    return s;
  }

  private static double max(double[] xs) {
    double m = 0;
    for (double x : xs) m = Math.max(m, x);
    return m;
  }
}
