package io.fdbmeta.embedded;

import com.apple.foundationdb.FDBException;
import com.apple.foundationdb.KeyValue;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The {@link Cluster} of an in-process database: its {@link Store}. Every call is answered on the
 * caller's thread, so its futures are complete when returned (commits excepted: they wait for the
 * log).
 */
final class LocalCluster implements Cluster {
  private final Store store;
  private final String description;

  LocalCluster(Store store, String description) {
    this.store = store;
    this.description = description;
  }

  Store store() {
    return store;
  }

  @Override
  public Clock clock() {
    return store.clock();
  }

  @Override
  public CompletableFuture<ReadVersion> readVersion() {
    return answer(store::holdReadVersion);
  }

  @Override
  public ReadVersion holdVersion(long version) {
    return store.holdReadVersion(version);
  }

  @Override
  public void pin(long version) {
    store.pin(version);
  }

  @Override
  public CompletableFuture<byte @Nullable []> get(byte[] key, long readVersion) {
    return answer(() -> store.get(key, readVersion));
  }

  @Override
  public CompletableFuture<RangePage> range(
      byte[] begin, byte[] end, boolean reverse, int rowLimit, long readVersion) {
    return answer(
        () -> {
          Iterator<Map.Entry<byte[], byte[]>> it = store.range(begin, end, reverse, readVersion);
          List<KeyValue> rows = new ArrayList<>(Math.min(rowLimit, 256));
          while (rows.size() < rowLimit && it.hasNext()) {
            Map.Entry<byte[], byte[]> e = it.next();
            rows.add(new KeyValue(e.getKey(), e.getValue()));
          }
          store.checkReadable(readVersion); // pruning may have raced with the lazy read
          return new RangePage(rows, it.hasNext());
        });
  }

  @Override
  public CompletableFuture<CommitResult> commit(CommitRequest request) {
    try {
      return store.commit(request);
    } catch (FDBException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletableFuture<Void> watch(byte[] key, byte @Nullable [] expected) {
    CompletableFuture<Void> future = new CompletableFuture<>();
    store.watches.register(key, expected, future, store::readLatest);
    return future;
  }

  @Override
  public String describe() {
    return description + " " + store.stats();
  }

  @Override
  public void close() {
    store.close();
  }

  private static <T> CompletableFuture<T> answer(Supplier<T> body) {
    try {
      return CompletableFuture.completedFuture(body.get());
    } catch (FDBException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
