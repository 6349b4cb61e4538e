package io.fdbmeta.layer.control;

import com.apple.foundationdb.ReadTransactionContext;
import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.RangeLoad;
import io.fdbmeta.layer.RangeLoads;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/*
 * Load balancing with hysteresis and a rate limit.
 *
 * A node becomes active when its (smoothed) load deviates from the fleet mean by more than
 * rebalanceStart (20%) in any dimension, and stays active until it is back within rebalanceStop
 * (15%). Between the two thresholds nothing starts, so load that wanders a few percent never
 * moves a replica, and a node that started is brought well inside the band instead of hovering at
 * the edge (the "Rebalancing on Every Minor Imbalance" note in shared/seeds).
 *
 * Each cycle, within the budget (maxMovesPerCycle, and maxMovesPerMinute over a sliding minute),
 * the most deviant active node gets one move, then the next, until the budget is spent or no node
 * is active: an overloaded node gives a replica to the least loaded node placement allows; an
 * underloaded node takes a replica from the most loaded node that has one it may take. A node
 * over the mean mostly in request rate or bytes gives first the replicas of ranges reported with
 * the most of that load (a heavy range), so one move does what many average ones would. A move is
 * made only if the receiving node, with the replica, stays below where the giving node was: in a
 * small fleet one replica is a large share of the mean, and a move that overshoots would be moved
 * back next cycle, and again, forever. Ranges reported hot are never moved (the split planner
 * splits them; moving one only moves the hot spot, and a move in flight would hold the split
 * off), and their load, like that of heavy ranges a node leads, does not count toward starting or
 * stopping (FleetView.setUnmovableLoad). A new controller first averages a minute of reports
 * (six rebalance intervals), and starts no node meanwhile: a node that stopped just under the stop
 * threshold would otherwise start, and stay started, on the noise of its first reports. Every
 * target comes from Placement.choose, so a move never breaks a constraint. Only replicas that do
 * not hold the range's lease are moved: taking a lease from a live holder needs the holder to
 * hand it over (LeaseManager.transfer), which is the storage node's part. Recently moved replicas
 * and moves back are held off by Settling.
 */
/** Moves replicas from nodes above the mean to nodes below it; see the comment at the top. */
final class Rebalancer {
  private static final int SOURCES_TRIED = 4;

  /**
   * Fleet reads (one per rebalance interval) a new controller averages before it moves anything.
   */
  static final int WARM_UP_REFRESHES = 6;

  private final RangeCatalog catalog;
  private final RangeLoads loads;
  private final ControllerConfig config;
  private final Set<String> active = new TreeSet<>();
  private final ArrayDeque<Long> recentMoves = new ArrayDeque<>();
  private final Settling settling;

  Rebalancer(RangeCatalog catalog, ControllerConfig config) {
    this.catalog = catalog;
    this.loads = new RangeLoads(catalog.keyspace());
    this.config = config;
    this.settling = new Settling(config.rebalanceCooldownMillis());
  }

  /** Where moved replicas settle; told of every committed move. */
  Settling settling() {
    return settling;
  }

  /** Nodes currently rebalancing (hysteresis state). */
  Set<String> active() {
    return active;
  }

  /** Starts and stops nodes by the hysteresis thresholds. */
  void updateActive(FleetView fleet) {
    for (NodeRecord n : fleet.all()) {
      double dev = Math.abs(fleet.deviation(n.nodeId()));
      if (!fleet.isLive(n) || dev < config.rebalanceStop()) active.remove(n.nodeId());
      else if (dev > config.rebalanceStart()) active.add(n.nodeId());
    }
  }

  /** Moves the rate limit allows now. */
  int budget(long now) {
    while (!recentMoves.isEmpty() && recentMoves.peekFirst() <= now - 60_000)
      recentMoves.pollFirst();
    return Math.max(
        0, Math.min(config.maxMovesPerCycle(), config.maxMovesPerMinute() - recentMoves.size()));
  }

  void recordMoveForTest(long at) {
    recentMoves.addLast(at);
  }

