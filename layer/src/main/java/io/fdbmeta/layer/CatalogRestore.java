package io.fdbmeta.layer;

import com.apple.foundationdb.Database;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/*
 * Loads a dump (MetaDump, already read and checked whole) into an empty cluster, so that an export
 * of the result equals the dump record for record.
 *
 * Steps, each its own transaction(s):
 *  1. ImportMarker.begin: the cluster must be empty (no ranges but a fresh root range, no nodes,
 *     ops or config); the root range is created if missing; the marker is written. If the marker
 *     of this same file is there already, this is a resumed import and the check is skipped.
 *  2. Nodes (with their liveness entries, NodeRegistry.restore), config and ops, in batches: plain
 *     sets, idempotent.
 *  3. Ranges and leases through CatalogImport.restoreChunkAsync, chunk by chunk: the catalog keeps
 *     tiling (a rest range covers what is still to come), every descriptor goes through
 *     RouteWriter (indexes, changelog, meta_version), and a chunk already committed is skipped, so
 *     a resumed import continues where the killed one stopped.
 *  4. ImportMarker.finish: checks the last range is the dump's, writes schema_version, clears the
 *     marker.
 *
 * A kill at any point leaves the marker (see ImportMarker): status shows it, export refuses, and
 * the same import run again finishes the job.
 */
/** Imports a {@link MetaDump} into an empty cluster; see the header comment. */
public final class CatalogRestore {
  /** Nodes, config entries or ops per transaction. */
  static final int RECORD_BATCH = 1_000;

  private final RangeCatalog catalog;
  private final Keyspace ks;
  private final int chunk;

  public CatalogRestore(RangeCatalog catalog) {
    this(catalog, CatalogImport.DEFAULT_CHUNK);
  }

  CatalogRestore(RangeCatalog catalog, int chunk) {
    this.catalog = catalog;
    this.ks = catalog.keyspace();
    this.chunk = chunk;
  }

  /**
   * Imports {@code dump}, whose file had checksum {@code sha256} and is named {@code source} (for
   * the marker and messages), blocking. Phases reported: "nodes, config, ops", "ranges".
   *
   * @return true if this finished an interrupted import of the same file
   * @throws MetaException NOT_ALLOWED if the cluster is not empty or holds another import; the
   *     store's error if a transaction fails (what committed stays, under the marker: run again)
   */
  public boolean restore(Database db, MetaDump dump, String sha256, String source, Progress p) {
    List<CatalogImport.RestoredRange> ranges = dump.ranges();
    if (ranges.isEmpty()) throw new IllegalArgumentException("the dump has no ranges");
    ImportMarker marker =
        new ImportMarker("dump", source, sha256, ranges.size(), catalog.config().now());
    boolean resumed =
        FdbErrors.join(ImportMarker.beginAsync(db, catalog, marker, ImportMarker.Target.EMPTY));
    NodeRegistry registry = new NodeRegistry(ks, catalog.config());
    List<NodeRecord> nodes = dump.nodes();
    long small = nodes.size() + dump.config().size() + dump.ops().size();
    p.phase("nodes, config, ops", small);
    for (int i = 0; i < nodes.size(); i += RECORD_BATCH) {
      List<NodeRecord> batch = nodes.subList(i, Math.min(nodes.size(), i + RECORD_BATCH));
      FdbErrors.join(
          db.runAsync(
              tr -> {
                List<CompletableFuture<byte @Nullable []>> old = new ArrayList<>();
                for (NodeRecord n : batch) old.add(tr.get(ks.nodeKey(n.nodeId())));
                return CompletableFuture.allOf(old.toArray(CompletableFuture[]::new))
                    .thenApply(
                        x -> {
                          for (int j = 0; j < batch.size(); j++) {
                            byte[] prev = old.get(j).join();
                            registry.restore(
                                tr, batch.get(j), prev == null ? null : NodeRecord.decode(prev));
                          }
                          return null;
                        });
              }));
      p.at(i + batch.size());
    }
    List<MetaDump.Setting> config = dump.config();
    for (int i = 0; i < config.size(); i += RECORD_BATCH) {
      List<MetaDump.Setting> batch = config.subList(i, Math.min(config.size(), i + RECORD_BATCH));
      db.run(
          tr -> {
            for (MetaDump.Setting s : batch) tr.set(ks.configKey(s.name()), s.value());
            return null;
          });
    }
    List<OpRecord> ops = dump.ops();
    for (int i = 0; i < ops.size(); i += RECORD_BATCH) {
      List<OpRecord> batch = ops.subList(i, Math.min(ops.size(), i + RECORD_BATCH));
      db.run(
          tr -> {
            for (OpRecord o : batch) catalog.ops().put(tr, o);
            return null;
          });
    }
    p.at(small);

    boolean hasRoot = ranges.stream().anyMatch(r -> r.descriptor().rangeId() == Ids.ROOT_RANGE_ID);
    long restId = hasRoot ? CatalogImport.RESERVED_REST_RANGE_ID : Ids.ROOT_RANGE_ID;
    CatalogImport importer = new CatalogImport(catalog);
    p.phase("ranges", ranges.size());
    for (int i = 0; i < ranges.size(); i += chunk) {
      List<CatalogImport.RestoredRange> c = ranges.subList(i, Math.min(ranges.size(), i + chunk));
      FdbErrors.join(importer.restoreChunkAsync(db, c, restId));
      p.at(i + c.size());
    }
    FdbErrors.join(
        ImportMarker.finishAsync(
            db,
            ks,
            sha256,
            ranges.get(ranges.size() - 1).descriptor().rangeId(),
            dump.schemaVersion(),
            true));
    return resumed;
  }
}
