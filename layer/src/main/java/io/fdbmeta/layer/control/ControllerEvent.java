package io.fdbmeta.layer.control;

import org.jspecify.annotations.Nullable;

/**
 * Something the controller did or found, for logs and demos: {@code at} is the controller's clock
 * (millis), {@code rangeId} 0 and {@code node}/{@code target} null where they do not apply.
 */
public record ControllerEvent(
    Kind kind,
    long at,
    long epoch,
    long rangeId,
    @Nullable String node,
    @Nullable String target,
    String detail) {
  public enum Kind {
    /** This controller became active (epoch is its new term). */
    TOOK_OVER,
    /** This controller learned it is no longer active; it stopped acting. */
    DEPOSED,
    /** {@code node} was marked DEAD. */
    NODE_DEAD,
    /** The lease of {@code rangeId} moved from dead {@code node} to {@code target}. */
    LEASE_MOVED,
    /** A replica move was prepared (phase 1: the target starts copying). */
    MOVE_PREPARED,
    /**
     * A replica of {@code rangeId} moved from {@code node} to {@code target}; detail says why
     * (REBALANCE or RECREATE).
     */
    MOVE_COMMITTED,
    /** A prepared move was given up; detail says why. */
    MOVE_ABORTED,
    SPLIT,
    MERGE,
    /** Placement could not meet a constraint for {@code rangeId}; detail names it and why. */
    UNSATISFIABLE,
    /** An action was refused by the layer (a lost race, a rule); detail says which and why. */
    REFUSED
  }

  @Override
  public String toString() {
    StringBuilder sb =
        new StringBuilder().append(kind).append(" @").append(at).append(" epoch ").append(epoch);
    if (rangeId != 0) sb.append(" range ").append(rangeId);
    if (node != null) sb.append(' ').append(node);
    if (target != null) sb.append(" -> ").append(target);
    if (!detail.isEmpty()) sb.append(": ").append(detail);
    return sb.toString();
  }
}
