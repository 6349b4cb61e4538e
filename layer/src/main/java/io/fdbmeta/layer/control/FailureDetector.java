package io.fdbmeta.layer.control;

import com.apple.foundationdb.ReadTransactionContext;
import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.Lease;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.NodeStatus;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/*
 * Node-centric failure detection. A cycle reads only the expired prefix of the liveness index
 * (NodeRegistry.expiredAsync: entries with expiresAt + maxClockOffset < now, and those nodes'
 * records), never the nodes that are alive and never the ranges. Each expired node is marked DEAD
 * (markDead re-checks the expiry in its transaction, so a heartbeat that raced us wins) and joins
 * the pending set. For every pending dead node the cycle reads its ranges through range_by_node,
 * and for each range:
 *  - if the dead node holds the lease: once the lease is free for others (a liveness lease at
 *    once, since the node is DEAD, so all its leases end together; an older expiring lease once
 *    now > expiresAt + maxClockOffset; LeaseManager.acquire enforces it again), grant it to the
 *    LIVE replica with the latest liveness;
 *  - then replace its replica with one on a node chosen by Placement (a RECREATE move), unless a
 *    move of the range is in flight (it waits for its target's data); the lease moves regardless.
 * A node leaves the pending set when it holds no replicas, or when it registered again (LIVE at a
 * new incarnation: its replicas are back). A new controller rebuilds the pending set from the
 * DEAD liveness entries, one range_by_node probe per dead node.
 *
 * So a dead node's ranges have a live leaseholder by its liveness expiry + maxClockOffset (when
 * it is marked) or its lease expiry + maxClockOffset, whichever is later, plus one cycle and one
 * commit. keysRead counts every key a cycle read, to show it grows with expired nodes, not ranges.
 */
/** Marks expired nodes dead, moves their leases to live replicas and re-creates their replicas. */
final class FailureDetector {
  private final RangeCatalog catalog;
  private final NodeRegistry registry;
  private final ControllerConfig config;
  private final long maxOffset;
  private final TreeSet<String> pending = new TreeSet<>();

  /**
   * Ranges already reported unsatisfiable, so a stuck range does not repeat its event every cycle.
   */
  private final Set<Long> reported = new HashSet<>();

  private long keysRead;

  /** Node records read this cycle, for choosing new leaseholders. */
  private final Map<String, @Nullable NodeRecord> fresh = new HashMap<>();

  FailureDetector(RangeCatalog catalog, NodeRegistry registry, ControllerConfig config) {
    this.catalog = catalog;
    this.registry = registry;
    this.config = config;
    this.maxOffset = catalog.config().maxClockOffsetMillis();
  }

  /** Keys the last cycle read. */
  long keysRead() {
    return keysRead;
  }

  /** Rebuilds the pending set after a takeover: dead nodes that still hold replicas. */
  void recover(ReadTransactionContext db) {
    for (String nodeId : FdbErrors.join(registry.deadNodeIdsAsync(db)))
      if (FdbErrors.join(catalog.holdsReplicasAsync(db, nodeId))) pending.add(nodeId);
  }

  /** One cycle at {@code now}: see the comment at the top. */
  void cycle(
      ReadTransactionContext db,
      long now,
      FleetView fleet,
      Moves moves,
      ControllerActions actions) {
    keysRead = 0;
    fresh.clear();
    List<NodeRecord> expired =
        FdbErrors.join(registry.expiredAsync(db, now, config.maxDeadPerCycle()));
    keysRead += 2L * expired.size(); // the liveness entry and the record of each
    for (NodeRecord n : expired) {
      if (actions.markDead(n)) {
        fleet.update(n.withStatus(NodeStatus.DEAD));
        pending.add(n.nodeId());
      }
    }
    int recreations = 0;
    for (String nodeId : new ArrayList<>(pending)) {
      List<Affected> ranges = affected(db, nodeId);
      if (ranges.isEmpty()) {
        pending.remove(nodeId);
        continue;
      }
      Optional<NodeRecord> rec = registry.get(db, nodeId);
      keysRead++;
      if (rec.isEmpty()
          || (rec.get().status() != NodeStatus.DEAD && FleetView.isLive(rec.get(), now))) {
        pending.remove(nodeId); // registered again: its replicas count as live again
        rec.ifPresent(fleet::update);
        continue;
      }
      // a plan (ControllerActions.Recording) marks nodes DEAD only in the fleet view
      NodeRecord known = fleet.get(nodeId);
      NodeRecord holder =
          known != null
                  && known.status() == NodeStatus.DEAD
                  && known.incarnation() == rec.get().incarnation()
              ? known
              : rec.get();
      for (Affected a : ranges) {
        RangeDescriptor d = a.range;
        // The lease moves even while a replica move of the range waits to commit: that move may be
        // waiting for a new replica to copy its data, which it can do only from a live leaseholder.
        if (nodeId.equals(d.leaseholder())) {
          if (a.lease == null || !a.lease.isFreeForOthers(now, maxOffset, holder))
            continue; // not yet: next cycle
          String to = liveReplica(db, d, nodeId, fleet, now);
          if (to == null) {
            report(
                actions,
                d.rangeId(),
                nodeId,
                "move lease from dead " + nodeId,
                new Placement.Unsatisfiable(
                    "live-replica", "no other replica of " + d.replicas() + " is LIVE"));
            continue;
          }
          if (!actions.moveLease(d, nodeId, to)) {
            registry.get(db, to).ifPresent(fleet::update); // our picture of it was stale
            continue;
          }
          d = d.withLease(to, d.leaseEpoch() + 1);
        }
        if (moves.busy(d.rangeId()) || recreations >= config.maxRecreationsPerCycle())
          continue; // re-created after the move in flight
        if (recreate(d, nodeId, fleet, moves, actions, now)) recreations++;
      }
    }
  }

