package io.fdbmeta.layer;

import com.apple.foundationdb.ReadTransactionContext;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.TransactionContext;
import com.apple.foundationdb.tuple.Tuple;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/*
 * The one owner of the import marker ("import",): written by the first transaction of an import
 * (fdbmeta import), in the same commit that checked the cluster was empty, and cleared by its last
 * one, in the commit that writes schema_version. So a cluster an import was killed in (kill -9, a
 * lost connection) keeps the marker: `fdbmeta status` reports it, an export refuses it, and another
 * import of a different file refuses it. Running the same import again (same file: same SHA-256)
 * resumes it: every step after the first is idempotent (CatalogImport skips chunks already
 * committed; nodes, config and ops are plain sets).
 *
 * Until the last step the catalog still tiles (CatalogImport's rest range covers what is not
 * imported yet) but the rest range has no replicas, so a router would answer for those keys with
 * errors: the marker is what says "not complete", and nothing should be pointed at the cluster
 * before status shows no import.
 */
/** An import under way or interrupted, as recorded under {@code ("import",)}. */
public record ImportMarker(String kind, String source, String sha256, long ranges, long startedAt) {
  static final int FORMAT = 1;

  /** What a cluster must hold, besides the marker, for an import to start. */
  public enum Target {
    /** A dump: no nodes, no ops, no config, no ranges but the fresh root range (or none). */
    EMPTY,
    /** A range table: nodes (the replicas it names) may exist; otherwise as EMPTY. */
    NODES_ONLY
  }

  public byte[] encode() {
    return Tuple.from(FORMAT, kind, source, sha256, ranges, startedAt).pack();
  }

  public static ImportMarker decode(byte[] value) {
    String what = "import marker";
    Tuple t = Records.unpack(value, what, FORMAT);
    return new ImportMarker(
        Records.field(t, 1, String.class, what),
        Records.field(t, 2, String.class, what),
        Records.field(t, 3, String.class, what),
        Records.field(t, 4, Long.class, what),
        Records.field(t, 5, Long.class, what));
  }

  /** The marker of {@code ks}'s cluster, or null when no import is under way. */
  public static CompletableFuture<@Nullable ImportMarker> getAsync(
      ReadTransactionContext db, Keyspace ks) {
    return db.readAsync(
        tr -> tr.get(ks.importMarkerKey()).thenApply(v -> v == null ? null : decode(v)));
  }

  public static @Nullable ImportMarker get(ReadTransactionContext db, Keyspace ks) {
    return FdbErrors.join(getAsync(db, ks));
  }

  /**
   * Starts (or resumes) the import {@code marker} describes: in one transaction, checks the cluster
   * is as {@code target} requires, creates the root range if the catalog has none, and writes the
   * marker.
   *
   * @return true if this resumes an interrupted import of the same file
   * @throws MetaException (through the future) NOT_ALLOWED naming what the cluster holds if it is
   *     not empty, or if an import of another file is incomplete
   */
  static CompletableFuture<Boolean> beginAsync(
      TransactionContext db, RangeCatalog catalog, ImportMarker marker, Target target) {
    Keyspace ks = catalog.keyspace();
    return db.runAsync(
        tr ->
            tr.get(ks.importMarkerKey())
                .thenCompose(
                    existing -> {
                      if (existing != null) {
                        ImportMarker m = decode(existing);
                        if (m.sha256().equals(marker.sha256()))
                          return CompletableFuture.completedFuture(true);
                        throw MetaException.of(
                            MetaException.Code.NOT_ALLOWED,
                            "cluster '"
                                + ks.cluster()
                                + "' holds an incomplete import of "
                                + m.source()
                                + " (sha256 "
                                + m.sha256()
                                + "): run that import again to finish it");
                      }
                      return checkEmpty(tr, ks, target)
                          .thenCompose(v -> catalog.initAsync(tr))
                          .thenApply(
                              b -> {
                                tr.set(ks.importMarkerKey(), marker.encode());
                                return false;
                              });
                    }));
  }

  private static CompletableFuture<Void> checkEmpty(Transaction tr, Keyspace ks, Target target) {
    var ranges = tr.getRange(ks.rangeIndex(), 2).asList();
    var nodes = tr.getRange(ks.nodes(), 1).asList();
    var ops = tr.getRange(ks.opsRange(), 1).asList();
    var config = tr.getRange(ks.configRange(), 1).asList();
    return CompletableFuture.allOf(ranges, nodes, ops, config)
        .thenApply(
            x -> {
              StringBuilder held = new StringBuilder();
              var r = ranges.join();
              boolean freshRoot =
                  r.isEmpty()
                      || (r.size() == 1 && fresh(RangeDescriptor.decode(r.get(0).getValue())));
              if (!freshRoot) held.append(" ranges besides the fresh root range;");
              if (target == Target.EMPTY && !nodes.join().isEmpty()) held.append(" nodes;");
              if (!ops.join().isEmpty()) held.append(" op records;");
              if (!config.join().isEmpty()) held.append(" config;");
              if (held.length() > 0) {
                throw MetaException.of(
                    MetaException.Code.NOT_ALLOWED,
                    "cluster '"
                        + ks.cluster()
                        + "' is not empty (it holds"
                        + held.substring(0, held.length() - 1)
                        + "): import only into a new cluster (another --cluster name or store)");
              }
              return null;
            });
  }

  private static boolean fresh(RangeDescriptor d) {
    return d.rangeId() == Ids.ROOT_RANGE_ID
        && d.endKey() == null
        && d.replicas().isEmpty()
        && d.leaseholder() == null;
  }

  /**
   * The import's last step: checks the marker is still this import's and the catalog's last range
   * is {@code lastRangeId} (so no rest range is left), if {@code setSchema} writes {@code
   * schemaVersion} (clears it if null), and clears the marker, in one transaction. Safe to retry.
   *
   * @throws MetaException (through the future) CONFLICTING_OPERATION if the marker changed or the
   *     ranges are not all imported
   */
  static CompletableFuture<Void> finishAsync(
      TransactionContext db,
      Keyspace ks,
      String sha256,
      long lastRangeId,
      byte @Nullable [] schemaVersion,
      boolean setSchema) {
    return db.runAsync(
        tr ->
            tr.get(ks.importMarkerKey())
                .thenCombine(
                    tr.get(ks.rangeKey(null)),
                    (m, last) -> {
                      if (m == null) return null; // a retry of a finish that committed
                      if (!decode(m).sha256().equals(sha256))
                        throw MetaException.of(
                            MetaException.Code.CONFLICTING_OPERATION,
                            "the import marker changed under this import");
                      long lastId = last == null ? -1 : RangeDescriptor.decode(last).rangeId();
                      if (lastId != lastRangeId)
                        throw MetaException.of(
                            MetaException.Code.CONFLICTING_OPERATION,
                            "the import's ranges are not all written (last range is "
                                + lastId
                                + ", expected "
                                + lastRangeId
                                + ")");
                      if (setSchema && schemaVersion != null)
                        tr.set(ks.schemaVersionKey(), schemaVersion);
                      else if (setSchema) tr.clear(ks.schemaVersionKey()); // as the source: exact
                      tr.clear(ks.importMarkerKey());
                      return null;
                    }));
  }
}
