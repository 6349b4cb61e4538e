package io.fdbmeta.storage;

import io.fdbmeta.layer.FdbErrors;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Small helpers for futures and delays. */
final class Async {
  private Async() {}

  /**
   * Runs {@code next} after {@code delayMillis} on {@code timer}; fails if the timer is shut down.
   */
  static <T> CompletableFuture<T> after(
      ScheduledExecutorService timer, long delayMillis, Supplier<CompletableFuture<T>> next) {
    CompletableFuture<T> out = new CompletableFuture<>();
    try {
      timer.schedule(
          () -> {
            try {
              next.get()
                  .whenComplete(
                      (v, e) -> {
                        if (e != null) {
                          out.completeExceptionally(FdbErrors.cause(e));
                        } else {
                          out.complete(v);
                        }
                      });
            } catch (RuntimeException e) {
              out.completeExceptionally(e);
            }
          },
          delayMillis,
          TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      out.completeExceptionally(new IllegalStateException("node is shutting down", e));
    }
    return out;
  }

  /**
   * Completes with true once {@code condition} holds, checking every millisecond on {@code timer},
   * or with false after {@code timeoutMillis}.
   */
  static CompletableFuture<Boolean> until(
      ScheduledExecutorService timer, BooleanSupplier condition, long timeoutMillis) {
    CompletableFuture<Boolean> out = new CompletableFuture<>();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    Runnable[] check = new Runnable[1];
    check[0] =
        () -> {
          if (condition.getAsBoolean()) {
            out.complete(true);
          } else if (System.nanoTime() - deadline >= 0) {
            out.complete(false);
          } else {
            try {
              timer.schedule(check[0], 1, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
              out.complete(condition.getAsBoolean());
            }
          }
        };
    check[0].run();
    return out;
  }

  /** A one-line description of a failure for reply messages and logs. */
  static String describe(Throwable t) {
    Throwable c = FdbErrors.cause(t);
    String m = c.getMessage();
    return c.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }
}
