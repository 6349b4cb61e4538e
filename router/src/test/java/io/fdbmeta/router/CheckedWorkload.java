package io.fdbmeta.router;

import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.storage.LocalCluster;
import io.fdbmeta.storage.StorageNode;
import io.fdbmeta.wire.RespClient;
import io.fdbmeta.wire.RespValue;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/*
 * Client threads driving a router through the pipelined wire RespClient (the demo's client), one
 * connection and one command outstanding each, with SET, GET, MSET and MGET.
 *
 * Client c owns the keys whose index is c modulo the client count, so each key has one writer and
 * no write in flight while its owner reads it: a read must return exactly the key's last
 * acknowledged value (+OK). Anything else is a problem, counted by kind: an error reply by its
 * first word (BUSY, TRYAGAIN, ...), an exception by its class, "stale read" for a wrong value,
 * "unexpected reply" for a reply of the wrong type. The first few of each kind are kept verbatim.
 */
/** A checking RESP workload through a router; see the comment at the top of this file. */
final class CheckedWorkload implements AutoCloseable {
  private static final long REPLY_TIMEOUT_SECONDS = 10;
  private static final int EXAMPLES_PER_KIND = 3;

  private final int keys;
  private final AtomicReferenceArray<String> acked;
  private final ConcurrentHashMap<String, AtomicLong> problems = new ConcurrentHashMap<>();
  private final List<String> examples = new CopyOnWriteArrayList<>();
  private final AtomicLong writes = new AtomicLong();
  private final AtomicLong reads = new AtomicLong();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final List<Thread> threads = new ArrayList<>();