  private boolean recreate(
      RangeDescriptor d,
      String dead,
      FleetView fleet,
      Moves moves,
      ControllerActions actions,
      long now) {
    List<NodeRecord> keep = new ArrayList<>();
    for (String r : d.replicas()) {
      NodeRecord n = fleet.get(r);
      if (!r.equals(dead) && n != null) keep.add(n);
    }
    double[] load = fleet.perReplica(dead);
    Placement.Choice choice =
        Placement.choose(
            fleet.all(),
            keep,
            new HashSet<>(d.replicas()),
            (long) load[2],
            Placement.Constraints.of(config, d),
            fleet.readAt(),
            n -> fleet.score(n.nodeId()));
    if (choice instanceof Placement.Unsatisfiable u) {
      report(actions, d.rangeId(), dead, "recreate replica of dead " + dead, u);
      return false;
    }
    String target = ((Placement.Chosen) choice).target().nodeId();
    reported.remove(d.rangeId());
    Move m =
        new Move(
            config.ids().newOpId(),
            d.rangeId(),
            d.generation(),
            dead,
            target,
            Move.Reason.RECREATE,
            now,
            load);
    return moves.start(m, actions, fleet);
  }

  private void report(
      ControllerActions actions,
      long rangeId,
      String node,
      String what,
      Placement.Unsatisfiable u) {
    if (reported.add(rangeId)) actions.unsatisfiable(rangeId, node, what, u);
  }

  /**
   * The replica other than {@code dead} most likely to live through the lease: LIVE with the latest
   * liveness expiry, read now (the fleet view may be seconds old, and a replica that died since
   * would take the lease only to lose it again), then the least loaded. Null if none.
   */
  private @Nullable String liveReplica(
      ReadTransactionContext db, RangeDescriptor d, String dead, FleetView fleet, long now) {
    NodeRecord best = null;
    for (String r : d.replicas()) {
      if (r.equals(dead)) continue;
      NodeRecord n =
          fresh.computeIfAbsent(
              r,
              id -> {
                keysRead++;
                return registry.get(db, id).orElse(null);
              });
      if (n == null || !FleetView.isLive(n, now)) continue;
      if (best == null
          || n.livenessExpiresAt() > best.livenessExpiresAt()
          || (n.livenessExpiresAt() == best.livenessExpiresAt()
              && fleet.score(r) < fleet.score(best.nodeId()))) {
        best = n;
      }
    }
    return best == null ? null : best.nodeId();
  }

  private record Affected(RangeDescriptor range, @Nullable Lease lease) {}

  /**
   * The dead node's ranges with their descriptors, and leases where it is the leaseholder, in one
   * read.
   */
  private List<Affected> affected(ReadTransactionContext db, String nodeId) {
    List<RangeCatalog.Assignment> held = FdbErrors.join(catalog.rangesOfNodeAsync(db, nodeId));
    keysRead += held.size();
    if (held.isEmpty()) return List.of();
    List<Affected> out =
        FdbErrors.join(
            db.readAsync(
                tr -> {
                  List<CompletableFuture<Affected>> reads = new ArrayList<>(held.size());
                  for (RangeCatalog.Assignment a : held) {
                    CompletableFuture<@Nullable Lease> lease =
                        a.leaseholder()
                            ? catalog.leaseRecordAsync(tr, a.rangeId())
                            : CompletableFuture.completedFuture(null);
                    reads.add(
                        catalog
                            .getAsync(tr, a.rangeId())
                            .thenCombine(
                                lease, (d, l) -> d.isEmpty() ? null : new Affected(d.get(), l)));
                  }
                  return CompletableFuture.allOf(reads.toArray(new CompletableFuture<?>[0]))
                      .thenApply(
                          x -> {
                            List<Affected> list = new ArrayList<>(reads.size());
                            for (CompletableFuture<Affected> f : reads)
                              if (f.join() != null) list.add(f.join());
                            return list;
                          });
                }));
    for (RangeCatalog.Assignment a : held)
      keysRead += a.leaseholder() ? 3 : 2; // range_by_id, range, lease
    return out;
  }
}
