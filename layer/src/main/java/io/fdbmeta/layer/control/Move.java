package io.fdbmeta.layer.control;

/**
 * One replica move: {@code target} replaces {@code source} in range {@code rangeId}'s replicas.
 * Phase 1 (prepare) records the op; the target then copies the data while the range keeps its
 * replicas; phase 2 (commit) swaps source for target in one transaction, generation + 1 per change.
 * {@code load} is the estimated load the replica carries (per FleetView dimension).
 */
record Move(
    String opId,
    long rangeId,
    long generation,
    String source,
    String target,
    Reason reason,
    long preparedAt,
    double[] load) {
  enum Reason {
    /** Load balancing between live nodes. */
    REBALANCE,
    /** Replacing the replica of a dead node. */
    RECREATE
  }

  String describe() {
    return reason + " range " + rangeId + ": " + source + " -> " + target;
  }
}
