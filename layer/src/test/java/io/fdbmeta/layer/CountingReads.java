package io.fdbmeta.layer;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.ReadTransactionContext;
import com.apple.foundationdb.async.AsyncIterable;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * A read context that records every row range reads return, so a test can prove what a layer call
 * read (only asList() is counted, which is what the layer uses).
 */
public final class CountingReads implements ReadTransactionContext {
  private final Database db;
  public final List<byte[]> rangeRows = new CopyOnWriteArrayList<>();

  public CountingReads(Database db) {
    this.db = db;
  }

  @Override
  public <T> T read(Function<? super ReadTransaction, T> fn) {
    return db.read(tr -> fn.apply(wrap(tr)));
  }

  @Override
  public <T> CompletableFuture<T> readAsync(
      Function<? super ReadTransaction, ? extends CompletableFuture<T>> fn) {
    return db.readAsync(tr -> fn.apply(wrap(tr)));
  }

  @Override
  public Executor getExecutor() {
    return db.getExecutor();
  }

  private ReadTransaction wrap(ReadTransaction tr) {
    return proxy(
        ReadTransaction.class,
        (p, m, args) -> {
          Object r = invoke(m, tr, args);
          if (m.getName().equals("getRange")) return countingIterable((AsyncIterable<?>) r);
          return r;
        });
  }

  @SuppressWarnings("unchecked")
  private AsyncIterable<KeyValue> countingIterable(AsyncIterable<?> it) {
    return proxy(
        AsyncIterable.class,
        (p, m, args) -> {
          Object r = invoke(m, it, args);
          if (m.getName().equals("asList")) {
            return ((CompletableFuture<List<KeyValue>>) r)
                .thenApply(
                    rows -> {
                      rows.forEach(kv -> rangeRows.add(kv.getKey()));
                      return rows;
                    });
          }
          return r;
        });
  }

  private static Object invoke(Method m, Object target, Object[] args) throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> T proxy(Class<?> type, InvocationHandler h) {
    return (T)
        Proxy.newProxyInstance(CountingReads.class.getClassLoader(), new Class<?>[] {type}, h);
  }
}