  CheckedWorkload(Router router, int clients, int keys, long seed) throws IOException {
    this.keys = keys;
    this.acked = new AtomicReferenceArray<>(keys);
    List<RespClient> connections = new ArrayList<>();
    try {
      for (int i = 0; i < clients; i++)
        connections.add(RespClient.connect(group, router.address()));
    } catch (IOException e) {
      connections.forEach(RespClient::close);
      group.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS);
      throw e;
    }
    for (int i = 0; i < clients; i++) {
      int me = i;
      Thread t =
          new Thread(
              () -> run(connections.get(me), me, clients, new Random(seed * 31 + me)),
              "workload-" + i);
      t.setDaemon(true);
      threads.add(t);
    }
    threads.forEach(Thread::start);
  }

  static String key(int index) {
    return String.format("k%05d", index);
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  long writes() {
    return writes.get();
  }

  long reads() {
    return reads.get();
  }

  /** Keys with an acknowledged write. */
  int ackedKeys() {
    int n = 0;
    for (int i = 0; i < keys; i++) if (acked.get(i) != null) n++;
    return n;
  }

  /** Problems by kind; empty if every request was answered as it should be. */
  Map<String, Long> problems() {
    Map<String, Long> out = new TreeMap<>();
    problems.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /** The problems by kind and a few verbatim examples of each, for an assertion message. */
  String describeProblems() {
    return "problems by kind " + problems() + "; examples " + examples;
  }

  private void run(RespClient c, int me, int clients, Random rnd) {
    int owned = (keys - me + clients - 1) / clients;
    long seq = 0;
    try {
      while (!stop.get() && c.isOpen()) {
        int count =
            rnd.nextInt(4) == 0 && owned >= 3
                ? 3
                : 1; // a quarter MSET/MGET of 3 distinct keys, likely in different ranges
        int[] idx = rnd.ints(0, owned).distinct().limit(count).map(x -> x * clients + me).toArray();
        boolean multi = idx.length > 1;
        boolean read = rnd.nextInt(5) < 2;
        for (int i : idx) read &= acked.get(i) != null;
        if (read) {
          String[] want = new String[idx.length];
          String[] args = new String[idx.length + 1];
          args[0] = multi ? "MGET" : "GET";
          for (int j = 0; j < idx.length; j++) {
            want[j] = acked.get(idx[j]);
            args[j + 1] = key(idx[j]);
          }
          RespValue r = call(c, args);
          if (r == null) continue;
          List<RespValue> got =
              multi && r instanceof RespValue.Array a && a.elements() != null
                  ? a.elements()
                  : List.of(r);
          if (got.size() != idx.length || (multi && !(r instanceof RespValue.Array))) {
            problem("unexpected reply", args[0] + " " + args[1] + " -> " + r);
            continue;
          }
          for (int j = 0; j < idx.length; j++) {
            String v =
                got.get(j) instanceof RespValue.Bulk bulk
                    ? bulk.utf8()
                    : String.valueOf(got.get(j));
            if (!want[j].equals(v))
              problem(
                  "stale read",
                  args[0] + " " + key(idx[j]) + " = " + v + ", last acknowledged " + want[j]);
          }
          reads.incrementAndGet();
        } else {
          String[] args = new String[1 + 2 * idx.length];
          args[0] = multi ? "MSET" : "SET";
          String[] values = new String[idx.length];
          for (int j = 0; j < idx.length; j++) {
            values[j] = "c" + me + "-" + (++seq);
            args[1 + 2 * j] = key(idx[j]);
            args[2 + 2 * j] = values[j];
          }
          RespValue r = call(c, args);
          if (r == null) continue;
          if (r instanceof RespValue.Simple s && s.text().equals("OK")) {
            for (int j = 0; j < idx.length; j++) acked.set(idx[j], values[j]);
            writes.incrementAndGet();
          } else {
            problem("unexpected reply", args[0] + " " + args[1] + " -> " + r);
          }
        }
      }
      if (!stop.get()) problem("connection closed", "client " + me + " lost its connection");
    } catch (RuntimeException e) {
      problem(e.getClass().getSimpleName(), "client " + me + ": " + e);
    } finally {
      c.close();
    }
  }

  /** The reply, or null after counting an error reply or a failure as a problem. */
  private RespValue call(RespClient c, String... args) {
    try {
      RespValue r = c.send(args).get(REPLY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      if (r instanceof RespValue.Error e) {
        int sp = e.text().indexOf(' ');
        problem(
            sp < 0 ? e.text() : e.text().substring(0, sp),
            args[0] + " " + args[1] + " -> " + e.text());
        return null;
      }
      return r;
    } catch (ExecutionException | CompletionException e) {
      Throwable t = e.getCause() == null ? e : e.getCause();
      problem(t.getClass().getSimpleName(), args[0] + " " + args[1] + ": " + t);
    } catch (TimeoutException e) {
      problem("no reply in " + REPLY_TIMEOUT_SECONDS + " s", args[0] + " " + args[1]);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stop.set(true);
    }
    return null;
  }

  private void problem(String kind, String example) {
    AtomicLong n = problems.computeIfAbsent(kind, k -> new AtomicLong());
    if (n.incrementAndGet() <= EXAMPLES_PER_KIND) examples.add(example);
  }

  /** Stops the clients after their current command and waits for them. */
  void stop() throws InterruptedException {
    stop.set(true);
    for (Thread t : threads) t.join(30_000);
    for (Thread t : threads) if (t.isAlive()) problem("client did not stop", t.getName());
  }

  /** What reading back every acknowledged key found. */
  record Verification(int checked, List<String> lost) {}

  /**
   * Reads every acknowledged key back through {@code router} (MGET, 200 keys at a time) and from
   * the memory of every replica of its range (the leaseholder first). Call after {@link #stop()}
   * and once the cluster serves every range.
   */
  Verification verify(Router router, LocalCluster cluster) throws Exception {
    List<RangeDescriptor> ranges = cluster.ranges();
    List<String> lost = new ArrayList<>();
    int checked = 0;
    try (RespClient c = RespClient.connect(group, router.address())) {
      List<Integer> batch = new ArrayList<>();
      for (int i = 0; i <= keys; i++) {
        if (i < keys && acked.get(i) != null) batch.add(i);
        if (batch.size() < 200 && !(i == keys && !batch.isEmpty())) continue;
        String[] args = new String[batch.size() + 1];
        args[0] = "MGET";
        for (int j = 0; j < batch.size(); j++) args[j + 1] = key(batch.get(j));
        RespValue r = c.send(args).get(REPLY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (!(r instanceof RespValue.Array a)
            || a.elements() == null
            || a.elements().size() != batch.size()) {
          lost.add(
              "MGET of "
                  + batch.size()
                  + " keys from "
                  + args[1]
                  + " through the router answered "
                  + r);
          batch.clear();
          continue;
        }
        for (int j = 0; j < batch.size(); j++) {
          checked++;
          String k = key(batch.get(j));
          String want = acked.get(batch.get(j));
          RespValue v = a.elements().get(j);
          String got = v instanceof RespValue.Bulk bulk ? bulk.utf8() : String.valueOf(v);
          if (!want.equals(got))
            lost.add(k + " through the router: " + got + " instead of " + want);
          RangeDescriptor d = rangeOf(ranges, b(k));
          List<String> holders = new ArrayList<>(d.replicas());
          holders.remove(d.leaseholder());
          holders.add(0, d.leaseholder());
          for (String node : holders) {
            StorageNode n = cluster.node(node);
            byte[] local = n.localValue(b(k));
            String there = local == null ? null : new String(local, StandardCharsets.UTF_8);
            if (!want.equals(there))
              lost.add(
                  k
                      + " on "
                      + (node.equals(d.leaseholder()) ? "leaseholder " : "replica ")
                      + node
                      + ": "
                      + there
                      + " instead of "
                      + want);
          }
        }
        batch.clear();
      }
    }
    return new Verification(checked, lost);
  }

  private static RangeDescriptor rangeOf(List<RangeDescriptor> ranges, byte[] key) {
    for (RangeDescriptor d : ranges) if (d.contains(key)) return d;
    throw new AssertionError(
        "no range holds " + new String(key, StandardCharsets.UTF_8) + " in " + ranges);
  }

  @Override
  public void close() throws InterruptedException {
    try {
      stop();
    } finally {
      group.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS).awaitUninterruptibly(2000);
    }
  }
}
