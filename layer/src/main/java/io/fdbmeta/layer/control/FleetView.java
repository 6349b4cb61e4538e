package io.fdbmeta.layer.control;

import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeStatus;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/*
 * The controller's picture of the fleet between reads of the node registry: every node record,
 * and per node a smoothed load in three dimensions (replica count, request rate, bytes).
 *
 * Request rates are noisy, so each report enters a moving average (weight loadSmoothing); without
 * it a node near the threshold would flap in and out of rebalancing on noise alone. The average
 * would also lag behind the controller's own moves and make it shed twice, so every move the
 * controller commits is applied to the averages at once (applyMove), and later reports confirm it.
 *
 * Load of a node relative to the fleet is per dimension load / mean over LIVE nodes; its
 * deviation is the dimension furthest from 1 (signed), its score the largest ratio. A move's load
 * is estimated as the source's load per replica, since per-range loads are reported only for
 * ranges outside the normal band.
 *
 * Load the rebalancer must not move (setUnmovableLoad: hot ranges, heavy ranges a node leads) is
 * taken out of each report before it enters the average, not out of the average afterwards: such
 * load comes and goes at once (a hot spot ends, a split), and an average that still held it would
 * show the node overloaded for minutes after it left, and make it shed replicas it needs.
 */
/**
 * Node records and smoothed loads, as the controller last read them. Single-threaded (the
 * controller's tick).
 */
final class FleetView {
  static final int DIMENSIONS = 3;

  private final TreeMap<String, NodeRecord> nodes = new TreeMap<>();
  private final Map<String, double[]> smoothed = new HashMap<>();

  /** Reports taken into each node's average since it (re)appeared: the first ones weigh more. */
  private final Map<String, Integer> samples = new HashMap<>();

  private final double[] mean = new double[DIMENSIONS];
  private final double alpha;
  private final long livenessMillis;
  private long readAt = Long.MIN_VALUE;

  /**
   * A move applied to the view that the node's reports may not include yet; {@code at} null until
   * it commits.
   */
  private static final class Pending {
    final double[] delta;
    @Nullable Long at;

    Pending(double[] delta) {
      this.delta = delta;
    }
  }

  private final Map<String, List<Pending>> pending = new HashMap<>();

  /** Load of reported ranges the rebalancer does not move, per node (see setUnmovableLoad). */
  private Map<String, double[]> unmovable = Map.of();

  private int refreshes;

  FleetView(double alpha, long livenessMillis) {
    this.alpha = alpha;
    this.livenessMillis = livenessMillis;
  }

  /** Takes in a full read of the registry. */
  void refresh(List<NodeRecord> all, long now) {
    nodes.clear();
    for (NodeRecord n : all) {
      nodes.put(n.nodeId(), n);
      double[] report = movable(n);
      double[] s = smoothed.get(n.nodeId());
      if (s == null || n.status() != NodeStatus.LIVE) {
        smoothed.put(n.nodeId(), report);
        samples.put(n.nodeId(), 1);
      } else {
        // a plain mean of the first reports, then the moving average: one noisy first report must
        // not decide
        int k = samples.merge(n.nodeId(), 1, Integer::sum);
        double a = Math.max(alpha, 1.0 / k);
        // replica counts are exact: no noise to smooth
        double[] adjust = unreported(n);
        s[0] = report[0] + adjust[0];
        for (int d = 1; d < DIMENSIONS; d++) s[d] = a * (report[d] + adjust[d]) + (1 - a) * s[d];
      }
    }
    smoothed.keySet().retainAll(nodes.keySet());
    pending.keySet().retainAll(nodes.keySet());
    samples.keySet().retainAll(nodes.keySet());
    readAt = now;
    refreshes++;
    recomputeMean();
  }

  /** The node's reported load less the load it carries that the rebalancer does not move. */
  private double[] movable(NodeRecord n) {
    double[] report = {n.load().rangeCount(), n.load().requestsPerSecond(), n.load().bytesUsed()};
    double[] fixed = unmovable.get(n.nodeId());
    if (fixed != null)
      for (int d = 1; d < DIMENSIONS; d++) report[d] = Math.max(0, report[d] - fixed[d]);
    return report;
  }

  private void recomputeMean() {
    double[] sum = new double[DIMENSIONS];
    int live = 0;
    for (NodeRecord n : nodes.values()) {
      if (!isLive(n)) continue;
      live++;
      double[] s = smoothed.get(n.nodeId());
      double[] fixed = unmovable.get(n.nodeId());
      for (int d = 0; d < DIMENSIONS; d++) sum[d] += s[d] + (fixed == null ? 0 : fixed[d]);
    }
    for (int d = 0; d < DIMENSIONS; d++) mean[d] = live == 0 ? 0 : sum[d] / live;
  }

  static boolean isLive(NodeRecord n, long now) {
    return n.status() == NodeStatus.LIVE && n.livenessExpiresAt() >= now;
  }

  /**
   * True if the node was LIVE with unexpired liveness when the view was read. Records age between
   * reads, so liveness is judged at the read, not now; the transaction that acts on the node checks
   * its status again.
   */
  boolean isLive(NodeRecord n) {
    return isLive(n, readAt);
  }

  long readAt() {
    return readAt;
  }

  boolean isEmpty() {
    return nodes.isEmpty();
  }

  Collection<NodeRecord> all() {
    return nodes.values();
  }

  @Nullable NodeRecord get(String nodeId) {
    return nodes.get(nodeId);
  }

  /** Replaces one record (a node the controller just marked dead, or read again). */
  void update(NodeRecord n) {
    nodes.put(n.nodeId(), n);
    smoothed.computeIfAbsent(n.nodeId(), id -> movable(n));
  }

