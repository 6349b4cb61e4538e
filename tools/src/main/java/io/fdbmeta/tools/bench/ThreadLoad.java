package io.fdbmeta.tools.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.IntSupplier;

/**
 * Drives a synchronous operation from N platform threads in a tight loop (the raw-map baseline).
 */
final class ThreadLoad {
  private ThreadLoad() {}

  static Measurement run(String what, int threads, Window window, IntSupplier op)
      throws InterruptedException {
    CountDownLatch done = new CountDownLatch(threads);
    List<Worker> workers = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      Worker w = new Worker(window, op, done, LatencySamples.capPerClient(threads));
      workers.add(w);
      Thread t = new Thread(w, "bench-" + what + "-" + i);
      t.setDaemon(true);
      t.start();
    }
    done.await();
    long ops = 0, units = 0;
    List<LatencySamples> samples = new ArrayList<>();
    for (Worker w : workers) {
      ops += w.ops;
      units += w.units;
      samples.add(w.latencies);
    }
    return new Measurement(ops, units, 0, window.nanos(), LatencySamples.merge(samples));
  }

  private static final class Worker implements Runnable {
    private final Window window;
    private final IntSupplier op;
    private final CountDownLatch done;
    final LatencySamples latencies;
    long ops;
    long units;

    Worker(Window window, IntSupplier op, CountDownLatch done, int cap) {
      this.window = window;
      this.op = op;
      this.done = done;
      this.latencies = new LatencySamples(cap);
    }

    @Override
    public void run() {
      try {
        while (true) {
          long t0 = System.nanoTime();
          // a thread the scheduler started late still measures one operation, so a busy machine
          // lowers the figure instead of leaving it at zero
          if (window.over(t0) && ops > 0) return;
          int n = op.getAsInt();
          long now = System.nanoTime();
          if (window.counts(now) || ops == 0 && window.over(now)) {
            ops++;
            units += n;
            latencies.add(now - t0);
          }
        }
      } finally {
        done.countDown();
      }
    }
  }
}
