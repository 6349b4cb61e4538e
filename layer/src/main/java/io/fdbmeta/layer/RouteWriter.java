package io.fdbmeta.layer;

import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.tuple.Tuple;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * Writes routing state inside a caller's transaction so that every change of a descriptor updates
 * its indexes ({@code range}, {@code range_by_id}, {@code range_by_node}), appends a delta to the
 * changelog and bumps {@code meta_version}, all in the same commit. Every catalog and lease change
 * goes through here, which is what lets a follower trust the changelog to be complete.
 */
final class RouteWriter {
  static final String ROLE_LEASEHOLDER = "LEASEHOLDER";
  static final String ROLE_REPLICA = "REPLICA";

  private final Keyspace ks;
  /** Changelog entries written so far by each transaction: their user versions must differ. */
  private final Map<Transaction, Integer> entriesByTransaction = Collections.synchronizedMap(new WeakHashMap<>());

  RouteWriter(Keyspace ks) {
    this.ks = ks;
  }

  /** Reads a descriptor by id in {@code tr}, or null if no such range exists. */
  CompletableFuture<@Nullable RangeDescriptor> read(Transaction tr, long rangeId) {
    return tr.get(ks.rangeByIdKey(rangeId)).thenCompose(endValue -> {
      if (endValue == null) return CompletableFuture.completedFuture(null);
      Object end = Tuple.fromBytes(endValue).get(0);
      return tr.get(ks.rangeKey(Keyspace.endKeyOf(end))).thenApply(v -> v == null ? null : RangeDescriptor.decode(v));
    });
  }

  /** Stores {@code next}, replacing {@code previous} (null for a new range), and logs the change. */
  void put(Transaction tr, @Nullable RangeDescriptor previous, RangeDescriptor next) {
    if (previous != null && previous.rangeId() != next.rangeId()) {
      throw new IllegalArgumentException("put replaces a range by itself; use remove for range " + previous.rangeId());
    }
    if (previous != null && !java.util.Arrays.equals(previous.endKey(), next.endKey())) {
      tr.clear(ks.rangeKey(previous.endKey()));
    }
    tr.set(ks.rangeKey(next.endKey()), next.encode());
    tr.set(ks.rangeByIdKey(next.rangeId()), Tuple.from(Keyspace.endElement(next.endKey())).pack());
    Set<String> stale = new HashSet<>(previous == null ? Set.of() : previous.replicas());
    stale.removeAll(next.replicas());
    for (String node : stale) tr.clear(ks.rangeByNodeKey(node, next.rangeId()));
    for (String node : next.replicas()) {
      String role = node.equals(next.leaseholder()) ? ROLE_LEASEHOLDER : ROLE_REPLICA;
      tr.set(ks.rangeByNodeKey(node, next.rangeId()), Tuple.from(role).pack());
    }
    log(tr, ChangeEvent.upsert(next));
  }

  /**
   * Deletes a range's records. Its key in the range index is cleared only if {@code keepRangeKey}
   * is false; a split overwrites the parent's end key with the right child in the same commit.
   */
  void remove(Transaction tr, RangeDescriptor gone, boolean keepRangeKey) {
    if (!keepRangeKey) tr.clear(ks.rangeKey(gone.endKey()));
    tr.clear(ks.rangeByIdKey(gone.rangeId()));
    tr.clear(ks.leaseKey(gone.rangeId()));
    for (String node : gone.replicas()) tr.clear(ks.rangeByNodeKey(node, gone.rangeId()));
    log(tr, ChangeEvent.remove(gone.rangeId(), gone.endKey()));
  }

  private void log(Transaction tr, ChangeEvent event) {
    int userVersion = entriesByTransaction.merge(tr, 1, Integer::sum) - 1;
    if (userVersion > 0xffff) {
      throw MetaException.of(MetaException.Code.INVALID_ARGUMENT, "more than 65536 routing changes in one transaction");
    }
    Versionstamps.setVersionstampedKey(tr, ks.changelogSubspace(), userVersion, event.encode());
    Versionstamps.setVersionstampValue(tr, ks.metaVersionKey());
  }
}
