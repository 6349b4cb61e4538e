package io.fdbmeta.layer;

import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.tuple.Tuple;
import java.util.Arrays;
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
 * goes through here, which is what lets a follower trust the changelog to be complete. It also
 * clears the {@link ReplicaSyncMarks} of replicas a change removes, so the marks stay as many as
 * the replicas.
 *
 * <p>Changes are written through a {@link Changes} opened by one call of a layer operation inside
 * its transaction body, and closed when the call has written them all; closing sets {@code
 * meta_version} once for all of them. A split of one range into 5,001 writes 5,002 changelog
 * entries but one {@code meta_version} mutation. The scope is the call, not the transaction: one
 * transaction attempt may hold several calls (LocalCluster adds replicas and a lease in one), and
 * each call's writes must be followed by its own bump.
 *
 * <p>The user versions that order a commit's changelog entries must differ across all calls of one
 * attempt, so that count belongs to the attempt, and the Transaction object is the only thing its
 * calls share: both backends hand each attempt a new object (onError returns one), so a retried
 * body starts again from 0. It is held weakly and nothing else is keyed on the object (STYLE.md
 * 19); state that must outlive an attempt (ids, op records) stays outside the body.
 */
final class RouteWriter {
  static final String ROLE_LEASEHOLDER = "LEASEHOLDER";
  static final String ROLE_REPLICA = "REPLICA";

  private final Keyspace ks;

  /** Changelog entries written so far by each transaction attempt: their user versions differ. */
  private final Map<Transaction, Integer> entriesByTransaction =
      Collections.synchronizedMap(new WeakHashMap<>());

  RouteWriter(Keyspace ks) {
    this.ks = ks;
  }

  /** Reads a descriptor by id in {@code tr}, or null if no such range exists. */
  CompletableFuture<@Nullable RangeDescriptor> read(ReadTransaction tr, long rangeId) {
    return tr.get(ks.rangeByIdKey(rangeId))
        .thenCompose(
            endValue -> {
              if (endValue == null) return CompletableFuture.completedFuture(null);
              Object end = Tuple.fromBytes(endValue).get(0);
              return tr.get(ks.rangeKey(Keyspace.endKeyOf(end)))
                  .thenApply(v -> v == null ? null : RangeDescriptor.decode(v));
            });
  }

  /**
   * Opens the routing changes of one call in {@code tr}; close it (try-with-resources) after the
   * last one.
   */
  Changes changes(Transaction tr) {
    return new Changes(tr, false);
  }

  /**
   * Changes of a bulk load (an import into an empty cluster), which cost a fraction of a million
   * single changes: the index writes take no write conflict range each (the caller adds ranges
   * covering them, {@link #addBulkConflictRanges}), and nothing is logged per range. Instead the
   * commit advances {@code changelog_floor} past itself, as a trim of its entries would: a follower
   * behind it reloads the table, which a catalog loaded in bulk needs anyway.
   */
  Changes bulkChanges(Transaction tr) {
    return new Changes(tr, true);
  }

  /** Write conflict ranges over every index a bulk {@link Changes} writes without its own. */
  void addBulkConflictRanges(Transaction tr) {
    for (com.apple.foundationdb.Range r :
        java.util.List.of(
            ks.rangeIndex(), ks.rangeByIdIndex(), ks.rangeByNodeSubspace().range(), ks.leases()))
      tr.addWriteConflictRange(r.begin, r.end);
  }

  /**
   * The routing changes of one call in one transaction attempt; see the class comment. Not
   * thread-safe.
   */
  final class Changes implements AutoCloseable {
    private final Transaction tr;
    private final boolean bulk;
    private boolean logged;

    private Changes(Transaction tr, boolean bulk) {
      this.tr = tr;
      this.bulk = bulk;
    }

    private void set(byte[] key, byte[] value) {
      if (bulk) tr.options().setNextWriteNoWriteConflictRange();
      tr.set(key, value);
    }

    /**
     * Stores {@code next}, replacing {@code previous} (null for a new range), and logs the change.
     */
    Changes put(@Nullable RangeDescriptor previous, RangeDescriptor next) {
      if (previous != null && previous.rangeId() != next.rangeId()) {
        throw new IllegalArgumentException(
            "put replaces a range by itself; use remove for range " + previous.rangeId());
      }
      if (previous != null && !Arrays.equals(previous.endKey(), next.endKey())) {
        tr.clear(ks.rangeKey(previous.endKey()));
      }
      byte[] encoded = next.encode();
      set(ks.rangeKey(next.endKey()), encoded);
      set(ks.rangeByIdKey(next.rangeId()), Tuple.from(Keyspace.endElement(next.endKey())).pack());
      Set<String> stale = new HashSet<>(previous == null ? Set.of() : previous.replicas());
      stale.removeAll(next.replicas());
      for (String node : stale) {
        tr.clear(ks.rangeByNodeKey(node, next.rangeId()));
        tr.clear(ks.replicaSyncedKey(next.rangeId(), node));
      }
      for (String node : next.replicas()) {
        String role = node.equals(next.leaseholder()) ? ROLE_LEASEHOLDER : ROLE_REPLICA;
        set(ks.rangeByNodeKey(node, next.rangeId()), Tuple.from(role).pack());
      }
      return log(ChangeEvent.encodeUpsert(encoded));
    }

    /**
     * Deletes a range's records. Its key in the range index is cleared only if {@code keepRangeKey}
     * is false; a split overwrites the parent's end key with the right child in the same commit.
     */
    Changes remove(RangeDescriptor gone, boolean keepRangeKey) {
      if (!keepRangeKey) tr.clear(ks.rangeKey(gone.endKey()));
      tr.clear(ks.rangeByIdKey(gone.rangeId()));
      tr.clear(ks.leaseKey(gone.rangeId()));
      for (String node : gone.replicas()) tr.clear(ks.rangeByNodeKey(node, gone.rangeId()));
      tr.clear(ks.replicaSyncedOf(gone.rangeId()));
      return log(ChangeEvent.remove(gone.rangeId(), gone.endKey()).encode());
    }

    /** Sets a lease record as part of these changes (a bulk load's take no conflict range). */
    Changes setLease(long rangeId, Lease lease) {
      set(ks.leaseKey(rangeId), lease.encode());
      return this;
    }

    private Changes log(byte[] event) {
      logged = true;
      if (bulk) return this; // close() advances the floor instead
      int userVersion = entriesByTransaction.merge(tr, 1, Integer::sum) - 1;
      if (userVersion > 0xffff) {
        throw MetaException.of(
            MetaException.Code.INVALID_ARGUMENT,
            "more than 65536 routing changes in one transaction");
      }
      Versionstamps.setVersionstampedKey(tr, ks.changelogSubspace(), userVersion, event);
      return this;
    }

    /**
     * Sets meta_version to this commit's versionstamp, once, if anything was logged (for bulk
     * changes, also the changelog floor past this commit).
     */
    @Override
    public void close() {
      if (!logged) return;
      Versionstamps.setVersionstampValue(tr, ks.metaVersionKey());
      if (bulk) Versionstamps.setPositionOfCommit(tr, ks.changelogFloorKey());
    }
  }
}
