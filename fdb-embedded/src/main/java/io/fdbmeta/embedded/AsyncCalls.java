package io.fdbmeta.embedded;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Function;

/** Small helpers between futures and the code that waits for them. */
final class AsyncCalls {
  private AsyncCalls() {}

  /**
   * Waits for {@code future} and returns its value, throwing the exception it failed with as is (an
   * FDBException stays an FDBException, not wrapped).
   */
  static <T> T await(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) throw r;
      throw e;
    }
  }

  /**
   * {@code future}, completing on {@code executor} if it is still pending: a cluster's replies
   * complete on its network thread, which must never run (and so never be blocked by) the caller's
   * callbacks. fdb-java likewise completes its futures on the executor.
   */
  static <T> CompletableFuture<T> onExecutor(CompletableFuture<T> future, Executor executor) {
    return future.isDone() ? future : future.thenApplyAsync(v -> v, executor);
  }

  /** Calls a user function that returns a future, turning a thrown exception into a failed one. */
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
