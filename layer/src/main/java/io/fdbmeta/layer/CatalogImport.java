package io.fdbmeta.layer;

import com.apple.foundationdb.TransactionContext;
import com.apple.foundationdb.tuple.ByteArrayUtil;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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
 * the import and leaves no rest. Every range goes through RouteWriter like any other change, so
 * indexes and the changelog stay complete (trim the changelog afterwards: ChangelogTrimmer).
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
   * Imports one chunk after the ranges imported so far (the first chunk starts at the empty key).
   *
   * @throws MetaException (through the future) NOT_ALLOWED if the rest range is missing or has
   *     replicas or a lease (the catalog is not fresh), INVALID_ARGUMENT if the chunk's end keys do
   *     not increase from the rest's start
   */
  public CompletableFuture<Void> importChunkAsync(
      TransactionContext db, List<ImportedRange> chunk) {
    if (chunk.isEmpty()) throw new IllegalArgumentException("empty chunk");
    return db.runAsync(
        tr ->
            tr.get(ks.rangeByIdKey(chunk.get(0).rangeId()))
                .thenCompose(
                    done -> {
                      if (done != null)
                        return CompletableFuture.completedFuture(
                            null); // a retry of a chunk that committed
                      return catalog
                          .writer()
                          .read(tr, Ids.ROOT_RANGE_ID)
                          .thenCombine(
                              tr.get(ks.leaseKey(Ids.ROOT_RANGE_ID)),
                              (rest, lease) -> {
                                if (rest == null
                                    || !rest.replicas().isEmpty()
                                    || lease != null
                                    || rest.endKey() != null) {
                                  throw MetaException.forRange(
                                      MetaException.Code.NOT_ALLOWED,
                                      Ids.ROOT_RANGE_ID,
                                      "import needs a fresh catalog: the last range must be range 1 with no replicas and no lease, found "
                                          + rest);
                                }
                                try (RouteWriter.Changes changes = catalog.writer().changes(tr)) {
                                  changes.remove(rest, true);
                                  byte[] start = rest.startKey();
                                  for (ImportedRange r : chunk) {
                                    byte[] end = r.endKey();
                                    if (end != null
                                        && ByteArrayUtil.compareUnsigned(start, end) >= 0) {
                                      throw MetaException.forRange(
                                          MetaException.Code.INVALID_ARGUMENT,
                                          r.rangeId(),
                                          "imported end keys must increase");
                                    }
                                    long epoch = r.leaseholder() == null ? 0 : 1;
                                    RangeDescriptor d =
                                        new RangeDescriptor(
                                            r.rangeId(),
                                            start,
                                            end,
                                            1,
                                            r.replicas(),
                                            r.leaseholder(),
                                            epoch);
                                    changes.put(null, d);
                                    if (r.leaseholder() != null)
                                      tr.set(
                                          ks.leaseKey(r.rangeId()),
                                          new Lease(
                                                  r.leaseholder(),
                                                  epoch,
                                                  r.leaseExpiresAt(),
                                                  r.holderIncarnation())
                                              .encode());
                                    if (end == null) return null;
                                    start = end;
                                  }
                                  changes.put(
                                      null,
                                      new RangeDescriptor(
                                          Ids.ROOT_RANGE_ID,
                                          start,
                                          null,
                                          rest.generation() + 1,
                                          List.of(),
                                          null,
                                          0));
                                  return null;
                                }
                              });
                    }));
  }
}
