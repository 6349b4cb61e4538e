package io.fdbmeta.tools.sim;

/**
 * One simulation run: fleet size, catalog size, simulated duration and seed. Everything else is
 * derived, so a run is reproduced by these four values alone.
 */
public record SimConfig(int nodes, int ranges, double hours, long seed) {
  public static final int DEFAULT_NODES = 10_000;
  public static final int DEFAULT_RANGES = 1_000_000;
  public static final double DEFAULT_HOURS = 2;

  public SimConfig {
    if (nodes < 30 || nodes > 100_000)
      throw new IllegalArgumentException("nodes must be in [30, 100000], got " + nodes);
    if (ranges < nodes || ranges > 5_000_000)
      throw new IllegalArgumentException("ranges must be in [nodes, 5000000], got " + ranges);
    if (!(hours >= 0.05 && hours <= 48))
      throw new IllegalArgumentException("hours must be in [0.05, 48], got " + hours);
  }

  /** Simulated milliseconds. */
  public long durationMillis() {
    return Math.round(hours * 3_600_000);
  }

  /** Nodes that start with 40% more replicas than the others (the skew to converge from). */
  int skewedNodes() {
    return Math.max(2, nodes / 500);
  }
}
