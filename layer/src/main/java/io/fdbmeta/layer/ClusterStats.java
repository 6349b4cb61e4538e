package io.fdbmeta.layer;

import com.apple.foundationdb.KeySelector;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.Range;
import com.apple.foundationdb.ReadTransactionContext;
import com.apple.foundationdb.tuple.Tuple;
import com.apple.foundationdb.tuple.Versionstamp;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/*
 * A one-screen summary of a cluster's metadata for operators (fdbmeta status): how many ranges,
 * how many nodes in each status, the current meta_version, and how much changelog is retained.
 *
 * Counting reads every key of an index, so it runs in pages of PAGE keys, each page its own read
 * (with a Database: its own transaction, so no page comes near the 5 s limit). The counts are
 * therefore not one snapshot: a split that commits between pages may be counted once or twice.
 * That is fine for a summary; routing never uses these numbers.
 */
public final class ClusterStats {
  static final int PAGE = 10_000;

  private final Keyspace ks;

  public ClusterStats(Keyspace ks) {
    this.ks = ks;
  }

  /**
   * The summary. {@code metaVersion} is null before the first routing change; {@code
   * changelogFloor} is the stored trim floor (raw bytes, null if the changelog was never trimmed);
   * {@code oldestChange}/{@code newestChange} are the positions of the changelog's first and last
   * entries (null when it is empty).
   */
  public record Summary(
      String cluster,
      long ranges,
      Map<NodeStatus, Long> nodesByStatus,
      long schemaVersion,
      byte @Nullable [] metaVersion,
      long changelogEntries,
      @Nullable Versionstamp oldestChange,
      @Nullable Versionstamp newestChange,
      byte @Nullable [] changelogFloor) {
    public Summary {
      nodesByStatus = Collections.unmodifiableMap(new EnumMap<>(nodesByStatus));
    }

    /** True once init created the root range. */
    public boolean bootstrapped() {
      return ranges > 0;
    }

    public long nodes() {
      return nodesByStatus.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  public CompletableFuture<Summary> summaryAsync(ReadTransactionContext db) {
    CompletableFuture<Long> ranges = countAsync(db, ks.rangeIndex());
    Map<NodeStatus, CompletableFuture<Long>> nodes = new EnumMap<>(NodeStatus.class);
    for (NodeStatus s : NodeStatus.values()) nodes.put(s, countAsync(db, ks.livenessOf(s)));
    CompletableFuture<Long> changes = countAsync(db, ks.changelogRange());
    CompletableFuture<Head> head =
        db.readAsync(
            tr -> {
              CompletableFuture<byte @Nullable []> schema = tr.get(ks.schemaVersionKey());
              CompletableFuture<byte @Nullable []> meta = tr.get(ks.metaVersionKey());
              CompletableFuture<byte @Nullable []> floor = tr.get(ks.changelogFloorKey());
              CompletableFuture<List<KeyValue>> first =
                  tr.getRange(ks.changelogRange(), 1).asList();
              CompletableFuture<List<KeyValue>> last =
                  tr.getRange(ks.changelogRange(), 1, true).asList();
              return CompletableFuture.allOf(schema, meta, floor, first, last)
                  .thenApply(
                      ignored -> {
                        byte[] s = schema.join();
                        return new Head(
                            s == null ? 0 : Tuple.fromBytes(s).getLong(0),
                            meta.join(),
                            floor.join(),
                            position(first.join()),
                            position(last.join()));
                      });
            });
    CompletableFuture<?>[] all = new CompletableFuture<?>[nodes.size() + 3];
    int i = 0;
    for (CompletableFuture<Long> f : nodes.values()) all[i++] = f;
    all[i++] = ranges;
    all[i++] = changes;
    all[i] = head;
    return CompletableFuture.allOf(all)
        .thenApply(
            ignored -> {
              Map<NodeStatus, Long> counts = new EnumMap<>(NodeStatus.class);
              nodes.forEach((s, f) -> counts.put(s, f.join()));
              Head h = head.join();
              return new Summary(
                  ks.cluster(),
                  ranges.join(),
                  counts,
                  h.schemaVersion,
                  h.metaVersion,
                  changes.join(),
                  h.oldest,
                  h.newest,
                  h.floor);
            });
  }

  public Summary summary(ReadTransactionContext db) {
    return FdbErrors.join(summaryAsync(db));
  }

  private record Head(
      long schemaVersion,
      byte @Nullable [] metaVersion,
      byte @Nullable [] floor,
      @Nullable Versionstamp oldest,
      @Nullable Versionstamp newest) {}

  private @Nullable Versionstamp position(List<KeyValue> rows) {
    if (rows.isEmpty()) return null;
    Object o = ks.changelogSubspace().unpack(rows.get(0).getKey()).get(0);
    return o instanceof Versionstamp v ? v : null;
  }

  /** Keys in {@code range}, counted a page at a time. */
  CompletableFuture<Long> countAsync(ReadTransactionContext db, Range range) {
    return countFrom(db, range, KeySelector.firstGreaterOrEqual(range.begin), 0);
  }

  private CompletableFuture<Long> countFrom(
      ReadTransactionContext db, Range range, KeySelector begin, long sofar) {
    return db.readAsync(
            tr -> tr.getRange(begin, KeySelector.firstGreaterOrEqual(range.end), PAGE).asList())
        .thenCompose(
            rows -> {
              long n = sofar + rows.size();
              if (rows.size() < PAGE) return CompletableFuture.completedFuture(n);
              return countFrom(
                  db, range, KeySelector.firstGreaterThan(rows.get(rows.size() - 1).getKey()), n);
            });
  }
}
