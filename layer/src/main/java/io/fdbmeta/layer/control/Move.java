package io.fdbmeta.layer.control;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

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

  /** How the move is described in its op record; {@link #endpoints} reads it back. */
  String describe() {
    return reason + " range " + rangeId + ": " + source + " -> " + target;
  }

  /** Where a move went, as its op record's detail tells. */
  record Endpoints(Reason reason, String source, String target) {}

  private static final Pattern DESCRIBED =
      Pattern.compile("^(REBALANCE|RECREATE) range -?\\d+: (\\S+) -> (\\S+?)(;.*)?$");

  /** The endpoints of an op record's detail written from {@link #describe}, or null. */
  static @Nullable Endpoints endpoints(String detail) {
    Matcher m = DESCRIBED.matcher(detail);
    if (!m.matches()) return null;
    return new Endpoints(Reason.valueOf(m.group(1)), m.group(2), m.group(3));
  }
}
