package io.fdbmeta.storage;

import com.apple.foundationdb.Database;
import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.Lease;
import io.fdbmeta.layer.LeaseManager;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.NodeStatus;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BiPredicate;

/*
 * Giving a lease away without a gap in safety and without losing a write:
 *  1. stop accepting writes for the range (they get OVERLOADED and are retried by the router);
 *  2. wait until the writes already accepted are replicated (or failed): since replication is
 *     synchronous, every acknowledged write is then on the new holder;
 *  3. revoke the guard, so this node serves nothing more under the old epoch;
 *  4. LeaseManager.transfer, which the new holder may act on at once: it starts serving when it
 *     learns the new epoch from the change feed (or a router's request makes it catch up), after
 *     acquiring the lease record made for it.
 * If the transfer fails after the revoke, this node releases and acquires the lease again (a new
 * epoch, since a revoke is sticky) and keeps serving. close() uses steps 1 to 3 and a release.
 *
 * A node stopping gives up everything it leads, tens of thousands of leases perhaps: one by one
 * that is a transaction and a drain poll each, at about 50 a second more than a stop deadline
 * allows. So transferEach and releaseEach take BATCH leases per transaction
 * (LeaseManager.transferEachAsync, releaseEachAsync), transferEach with IN_FLIGHT batches at once:
 * a range stops serving only while its own batch drains and commits.
 */
/** Lease transfer and release with handover of in-flight writes. */
final class LeaseHandover {
  private static final System.Logger LOG = System.getLogger(LeaseHandover.class.getName());

  /** Leases per transaction when a node hands over or releases many at once. */
  static final int BATCH = 200;

  /** Batches in flight at once: one reads while another commits. */
  static final int IN_FLIGHT = 2;

  private final String me;
  private final Database db;
  private final LeaseManager leases;
  private final NodeRegistry registry;
  private final ReplicaSet replicas;
  private final ScheduledExecutorService timer;
  private final long drainMillis;

  LeaseHandover(
      String me,
      Database db,
      LeaseManager leases,
      NodeRegistry registry,
      ReplicaSet replicas,
      ScheduledExecutorService timer,
      long drainMillis) {
    this.me = me;
    this.db = db;
    this.leases = leases;
    this.registry = registry;
    this.replicas = replicas;
    this.timer = timer;
    this.drainMillis = drainMillis;
  }

  /** See {@link StorageNode#transferLeaseAsync}. */
  CompletableFuture<Lease> transfer(long rangeId, String toNode) {
    Replica r = replicas.byId(rangeId);
    if (r == null || r.removed())
      return CompletableFuture.failedFuture(
          new IllegalStateException("range " + rangeId + " has no replica on node " + me));
    Lease held = r.lease();
    if (!r.isServing() || held == null) {
      return CompletableFuture.failedFuture(
          new IllegalStateException(
              "node "
                  + me
                  + " does not serve range "
                  + rangeId
                  + " now (leaseholder: "
                  + r.descriptor().leaseholder()
                  + ")"));
    }
    if (toNode.equals(me) || !r.descriptor().replicas().contains(toNode)) {
      return CompletableFuture.failedFuture(
          new IllegalArgumentException(
              toNode
                  + " is not another replica of range "
                  + rangeId
                  + " (replicas "
                  + r.descriptor().replicas()
                  + ")"));
    }
    if (!r.busy.compareAndSet(false, true))
      return CompletableFuture.failedFuture(
          new IllegalStateException(
              "range " + rangeId + " is already splitting or handing over its lease"));
    CompletableFuture<Lease> done =
        registry
            .getAsync(db, toNode)
            .thenCompose(
                rec -> {
                  if (rec.isEmpty() || rec.get().status() != NodeStatus.LIVE) {
                    throw new IllegalStateException(
                        "node "
                            + toNode
                            + " is "
                            + rec.map(NodeRecord::status).map(Enum::name).orElse("not registered")
                            + "; leases go to LIVE replicas");
                  }
                  return quiesce(r);
                })
            .thenCompose(
                drained -> {
                  if (!drained)
                    throw new IllegalStateException(
                        "writes of range "
                            + rangeId
                            + " did not finish within "
                            + drainMillis
                            + " ms; lease kept");
                  r.revoke();
                  return leases
                      .transferAsync(db, rangeId, me, held.epoch(), toNode)
                      .handle(
                          (l, e) -> {
                            if (e == null) {
                              r.leaseChanged(l);
                              return CompletableFuture.completedFuture(l);
                            }
                            return recover(r, held.epoch())
                                .<Lease>thenCompose(
                                    x -> CompletableFuture.failedFuture(FdbErrors.cause(e)));
                          })
                      .thenCompose(f -> f);
                });
    return done.whenComplete(
        (l, e) -> {
          r.blockWrites(false);
          r.busy.set(false);
        });
  }