  /** One cycle; returns the moves it started. */
  int cycle(
      ReadTransactionContext db,
      long now,
      FleetView fleet,
      Moves moves,
      ControllerActions actions) {
    Map<Long, RangeLoad> reported = new HashMap<>();
    for (RangeLoad r : FdbErrors.join(loads.listAsync(db))) reported.put(r.rangeId(), r);
    fleet.setUnmovableLoad(unmovableByNode(db, reported));
    if (fleet.refreshes() < WARM_UP_REFRESHES) return 0;
    updateActive(fleet);
    settling.newCycle(now);
    int started = 0;
    Map<String, List<RangeCatalog.Assignment>> rangesOf = new HashMap<>();
    Set<String> stuck = new HashSet<>();
    List<NodeRecord> sources = null; // most loaded first, for filling; sorted once per cycle
    for (int budget = budget(now); budget > 0; budget--) {
      String node = mostDeviant(fleet, stuck);
      if (node == null) break;
      Move m;
      if (fleet.deviation(node) > 0) {
        m = shed(db, node, fleet, moves, rangesOf, reported, now);
      } else {
        if (sources == null) sources = byLoadDescending(fleet);
        m = fill(db, node, sources, fleet, moves, rangesOf, reported, now);
      }
      if (m == null || !moves.start(m, actions, fleet)) {
        stuck.add(node); // nothing it can give or take this cycle
        budget++;
        continue;
      }
      recentMoves.addLast(now);
      settling.started(m);
      started++;
      if (Math.abs(fleet.deviation(node)) < config.rebalanceStop()) active.remove(node);
    }
    return started;
  }

  private @Nullable String mostDeviant(FleetView fleet, Set<String> stuck) {
    String best = null;
    for (String n : active) {
      if (stuck.contains(n)) continue;
      if (best == null || Math.abs(fleet.deviation(n)) > Math.abs(fleet.deviation(best))) best = n;
    }
    return best;
  }

  /** A move of one of {@code source}'s replicas to the least loaded node placement allows. */
  private @Nullable Move shed(
      ReadTransactionContext db,
      String source,
      FleetView fleet,
      Moves moves,
      Map<String, List<RangeCatalog.Assignment>> rangesOf,
      Map<Long, RangeLoad> reported,
      long now) {
    for (RangeCatalog.Assignment a :
        heaviestFirst(
            movable(db, source, moves, rangesOf, reported),
            reported,
            fleet.dominantDimension(source))) {
      RangeDescriptor d = catalog.get(db, a.rangeId()).orElse(null);
      if (d == null || source.equals(d.leaseholder())) continue;
      if (!settling.mayLeave(d.rangeId(), source)) continue;
      RangeLoad r = reported.get(a.rangeId());
      double[] load =
          r == null ? fleet.perReplica(source) : new double[] {1, r.requestsPerSecond(), r.bytes()};
      Placement.Choice c =
          Placement.choose(
              fleet.all().stream()
                  .filter(n -> settling.mayMove(d.rangeId(), source, n.nodeId(), starved(fleet, n)))
                  .toList(),
              keep(d, source, fleet),
              new HashSet<>(d.replicas()),
              (long) load[2],
              Placement.Constraints.of(config, d),
              fleet.readAt(),
              n -> fleet.score(n.nodeId()));
      if (c instanceof Placement.Chosen chosen
          && fleet.scoreWith(chosen.target().nodeId(), load) < fleet.score(source)) {
        rangesOf.get(source).remove(a);
        return new Move(
            config.ids().newOpId(),
            d.rangeId(),
            d.generation(),
            source,
            chosen.target().nodeId(),
            Move.Reason.REBALANCE,
            now,
            load);
      }
    }
    return null;
  }

  /**
   * The node's movable replicas, those of reported ranges heaviest first in {@code dimension}
   * (request rate or bytes) ahead of the rest, which keep their order.
   */
  private static List<RangeCatalog.Assignment> heaviestFirst(
      List<RangeCatalog.Assignment> movable, Map<Long, RangeLoad> reported, int dimension) {
    if (dimension != 1 && dimension != 2) return movable;
    List<RangeCatalog.Assignment> out = new ArrayList<>(movable);
    Comparator<RangeCatalog.Assignment> byLoad =
        Comparator.comparingDouble(
            a -> {
              RangeLoad r = reported.get(a.rangeId());
              return r == null ? 0 : -(dimension == 1 ? r.requestsPerSecond() : (double) r.bytes());
            });
    out.sort(byLoad); // stable: unreported replicas keep their order
    return out;
  }

