package io.fdbmeta.embedded;

import com.apple.foundationdb.KeyValue;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/*
 * A client may ask for any row limit (Integer.MAX_VALUE for "all"), and the server must neither
 * build nor send a reply of unbounded size. So the server asks its cluster in chunks, continuing
 * after the last row at the same read version, and stops at the row limit or once the rows reach
 * the byte budget, saying more=true. Each chunk is sized from the average row seen so far, so a
 * range of small rows takes few calls and one of large rows materialises little beyond the budget.
 */
/** Reads up to a row limit and about a byte budget of one range, for one OK_RANGE reply. */
final class BoundedRange {
  private static final int FIRST_CHUNK = 64;
  private static final int MAX_CHUNK = 8192;

  private final Cluster cluster;
  private final boolean reverse;
  private final long readVersion;
  private final int byteBudget;
  private byte[] begin;
  private byte[] end;
  private int rowsLeft;
  private final List<KeyValue> rows = new ArrayList<>();
  private long bytes;

  private BoundedRange(
      Cluster cluster,
      byte[] begin,
      byte[] end,
      boolean reverse,
      int rowLimit,
      long readVersion,
      int byteBudget) {
    this.cluster = cluster;
    this.begin = begin;
    this.end = end;
    this.reverse = reverse;
    this.rowsLeft = rowLimit;
    this.readVersion = readVersion;
    this.byteBudget = byteBudget;
  }

  /**
   * Up to {@code rowLimit} (at least 1) rows of [begin, end) at {@code readVersion}, stopping once
   * they hold {@code byteBudget} bytes of keys and values; fails as {@link Cluster#range} does.
   */
  static CompletableFuture<Cluster.RangePage> read(
      Cluster cluster,
      byte[] begin,
      byte[] end,
      boolean reverse,
      int rowLimit,
      long readVersion,
      int byteBudget) {
    return new BoundedRange(cluster, begin, end, reverse, rowLimit, readVersion, byteBudget).next();
  }

  private CompletableFuture<Cluster.RangePage> next() {
    while (true) {
      CompletableFuture<Cluster.RangePage> chunk =
          cluster.range(begin, end, reverse, chunkRows(), readVersion);
      if (!chunk.isDone()) {
        return chunk.thenCompose(
            p -> absorb(p) ? CompletableFuture.completedFuture(page(p)) : next());
      }
      if (chunk.isCompletedExceptionally()) return chunk;
      Cluster.RangePage p = chunk.join();
      if (absorb(p)) return CompletableFuture.completedFuture(page(p));
    }
  }

  private int chunkRows() {
    if (rows.isEmpty()) return Math.min(rowsLeft, FIRST_CHUNK);
    long average = Math.max(1, bytes / rows.size());
    long fits = (byteBudget - bytes) / average + 1;
    return (int) Math.max(1, Math.min(Math.min(fits, MAX_CHUNK), rowsLeft));
  }

  /** Takes a chunk's rows; true once the reply is complete. */
  private boolean absorb(Cluster.RangePage p) {
    for (KeyValue kv : p.rows()) {
      rows.add(kv);
      bytes += kv.getKey().length + kv.getValue().length;
      rowsLeft--;
    }
    if (!p.more() || rowsLeft <= 0 || bytes >= byteBudget || p.rows().isEmpty()) return true;
    byte[] last = p.rows().get(p.rows().size() - 1).getKey();
    if (reverse) {
      end = last;
    } else {
      begin = Bytes.keyAfter(last);
    }
    return false;
  }

  private Cluster.RangePage page(Cluster.RangePage last) {
    return new Cluster.RangePage(rows, last.more());
  }
}
