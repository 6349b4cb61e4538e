package io.fdbmeta.layer.control;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Replica moves the controller has prepared and not yet committed, at most one per range. A move's
 * load is applied to the fleet view when it is prepared, so later decisions in the same cycle see
 * it; an aborted move gives it back.
 */
final class Moves {
  private record InFlight(Move move, FleetView.Applied applied) {}

  private final TreeMap<Long, InFlight> inFlight = new TreeMap<>();

  boolean busy(long rangeId) {
    return inFlight.containsKey(rangeId);
  }

  /** Prepares {@code m} (phase 1) and tracks it; false if the prepare was refused. */
  boolean start(Move m, ControllerActions actions, FleetView fleet) {
    if (busy(m.rangeId()) || !actions.prepareMove(m)) return false;
    inFlight.put(
        m.rangeId(),
        new InFlight(
            m,
            fleet.applyMove(
                m.reason() == Move.Reason.REBALANCE ? m.source() : null, m.target(), m.load())));
    return true;
  }

  /** Commits every move whose target is ready; returns the moves that committed. */
  List<Move> commitReady(
      ControllerActions actions,
      FleetView fleet,
      ControllerConfig.ReplicaReadiness readiness,
      long now) {
    List<Move> done = new ArrayList<>();
    for (InFlight f : new ArrayList<>(inFlight.values())) {
      Move m = f.move();
      if (!readiness.isReady(m.rangeId(), m.target(), m.preparedAt(), now)) continue;
      inFlight.remove(m.rangeId());
      if (actions.commitMove(m)) {
        fleet.committed(f.applied(), now);
        done.add(m);
      } else {
        fleet.reverted(f.applied());
      }
    }
    return done;
  }
}
