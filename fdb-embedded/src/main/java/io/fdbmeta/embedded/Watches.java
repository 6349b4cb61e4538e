package io.fdbmeta.embedded;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Registered watches. A watch remembers the value its transaction saw (or wrote) for a key and
 * fires, on the executor, once a later commit leaves the key with a different value. Like
 * FoundationDB's, it may miss a change that is undone quickly (A to B to A) and may fire
 * spuriously; callers re-read after a fire.
 */
final class Watches {
  private final Map<ByteBuffer, List<Watch>> byKey = new HashMap<>();
  private final AtomicInteger registered = new AtomicInteger();
  private final Executor executor;

  private static final class Watch {
    final byte @Nullable [] expected;
    final CompletableFuture<Void> future;

    Watch(byte @Nullable [] expected, CompletableFuture<Void> future) {
      this.expected = expected;
      this.future = future;
    }
  }

  Watches(Executor executor) {
    this.executor = executor;
  }

  /** Arms a watch once its transaction committed; fires at once if the key already changed. */
  void register(
      byte[] key,
      byte @Nullable [] expected,
      CompletableFuture<Void> future,
      Function<byte[], byte @Nullable []> currentValue) {
    if (future.isDone()) return;
    ByteBuffer k = ByteBuffer.wrap(key);
    Watch w = new Watch(expected, future);
    synchronized (this) {
      // Read under the lock that onCommitted takes, so a change is either seen here or there.
      if (!Arrays.equals(expected, currentValue.apply(key))) {
        fire(future);
        return;
      }
      byKey.computeIfAbsent(k, x -> new ArrayList<>()).add(w);
      registered.incrementAndGet();
    }
    future.whenComplete((v, e) -> remove(k, w));
  }

  /** Called after a commit is visible, with the keys it changed and a reader of current values. */
  void onCommitted(
      List<byte[]> keys, Function<byte[], byte @Nullable []> currentValue, boolean spuriousFire) {
    List<Watch> toFire = new ArrayList<>();
    synchronized (this) {
      if (byKey.isEmpty()) return;
      for (byte[] key : keys) {
        List<Watch> ws = byKey.get(ByteBuffer.wrap(key));
        if (ws == null) continue;
        byte[] now = currentValue.apply(key);
        for (Watch w : ws) {
          if (!Arrays.equals(w.expected, now)) toFire.add(w);
        }
      }
      if (spuriousFire && toFire.isEmpty()) {
        byKey.values().stream().flatMap(List::stream).findFirst().ifPresent(toFire::add);
      }
    }
    for (Watch w : toFire) fire(w.future);
  }

  /** Watches registered and not yet completed. */
  int registered() {
    return registered.get();
  }

  private void fire(CompletableFuture<Void> future) {
    executor.execute(() -> future.complete(null));
  }

  private synchronized void remove(ByteBuffer key, Watch w) {
    List<Watch> ws = byKey.get(key);
    if (ws == null || !ws.remove(w)) return;
    registered.decrementAndGet();
    if (ws.isEmpty()) byKey.remove(key);
  }
}
