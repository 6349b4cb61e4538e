package io.fdbmeta.layer;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.ReadTransactionContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/*
 * Imports a range table read by RangeTable into a cluster whose catalog is fresh (only the root
 * range init creates, or none) and whose nodes are registered.
 *
 * check() reads the cluster's node records and adds a problem for every replica that is not one;
 * the caller writes nothing unless RangeTable and check() found no problem at all. import then runs
 * like a dump's (ImportMarker, then CatalogImport chunk by chunk, then the marker cleared), with two
 * choices of its own:
 *  - Range ids are drawn from a generator seeded with the file's SHA-256, not at random, so the
 *    same file gets the same ids: an import killed midway and run again skips the chunks that
 *    committed (CatalogImport finds their first range) and finishes.
 *  - Each range with a leaseholder gets a lease that rides on that node's liveness at its current
 *    incarnation, epoch 1: the holder serves while it heartbeats, as after any lease grant.
 */
/** Imports a checked {@link RangeTable} into a fresh catalog; see the header comment. */
public final class RangeTableImport {
  private final RangeCatalog catalog;
  private final Keyspace ks;
  private final int chunk;

  public RangeTableImport(RangeCatalog catalog) {
    this(catalog, CatalogImport.DEFAULT_CHUNK);
  }

  RangeTableImport(RangeCatalog catalog, int chunk) {
    this.catalog = catalog;
    this.ks = catalog.keyspace();
    this.chunk = chunk;
  }

  /** Problems with the rows' nodes: every replica must be a registered node of the cluster. */
  public List<ImportProblem> check(ReadTransactionContext db, List<RangeTable.Row> rows) {
    return RangeTable.checkNodes(rows, nodes(db).keySet());
  }

  private Map<String, NodeRecord> nodes(ReadTransactionContext db) {
    Map<String, NodeRecord> out = new HashMap<>();
    for (KeyValue kv : FdbErrors.join(db.readAsync(tr -> tr.getRange(ks.nodes()).asList()))) {
      NodeRecord n = NodeRecord.decode(kv.getValue());
      out.put(n.nodeId(), n);
    }
    return out;
  }

  /**
   * Imports {@code table}, which must have no problems (its own and {@link #check}'s), blocking.
   * Phase reported: "ranges".
   *
   * @return true if this finished an interrupted import of the same file
   * @throws IllegalArgumentException if the table has problems
   * @throws MetaException NOT_ALLOWED if the catalog is not fresh or another import is incomplete;
   *     the store's error if a transaction fails (what committed stays, under the marker)
   */
  public boolean importTable(
      Database db, RangeTable.Parsed table, String source, Progress progress) {
    if (!table.problems().isEmpty() || table.rows().isEmpty())
      throw new IllegalArgumentException("the range table has problems; nothing to import");
    List<RangeTable.Row> rows = table.rows();
    Map<String, NodeRecord> nodes = nodes(db);
    List<CatalogImport.ImportedRange> ranges = new ArrayList<>(rows.size());
    SplittableRandom ids = new SplittableRandom(seed(table.sha256()));
    Set<Long> used = new HashSet<>();
    for (RangeTable.Row r : rows) {
      long id;
      do {
        id = ids.nextLong(1001, 1L << 52);
      } while (!used.add(id));
      String holder = r.leaseholder();
      NodeRecord hn = holder == null ? null : nodes.get(holder);
      if (holder != null && hn == null)
        throw MetaException.forNode(
            MetaException.Code.UNKNOWN_NODE, holder, "leaseholder is not a registered node");
      ranges.add(
          new CatalogImport.ImportedRange(
              id,
              r.end(),
              r.replicas(),
              holder,
              Lease.RIDES_ON_LIVENESS,
              hn == null ? 0 : hn.incarnation()));
    }
    ImportMarker marker =
        new ImportMarker(
            "range-table", source, table.sha256(), rows.size(), catalog.config().now());
    boolean resumed =
        FdbErrors.join(
            ImportMarker.beginAsync(db, catalog, marker, ImportMarker.Target.NODES_ONLY));
    CatalogImport importer = new CatalogImport(catalog);
    progress.phase("ranges", ranges.size());
    for (int i = 0; i < ranges.size(); i += chunk) {
      List<CatalogImport.ImportedRange> c = ranges.subList(i, Math.min(ranges.size(), i + chunk));
      FdbErrors.join(importer.importChunkAsync(db, c));
      progress.at(i + c.size());
    }
    FdbErrors.join(
        ImportMarker.finishAsync(
            db, ks, table.sha256(), ranges.get(ranges.size() - 1).rangeId(), null, false));
    return resumed;
  }

  private static long seed(String sha256) {
    byte[] b = HexFormat.of().parseHex(sha256);
    long s = 0;
    for (int i = 0; i < 8; i++) s = (s << 8) | (b[i] & 0xff);
    return s;
  }
}
