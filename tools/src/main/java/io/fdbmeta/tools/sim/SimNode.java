package io.fdbmeta.tools.sim;

import io.fdbmeta.layer.NodeRecord;
import java.util.TreeSet;

/**
 * One simulated storage node: where it is, its clock skew, whether it runs, and what it carries.
 */
final class SimNode {
  enum State {
    UP,
    /** Paused (a stop-the-world pause longer than a lease) until {@code resumeAt}. */
    PAUSED,
    DEAD
  }

  final int index;
  final String id;
  final NodeRecord.Locality locality;
  final int skewClass;
  final long skew;
  State state = State.UP;
  long incarnation;
  int processStarts;

  /** The liveness expiry of this incarnation's last committed heartbeat or registration. */
  long livenessView = Long.MIN_VALUE;

  /** The incarnation before this one and the liveness view it ended with (0 if none). */
  long previousIncarnation;

  long previousView = Long.MIN_VALUE;
  long stoppedAt = -1;
  long resumeAt = -1;

  /** Ranges whose lease this node holds, as the changelog says. */
  final TreeSet<Long> leases = new TreeSet<>();

  /**
   * After a resume: leases still recorded for it that it must acquire again before it serves them.
   */
  boolean reacquire;

  int replicas;
  double rps;
  long bytes;

  SimNode(int index, String id, NodeRecord.Locality locality, int skewClass, long skew) {
    this.index = index;
    this.id = id;
    this.locality = locality;
    this.skewClass = skewClass;
    this.skew = skew;
  }

  /** Takes in a committed registration: a new incarnation, with its own liveness view. */
  void registered(NodeRecord rec) {
    if (rec.incarnation() != incarnation) {
      previousIncarnation = incarnation;
      previousView = livenessView;
      incarnation = rec.incarnation();
      livenessView = Long.MIN_VALUE;
    }
    alive(rec);
  }

  /** Takes in a committed heartbeat of this incarnation. */
  void alive(NodeRecord rec) {
    if (rec.incarnation() == incarnation)
      livenessView = Math.max(livenessView, rec.livenessExpiresAt());
  }

  /**
   * Until when (true time) this node may serve a lease riding on its liveness under {@code
   * leaseIncarnation}: for ever while it runs that incarnation (its heartbeats go on), else until
   * that incarnation's liveness view - maxClockOffset on its clock. Long.MAX_VALUE: for ever.
   */
  long serveEnd(long leaseIncarnation, long maxClockOffset) {
    if (leaseIncarnation == incarnation)
      return up() ? Long.MAX_VALUE : livenessView - maxClockOffset - skew;
    if (leaseIncarnation == previousIncarnation) return previousView - maxClockOffset - skew;
    return Long.MIN_VALUE; // older still: ended before the previous one began
  }

  boolean up() {
    return state == State.UP;
  }

  String rack() {
    return locality.region() + "/" + locality.zone() + "/" + locality.rack();
  }

  String zone() {
    return locality.region() + "/" + locality.zone();
  }
}
