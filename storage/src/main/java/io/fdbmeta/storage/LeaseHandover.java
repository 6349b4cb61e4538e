package io.fdbmeta.storage;

import com.apple.foundationdb.Database;
import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.Lease;
import io.fdbmeta.layer.LeaseManager;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.NodeStatus;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;

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
 */
/** Lease transfer and release with handover of in-flight writes. */
final class LeaseHandover {
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
                            return recover(r, held)
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
   * Blocks new writes of {@code r} and waits for those in flight; true if they finished in time.
   */
  CompletableFuture<Boolean> quiesce(Replica r) {
    r.blockWrites(true);
    return Async.until(timer, () -> r.writesInFlight() == 0, drainMillis);
  }

  /** Stops serving {@code r} and gives up its lease so another replica can take it at once. */
  CompletableFuture<Void> release(Replica r) {
    Lease held = r.lease();
    r.revoke();
    if (held == null) return CompletableFuture.completedFuture(null);
    return leases.releaseAsync(db, r.rangeId, me, held.epoch());
  }

  /** After a failed transfer: the revoked epoch cannot serve again, so take a new one. */
  private CompletableFuture<Void> recover(Replica r, Lease held) {
    return leases
        .releaseAsync(db, r.rangeId, me, held.epoch())
        .thenCompose(x -> leases.acquireAsync(db, r.rangeId, me))
        .handle(
            (l, e) -> {
              if (e == null) r.leaseChanged(l);
              return null;
            });
  }
}
