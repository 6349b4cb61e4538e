package io.fdbmeta.tools.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Drives an asynchronous operation from N clients. A client has one operation outstanding at a
 * time: when it completes, the client records it and submits its next operation to the executor
 * (never recursing, so synchronous completions cannot grow the stack and every client gets turns).
 */
final class AsyncLoad {
  private AsyncLoad() {}

  /** The operation returns how many units (keys) it read or wrote. */
  static Measurement run(
      String what,
      int clients,
      Window window,
      Executor executor,
      Supplier<CompletableFuture<Integer>> op)
      throws InterruptedException {
    return run(
        what,
        clients,
        window,
        executor,
        (IntFunction<CompletableFuture<Integer>>) client -> op.get());
  }

  /** As above; the operation learns which client (0 to clients - 1) runs it. */
  static Measurement run(
      String what,
      int clients,
      Window window,
      Executor executor,
      IntFunction<CompletableFuture<Integer>> op)
      throws InterruptedException {
    CountDownLatch done = new CountDownLatch(clients);
    List<Client> all = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      Client c = new Client(i, window, executor, op, done, LatencySamples.capPerClient(clients));
      all.add(c);
      executor.execute(c);
    }
    long waitNanos = window.end() - System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    if (!done.await(waitNanos, TimeUnit.NANOSECONDS)) {
      throw new IllegalStateException(
          what + ": operations still outstanding 30 s after the run ended");
    }
    long ops = 0, units = 0, errors = 0;
    Throwable firstError = null;
    List<LatencySamples> samples = new ArrayList<>();
    for (Client c : all) {
      ops += c.ops;
      units += c.units;
      errors += c.errors;
      if (firstError == null) firstError = c.firstError;
      samples.add(c.latencies);
    }
    if (ops == 0) {
      throw new IllegalStateException(
          what
              + ": no operation completed"
              + (firstError == null ? "" : "; first error: " + firstError),
          firstError);
    }
    return new Measurement(ops, units, errors, window.nanos(), LatencySamples.merge(samples));
  }

  private static final class Client implements Runnable {
    private final int index;
    private final Window window;
    private final Executor executor;
    private final IntFunction<CompletableFuture<Integer>> op;
    private final CountDownLatch done;
    private final LatencySamples latencies;
    // Written by one operation's completion at a time; each completion happens-before the next.
    long ops;
    long units;
    long errors;
    @Nullable Throwable firstError;

    Client(
        int index,
        Window window,
        Executor executor,
        IntFunction<CompletableFuture<Integer>> op,
        CountDownLatch done,
        int cap) {
      this.index = index;
      this.window = window;
      this.executor = executor;
      this.op = op;
      this.done = done;
      this.latencies = new LatencySamples(cap);
    }

    @Override
    public void run() {
      long t0 = System.nanoTime();
      // a client the executor ran late still measures one operation, so a busy machine lowers
      // the figure instead of failing the run
      if (window.over(t0) && ops > 0) {
        done.countDown();
        return;
      }
      CompletableFuture<Integer> f;
      try {
        f = op.apply(index);
      } catch (RuntimeException e) {
        f = CompletableFuture.failedFuture(e);
      }
      f.whenComplete(
          (n, e) -> {
            long now = System.nanoTime();
            if (e != null) {
              errors++;
              if (firstError == null) firstError = e;
            } else if (window.counts(now) || ops == 0 && window.over(now)) {
              ops++;
              units += n;
              latencies.add(now - t0);
            }
            executor.execute(this);
          });
    }
  }
}
