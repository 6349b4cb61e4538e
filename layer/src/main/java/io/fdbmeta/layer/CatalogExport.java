package io.fdbmeta.layer;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.KeySelector;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.Range;
import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.tuple.ByteArrayUtil;
import com.apple.foundationdb.tuple.Versionstamp;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/*
 * Exports every record of a cluster as of ONE read version, without one long transaction (a
 * million ranges do not read in FoundationDB's 5 s).
 *
 * The records fall in two groups.
 *  - The big ones, ranges (the range index) and their leases, are read in pages, each page its own
 *    transaction at a later read version. Every change of a descriptor goes through RouteWriter,
 *    which appends the range's id to the changelog in the same commit (UPSERT with the new
 *    descriptor, or REMOVE). A lease record changes with its descriptor (a grant, transfer or
 *    release changes the descriptor's holder or epoch and goes through RouteWriter), except where
 *    a renewal rewrites only the lease (LeaseRules.renew): an expiring lease (written by older
 *    binaries) gets a later expiry, and a lease recorded without its holder's incarnation gets
 *    it. Those are few, and are re-read in the final transaction (renewalRewrites).
 *  - The small ones, nodes (rewritten by every heartbeat), config, ops, schema_version, are read
 *    in the final transaction.
 *
 * The argument. Before the pages, read the changelog head C0 (the newer of the newest entry and the
 * floor). Read the pages. Then, in the final transaction F (read version Vf), read the changelog
 * after the cursor, re-read in F every range id it names and every range whose lease a renewal may
 * rewrite, and read the small families. A range id that appears in no changelog entry after C0 was
 * not changed by any commit after C0, so its descriptor and its (liveness) lease are what its page
 * read and what they are at Vf; every other id is re-read in F (present: its record at Vf; absent:
 * gone at Vf). So the ranges and leases written are exactly those at Vf, and so are the small
 * families, read in F: the whole dump is the state at read version Vf, which its header names.
 *
 * That is the "a page set is consistent if no routing change committed between its first
 * and last read, else the changed ranges are re-read": with no change after C0, F re-reads nothing
 * but the small families. If more than MAX_FINAL_CHANGES entries follow the cursor (a busy
 * cluster, or a slow export), the ids they name are re-read first in pages outside F, the cursor
 * advances past them, and F is tried again; ids changed again later appear again later. If the
 * trimmer moved the floor past the cursor, changes may be lost: the export starts over, at most
 * MAX_ATTEMPTS times. The result is checked to tile the keyspace before it is returned.
 *
 * An incomplete import (ImportMarker) or a migration under way (MigrationProgress not ended) is
 * refused: such a cluster mixes states. Ended migrations' records are history and not exported.
 */
/** Reads a whole cluster's metadata as of one read version, in pages; see the header comment. */
public final class CatalogExport {
  /** Ranges (and, separately, leases) per page transaction. */
  public static final int DEFAULT_PAGE = 5_000;

  static final int MAX_FINAL_CHANGES = 10_000;
  static final int MAX_ROUNDS = 50;
  static final int MAX_ATTEMPTS = 3;

  private final Keyspace ks;
  private final RouteWriter routes;
  private final int pageSize;

  public CatalogExport(Keyspace ks) {
    this(ks, DEFAULT_PAGE);
  }

  /**
   * @throws IllegalArgumentException if {@code pageSize} is not in [1, 100000]
   */
  public CatalogExport(Keyspace ks, int pageSize) {
    if (pageSize < 1 || pageSize > 100_000)
      throw new IllegalArgumentException("page size must be in [1, 100000], got " + pageSize);
    this.ks = ks;
    this.routes = new RouteWriter(ks);
    this.pageSize = pageSize;
  }

  /**
   * Reads the dump, blocking; each transaction stays well under 5 s. Phases reported: "count",
   * "ranges", "leases", "catch-up".
   *
   * @throws MetaException NOT_ALLOWED if an import into the cluster is incomplete; CONFLICTING_
   *     OPERATION (retryable) if the changelog kept being trimmed past the export's start or kept
   *     changing faster than it could be caught up; NOT_BOOTSTRAPPED if the cluster has no ranges;
   *     CORRUPT_RECORD for a record that does not decode, or ranges that do not tile
   */
  public MetaDump export(Database db, Progress progress) {
    for (int attempt = 1; ; attempt++) {
      MetaDump dump = attempt(db, progress);
      if (dump != null) return dump;
      if (attempt >= MAX_ATTEMPTS)
        throw MetaException.of(
            MetaException.Code.CONFLICTING_OPERATION,
            "the changelog was trimmed past the export's start "
                + attempt
                + " times; raise changelog retention or export when the cluster is quieter",
            true,
            null);
    }
  }

