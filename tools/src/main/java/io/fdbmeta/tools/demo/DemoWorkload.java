package io.fdbmeta.tools.demo;

import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.storage.LocalCluster;
import io.fdbmeta.storage.StorageNode;
import io.fdbmeta.wire.RespClient;
import io.fdbmeta.wire.RespValue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.jspecify.annotations.Nullable;

/*
 * The built-in client load of the demo and of `bench failover`, and the check that no acknowledged
 * write is lost.
 *
 * Each client owns the keys whose index is congruent to its number modulo the client count and
 * has one command outstanding at a time, so every key has one writer and no write in flight while
 * it reads. Its values are "c<client>-<seq>" with seq rising per client, and per key it remembers
 * the seq of the last acknowledged write and of the last write tried. A write that failed may
 * still have taken effect (the node stored it but could not replicate it in time; the connection
 * broke after the send), so a key may legitimately hold any value from its last acknowledged write
 * up to its last tried one. Anything older, or nothing at all, is an acknowledged write lost (or,
 * for a read during the run, a stale read). The demo draws keys with a skew (the square of a
 * uniform draw), so some ranges are hotter than others and it has something to split; the
 * failover bench draws them uniformly, so every range carries writes.
 *
 * "Acknowledged" means the router answered +OK. At the end every acknowledged key is read back
 * through the router, and can be checked on every replica of its range.
 */
/**
 * Closed-loop clients writing and reading back keys through RESP, remembering every acknowledged
 * write.
 */
public final class DemoWorkload {
  public static final String PREFIX = "demo:";
  public static final int KEYS = 100_000;

  private final List<RespClient> clients;
  private final boolean skewed;

  /** Per key: seq of the last acknowledged write (0: none) and of the last write sent. */
  private final long[] acked = new long[KEYS];

  private final long[] tried = new long[KEYS];
  private final AtomicLongArray hits = new AtomicLongArray(KEYS);
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong writes = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final AtomicLong staleReads = new AtomicLong();
  private final ConcurrentHashMap<String, AtomicLong> errorKinds = new ConcurrentHashMap<>();
  private final List<CompletableFuture<Void>> loops = new ArrayList<>();
  private volatile boolean running;

  /** {@code skewed}: keys drawn towards low indexes (the demo), else uniformly. */
  public DemoWorkload(List<RespClient> clients, boolean skewed) {
    if (clients.isEmpty()) throw new IllegalArgumentException("at least one client");
    this.clients = List.copyOf(clients);
    this.skewed = skewed;
  }

  public static String key(int index) {
    return String.format("%s%06d", PREFIX, index);
  }

  public static byte[] keyBytes(int index) {
    return key(index).getBytes(StandardCharsets.US_ASCII);
  }

  public void start(long seed) {
    running = true;
    for (int c = 0; c < clients.size(); c++) {
      CompletableFuture<Void> done = new CompletableFuture<>();
      loops.add(done);
      new Client(c, new SplittableRandom(seed + c), done).next();
    }
  }

  /** Stops issuing commands and waits for the outstanding ones. */
  public void stop() {
    running = false;
    CompletableFuture.allOf(loops.toArray(new CompletableFuture<?>[0])).join();
  }

  public long requests() {
    return requests.get();
  }

  public long acknowledgedWrites() {
    return writes.get();
  }

  public long errors() {
    return errors.get();
  }

  public long staleReads() {
    return staleReads.get();
  }

