package io.fdbmeta.layer;

import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.ReadTransactionContext;
import com.apple.foundationdb.TransactionContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/*
 * Per-range load reports, the input of load-based splits and merges. Only leaseholders report, and
 * only for ranges outside the normal band, so the subspace holds the few hot and cold ranges, not
 * one entry per range: the planner scans all of it each cycle at a cost proportional to what it
 * may act on. A leaseholder clears its report when the range is back inside the band; a split or
 * merge clears the reports of the ranges it replaces in the same transaction.
 */
/** Reads and writes {@link RangeLoad} reports. */
public final class RangeLoads {
  private final Keyspace ks;

  public RangeLoads(Keyspace ks) {
    this.ks = ks;
  }

  /** Stores or replaces the report of {@code load.rangeId()}. */
  public CompletableFuture<Void> reportAsync(TransactionContext db, RangeLoad load) {
    return db.runAsync(
        tr -> {
          tr.set(ks.rangeLoadKey(load.rangeId()), load.encode());
          return CompletableFuture.completedFuture(null);
        });
  }

  /** Removes a range's report (it is back inside the normal band, or gone). */
  public CompletableFuture<Void> clearAsync(TransactionContext db, long rangeId) {
    return db.runAsync(
        tr -> {
          tr.clear(ks.rangeLoadKey(rangeId));
          return CompletableFuture.completedFuture(null);
        });
  }

  /** Every report, in range id order, in one read. */
  public CompletableFuture<List<RangeLoad>> listAsync(ReadTransactionContext db) {
    return db.readAsync(
        tr ->
            tr.getRange(ks.rangeLoads())
                .asList()
                .thenApply(
                    rows -> {
                      List<RangeLoad> out = new ArrayList<>(rows.size());
                      for (KeyValue kv : rows) out.add(RangeLoad.decode(kv.getValue()));
                      return out;
                    }));
  }
}
