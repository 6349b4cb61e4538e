package io.fdbmeta.layer.route;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The one daemon thread a ChangeFeed (and so a RouteFollower) keeps its state on. As an Executor it
 * runs the follower's future stages; {@link #submit} and {@link #schedule} drop tasks once it is
 * shut down, since a stopped follower has nothing left to do.
 */
final class FollowerThread implements Executor {
  private final ScheduledExecutorService executor;

  FollowerThread(String name) {
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, name);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * @throws RejectedExecutionException once shut down (a future stage given here then fails)
   */
  @Override
  public void execute(Runnable r) {
    executor.execute(r);
  }

  /** Runs {@code r} on the thread; false, and nothing runs, once shut down. */
  boolean submit(Runnable r) {
    try {
      executor.execute(r);
      return true;
    } catch (RejectedExecutionException e) {
      return false;
    }
  }

  /** Runs {@code r} after {@code delay}, unless shut down by then. */
  void schedule(Runnable r, Duration delay) {
    try {
      executor.schedule(r, delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // shut down
    }
  }

  /** Runs {@code r} every {@code period} after {@code initialDelay}, until shut down. */
  void every(Duration initialDelay, Duration period, Runnable r) {
    executor.scheduleWithFixedDelay(
        r, initialDelay.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
  }

  void shutdown() {
    executor.shutdown();
  }
}
