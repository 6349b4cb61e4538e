package io.fdbmeta.layer;

import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.TransactionContext;
import com.apple.foundationdb.tuple.ByteArrayUtil;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;

/*
 * Bulk import of a whole catalog with replicas and leases into a fresh cluster, for simulations,
 * benchmarks and migrations from another system: a million ranges in a few hundred transactions
 * instead of a split, a replica add and a lease grant per range.
 *
 * The catalog keeps tiling the keyspace between transactions: the root range (id 1, no replicas,
 * no lease, as init leaves it) is the "rest" of the keyspace still to import. Each chunk removes
 * the rest, writes its ranges from the rest's start, and writes a new rest (id 1 again) from the
 * chunk's last end to the end of the keyspace; the chunk whose last range has no end key finishes
 * the import and leaves no rest. Every range goes through RouteWriter's bulk changes: the indexes
 * and meta_version are kept as by any other change, but instead of a changelog entry per range
 * each chunk advances changelog_floor past itself, so a follower reloads the table (a million
 * entries would only be read once and trimmed; skipping them is a seventh of the keys written).
 *
 * Retried after commit_unknown_result, a chunk finds its first range already present and does
 * nothing. Nodes named as replicas are not checked per range (that would read every node per
 * range); the caller registers them first and chooses a valid placement.
 */
/** Imports ranges with replicas and leases into a fresh catalog, in chunks. */
public final class CatalogImport {
  /** Ranges per transaction that stay well inside FoundationDB's 10 MB and 5 s limits. */
  public static final int DEFAULT_CHUNK = 4_000;

  private final RangeCatalog catalog;
  private final Keyspace ks;

  public CatalogImport(RangeCatalog catalog) {
    this.catalog = catalog;
    this.ks = catalog.keyspace();
  }

  /**
   * One range to import; {@code endKey} null for the last range. A null leaseholder means no lease.
   */
  public record ImportedRange(
      long rangeId,
      byte @Nullable [] endKey,
      List<String> replicas,
      @Nullable String leaseholder,
      long leaseExpiresAt,
      long holderIncarnation) {
    public ImportedRange {
      if (rangeId == Ids.ROOT_RANGE_ID)
        throw new IllegalArgumentException(
            "range id " + Ids.ROOT_RANGE_ID + " is the import's rest range");
      replicas = List.copyOf(replicas);
      if (leaseholder != null && !replicas.contains(leaseholder))
        throw new IllegalArgumentException(
            "leaseholder " + leaseholder + " is not a replica of range " + rangeId);
    }
  }

  /**
   * One range restored exactly as another cluster held it (an export, {@link MetaDump}): its
   * descriptor and its lease record, if it has one.
   */
  public record RestoredRange(RangeDescriptor descriptor, @Nullable Lease lease) {}

  /**
   * Imports one chunk after the ranges imported so far (the first chunk starts at the empty key).
   *
   * @throws MetaException (through the future) NOT_ALLOWED if the rest range is missing or has
   *     replicas or a lease (the catalog is not fresh), INVALID_ARGUMENT if the chunk's end keys do
   *     not increase from the rest's start
   */
  public CompletableFuture<Void> importChunkAsync(
      TransactionContext db, List<ImportedRange> chunk) {
    if (chunk.isEmpty()) throw new IllegalArgumentException("empty chunk");
    return importAsync(db, chunk.size(), i -> restored(chunk.get(i)), Ids.ROOT_RANGE_ID, false);
  }

  /**
   * Imports one chunk of exact descriptors and lease records (generation, lease epoch and lease
   * fields as given) after the ranges imported so far. The rest range takes id {@code restId}:
   * {@link Ids#ROOT_RANGE_ID}, or {@link #RESERVED_REST_RANGE_ID} when the imported ranges include
   * the root id. Each descriptor must start where the previous one ended.
   *
   * @throws MetaException (through the future) as {@link #importChunkAsync}, and INVALID_ARGUMENT
   *     if a descriptor does not start where the one before ended
   */
  public CompletableFuture<Void> restoreChunkAsync(
      TransactionContext db, List<RestoredRange> chunk, long restId) {
    if (chunk.isEmpty()) throw new IllegalArgumentException("empty chunk");
    if (restId != Ids.ROOT_RANGE_ID && restId != RESERVED_REST_RANGE_ID)
      throw new IllegalArgumentException("rest range id must be 1 or 2, got " + restId);
    return importAsync(db, chunk.size(), chunk::get, restId, true);
  }

