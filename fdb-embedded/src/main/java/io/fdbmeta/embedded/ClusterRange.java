package io.fdbmeta.embedded;

import com.apple.foundationdb.KeyValue;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The database's rows of [begin, end) at a read version, fetched from the {@link Cluster} a page at
 * a time as the iteration needs them. Pages start at the size the reader expects to use and double
 * up to {@link #MAX_PAGE_ROWS}, as FoundationDB's ITERATOR streaming mode does, so a short read
 * costs one small request and a long one few requests. Blocks while a page is in flight; a failed
 * page throws its FDBException.
 */
final class ClusterRange implements Iterator<KeyValue> {
  static final int MAX_PAGE_ROWS = 16_384;

  private final Cluster cluster;
  private final boolean reverse;
  private final long readVersion;
  private byte[] begin;
  private byte[] end;
  private int pageRows;
  private List<KeyValue> page = List.of();
  private int next;
  private boolean more = true;

  ClusterRange(
      Cluster cluster, byte[] begin, byte[] end, boolean reverse, long readVersion, int firstPage) {
    this.cluster = cluster;
    this.begin = begin;
    this.end = end;
    this.reverse = reverse;
    this.readVersion = readVersion;
    this.pageRows = Math.max(1, Math.min(firstPage, MAX_PAGE_ROWS));
  }

  @Override
  public boolean hasNext() {
    while (next == page.size() && more) fetch();
    return next < page.size();
  }

  @Override
  public KeyValue next() {
    if (!hasNext()) throw new NoSuchElementException();
    return page.get(next++);
  }

  private void fetch() {
    if (Bytes.compare(begin, end) >= 0) {
      more = false;
      return;
    }
    Cluster.RangePage reply =
        AsyncCalls.await(cluster.range(begin, end, reverse, pageRows, readVersion));
    page = reply.rows();
    next = 0;
    more = reply.more() && !page.isEmpty();
    if (more) {
      byte[] last = page.get(page.size() - 1).getKey();
      if (reverse) end = last;
      else begin = Bytes.keyAfter(last);
    }
    pageRows = Math.min(pageRows * 2, MAX_PAGE_ROWS);
  }
}