  /** One attempt; null if the changelog was trimmed past its start. */
  private @Nullable MetaDump attempt(Database db, Progress progress) {
    progress.phase("count", -1);
    long total = FdbErrors.join(new ClusterStats(ks).countAsync(db, ks.rangeIndex()));
    progress.at(total);
    Versionstamp cursor = FdbErrors.join(db.readAsync(tr -> Versionstamps.headAsync(tr, ks)));
    List<RangeDescriptor> rows = readRanges(db, progress, total);
    if (rows.isEmpty())
      throw MetaException.of(
          MetaException.Code.NOT_BOOTSTRAPPED, "cluster '" + ks.cluster() + "' has no ranges");
    Map<Long, Lease> leases = readLeases(db, progress, rows.size());
    Map<Long, @Nullable Current> patched = new HashMap<>();
    progress.phase("catch-up", -1);
    for (int round = 1; round <= MAX_ROUNDS; round++) {
      Versionstamp from = cursor;
      Final f = FdbErrors.join(db.readAsync(tr -> finalRead(tr, from, leases, patched)));
      if (f.trimmed) return null;
      if (f.dump != null) return assemble(rows, leases, patched, f);
      // too many changes for one transaction: re-read their ids page by page, then try again
      List<Long> ids = new ArrayList<>(f.changedIds);
      for (int i = 0; i < ids.size(); i += pageSize) {
        List<Long> page = ids.subList(i, Math.min(ids.size(), i + pageSize));
        Map<Long, @Nullable Current> read = FdbErrors.join(db.readAsync(tr -> reread(tr, page)));
        patched.putAll(read);
      }
      cursor = f.cursor;
      progress.at(round);
    }
    throw MetaException.of(
        MetaException.Code.CONFLICTING_OPERATION,
        "the catalog kept changing faster than the export could catch up ("
            + MAX_ROUNDS
            + " rounds of "
            + MAX_FINAL_CHANGES
            + "+ changes)",
        true,
        null);
  }

  /** A range's descriptor and lease as re-read; absent from a map value = the range is gone. */
  private record Current(RangeDescriptor descriptor, @Nullable Lease lease) {}

  /**
   * What the final transaction found: {@code dump} (without ranges) if it is final; else the ids to
   * re-read first and the cursor after them; {@code trimmed} if the floor passed the cursor.
   */
  private record Final(
      @Nullable Tail dump, Set<Long> changedIds, Versionstamp cursor, boolean trimmed) {}

  /** The final transaction's reads: everything but the ranges that did not change. */
  private record Tail(
      long readVersion,
      byte @Nullable [] schema,
      List<MetaDump.Setting> config,
      List<NodeRecord> nodes,
      List<OpRecord> ops,
      Map<Long, @Nullable Current> reread) {}

  // ---------------------------------------------------------------- reads

  private List<RangeDescriptor> readRanges(Database db, Progress progress, long total) {
    progress.phase("ranges", total);
    List<RangeDescriptor> rows = new ArrayList<>((int) Math.min(total + 1024, Integer.MAX_VALUE));
    scan(
        db,
        ks.rangeIndex(),
        kv -> rows.add(RangeDescriptor.decode(kv.getValue())),
        () -> progress.at(rows.size()));
    return rows;
  }

  private Map<Long, Lease> readLeases(Database db, Progress progress, long total) {
    progress.phase("leases", total);
    Map<Long, Lease> leases = new HashMap<>((int) Math.min(total * 2 + 16, 1 << 30));
    scan(
        db,
        ks.leases(),
        kv -> leases.put(ks.rangeIdOfLeaseKey(kv.getKey()), Lease.decode(kv.getValue())),
        () -> progress.at(leases.size()));
    return leases;
  }

