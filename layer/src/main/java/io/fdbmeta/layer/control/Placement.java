package io.fdbmeta.layer.control;

import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeStatus;
import io.fdbmeta.layer.RangeDescriptor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/*
 * The placement solver, pure: node records and a range's replicas in, a target or a precise reason
 * out. Every replica the controller creates (rebalance move, re-creating a dead node's replica)
 * goes through choose(), so no code path can place a replica without the constraints.
 *
 * Constraints are checked as a chain of filters in a fixed order (live, not already a replica,
 * pinned region, distinct rack, distinct zone, disk headroom, CPU headroom). Among the nodes that
 * pass every filter the least loaded wins (ties by node id, so decisions replay exactly). When
 * none passes, the answer names the first filter that left no node, with how many nodes reached
 * it: that is the constraint that cannot be met, and the solver never relaxes it.
 *
 * Rack and zone are compared against the replicas that stay (keep), not the one being replaced: a
 * replica may move to another rack of the zone it leaves. A rack or zone name is unique only
 * within its region and zone, so they are compared as (region, zone, rack) paths.
 */
/**
 * Chooses nodes for new replicas under the placement constraints, or says which constraint cannot
 * be met and why.
 */
public final class Placement {
  private Placement() {}

  /**
   * What a target must satisfy beyond distinct racks and zones. Empty {@code regions}: any region.
   */
  public record Constraints(
      Set<String> regions, double minFreeDiskFraction, double maxCpuFraction) {
    public Constraints {
      regions = Set.copyOf(regions);
    }

    public static Constraints of(ControllerConfig c, RangeDescriptor range) {
      return new Constraints(c.regionsOf(range), c.minFreeDiskFraction(), c.maxCpuFraction());
    }
  }

  /** The solver's answer. */
  public sealed interface Choice permits Chosen, Unsatisfiable {}

  public record Chosen(NodeRecord target) implements Choice {}

  /** {@code constraint} names the rule (e.g. "distinct-zone"), {@code why} says what blocked it. */
  public record Unsatisfiable(String constraint, String why) implements Choice {
    @Override
    public String toString() {
      return "unsatisfiable " + constraint + ": " + why;
    }
  }

  private static final String[] STAGES = {
    "live", "new-node", "region", "distinct-rack", "distinct-zone", "disk-headroom", "cpu-headroom"
  };

  /**
   * The least loaded candidate that satisfies every constraint for joining {@code keep}.
   *
   * @param candidates nodes to choose from (any status; only LIVE ones with unexpired liveness
   *     qualify)
   * @param keep records of the replicas that stay
   * @param excluded node ids that must not be chosen: every current replica, including the one
   *     replaced
   * @param addedBytes bytes the new replica brings, for the disk headroom check
   * @param load what to minimise (e.g. projected load); lower is better
   */
  public static Choice choose(
      Iterable<NodeRecord> candidates,
      List<NodeRecord> keep,
      Set<String> excluded,
      long addedBytes,
      Constraints c,
      long now,
      ToDoubleFunction<NodeRecord> load) {
    int[] reached = new int[STAGES.length + 1];
    NodeRecord best = null;
    double bestLoad = 0;
    for (NodeRecord n : candidates) {
      int stage = firstFailed(n, excluded, keep, addedBytes, c, now);
      for (int i = 0; i < stage; i++) reached[i + 1]++;
      if (stage < STAGES.length) continue;
      double l = load.applyAsDouble(n);
      if (best == null
          || l < bestLoad
          || (l == bestLoad && n.nodeId().compareTo(best.nodeId()) < 0)) {
        best = n;
        bestLoad = l;
      }
    }
    if (best != null) return new Chosen(best);
    int failed = 0;
    while (reached[failed + 1] > 0) failed++;
    return new Unsatisfiable(
        STAGES[failed], why(failed, failed == 0 ? countAll(candidates) : reached[failed], keep, c));
  }

  /**
   * Index of the first constraint {@code n} fails, or STAGES.length if it passes all. Allocates
   * nothing: it runs per node per decision.
   */
  private static int firstFailed(
      NodeRecord n,
      Set<String> excluded,
      List<NodeRecord> keep,
      long addedBytes,
      Constraints c,
      long now) {
    if (n.status() != NodeStatus.LIVE || n.livenessExpiresAt() < now) return 0;
    if (excluded.contains(n.nodeId())) return 1;
    NodeRecord.Locality loc = n.locality();
    if (!c.regions().isEmpty() && !c.regions().contains(loc.region())) return 2;
    for (NodeRecord k : keep) if (k.locality().equals(loc)) return 3;
    for (NodeRecord k : keep) if (sameZone(k.locality(), loc)) return 4;
    long disk = n.capacity().diskBytes();
    if (disk <= 0 || n.load().bytesUsed() + addedBytes > disk * (1 - c.minFreeDiskFraction()))
      return 5;
    if (n.capacity().cpuCores() <= 0
        || n.load().cpuUsed() > n.capacity().cpuCores() * c.maxCpuFraction()) return 6;
    return STAGES.length;
  }

  private static boolean sameZone(NodeRecord.Locality a, NodeRecord.Locality b) {
    return a.zone().equals(b.zone()) && a.region().equals(b.region());
  }

  private static String why(int stage, int reached, List<NodeRecord> keep, Constraints c) {
    String kept = keep.isEmpty() ? "no other replica" : "other replicas " + describe(keep);
    String pool = reached + " node" + (reached == 1 ? "" : "s");
    switch (stage) {
      case 0:
        return "no LIVE node with unexpired liveness among " + pool;
      case 1:
        return "every live node already holds a replica of the range (" + pool + ")";
      case 2:
        return "none of " + pool + " is in the pinned regions " + c.regions();
      case 3:
        return pool + " passed the earlier checks but all share a rack with " + kept;
      case 4:
        return pool + " on racks of their own but all share a zone with " + kept;
      case 5:
        return pool
            + " in free zones but none keeps "
            + pct(c.minFreeDiskFraction())
            + " of its disk free after taking the replica";
      default:
        return pool
            + " with disk headroom but all use more than "
            + pct(c.maxCpuFraction())
            + " of their CPU";
    }
  }

  /**
   * What is wrong with a range's replica set: replicas sharing a rack or a zone, or outside the
   * pinned regions. Empty when the placement is valid.
   */
  public static List<String> violations(List<NodeRecord> replicas, Set<String> regions) {
    List<String> out = new ArrayList<>();
    Set<String> racks = new HashSet<>();
    Set<String> zones = new HashSet<>();
    for (NodeRecord n : replicas) {
      if (!racks.add(rackPath(n))) out.add("two replicas in rack " + rackPath(n));
      else if (!zones.add(zonePath(n))) out.add("two replicas in zone " + zonePath(n));
      if (!regions.isEmpty() && !regions.contains(n.locality().region()))
        out.add(n.nodeId() + " is in region " + n.locality().region() + ", outside " + regions);
    }
    return out;
  }

  static String zonePath(NodeRecord n) {
    return n.locality().region() + "/" + n.locality().zone();
  }

  static String rackPath(NodeRecord n) {
    return zonePath(n) + "/" + n.locality().rack();
  }

  private static String describe(List<NodeRecord> nodes) {
    List<String> out = new ArrayList<>(nodes.size());
    for (NodeRecord n : nodes) out.add(n.nodeId() + "@" + rackPath(n));
    return out.toString();
  }

  private static int countAll(Iterable<NodeRecord> nodes) {
    int n = 0;
    for (NodeRecord ignored : nodes) n++;
    return n;
  }

  private static String pct(double f) {
    return Math.round(f * 100) + "%";
  }
}
