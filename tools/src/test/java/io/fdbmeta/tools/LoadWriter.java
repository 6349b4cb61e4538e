package io.fdbmeta.tools;

import static io.fdbmeta.tools.ServiceProcesses.call;
import static io.fdbmeta.tools.ServiceProcesses.ok;

import io.fdbmeta.tools.ServiceProcesses.Service;
import io.fdbmeta.wire.RespClient;
import io.fdbmeta.wire.RespValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A client writing distinct keys through routers as one behind a TCP load balancer would: when its
 * connection is lost it connects to the next router it is given and sends the same SET again (a SET
 * of the same value is idempotent). A request fails if it gets an error reply, or if no router took
 * it within {@link #GIVE_UP_MILLIS}; each failure's reply is kept.
 */
final class LoadWriter implements AutoCloseable {
  static final long GIVE_UP_MILLIS = 15_000;

  final Map<String, String> acked = new ConcurrentHashMap<>();
  final AtomicLong failed = new AtomicLong();
  final AtomicLong reconnects = new AtomicLong();
  final List<String> failures = Collections.synchronizedList(new ArrayList<>());
  private final ServiceProcesses cluster;
  private final Supplier<List<Service>> routers;
  private final List<String> prefixes;
  private final AtomicBoolean writing = new AtomicBoolean(true);
  private final Thread thread;

  LoadWriter(ServiceProcesses cluster, Supplier<List<Service>> routers, List<String> prefixes) {
    this.cluster = cluster;
    this.routers = routers;
    this.prefixes = prefixes;
    this.thread = new Thread(this::run, "load-writer");
    thread.start();
  }

  private void run() {
    RespClient c = null;
    int next = 0;
    for (int i = 0; writing.get(); i++) {
      String key = prefixes.get(i % prefixes.size()) + "-w-" + i;
      long giveUp = System.currentTimeMillis() + GIVE_UP_MILLIS;
      RespValue reply = null;
      while (System.currentTimeMillis() < giveUp) {
        if (c == null || !c.isOpen()) {
          List<Service> rs = routers.get();
          Service r = rs.get(next++ % rs.size());
          try {
            c = cluster.connect(r);
            if (next > 1) reconnects.incrementAndGet();
          } catch (Exception e) {
            sleep();
            continue;
          }
        }
        reply = call(c, "SET", key, "v" + i);
        if (!(reply instanceof RespValue.Error e) || !e.text().startsWith("CONNECTION")) break;
        c.close(); // lost on the way: the next router gets the same SET
      }
      if (ok(reply)) {
        acked.put(key, "v" + i);
      } else {
        failed.incrementAndGet();
        if (failures.size() < 20) failures.add(key + ": " + reply);
      }
    }
    if (c != null) c.close();
  }

  private static void sleep() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Keys acknowledged whose value a GET through {@code router} does not return. */
  List<String> lost(Service router) throws Exception {
    List<String> lost = new ArrayList<>();
    try (RespClient reader = cluster.connect(router)) {
      for (Map.Entry<String, String> e : acked.entrySet()) {
        RespValue v = call(reader, "GET", e.getKey());
        if (!(v instanceof RespValue.Bulk b && e.getValue().equals(b.utf8())))
          lost.add(e.getKey() + "=" + v);
      }
    }
    return lost;
  }

  @Override
  public void close() throws InterruptedException {
    writing.set(false);
    thread.join(GIVE_UP_MILLIS + 5_000);
  }
}
