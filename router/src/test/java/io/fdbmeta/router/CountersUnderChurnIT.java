package io.fdbmeta.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.storage.LocalCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * INCRs and SET PX/EX through a router while ranges split, a lease moves and a node is killed (the
 * controller moves its leases and replicas): every acknowledged INCR counts exactly once (a counter
 * ends between its acknowledged INCRs and those plus the INCRs whose reply was an error or lost,
 * which may or may not have been applied), no key is read after its expiry, and keys with a long
 * expiry survive it all with their TTL.
 */
class CountersUnderChurnIT {
  private static final int CLIENTS = 4;
  private static final int COUNTERS = 8; // per client
  private static final long SHORT_TTL = 150;
  private static final long MARGIN = 400; // nodes' clock offset and the client's own lag

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String counter(int client, int i) {
    return "c:" + (char) ('a' + i * 3) + ":" + client;
  }

  private final Map<String, AtomicLong> acked = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> unknown = new ConcurrentHashMap<>();
  private final List<String> resurrected = new CopyOnWriteArrayList<>();
  private final List<String> longLived = new CopyOnWriteArrayList<>();
  private final AtomicLong expiredChecked = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final AtomicLong longLivedUnknown = new AtomicLong();

  @Test
  void everyAcknowledgedIncrCountsOnceAndNoExpiredKeyComesBack() throws Exception {
    try (NodesBehindRouter e =
        NodesBehindRouter.start(
            "counters-churn",
            o ->
                o.nodes(5)
                    .controller(cc -> cc.tickInterval(Duration.ofMillis(100)).moveLimits(0, 0)))) {
      LocalCluster c = e.cluster;
      Router router = e.router(r -> r.requestTimeout(Duration.ofSeconds(10)).maxAttempts(100));
      AtomicBoolean stop = new AtomicBoolean();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < CLIENTS; t++) {
        int client = t;
        Thread th = new Thread(() -> work(router, client, stop), "client-" + t);
        th.start();
        threads.add(th);
      }
      String churn;
      try {
        Thread.sleep(300);
        c.split(b(counter(0, 2)));
        Thread.sleep(150);
        c.split(b(counter(0, 5)));
        Thread.sleep(150);
        RangeDescriptor d = c.rangeFor(b(counter(0, 0)));
        String to = d.replicas().get((d.replicas().indexOf(d.leaseholder()) + 1) % 3);
        c.leaseholderOf(d.rangeId()).transferLeaseAsync(d.rangeId(), to).get();
        Thread.sleep(150);
        String victim = c.rangeFor(b(counter(0, 6))).leaseholder();
        c.kill(victim);
        Thread.sleep(200);
        c.split(b(counter(0, 1)));
        Thread.sleep(4_000); // failover: lease + offset + a tick, and the re-created replicas
        c.split(b(counter(0, 7)));
        Thread.sleep(300);
        churn = "killed " + victim + ", transfer to " + to + ", ranges " + c.ranges().size();
      } finally {
        stop.set(true);
        for (Thread th : threads) th.join(30_000);
      }
      Thread.sleep(SHORT_TTL + MARGIN);
      c.awaitServing(Duration.ofSeconds(10));

      long total = 0;
      long totalUnknown = 0;
      int present = 0;
      try (RedisServerProcess.Conn conn = new RedisServerProcess.Conn(router.address())) {
        for (Map.Entry<String, AtomicLong> a : acked.entrySet()) {
          String reply = conn.call("GET", a.getKey());
          long value = reply.equals("$-1\r\n") ? 0 : Long.parseLong(reply.split("\r\n")[1]);
          if (value > 0) present++;
          long maybe = unknown.getOrDefault(a.getKey(), new AtomicLong()).get();
          assertThat(value)
              .as(
                  "%s: %d acknowledged INCRs, %d unknown (%s)",
                  a.getKey(), a.getValue().get(), maybe, churn)
              .isBetween(a.getValue().get(), a.getValue().get() + maybe);
          total += a.getValue().get();
          totalUnknown += maybe;
        }
        for (String k : longLived) {
          String ttl = conn.call("TTL", k);
          assertThat(ttl).as(k).matches(":[1-9]\\d*\r\n");
        }
        // every short-lived key is gone everywhere: DBSIZE counts counters and long-lived keys only
        String size = conn.call("DBSIZE");
        assertThat(Long.parseLong(size.substring(1).trim()))
            .as("DBSIZE")
            .isBetween(
                (long) present + longLived.size(),
                (long) present + longLived.size() + longLivedUnknown.get());
        assertThat(conn.call("KEYS", "t:*")).isEqualTo("*0\r\n");
      }
      System.out.printf(
          "counters under churn: %d INCRs acknowledged, %d unknown, %d errors; %d expired reads"
              + " checked, %d long-lived keys; %s%n",
          total, totalUnknown, errors.get(), expiredChecked.get(), longLived.size(), churn);
      assertThat(resurrected).as("keys read after their expiry").isEmpty();
      assertThat(total).isGreaterThan(500);
      assertThat(expiredChecked.get()).isGreaterThan(50);
    }
  }

  private record Expiring(String key, long expiresBy) {}

  private void work(Router router, int client, AtomicBoolean stop) {
    Random rnd = new Random(client);
    ArrayDeque<Expiring> expiring = new ArrayDeque<>();
    RespClient conn = null;
    String pending = null; // the counter of an INCR sent and not answered
    int n = 0;
    while (!stop.get()) {
      try {
        if (conn == null) conn = new RespClient(router.address());
        n++;
        String k = counter(client, rnd.nextInt(COUNTERS));
        acked.computeIfAbsent(k, x -> new AtomicLong());
        pending = k;
        Object r = conn.call(b("INCR"), b(k));
        pending = null;
        if (r instanceof Long) acked.computeIfAbsent(k, x -> new AtomicLong()).incrementAndGet();
        else {
          unknown.computeIfAbsent(k, x -> new AtomicLong()).incrementAndGet();
          acked.computeIfAbsent(k, x -> new AtomicLong());
          errors.incrementAndGet();
        }
        if (n % 4 == 0) {
          String t = "t:" + client + ":" + n;
          // The TTL runs from when a node applies the SET: at the latest when its OK arrives, which
          // may be seconds after sending it, as the router retries it through a failover.
          if ("OK".equals(conn.call(b("SET"), b(t), b("v"), b("PX"), b(Long.toString(SHORT_TTL)))))
            expiring.add(new Expiring(t, System.currentTimeMillis() + SHORT_TTL + MARGIN));
        }
        if (n % 50 == 0) {
          String l = "l:" + client + ":" + n;
          longLivedUnknown.incrementAndGet();
          if ("OK".equals(conn.call(b("SET"), b(l), b("v"), b("EX"), b("1000")))) {
            longLived.add(l);
            longLivedUnknown.decrementAndGet();
          }
        }
        Expiring x = expiring.peek();
        if (x != null && System.currentTimeMillis() > x.expiresBy) {
          expiring.poll();
          Object got = conn.call(b("GET"), b(x.key));
          if (got instanceof byte[]) resurrected.add(x.key);
          else if (got == null) expiredChecked.incrementAndGet();
        }
      } catch (IOException ex) {
        // the INCR in flight, if any, may or may not have been applied: counted as unknown by
        // whoever sent it; drop the connection and go on
        errors.incrementAndGet();
        if (pending != null)
          unknown.computeIfAbsent(pending, y -> new AtomicLong()).incrementAndGet();
        pending = null;
        closeQuietly(conn);
        conn = null;
      }
    }
    closeQuietly(conn);
  }

  private static void closeQuietly(RespClient c) {
    try {
      if (c != null) c.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
