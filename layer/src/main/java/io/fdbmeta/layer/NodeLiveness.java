package io.fdbmeta.layer;

/*
 * Why a node needs no per-range upkeep: its range leases ride on its liveness (Lease.onLiveness),
 * so whether it may serve any of them is one question, "is my liveness, as of my last successful
 * heartbeat, still valid at this incarnation?". The answer changes only when a heartbeat or a
 * registration commits, which this object takes in; the guards of all the node's ranges read it.
 *
 * Safety: the expiry taken in is the one the committed record carries, never one computed here,
 * so the node never believes in more liveness than the record that the failure detector reads.
 * A heartbeat whose commit is unknown is not taken in (the node then believes in less, the safe
 * side). Marking the node DEAD makes its heartbeats fail, so this view lapses by itself; the
 * detector marks it only after livenessExpiresAt + maxClockOffset on its own clock, when a guard
 * here (serving only until livenessExpiresAt - maxClockOffset on this clock) has stopped.
 */
/**
 * One node process's view of its own liveness: the incarnation and liveness expiry of its last
 * successful registration or heartbeat. Thread-safe; {@link #isValid} is a volatile read.
 */
public final class NodeLiveness {
  private record View(long incarnation, long expiresAt) {}

  private volatile View view = new View(0, Long.MIN_VALUE);

  /**
   * Takes in the node record a registration or heartbeat of this process committed. Never moves
   * backwards: a later incarnation replaces the view, the same incarnation keeps the later expiry,
   * an earlier one is ignored. A record that is not LIVE or DRAINING is ignored.
   */
  public synchronized void update(NodeRecord committed) {
    if (committed.status() != NodeStatus.LIVE && committed.status() != NodeStatus.DRAINING) return;
    View v = view;
    if (committed.incarnation() < v.incarnation) return;
    if (committed.incarnation() == v.incarnation && committed.livenessExpiresAt() <= v.expiresAt)
      return;
    view = new View(committed.incarnation(), committed.livenessExpiresAt());
  }

  /**
   * True if a liveness lease granted to {@code incarnation} may be served at {@code now} (this
   * node's clock): it is this process's current incarnation and {@code now < livenessExpiresAt -
   * maxClockOffset}.
   */
  public boolean isValid(long incarnation, long now, long maxClockOffsetMillis) {
    View v = view;
    return v.incarnation == incarnation
        && incarnation != 0
        && now < v.expiresAt - maxClockOffsetMillis;
  }

  /** The incarnation of the last registration or heartbeat taken in (0 if none). */
  public long incarnation() {
    return view.incarnation;
  }

  /** The liveness expiry of the last registration or heartbeat taken in. */
  public long expiresAt() {
    return view.expiresAt;
  }

  @Override
  public String toString() {
    View v = view;
    return "NodeLiveness{inc=" + v.incarnation + " expires=" + v.expiresAt + "}";
  }
}