  /**
   * Hands each range's lease to the replica named, {@link #BATCH} per transaction. A range this
   * node does not serve, that is splitting or handing over, whose target is not a LIVE replica or
   * whose writes do not drain in time is left out and keeps serving; one the store refuses is taken
   * back at a new epoch, as {@link #transfer} does.
   *
   * @return the leases handed over, by range id; fails only if the node's timer is gone
   */
  CompletableFuture<Map<Long, Lease>> transferEach(Map<Long, String> toNodes) {
    Map<Long, Lease> moved = new ConcurrentHashMap<>();
    List<List<Map.Entry<Long, String>>> batches = batches(List.copyOf(toNodes.entrySet()));
    List<CompletableFuture<Void>> chains = new ArrayList<>();
    for (int c = 0; c < IN_FLIGHT; c++) {
      CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
      for (int i = c; i < batches.size(); i += IN_FLIGHT) {
        List<Map.Entry<Long, String>> batch = batches.get(i);
        chain = chain.thenCompose(x -> transferBatch(batch).thenAccept(moved::putAll));
      }
      chains.add(chain);
    }
    return CompletableFuture.allOf(chains.toArray(CompletableFuture[]::new)).thenApply(x -> moved);
  }

  private CompletableFuture<Map<Long, Lease>> transferBatch(List<Map.Entry<Long, String>> batch) {
    Map<Replica, LeaseManager.Transfer> picked = new LinkedHashMap<>();
    for (Map.Entry<Long, String> e : batch) {
      Replica r = replicas.byId(e.getKey());
      Lease held = r == null ? null : r.lease();
      String to = e.getValue();
      if (r == null || held == null || !r.isServing() || to.equals(me)) continue;
      if (!r.descriptor().replicas().contains(to) || !r.busy.compareAndSet(false, true)) continue;
      picked.put(r, new LeaseManager.Transfer(r.rangeId, held.epoch(), to));
    }
    if (picked.isEmpty()) return CompletableFuture.completedFuture(Map.of());
    return liveNodes(picked.values())
        .thenCompose(
            live -> {
              leaveOut(picked, (r, t) -> !live.contains(t.toNode()));
              return quiesce(picked.keySet());
            })
        .thenCompose(
            drained -> {
              leaveOut(picked, (r, t) -> !drained.contains(r));
              if (picked.isEmpty()) return CompletableFuture.completedFuture(Map.of());
              picked.keySet().forEach(Replica::revoke);
              return leases
                  .transferEachAsync(db, me, picked.values())
                  .exceptionally(e -> Map.of()) // every one is taken back below
                  .thenCompose(done -> settle(picked, done));
            })
        .whenComplete((done, e) -> picked.keySet().forEach(LeaseHandover::idle));
  }

  /** Applies a batch's outcome: a lease handed over is the target's, any other is taken back. */
  private CompletableFuture<Map<Long, Lease>> settle(
      Map<Replica, LeaseManager.Transfer> picked, Map<Long, Lease> done) {
    List<CompletableFuture<Void>> recovered = new ArrayList<>();
    picked.forEach(
        (r, t) -> {
          Lease l = done.get(r.rangeId);
          if (l != null) r.leaseChanged(l);
          else recovered.add(recover(r, t.fromEpoch()));
        });
    return CompletableFuture.allOf(recovered.toArray(CompletableFuture[]::new))
        .thenApply(x -> done);
  }

