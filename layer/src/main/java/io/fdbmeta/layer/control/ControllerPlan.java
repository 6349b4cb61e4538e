package io.fdbmeta.layer.control;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the controller would do now, without doing it ({@link Controller#plan}): nodes it would mark
 * dead, leases it would move, replica moves (re-creations and rebalancing), splits, merges, and the
 * placement constraints it could not meet.
 */
public record ControllerPlan(
    List<DeadNode> markDead,
    List<LeaseMove> leaseMoves,
    List<ReplicaMove> moves,
    List<Split> splits,
    List<Merge> merges,
    List<Unsatisfiable> unsatisfiable) {
  public record DeadNode(String nodeId, long incarnation, long livenessExpiredAt) {}

  public record LeaseMove(long rangeId, String from, String to) {}

  /** {@code reason}: REBALANCE or RECREATE. */
  public record ReplicaMove(long rangeId, String from, String to, String reason) {}

  public record Split(long rangeId, byte[] key, String why) {}

  public record Merge(long leftId, long rightId) {}

  /** {@code what} is the action that needed placement, e.g. "recreate replica of dead n7". */
  public record Unsatisfiable(
      long rangeId, @Nullable String node, String what, String constraint, String why) {}

  public boolean isEmpty() {
    return markDead.isEmpty()
        && leaseMoves.isEmpty()
        && moves.isEmpty()
        && splits.isEmpty()
        && merges.isEmpty()
        && unsatisfiable.isEmpty();
  }
}
