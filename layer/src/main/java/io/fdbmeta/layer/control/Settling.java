package io.fdbmeta.layer.control;

import io.fdbmeta.layer.OpRecord;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/*
 * Why the rebalancer waits before moving a replica again.
 *
 * Load figures move with every report, and in a small fleet one replica is a large share of a
 * node's load, so a balancer that only compares loads moves a replica to a node and, a few cycles
 * later, away from it again (a 300 s demo of 7 nodes made 64 such swaps, and a node added midway
 * ended with 1 of the 5 replicas it was given). So, for a cool-down after each committed move:
 *  - the replica stays where it arrived: the rebalancer does not move it off its new node;
 *  - the range does not return to the node it left;
 *  - no replica of any range goes the other way between the same two nodes (in a 7-node demo,
 *    n3 -> n6, n6 -> n3, n3 -> n6 in three cycles, each a different range), unless the receiving
 *    node is starved (far below the mean, as a node that restarted empty is): in a small fleet
 *    whose zones hold two or three nodes such a node can often be refilled from one node only,
 *    and holding that pair off left it empty for the whole cool-down.
 * And within one rebalance cycle no two nodes exchange replicas in both directions.
 *
 * Moves that re-create a dead node's replica count as arrivals (what failover placed is kept), but
 * failover itself is never held back: only rebalance moves ask. A new controller rebuilds what it
 * needs from the committed MOVE op records, so a failover of the controller forgets nothing.
 */
/** Replica moves the rebalancer must not make yet; see the comment at the top. */
final class Settling {
  private final long cooldownMillis;
  private final Map<Long, Map<String, Long>> arrivedAt = new HashMap<>();
  private final Map<Long, Map<String, Long>> leftAt = new HashMap<>();
  private final Map<String, Long> directionAt = new HashMap<>(); // "source>target" -> committed
  private final Set<String> thisCycle = new HashSet<>(); // "source>target" of moves started

  Settling(long cooldownMillis) {
    this.cooldownMillis = cooldownMillis;
  }

  /** Records moves that committed at {@code now}. */
  void committed(List<Move> moves, long now) {
    for (Move m : moves) record(m.rangeId(), m.source(), m.target(), m.reason(), now);
  }

  /** Rebuilds the cool-downs still running from committed MOVE op records (a new controller). */
  void recover(List<OpRecord> ops, long now) {
    for (OpRecord op : ops) {
      if (op.kind() != OpRecord.Kind.MOVE || op.phase() != OpRecord.Phase.COMMITTED) continue;
      if (now - op.updatedAt() >= cooldownMillis || op.rangeIds().isEmpty()) continue;
      Move.Endpoints e = Move.endpoints(op.detail());
      if (e != null)
        record(op.rangeIds().get(0), e.source(), e.target(), e.reason(), op.updatedAt());
    }
  }

  private void record(long rangeId, String source, String target, Move.Reason why, long at) {
    arrivedAt.computeIfAbsent(rangeId, k -> new HashMap<>()).put(target, at);
    if (why == Move.Reason.REBALANCE) {
      leftAt.computeIfAbsent(rangeId, k -> new HashMap<>()).put(source, at);
      directionAt.merge(source + ">" + target, at, Math::max);
    }
  }

  /** Starts a rebalance cycle: forgets expired cool-downs and the previous cycle's directions. */
  void newCycle(long now) {
    thisCycle.clear();
    expire(arrivedAt, now);
    expire(leftAt, now);
    directionAt.values().removeIf(at -> now - at >= cooldownMillis);
  }

  private void expire(Map<Long, Map<String, Long>> byRange, long now) {
    byRange.values().forEach(m -> m.values().removeIf(at -> now - at >= cooldownMillis));
    byRange.values().removeIf(Map::isEmpty);
  }

  /** Whether range {@code rangeId}'s replica on {@code node} may be moved off it now. */
  boolean mayLeave(long rangeId, String node) {
    return !within(arrivedAt, rangeId, node);
  }

  /**
   * Whether a replica of {@code rangeId} may be moved from {@code source} to {@code target} now:
   * the range did not leave {@code target} within the cool-down, and no replica went from {@code
   * target} to {@code source} this cycle, nor within the cool-down unless {@code targetStarved}.
   */
  boolean mayMove(long rangeId, String source, String target, boolean targetStarved) {
    String back = target + ">" + source;
    return !within(leftAt, rangeId, target)
        && (targetStarved || !directionAt.containsKey(back))
        && !thisCycle.contains(back);
  }

  /** Notes a move started this cycle, so none goes the other way between the same two nodes. */
  void started(Move m) {
    thisCycle.add(m.source() + ">" + m.target());
  }

  private static boolean within(Map<Long, Map<String, Long>> byRange, long rangeId, String node) {
    Map<String, Long> m = byRange.get(rangeId);
    return m != null && m.containsKey(node); // expired entries were removed by newCycle
  }
}