  /**
   * Sets, per node, the load of reported ranges the rebalancer does not move: hot ranges (on every
   * replica: moving one only moves the hot spot, and splitting the range is the remedy) and heavy
   * ranges the node leads (the rebalancer moves only replicas that do not hold the lease). From the
   * next refresh on it is left out of the reports that make the deviation which starts and stops
   * rebalancing; otherwise a node over the mean because of such a range would shed many average
   * replicas, to be moved back when the spike passes. Scores (target choice) keep all load.
   */
  void setUnmovableLoad(Map<String, double[]> byNode) {
    unmovable = byNode;
  }

  /** Full refreshes since this view was created: a new controller first learns the load. */
  int refreshes() {
    return refreshes;
  }

  /**
   * The largest of the node's load ratios to the fleet mean (1 = average), all load counted; what
   * placement minimises.
   */
  double score(String nodeId) {
    return scoreWith(nodeId, new double[DIMENSIONS]);
  }

  /** {@link #score} of the node if it also carried {@code added} (a replica it may receive). */
  double scoreWith(String nodeId, double[] added) {
    double[] s = smoothed.get(nodeId);
    if (s == null) return 0;
    double[] fixed = unmovable.get(nodeId);
    double best = 0;
    for (int d = 0; d < DIMENSIONS; d++) {
      if (mean[d] > 0)
        best = Math.max(best, (s[d] + (fixed == null ? 0 : fixed[d]) + added[d]) / mean[d]);
    }
    return best;
  }

  /**
   * Signed deviation of the node's movable load from the mean, in the dimension furthest from it
   * (0.25: 25% above).
   */
  double deviation(String nodeId) {
    int d = dominantDimension(nodeId);
    return d < 0 ? 0 : smoothed.get(nodeId)[d] / mean[d] - 1;
  }

  /** Signed deviation of the node's replica count from the mean (-1: it holds none). */
  double replicaDeviation(String nodeId) {
    double[] s = smoothed.get(nodeId);
    return s == null || mean[0] <= 0 ? 0 : s[0] / mean[0] - 1;
  }

  /**
   * The dimension (0 replicas, 1 request rate, 2 bytes) in which the node is furthest from the
   * mean, or -1.
   */
  int dominantDimension(String nodeId) {
    double[] s = smoothed.get(nodeId);
    if (s == null) return -1;
    int worst = -1;
    double dev = 0;
    for (int d = 0; d < DIMENSIONS; d++) {
      if (mean[d] <= 0) continue;
      double x = Math.abs(s[d] / mean[d] - 1);
      if (worst < 0 || x > dev) {
        worst = d;
        dev = x;
      }
    }
    return worst;
  }

  /** Estimated load of one replica on the node, per dimension. */
  double[] perReplica(String nodeId) {
    double[] s = smoothed.get(nodeId);
    double[] out = new double[DIMENSIONS];
    if (s == null) return out;
    double count = Math.max(1, s[0]);
    out[0] = 1;
    for (int d = 1; d < DIMENSIONS; d++) out[d] = s[d] / count;
    return out;
  }

  /**
   * The adjustments a node's report does not include: moves not yet committed, or committed after
   * the heartbeat that carried the report (liveness expiry - liveness duration, on the node's
   * clock). Those it includes are dropped.
   */
  private double[] unreported(NodeRecord n) {
    double[] sum = new double[DIMENSIONS];
    List<Pending> list = pending.get(n.nodeId());
    if (list == null) return sum;
    long reportedAt = n.livenessExpiresAt() - livenessMillis;
    list.removeIf(p -> p.at != null && p.at < reportedAt);
    for (Pending p : list) for (int d = 0; d < DIMENSIONS; d++) sum[d] += p.delta[d];
    return sum;
  }

  /** One node's share of a move applied to the view. */
  private record Share(String nodeId, Pending pending) {}

  /** A move applied to the view: confirmed when it commits, given back if it is aborted. */
  static final class Applied {
    private final List<Share> shares = new ArrayList<>(2);
  }

  /** Applies a prepared move to the view, so the next decisions see it. */
  Applied applyMove(@Nullable String source, String target, double[] load) {
    Applied a = new Applied();
    if (source != null) a.shares.add(new Share(source, add(source, load, -1)));
    a.shares.add(new Share(target, add(target, load, 1)));
    return a;
  }

  /** The move committed at {@code now}: reports sent after it include it. */
  void committed(Applied a, long now) {
    for (Share s : a.shares) s.pending.at = now;
  }

  /** Gives back what {@link #applyMove} took, for a move that was aborted. */
  void reverted(Applied a) {
    for (Share s : a.shares) {
      List<Pending> list = pending.get(s.nodeId);
      if (list != null) list.remove(s.pending);
      double[] v = smoothed.get(s.nodeId);
      if (v != null)
        for (int d = 0; d < DIMENSIONS; d++) v[d] = Math.max(0, v[d] - s.pending.delta[d]);
    }
  }

  private Pending add(String nodeId, double[] load, int sign) {
    double[] delta = new double[DIMENSIONS];
    for (int d = 0; d < DIMENSIONS; d++) delta[d] = sign * load[d];
    Pending p = new Pending(delta);
    double[] s = smoothed.get(nodeId);
    if (s != null) for (int d = 0; d < DIMENSIONS; d++) s[d] = Math.max(0, s[d] + delta[d]);
    pending.computeIfAbsent(nodeId, id -> new ArrayList<>()).add(p);
    return p;
  }
}
