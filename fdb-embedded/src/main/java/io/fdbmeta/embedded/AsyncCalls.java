package io.fdbmeta.embedded;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** Calls a user function that returns a future, turning a thrown exception into a failed future. */
final class AsyncCalls {
  private AsyncCalls() {}

  static <A, T> CompletableFuture<T> call(
      Function<? super A, ? extends CompletableFuture<T>> fn, A arg) {
    try {
      CompletableFuture<T> f = fn.apply(arg);
      return f != null ? f : CompletableFuture.completedFuture(null);
    } catch (RuntimeException | Error e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