  /**
   * Error replies and failures by their first word, e.g. "TRYAGAIN" or "ClosedChannelException".
   */
  public java.util.Map<String, Long> errorKinds() {
    java.util.Map<String, Long> out = new java.util.TreeMap<>();
    errorKinds.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /** Requests per key so far; the splitter diffs two of these. */
  long[] hitCounts() {
    long[] out = new long[KEYS];
    for (int i = 0; i < KEYS; i++) out[i] = hits.get(i);
    return out;
  }

  /**
   * Reads every acknowledged key back through {@code client} and counts those whose value is older
   * than the last acknowledged one, or missing (see the comment at the top). Call after {@link
   * #stop()}. A batch whose MGET fails (a range still failing over when the run was stopped) is
   * sent again until {@code retry} has passed since the first failure; keys still unanswered then
   * are counted as unchecked, with the last answer as the reason.
   */
  public Verification verify(RespClient client, Duration retry) {
    long checked = 0, lost = 0, unchecked = 0;
    String why = "";
    long giveUpAt = Long.MAX_VALUE;
    List<Integer> batch = new ArrayList<>();
    for (int i = 0; i <= KEYS; i++) {
      if (i < KEYS && acked[i] != 0) batch.add(i);
      if (batch.size() < 500 && (i < KEYS || batch.isEmpty())) continue;
      byte[][] args = new byte[batch.size() + 1][];
      args[0] = "MGET".getBytes(StandardCharsets.US_ASCII);
      for (int j = 0; j < batch.size(); j++) args[j + 1] = keyBytes(batch.get(j));
      RespValue reply = client.send(args).join();
      while (!(reply instanceof RespValue.Array a && a.elements() != null)) {
        if (giveUpAt == Long.MAX_VALUE) giveUpAt = System.nanoTime() + retry.toNanos();
        if (System.nanoTime() - giveUpAt >= 0) break;
        sleep(50);
        reply = client.send(args).join();
      }
      if (reply instanceof RespValue.Array a && a.elements() != null) {
        for (int j = 0; j < batch.size(); j++) {
          checked++;
          RespValue v = a.elements().get(j);
          if (!(v instanceof RespValue.Bulk bulk) || !holds(batch.get(j), bulk.bytes())) lost++;
        }
      } else {
        unchecked += batch.size();
        why = "MGET answered " + reply;
      }
      batch.clear();
    }
    return new Verification(checked, lost, unchecked, why);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Checks every acknowledged key on every replica of its range, as the catalog lists them now: the
   * value each replica's node stores must be the last acknowledged one or a later try. Call after
   * {@link #stop()}, once every replica on a running node finished copying its data. {@code
   * checked} counts copies (keys x replicas); copies on nodes not running (the run was stopped
   * before the controller replaced them) are unchecked.
   */
  public Verification verifyOnReplicas(LocalCluster cluster) {
    List<RangeDescriptor> ranges = cluster.ranges();
    Map<String, StorageNode> running = new HashMap<>();
    for (StorageNode n : cluster.nodes()) running.put(n.nodeId(), n);
    long checked = 0, lost = 0, unchecked = 0;
    Set<String> stopped = new TreeSet<>();
    int r = 0;
    for (int i = 0; i < KEYS; i++) {
      if (acked[i] == 0) continue;
      byte[] key = keyBytes(i);
      while (!ranges.get(r).contains(key)) r++; // keys and ranges both ascend
      for (String nodeId : ranges.get(r).replicas()) {
        StorageNode node = running.get(nodeId);
        if (node == null) {
          unchecked++;
          stopped.add(nodeId);
          continue;
        }
        checked++;
        if (!holds(i, node.localValue(key))) lost++;
      }
    }
    return new Verification(
        checked, lost, unchecked, stopped.isEmpty() ? "" : "replicas on stopped nodes " + stopped);
  }

  /**
   * True if {@code value} is key {@code index}'s last acknowledged write or a later try of its
   * writer.
   */
  private boolean holds(int index, byte @Nullable [] value) {
    if (value == null) return acked[index] == 0;
    String v = new String(value, StandardCharsets.US_ASCII);
    int dash = v.indexOf('-');
    if (dash < 0 || !v.substring(0, dash).equals("c" + index % clients.size())) return false;
    long seq;
    try {
      seq = Long.parseLong(v.substring(dash + 1));
    } catch (NumberFormatException e) {
      return false;
    }
    return seq >= acked[index] && seq <= tried[index];
  }

  /**
   * {@code checked} keys (or copies), {@code lost} of them without their last acknowledged write.
   */
  /** {@code unchecked}: keys (or copies) that could not be read, {@code why} says why. */
  public record Verification(long checked, long lost, long unchecked, String why) {}

  private final class Client {
    private final int number;
    private final SplittableRandom random;
    private final CompletableFuture<Void> done;
    private long seq;

    Client(int number, SplittableRandom random, CompletableFuture<Void> done) {
      this.number = number;
      this.random = random;
      this.done = done;
    }

    /** Issues the next command; the reply's callback issues the one after it. */
    void next() {
      if (!running) {
        done.complete(null);
        return;
      }
      int n = clients.size();
      double u = random.nextDouble();
      int index = (int) ((skewed ? u * u : u) * (KEYS / n)) * n + number; // owned by this client
      if (index >= KEYS) index = number;
      hits.incrementAndGet(index);
      requests.incrementAndGet();
      int key = index;
      RespClient c = clients.get(number);
      if (acked[key] == 0 || random.nextInt(10) < 6) {
        long mine = ++seq;
        tried[key] = mine;
        String value = "c" + number + "-" + mine;
        c.send(
                new byte[][] {
                  "SET".getBytes(StandardCharsets.US_ASCII),
                  keyBytes(key),
                  value.getBytes(StandardCharsets.US_ASCII)
                })
            .whenComplete(
                (reply, failure) -> {
                  if (failure == null
                      && reply instanceof RespValue.Simple s
                      && s.text().equals("OK")) {
                    acked[key] = mine;
                    writes.incrementAndGet();
                  } else {
                    error(reply, failure);
                  }
                  proceed(failure);
                });
      } else {
        c.send(new byte[][] {"GET".getBytes(StandardCharsets.US_ASCII), keyBytes(key)})
            .whenComplete(
                (reply, failure) -> {
                  if (failure == null && reply instanceof RespValue.Bulk b) {
                    if (!holds(key, b.bytes())) staleReads.incrementAndGet();
                  } else {
                    error(reply, failure);
                  }
                  proceed(failure);
                });
      }
    }

    private void error(@Nullable RespValue reply, @Nullable Throwable failure) {
      errors.incrementAndGet();
      String kind;
      if (failure != null) {
        Throwable t = FdbErrors.cause(failure);
        kind = t.getClass().getSimpleName();
      } else if (reply instanceof RespValue.Error e) {
        int sp = e.text().indexOf(' ');
        kind = sp < 0 ? e.text() : e.text().substring(0, sp);
      } else {
        kind = "unexpected reply";
      }
      errorKinds.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
    }

    /**
     * The next command, unless the connection failed: then this client stops rather than spin on a
     * dead socket.
     */
    private void proceed(@Nullable Throwable failure) {
      if (failure == null) {
        next();
      } else {
        done.complete(null);
      }
    }
  }
}
