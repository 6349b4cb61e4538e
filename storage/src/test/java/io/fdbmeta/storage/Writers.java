package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.wire.NodeOp;
import io.fdbmeta.wire.NodeReply;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Client threads writing and reading continuously through a {@link RedirectingClient}. Each thread
 * owns its keys (key index mod threads), so a read must return exactly that thread's last
 * acknowledged value. Records every acknowledged value and every failed request.
 */
final class Writers implements AutoCloseable {
  static final int KEYS = 2000;

  final Map<String, String> acked = new ConcurrentHashMap<>();
  final List<String> failures = new CopyOnWriteArrayList<>();
  final AtomicLong writes = new AtomicLong();
  final AtomicLong reads = new AtomicLong();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final List<Thread> threads = new ArrayList<>();
  final RedirectingClient client;

  Writers(LocalCluster cluster, int count) {
    this.client = new RedirectingClient(cluster);
    for (int t = 0; t < count; t++) {
      int me = t;
      Thread th = new Thread(() -> run(me, count), "writer-" + t);
      th.setDaemon(true);
      threads.add(th);
    }
    threads.forEach(Thread::start);
  }

  static String key(int i) {
    return String.format("k%04d", i);
  }

  private void run(int me, int count) {
    Random rnd = new Random(me);
    long n = 0;
    while (!stop.get()) {
      String key = key(rnd.nextInt(KEYS / count) * count + me);
      try {
        if (rnd.nextInt(4) == 0 && acked.containsKey(key)) {
          NodeReply r = client.call(NodeOp.GET, new byte[][] {b(key)}, new byte[0][]);
          String want = acked.get(key);
          String got = Bytes.s(r.values()[0]);
          if (!want.equals(got))
            failures.add("GET " + key + " = " + got + ", last acknowledged " + want);
          reads.incrementAndGet();
        } else {
          String value = "w" + me + "-" + n++;
          client.call(NodeOp.SET, new byte[][] {b(key)}, new byte[][] {b(value)});
          acked.put(key, value);
          writes.incrementAndGet();
        }
      } catch (Exception e) {
        failures.add(key + ": " + Async.describe(e));
      }
    }
  }

  /** Stops the threads and waits for them. */
  void stop() throws InterruptedException {
    stop.set(true);
    for (Thread t : threads) t.join(30_000);
  }

  /** Every acknowledged value is on the range's leaseholder and every replica that runs. */
  void verifyOn(LocalCluster cluster) {
    List<String> missing = new ArrayList<>();
    for (Map.Entry<String, String> e : acked.entrySet()) {
      RangeDescriptor d = cluster.rangeFor(b(e.getKey()));
      assertThat(d.replicas()).contains(d.leaseholder());
      for (String node : d.replicas()) {
        StorageNode n;
        try {
          n = cluster.node(node);
        } catch (IllegalArgumentException notRunning) {
          continue;
        }
        String got = Bytes.s(n.localValue(b(e.getKey())));
        if (!e.getValue().equals(got))
          missing.add(e.getKey() + " on " + node + ": " + got + " instead of " + e.getValue());
      }
    }
    assertThat(missing).as("acknowledged writes missing on replicas").isEmpty();
  }

  @Override
  public void close() {
    try {
      stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      client.close();
    }
  }
}
