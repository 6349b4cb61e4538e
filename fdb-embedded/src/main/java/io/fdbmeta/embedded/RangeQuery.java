package io.fdbmeta.embedded;

import com.apple.foundationdb.KeySelector;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.StreamingMode;
import com.apple.foundationdb.async.AsyncIterable;
import com.apple.foundationdb.async.AsyncIterator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;

/**
 * A range read, run each time it is iterated or collected, as FoundationDB's range queries are. The
 * read happens when iteration starts; a failure surfaces from {@code onHasNext()} or {@code
 * asList()} as FoundationDB's does.
 */
final class RangeQuery implements AsyncIterable<KeyValue> {
  private final EmbeddedTransaction tr;
  private final KeySelector begin;
  private final KeySelector end;
  private final int limit;
  private final boolean reverse;
  private final StreamingMode mode;
  private final boolean snapshot;

  RangeQuery(
      EmbeddedTransaction tr,
      KeySelector begin,
      KeySelector end,
      int limit,
      boolean reverse,
      StreamingMode mode,
      boolean snapshot) {
    this.tr = tr;
    this.begin = begin;
    this.end = end;
    this.limit = limit;
    this.reverse = reverse;
    this.mode = mode;
    this.snapshot = snapshot;
  }

  private CompletableFuture<List<KeyValue>> read() {
    return tr.readRangeAsync(begin, end, limit, reverse, mode, snapshot);
  }

  @Override
  public CompletableFuture<List<KeyValue>> asList() {
    return read();
  }

  @Override
  public AsyncIterator<KeyValue> iterator() {
    CompletableFuture<List<KeyValue>> rows = read();
    return new AsyncIterator<>() {
      private Iterator<KeyValue> it;
      private boolean cancelled;

      @Override
      public CompletableFuture<Boolean> onHasNext() {
        if (cancelled) return CompletableFuture.completedFuture(false);
        return rows.thenApply(
            list -> {
              if (it == null) it = list.iterator();
              return it.hasNext();
            });
      }

      @Override
      public boolean hasNext() {
        return onHasNext().join();
      }

      @Override
      public KeyValue next() {
        if (!hasNext()) throw new NoSuchElementException();
        return it.next();
      }

      @Override
      public void cancel() {
        cancelled = true;
      }
    };
  }
}