  /** Reads {@code range} in pages, one transaction each, handing every row to {@code row}. */
  private void scan(
      Database db, Range range, java.util.function.Consumer<KeyValue> row, Runnable afterPage) {
    KeySelector end = KeySelector.firstGreaterOrEqual(range.end);
    KeySelector begin = KeySelector.firstGreaterOrEqual(range.begin);
    while (true) {
      KeySelector from = begin;
      List<KeyValue> page =
          FdbErrors.join(db.readAsync(tr -> tr.getRange(from, end, pageSize).asList()));
      for (KeyValue kv : page) row.accept(kv);
      afterPage.run();
      if (page.size() < pageSize) return;
      begin = KeySelector.firstGreaterThan(page.get(page.size() - 1).getKey());
    }
  }

  /** The descriptors and leases of {@code ids} in {@code tr}. */
  private CompletableFuture<Map<Long, @Nullable Current>> reread(
      ReadTransaction tr, Iterable<Long> ids) {
    Map<Long, CompletableFuture<@Nullable Current>> reads = new HashMap<>();
    for (long id : ids) {
      reads.put(
          id,
          routes
              .read(tr, id)
              .thenCombine(
                  tr.get(ks.leaseKey(id)),
                  (d, l) -> d == null ? null : new Current(d, l == null ? null : Lease.decode(l))));
    }
    return CompletableFuture.allOf(reads.values().toArray(CompletableFuture[]::new))
        .thenApply(
            x -> {
              Map<Long, @Nullable Current> out = new HashMap<>();
              reads.forEach((id, f) -> out.put(id, f.join()));
              return out;
            });
  }

  private CompletableFuture<Final> finalRead(
      ReadTransaction tr,
      Versionstamp cursor,
      Map<Long, Lease> leases,
      Map<Long, @Nullable Current> patched) {
    KeySelector after =
        KeySelector.firstGreaterThan(Versionstamps.key(ks.changelogSubspace(), cursor));
    KeySelector end = KeySelector.firstGreaterOrEqual(ks.changelogRange().end);
    CompletableFuture<List<KeyValue>> log = tr.getRange(after, end, MAX_FINAL_CHANGES + 1).asList();
    CompletableFuture<byte @Nullable []> floor = tr.get(ks.changelogFloorKey());
    CompletableFuture<byte @Nullable []> marker = tr.get(ks.importMarkerKey());
    CompletableFuture<List<KeyValue>> migrations = tr.getRange(ks.migrations()).asList();
    return CompletableFuture.allOf(log, floor, marker, migrations)
        .thenCompose(
            x -> {
              for (KeyValue kv : migrations.join()) {
                MigrationProgress p = MigrationProgress.decode(kv.getValue());
                if (!p.ended())
                  throw MetaException.of(
                      MetaException.Code.NOT_ALLOWED,
                      "cluster '"
                          + ks.cluster()
                          + "' is in the middle of migration "
                          + p.id()
                          + ": finish or abort it (fdbmeta migrate) before exporting");
              }
              byte[] m = marker.join();
              if (m != null) {
                throw MetaException.of(
                    MetaException.Code.NOT_ALLOWED,
                    "cluster '"
                        + ks.cluster()
                        + "' holds an incomplete import of "
                        + ImportMarker.decode(m).source()
                        + ": finish it (run the import again) before exporting");
              }
              List<KeyValue> entries = log.join();
              if (Versionstamps.decodePosition(floor.join()).compareTo(cursor) > 0)
                return CompletableFuture.completedFuture(new Final(null, Set.of(), cursor, true));
              Set<Long> changed = new HashSet<>();
              Versionstamp last = cursor;
              for (KeyValue kv : entries) {
                ChangeEvent e = ChangeEvent.decode(kv.getValue());
                changed.add(
                    e.kind() == ChangeEvent.Kind.UPSERT
                        ? e.descriptor().rangeId()
                        : e.removedRangeId());
                last = Versionstamps.position(ks.changelogSubspace(), kv.getKey());
              }
              if (entries.size() > MAX_FINAL_CHANGES)
                return CompletableFuture.completedFuture(new Final(null, changed, last, false));
              // leases a renewal may rewrite without a changelog entry: re-read them here too
              for (Map.Entry<Long, Lease> e : leases.entrySet())
                if (renewalRewrites(e.getValue())) changed.add(e.getKey());
              for (Map.Entry<Long, @Nullable Current> e : patched.entrySet()) {
                Current c = e.getValue();
                if (c != null && c.lease() != null && renewalRewrites(c.lease()))
                  changed.add(e.getKey());
              }
              return tail(tr, changed).thenApply(t -> new Final(t, changed, cursor, false));
            });
  }