  /**
   * Per node, the load of reported ranges it carries that the rebalancer does not move: hot ranges
   * on every replica, heavy ones on their leaseholder (a few reads: such ranges are few).
   */
  private Map<String, double[]> unmovableByNode(
      ReadTransactionContext db, Map<Long, RangeLoad> reported) {
    Map<String, double[]> out = new HashMap<>();
    for (RangeLoad r : reported.values()) {
      if (r.requestsPerSecond() < config.mergeRps() && !isHot(r))
        continue; // cold ones weigh nothing
      RangeDescriptor d = catalog.get(db, r.rangeId()).orElse(null);
      if (d == null) continue;
      List<String> carriers =
          isHot(r) ? d.replicas() : d.leaseholder() == null ? List.of() : List.of(d.leaseholder());
      for (String node : carriers) {
        double[] sum = out.computeIfAbsent(node, k -> new double[FleetView.DIMENSIONS]);
        sum[1] += r.requestsPerSecond();
        sum[2] += r.bytes();
      }
    }
    return out;
  }

  /** Reported hot: the split planner will split it, so it is not moved. */
  private static boolean isHot(@Nullable RangeLoad r) {
    return r != null && r.hot();
  }

  private static List<NodeRecord> byLoadDescending(FleetView fleet) {
    List<NodeRecord> sources = new ArrayList<>();
    for (NodeRecord n : fleet.all()) if (fleet.isLive(n)) sources.add(n);
    sources.sort(
        Comparator.comparingDouble((NodeRecord n) -> -fleet.score(n.nodeId()))
            .thenComparing(NodeRecord::nodeId));
    return sources;
  }

  private @Nullable Move fill(
      ReadTransactionContext db,
      String target,
      List<NodeRecord> sources,
      FleetView fleet,
      Moves moves,
      Map<String, List<RangeCatalog.Assignment>> rangesOf,
      Map<Long, RangeLoad> reported,
      long now) {
    NodeRecord t = fleet.get(target);
    if (t == null) return null;
    int tried = 0;
    for (NodeRecord s : sources) {
      if (s.nodeId().equals(target)) continue;
      if (tried++ == SOURCES_TRIED) break;
      double[] load = fleet.perReplica(s.nodeId());
      if (fleet.scoreWith(target, load) >= fleet.score(s.nodeId()))
        continue; // it would end above where the source was
      for (RangeCatalog.Assignment a : movable(db, s.nodeId(), moves, rangesOf, reported)) {
        RangeDescriptor d = catalog.get(db, a.rangeId()).orElse(null);
        if (d == null || s.nodeId().equals(d.leaseholder())) continue;
        if (!settling.mayLeave(d.rangeId(), s.nodeId())
            || !settling.mayMove(d.rangeId(), s.nodeId(), target, starved(fleet, t))) continue;
        Placement.Choice c =
            Placement.choose(
                List.of(t),
                keep(d, s.nodeId(), fleet),
                new HashSet<>(d.replicas()),
                (long) load[2],
                Placement.Constraints.of(config, d),
                fleet.readAt(),
                n -> 0);
        if (c instanceof Placement.Chosen) {
          rangesOf.get(s.nodeId()).remove(a);
          return new Move(
              config.ids().newOpId(),
              d.rangeId(),
              d.generation(),
              s.nodeId(),
              target,
              Move.Reason.REBALANCE,
              now,
              load);
        }
      }
    }
    return null;
  }

  /**
   * The node's replicas that are not its leases, not of ranges reported hot and not already moving,
   * read once per cycle.
   */
  private List<RangeCatalog.Assignment> movable(
      ReadTransactionContext db,
      String nodeId,
      Moves moves,
      Map<String, List<RangeCatalog.Assignment>> rangesOf,
      Map<Long, RangeLoad> reported) {
    List<RangeCatalog.Assignment> list =
        rangesOf.computeIfAbsent(
            nodeId,
            id -> {
              List<RangeCatalog.Assignment> all =
                  new ArrayList<>(FdbErrors.join(catalog.rangesOfNodeAsync(db, id)));
              all.removeIf(a -> a.leaseholder() || isHot(reported.get(a.rangeId())));
              return all;
            });
    list.removeIf(a -> moves.busy(a.rangeId()));
    return List.copyOf(list);
  }

  /**
   * Holding far fewer replicas than the mean (twice the start threshold below it), as a node that
   * restarted empty does: it may take replicas back from a node it gave some to (see Settling).
   * Replica counts, not request rates: those swing with the workload.
   */
  private boolean starved(FleetView fleet, NodeRecord n) {
    return fleet.replicaDeviation(n.nodeId()) < -2 * config.rebalanceStart();
  }

  private static List<NodeRecord> keep(RangeDescriptor d, String leaving, FleetView fleet) {
    List<NodeRecord> keep = new ArrayList<>();
    for (String r : d.replicas()) {
      NodeRecord n = fleet.get(r);
      if (!r.equals(leaving) && n != null) keep.add(n);
    }
    return keep;
  }
}