  /** The nodes among the targets whose record is LIVE: leases go to LIVE replicas only. */
  private CompletableFuture<Set<String>> liveNodes(Collection<LeaseManager.Transfer> transfers) {
    Map<String, CompletableFuture<Boolean>> live = new HashMap<>();
    for (LeaseManager.Transfer t : transfers) {
      live.computeIfAbsent(
          t.toNode(),
          n ->
              registry
                  .getAsync(db, n)
                  .thenApply(rec -> rec.isPresent() && rec.get().status() == NodeStatus.LIVE)
                  .exceptionally(e -> false));
    }
    return CompletableFuture.allOf(live.values().toArray(CompletableFuture[]::new))
        .thenApply(
            x -> {
              Set<String> up = new HashSet<>();
              live.forEach(
                  (n, isLive) -> {
                    if (isLive.join()) up.add(n);
                  });
              return up;
            });
  }

  /**
   * Stops serving each of {@code rs} and gives up its lease so other replicas can take it at once,
   * {@link #BATCH} per transaction: what close() does with whatever the node still leads.
   *
   * @return completes when every batch was tried; a batch the store fails is logged and skipped
   *     (its leases then end with this node's liveness)
   */
  CompletableFuture<Void> releaseEach(Collection<Replica> rs) {
    CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
    for (List<Replica> batch : batches(List.copyOf(rs))) {
      chain =
          chain.thenCompose(
              x ->
                  quiesce(batch)
                      .thenCompose(
                          drained -> {
                            Map<Long, Long> epochs = new HashMap<>();
                            for (Replica r : batch) {
                              Lease held = r.lease();
                              r.revoke();
                              if (held != null) epochs.put(r.rangeId, held.epoch());
                            }
                            return leases.releaseEachAsync(db, me, epochs);
                          })
                      .exceptionally(
                          e -> {
                            LOG.log(
                                System.Logger.Level.WARNING,
                                "node "
                                    + me
                                    + " could not release "
                                    + batch.size()
                                    + " leases: "
                                    + Async.describe(e));
                            return null;
                          }));
    }
    return chain;
  }

  /**
   * Blocks new writes of {@code r} and waits for those in flight; true if they finished in time.
   */
  private CompletableFuture<Boolean> quiesce(Replica r) {
    return quiesce(List.of(r)).thenApply(drained -> !drained.isEmpty());
  }

  /**
   * Blocks new writes of each of {@code rs} and waits, up to the drain timeout, for those in
   * flight.
   *
   * @return the replicas whose writes all finished
   */
  private CompletableFuture<Set<Replica>> quiesce(Collection<Replica> rs) {
    rs.forEach(r -> r.blockWrites(true));
    return Async.until(timer, () -> rs.stream().allMatch(r -> r.writesInFlight() == 0), drainMillis)
        .thenApply(
            x -> {
              Set<Replica> drained = new HashSet<>();
              for (Replica r : rs) if (r.writesInFlight() == 0) drained.add(r);
              return drained;
            });
  }

  /** Removes the replicas {@code out} picks from a batch, free to serve and work again. */
  private static void leaveOut(
      Map<Replica, LeaseManager.Transfer> picked, BiPredicate<Replica, LeaseManager.Transfer> out) {
    picked
        .entrySet()
        .removeIf(
            e -> {
              if (!out.test(e.getKey(), e.getValue())) return false;
              idle(e.getKey());
              return true;
            });
  }

  /** Lets a replica take writes and other lease work again. */
  private static void idle(Replica r) {
    r.blockWrites(false);
    r.busy.set(false);
  }

  private static <T> List<List<T>> batches(List<T> all) {
    List<List<T>> out = new ArrayList<>();
    for (int i = 0; i < all.size(); i += BATCH)
      out.add(all.subList(i, Math.min(all.size(), i + BATCH)));
    return out;
  }

  /** After a failed transfer: the revoked epoch cannot serve again, so take a new one. */
  private CompletableFuture<Void> recover(Replica r, long heldEpoch) {
    return leases
        .releaseAsync(db, r.rangeId, me, heldEpoch)
        .thenCompose(x -> leases.acquireAsync(db, r.rangeId, me))
        .handle(
            (l, e) -> {
              if (e == null) r.leaseChanged(l);
              return null;
            });
  }
}
