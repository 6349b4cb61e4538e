package io.fdbmeta.tools.bench;

import java.lang.management.ManagementFactory;

/**
 * The process's cpu time (every thread, user and system) between a window's measured start and its
 * end, read by a small thread that sleeps until each: what a run cost in cpu, whoever else shares
 * the machine. -1 where the JVM cannot tell.
 */
final class CpuClock {
  private final Thread reader;
  private volatile long startCpu = -1;
  private volatile long endCpu = -1;

  private CpuClock(Window window) {
    reader =
        new Thread(
            () -> {
              if (!sleepUntil(window.measureStart())) return;
              startCpu = processCpuNanos();
              if (!sleepUntil(window.end())) return;
              endCpu = processCpuNanos();
            },
            "bench-cpu-clock");
    reader.setDaemon(true);
  }

  static CpuClock during(Window window) {
    CpuClock c = new CpuClock(window);
    c.reader.start();
    return c;
  }

  /** Cpu nanoseconds in the window; waits for its end. -1 if unknown. */
  long nanos() throws InterruptedException {
    reader.join();
    return startCpu < 0 || endCpu < 0 ? -1 : endCpu - startCpu;
  }

  static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) return os.getProcessCpuTime();
    return -1;
  }

  private static boolean sleepUntil(long nanoTime) {
    try {
      for (long left; (left = nanoTime - System.nanoTime()) > 0; )
        Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
      return true;
    } catch (InterruptedException e) {
      return false;
    }
  }
}
