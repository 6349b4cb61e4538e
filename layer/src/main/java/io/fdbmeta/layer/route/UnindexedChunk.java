package io.fdbmeta.layer.route;

import com.apple.foundationdb.KeyValue;
import io.fdbmeta.layer.MetaException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/*
 * A run of a cold load's range-index rows that becomes a RouteChunk when first needed, so that the
 * load itself does nothing per row: it keeps each page the scan returned, cuts it into runs, and
 * reads only each run's last end (for the snapshot's top index). Indexing a run (reading every end,
 * RouteChunk.ofRows) cost as much as reading the rows did, and doing it during the load made the
 * load twice the scan on a busy 2-core machine; on first use it is ~5 us per chunk of 256 ranges,
 * paid once.
 *
 * Indexing happens under this object's monitor, so concurrent first users build one chunk and the
 * page's rows are released once every run of it is indexed. A row whose key holds no end key
 * fails the indexing, each time, with CORRUPT_RECORD naming the key; the load notices it only if
 * it is a run's last row.
 */
/** Range-index rows of one chunk, indexed on first use; see the comment above. */
final class UnindexedChunk {
  private final int from;
  private final int to;
  private final int keyPrefixLength;
  private final byte @Nullable [] lastEndArray;
  private final int lastEndFrom;
  private @Nullable List<KeyValue> rows; // guarded by this; null once indexed
  private @Nullable RouteChunk chunk; // guarded by this

  /**
   * Rows [from, to) of {@code rows}, in key order, whose last end {@code row} has just read.
   *
   * @param row holds the end of the key of row {@code to - 1}
   */
  UnindexedChunk(List<KeyValue> rows, int from, int to, RangeRow row) {
    this.rows = rows;
    this.from = from;
    this.to = to;
    this.keyPrefixLength = row.prefixLength();
    this.lastEndArray = row.endArray;
    this.lastEndFrom = row.endFrom;
  }

  int size() {
    return to - from;
  }

  /** The last end (see EndKeyIndex); null if the last range has no end. */
  byte @Nullable [] lastEndArray() {
    return lastEndArray;
  }

  int lastEndFrom() {
    return lastEndFrom;
  }

  /**
   * The chunk of these rows, indexed on the first call.
   *
   * @throws MetaException CORRUPT_RECORD if a row's key holds no end key, or "no end" is not last
   */
  synchronized RouteChunk index() {
    RouteChunk c = chunk;
    if (c == null) {
      c = RouteChunk.ofRows(rows, from, to, new RangeRow(keyPrefixLength));
      chunk = c;
      rows = null;
    }
    return c;
  }
}
