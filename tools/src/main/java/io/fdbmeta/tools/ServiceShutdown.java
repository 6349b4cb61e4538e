package io.fdbmeta.tools;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/*
 * How a service process ends. The JVM turns SIGTERM and SIGINT (Ctrl-C) into its shutdown
 * sequence: the shutdown hooks run, then the process exits with 128 + the signal (143, 130) whatever
 * main returns, because a System.exit called while the hooks run blocks for good. A service that
 * stopped cleanly should exit 0, as supervisors (systemd, Kubernetes) and operators read it. So the
 * hook runs the service's stop with a deadline and then ends the process itself with
 * Runtime.halt: 0 after a clean stop, 1 if stop failed or overran (the line before says which).
 * halt skips any hook still running; a service process registers no other.
 */
/** Runs a service until SIGTERM or SIGINT, then stops it and exits; see the comment at the top. */
final class ServiceShutdown {
  private ServiceShutdown() {}

  /**
   * Blocks the calling thread until the process is told to stop, then runs {@code stop} (within
   * {@code deadline}) on the shutdown hook's thread and ends the process. Never returns.
   */
  static int runUntilSignalled(ServiceLog log, Duration deadline, Stop stop)
      throws InterruptedException {
    Thread hook =
        new Thread(
            () -> {
              int code = stopWithin(log, deadline, stop);
              System.out.flush();
              System.err.flush();
              Runtime.getRuntime().halt(code);
            },
            "service-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    new CountDownLatch(1).await(); // the hook ends the process
    throw new AssertionError("unreachable");
  }

  /** A service's stop; it names each step before taking it, so an overrun can say where. */
  interface Stop {
    void run(Consumer<String> step) throws Exception;
  }

  /**
   * Runs {@code stop}; 0 if it returned within {@code deadline}, else 1 after a line saying why.
   */
  static int stopWithin(ServiceLog log, Duration deadline, Stop stop) {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicReference<String> step = new AtomicReference<>("stopping");
    Thread t =
        new Thread(
            () -> {
              try {
                stop.run(step::set);
              } catch (Throwable e) { // reported below, as the process's last line
                failure.set(e);
              }
            },
            "service-stop");
    t.setDaemon(true);
    t.start();
    try {
      t.join(deadline.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (t.isAlive()) {
      log.error(
          "did not stop within "
              + (deadline.toMillis() % 1000 == 0
                  ? deadline.toSeconds() + " s"
                  : deadline.toMillis() + " ms")
              + " (still "
              + step.get()
              + "); exiting anyway");
      return ErrorHandlers.FAILURE;
    }
    Throwable e = failure.get();
    if (e != null) {
      log.error("stop failed: " + ErrorHandlers.describe(e));
      return ErrorHandlers.FAILURE;
    }
    return 0;
  }

  /** One daemon thread for a service's periodic work, so it never holds the JVM up at exit. */
  static ScheduledExecutorService daemonScheduler(String threadName) {
    return Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread t = new Thread(r, threadName);
          t.setDaemon(true);
          return t;
        });
  }
}