  /**
   * A reserved id (ids 2..1000 are never assigned) for the rest range of an import whose ranges
   * include the root range's id.
   */
  public static final long RESERVED_REST_RANGE_ID = 2;

  private static RestoredRange restored(ImportedRange r) {
    long epoch = r.leaseholder() == null ? 0 : 1;
    // bounds are checked against the running start in the transaction; a placeholder start here
    return new RestoredRange(
        new RangeDescriptor(
            r.rangeId(), new byte[0], r.endKey(), 1, r.replicas(), r.leaseholder(), epoch),
        r.leaseholder() == null
            ? null
            : new Lease(r.leaseholder(), epoch, r.leaseExpiresAt(), r.holderIncarnation()));
  }

  private CompletableFuture<Void> importAsync(
      TransactionContext db,
      int size,
      IntFunction<RestoredRange> chunk,
      long restId,
      boolean exactStarts) {
    RestoredRange first = chunk.apply(0);
    return db.runAsync(
        tr ->
            catalog
                .writer()
                .read(tr, first.descriptor().rangeId())
                .thenCompose(
                    done -> {
                      if (done != null && (!exactStarts || sameRecord(done, first.descriptor())))
                        return CompletableFuture.completedFuture(
                            null); // a retry of a chunk that committed
                      return tr.get(ks.rangeKey(null))
                          .thenCompose(
                              restValue -> {
                                RangeDescriptor rest =
                                    restValue == null ? null : RangeDescriptor.decode(restValue);
                                return tr.get(
                                        ks.leaseKey(
                                            rest == null ? Ids.ROOT_RANGE_ID : rest.rangeId()))
                                    .thenApply(
                                        lease -> {
                                          write(tr, rest, lease, size, chunk, restId, exactStarts);
                                          return null;
                                        });
                              });
                    }));
  }

  private static boolean sameRecord(RangeDescriptor a, RangeDescriptor b) {
    return Arrays.equals(a.encode(), b.encode());
  }

  private void write(
      Transaction tr,
      @Nullable RangeDescriptor rest,
      byte @Nullable [] restLease,
      int size,
      IntFunction<RestoredRange> chunk,
      long restId,
      boolean exactStarts) {
    if (rest == null
        || (rest.rangeId() != Ids.ROOT_RANGE_ID && rest.rangeId() != RESERVED_REST_RANGE_ID)
        || !rest.replicas().isEmpty()
        || restLease != null) {
      throw MetaException.forRange(
          MetaException.Code.NOT_ALLOWED,
          Ids.ROOT_RANGE_ID,
          "import needs a fresh catalog: the last range must be range 1 with no replicas and no lease, found "
              + rest);
    }
    catalog.writer().addBulkConflictRanges(tr);
    try (RouteWriter.Changes changes = catalog.writer().bulkChanges(tr)) {
      changes.remove(rest, true);
      byte[] start = rest.startKey();
      for (int i = 0; i < size; i++) {
        RestoredRange r = chunk.apply(i);
        RangeDescriptor d = r.descriptor();
        byte[] end = d.endKey();
        if (end != null && ByteArrayUtil.compareUnsigned(start, end) >= 0) {
          throw MetaException.forRange(
              MetaException.Code.INVALID_ARGUMENT, d.rangeId(), "imported end keys must increase");
        }
        if (exactStarts) {
          if (!Arrays.equals(d.startKey(), start))
            throw MetaException.forRange(
                MetaException.Code.INVALID_ARGUMENT,
                d.rangeId(),
                "range does not start where the range before it ended");
        } else {
          d = d.withBounds(d.rangeId(), start, end, d.generation());
        }
        changes.put(null, d);
        if (r.lease() != null) changes.setLease(d.rangeId(), r.lease());
        if (end == null) return;
        start = end;
      }
      changes.put(
          null,
          new RangeDescriptor(restId, start, null, rest.generation() + 1, List.of(), null, 0));
    }
  }
}
