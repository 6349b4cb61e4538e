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