  /**
   * True if renewing {@code lease} rewrites its record (LeaseRules.renew): an expiring lease (older
   * binaries) gets a later expiry, a lease recorded without the holder's incarnation gets it. A
   * liveness lease with an incarnation changes only with its descriptor.
   */
  static boolean renewalRewrites(Lease lease) {
    return !lease.ridesOnLiveness() || lease.holderIncarnation() == 0;
  }

  private CompletableFuture<Tail> tail(ReadTransaction tr, Set<Long> changed) {
    CompletableFuture<Long> version = tr.getReadVersion();
    CompletableFuture<byte @Nullable []> schema = tr.get(ks.schemaVersionKey());
    CompletableFuture<List<KeyValue>> config = tr.getRange(ks.configRange()).asList();
    CompletableFuture<List<KeyValue>> nodes = tr.getRange(ks.nodes()).asList();
    CompletableFuture<List<KeyValue>> ops = tr.getRange(ks.opsRange()).asList();
    CompletableFuture<Map<Long, @Nullable Current>> reread = reread(tr, changed);
    return CompletableFuture.allOf(version, schema, config, nodes, ops, reread)
        .thenApply(
            x -> {
              List<MetaDump.Setting> settings = new ArrayList<>();
              for (KeyValue kv : config.join())
                settings.add(
                    new MetaDump.Setting(
                        ks.configSubspace().unpack(kv.getKey()).getString(0), kv.getValue()));
              List<NodeRecord> nodeList = new ArrayList<>();
              for (KeyValue kv : nodes.join()) nodeList.add(NodeRecord.decode(kv.getValue()));
              List<OpRecord> opList = new ArrayList<>();
              for (KeyValue kv : ops.join()) opList.add(OpRecord.decode(kv.getValue()));
              return new Tail(
                  version.join(), schema.join(), settings, nodeList, opList, reread.join());
            });
  }

  // ---------------------------------------------------------------- assembly

  private MetaDump assemble(
      List<RangeDescriptor> rows,
      Map<Long, Lease> leases,
      Map<Long, @Nullable Current> patched,
      Final f) {
    Tail t = f.dump;
    Map<Long, @Nullable Current> changes = new HashMap<>(patched);
    changes.putAll(t.reread());
    List<CatalogImport.RestoredRange> ranges = new ArrayList<>(rows.size() + changes.size());
    for (RangeDescriptor d : rows) {
      if (changes.containsKey(d.rangeId())) continue;
      ranges.add(new CatalogImport.RestoredRange(d, leases.get(d.rangeId())));
    }
    if (!changes.isEmpty()) {
      for (Current c : changes.values())
        if (c != null) ranges.add(new CatalogImport.RestoredRange(c.descriptor(), c.lease()));
      ranges.sort(BY_END);
    }
    checkTiling(ranges);
    return new MetaDump(
        ks.cluster(), t.readVersion(), t.schema(), t.config(), t.nodes(), t.ops(), ranges);
  }

  private static final Comparator<CatalogImport.RestoredRange> BY_END =
      (a, b) -> {
        byte[] x = a.descriptor().rawEndKey();
        byte[] y = b.descriptor().rawEndKey();
        if (x == null || y == null) return x == y ? 0 : x == null ? 1 : -1;
        return ByteArrayUtil.compareUnsigned(x, y);
      };

  private void checkTiling(List<CatalogImport.RestoredRange> ranges) {
    byte[] next = new byte[0];
    for (CatalogImport.RestoredRange r : ranges) {
      RangeDescriptor d = r.descriptor();
      if (next == null || !java.util.Arrays.equals(d.startKey(), next))
        throw MetaException.forRange(
            MetaException.Code.CORRUPT_RECORD,
            d.rangeId(),
            "the exported ranges do not tile the keyspace at "
                + (next == null ? "the end" : ByteArrayUtil.printable(next))
                + "; the catalog of '"
                + ks.cluster()
                + "' is inconsistent");
      next = d.endKey();
    }
    if (next != null)
      throw MetaException.of(
          MetaException.Code.CORRUPT_RECORD,
          "the exported ranges stop at " + ByteArrayUtil.printable(next));
  }
}
