package io.fdbmeta.tools.bench;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/**
 * An open-loop load: operation i is due at {@code start + i / rate} whether or not earlier ones
 * finished, and its latency runs from that due time, not from when it was actually sent, so a
 * stalled system or a late sender shows up in the latency (no coordinated omission). The sender
 * sends everything due, then parks about a millisecond: one park per tick, not per operation, so it
 * keeps up at tens of thousands per second.
 *
 * <p>It keeps nothing of an operation once it completed but its latency: holding every future (and
 * through it every result) until the end, as an earlier version did, made each young collection of
 * the JVM under test copy tens of megabytes that only the load generator kept alive, so the
 * generator's garbage showed up as the system's pause times.
 */
final class OpenLoop {
  private OpenLoop() {}

  /**
   * What one run did: its window runs from the first due time to the last completion, so the
   * measurement's ops/s falls below the offered rate when the system falls behind.
   */
  record Result(double offeredPerSecond, Measurement measurement) {}

  /**
   * Sends {@code rate * seconds} operations; {@code op} gets the operation's index.
   *
   * @throws IllegalStateException if operations are still outstanding 30 s after the last was due
   */
  static Result run(double rate, double seconds, IntFunction<CompletableFuture<?>> op)
      throws InterruptedException {
    int total = (int) Math.max(1, Math.round(rate * seconds));
    long[] latencies = new long[total];
    AtomicLong failed = new AtomicLong();
    AtomicLong lastCompletion = new AtomicLong();
    CountDownLatch outstanding = new CountDownLatch(total);
    double intervalNanos = 1e9 / rate;
    long start = System.nanoTime();
    int i = 0;
    while (i < total) {
      long now = System.nanoTime();
      for (; i < total && start + (long) (i * intervalNanos) <= now; i++) {
        long due = start + (long) (i * intervalNanos);
        int slot = i;
        CompletableFuture<?> f;
        try {
          f = op.apply(i);
        } catch (RuntimeException e) {
          f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete(
            (v, err) -> {
              long at = System.nanoTime();
              latencies[slot] = at - due;
              lastCompletion.accumulateAndGet(at, Math::max);
              if (err != null) failed.incrementAndGet();
              outstanding.countDown(); // after the writes above, which the waiting thread then sees
            });
      }
      LockSupport.parkNanos(1_000_000);
    }
    if (!outstanding.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException(
          "open loop: operations still outstanding 30 s after the last was due");
    }
    long elapsed = Math.max(1, lastCompletion.get() - start);
    long completed = total - failed.get();
    return new Result(
        rate, new Measurement(completed, completed, failed.get(), elapsed, latencies));
  }
}
