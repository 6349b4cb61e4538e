package io.fdbmeta.storage;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.tuple.ByteArrayUtil;
import io.fdbmeta.layer.Ids;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.LeaseGuard;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/*
 * A split run by the range's leaseholder, in two phases, while it keeps serving the parent:
 *  1. prepareSplit records the op (at the generation this node serves, so a concurrent change
 *     of the range aborts it) and the children's ids.
 *  2. The node prepares both halves: a replica and lease guard for each, holding the parent's
 *     lease (a split keeps the holder and epoch). Data stays where it is: all ranges share one map.
 *  3. commitSplit replaces the parent by the children in one transaction. The node then installs
 *     the prepared children at once, without waiting for the change feed.
 * Requests for the parent that arrive after step 3 are refused with WRONG_RANGE and the child's
 * descriptor, which routers apply before retrying; requests already past the header check finish
 * under the parent (their replication is re-addressed to the children). The other replicas learn
 * the split from the change feed; a REPLICATE for a child they do not know yet makes them catch up.
 */
/** Splits ranges this node leads. */
final class RangeSplitter {
  private final String me;
  private final Database db;
  private final RangeCatalog catalog;
  private final ReplicaSet replicas;
  private final LayerConfig config;

  RangeSplitter(
      String me, Database db, RangeCatalog catalog, ReplicaSet replicas, LayerConfig config) {
    this.me = me;
    this.db = db;
    this.catalog = catalog;
    this.replicas = replicas;
    this.config = config;
  }

  /** See {@link StorageNode#splitAsync}. */
  CompletableFuture<RangeCatalog.SplitResult> split(long rangeId, byte[] splitKey) {
    Replica r = replicas.byId(rangeId);
    if (r == null || r.removed())
      return CompletableFuture.failedFuture(
          new IllegalStateException("range " + rangeId + " has no replica on node " + me));
    if (!r.isServing()) {
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
    RangeDescriptor d = r.descriptor();
    if (!d.isInterior(splitKey)) {
      return CompletableFuture.failedFuture(
          new IllegalArgumentException(
              "split key " + ByteArrayUtil.printable(splitKey) + " is not strictly inside " + d));
    }
    if (!r.busy.compareAndSet(false, true))
      return CompletableFuture.failedFuture(
          new IllegalStateException(
              "range " + rangeId + " is already splitting or handing over its lease"));
    String opId = Ids.newOpId();
    long leftId = Ids.newRangeId();
    long rightId = Ids.newRangeId();
    CompletableFuture<RangeCatalog.SplitResult> done;
    try {
      done =
          catalog
              .prepareSplitAsync(db, opId, rangeId, splitKey, d.generation(), leftId, rightId)
              .thenCompose(
                  plan -> {
                    Replica left =
                        prepare(plan.parent(), leftId, plan.parent().startKey(), splitKey, r);
                    Replica right =
                        prepare(plan.parent(), rightId, splitKey, plan.parent().endKey(), r);
                    return catalog
                        .commitSplitAsync(db, opId)
                        .thenApply(
                            result -> {
                              replicas.installSplit(r, result, left, right);
                              return result;
                            });
                  });
    } catch (RuntimeException e) {
      done = CompletableFuture.failedFuture(e);
    }
    return done.whenComplete((x, e) -> r.busy.set(false));
  }

  /** A child's replica as phase 2 will create it, guarded by the parent's lease. */
  private Replica prepare(
      RangeDescriptor parent, long id, byte[] start, byte @Nullable [] end, Replica from) {
    RangeDescriptor child = parent.splitChild(id, start, end);
    return new Replica(
        me,
        child,
        LeaseGuard.forRange(me, child, from.lease(), config, replicas.liveness()),
        from.synced());
  }
}
