package io.fdbmeta.tools.sim;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Counts the rebalance churn the controller must not make, from the moves the Observer saw
 * committed and the moves the controllers prepared: swaps (moves prepared both ways between two
 * nodes in one controller cycle), moves back (a range returning to a node it left within the
 * cool-down), moves off a node of a replica that arrived there within the cool-down, and the moves
 * onto added nodes beside the fewest that could fill them.
 */
final class ChurnMeter {
  private final long cooldownMillis;
  private final Map<Long, Map<String, Long>> leftAt = new HashMap<>();
  private final Map<Long, Map<String, Long>> arrivedAt = new HashMap<>();
  private final Set<String> addedNodes = new HashSet<>();
  private final Set<String> thisStep = new HashSet<>();
  private long step = Long.MIN_VALUE;
  long swaps;
  long movesBack;
  long movesOffBeforeSettled;
  long ontoAdded;
  long addedLowerBound;

  ChurnMeter(long cooldownMillis) {
    this.cooldownMillis = cooldownMillis;
  }

  /** Nodes joined at a point when filling them needs at least {@code lowerBound} moves. */
  void added(Set<String> nodes, long lowerBound) {
    addedNodes.addAll(nodes);
    addedLowerBound += lowerBound;
  }

  /** A rebalance move prepared by a controller cycle that ran at {@code cycleAt}. */
  void prepared(String from, String to, long cycleAt) {
    if (cycleAt != step) {
      step = cycleAt;
      thisStep.clear();
    }
    if (thisStep.contains(to + ">" + from)) swaps++;
    thisStep.add(from + ">" + to);
  }

  /** A rebalance move the Observer saw committed at {@code now}. */
  void moved(long rangeId, String from, String to, long now) {
    if (within(leftAt, rangeId, to, now)) movesBack++;
    if (within(arrivedAt, rangeId, from, now)) movesOffBeforeSettled++;
    if (addedNodes.contains(to)) ontoAdded++;
    leftAt.computeIfAbsent(rangeId, k -> new HashMap<>()).put(from, now);
    arrivedAt.computeIfAbsent(rangeId, k -> new HashMap<>()).put(to, now);
  }

  private boolean within(
      Map<Long, Map<String, Long>> byRange, long rangeId, String node, long now) {
    Long at = byRange.getOrDefault(rangeId, Map.of()).get(node);
    return at != null && now - at < cooldownMillis;
  }
}
