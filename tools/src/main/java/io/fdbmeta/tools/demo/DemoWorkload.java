package io.fdbmeta.tools.demo;

import io.fdbmeta.wire.RespClient;
import io.fdbmeta.wire.RespValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.jspecify.annotations.Nullable;

/*
 * The demo's built-in client load, and the check that no acknowledged write is lost.
 *
 * Each client owns the keys whose index is congruent to its number modulo the client count and
 * has one command outstanding at a time, so for each key there is one writer and no write in
 * flight while it reads: a GET must return exactly the last acknowledged value of that key. Any
 * other answer is counted as a stale read. Keys are drawn with a skew (the square of a uniform
 * draw), so some ranges are hotter than others and the demo has something to split.
 *
 * "Acknowledged" means the router answered +OK. At the end every acknowledged key is read back
 * through the router; a missing or different value is a lost write.
 */
/** Closed-loop clients writing and reading back keys through RESP, remembering every acknowledged write. */
final class DemoWorkload {
  static final String PREFIX = "demo:";
  static final int KEYS = 100_000;

  private final List<RespClient> clients;
  private final String[] acked = new String[KEYS];
  private final AtomicLongArray hits = new AtomicLongArray(KEYS);
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong writes = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final AtomicLong staleReads = new AtomicLong();
  private final ConcurrentHashMap<String, AtomicLong> errorKinds = new ConcurrentHashMap<>();
  private final List<CompletableFuture<Void>> loops = new ArrayList<>();
  private volatile boolean running;

  DemoWorkload(List<RespClient> clients) {
    this.clients = List.copyOf(clients);
  }

  static String key(int index) {
    return String.format("%s%06d", PREFIX, index);
  }

  static byte[] keyBytes(int index) {
    return key(index).getBytes(StandardCharsets.US_ASCII);
  }

  void start(long seed) {
    running = true;
    for (int c = 0; c < clients.size(); c++) {
      CompletableFuture<Void> done = new CompletableFuture<>();
      loops.add(done);
      new Client(c, new SplittableRandom(seed + c), done).next();
    }
  }

  /** Stops issuing commands and waits for the outstanding ones. */
  void stop() {
    running = false;
    CompletableFuture.allOf(loops.toArray(new CompletableFuture<?>[0])).join();
  }

  long requests() {
    return requests.get();
  }

  long acknowledgedWrites() {
    return writes.get();
  }

  long errors() {
    return errors.get();
  }

  long staleReads() {
    return staleReads.get();
  }

  /** Error replies and failures by their first word, e.g. "TRYAGAIN" or "ClosedChannelException". */
  java.util.Map<String, Long> errorKinds() {
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
   * Reads every acknowledged key back through {@code client} and counts those whose value is not
   * the last acknowledged one. Call after {@link #stop()}.
   */
  Verification verify(RespClient client) {
    long checked = 0, lost = 0;
    List<Integer> batch = new ArrayList<>();
    for (int i = 0; i <= KEYS; i++) {
      if (i < KEYS && acked[i] != null) batch.add(i);
      if (batch.size() == 500 || (i == KEYS && !batch.isEmpty())) {
        byte[][] args = new byte[batch.size() + 1][];
        args[0] = "MGET".getBytes(StandardCharsets.US_ASCII);
        for (int j = 0; j < batch.size(); j++) args[j + 1] = keyBytes(batch.get(j));
        RespValue reply = client.send(args).join();
        if (!(reply instanceof RespValue.Array a) || a.elements() == null) throw new IllegalStateException("MGET during verification answered " + reply);
        for (int j = 0; j < batch.size(); j++) {
          checked++;
          String expected = acked[batch.get(j)];
          RespValue v = a.elements().get(j);
          if (!(v instanceof RespValue.Bulk b) || !expected.equals(b.utf8())) lost++;
        }
        batch.clear();
      }
    }
    return new Verification(checked, lost);
  }

  record Verification(long checked, long lost) {}

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
      int index = (int) (u * u * (KEYS / n)) * n + number; // skewed towards low keys, owned by this client
      if (index >= KEYS) index = number;
      hits.incrementAndGet(index);
      requests.incrementAndGet();
      int key = index;
      RespClient c = clients.get(number);
      if (acked[key] == null || random.nextInt(10) < 6) {
        String value = "c" + number + "-" + (++seq);
        c.send(new byte[][] {"SET".getBytes(StandardCharsets.US_ASCII), keyBytes(key), value.getBytes(StandardCharsets.US_ASCII)})
            .whenComplete((reply, failure) -> {
              if (failure == null && reply instanceof RespValue.Simple s && s.text().equals("OK")) {
                acked[key] = value;
                writes.incrementAndGet();
              } else {
                error(reply, failure);
              }
              proceed(failure);
            });
      } else {
        String expected = acked[key];
        c.send(new byte[][] {"GET".getBytes(StandardCharsets.US_ASCII), keyBytes(key)}).whenComplete((reply, failure) -> {
          if (failure == null && reply instanceof RespValue.Bulk b) {
            if (!expected.equals(b.utf8())) staleReads.incrementAndGet();
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
        Throwable t = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        kind = t.getClass().getSimpleName();
      } else if (reply instanceof RespValue.Error e) {
        int sp = e.text().indexOf(' ');
        kind = sp < 0 ? e.text() : e.text().substring(0, sp);
      } else {
        kind = "unexpected reply";
      }
      errorKinds.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
    }

    /** The next command, unless the connection failed: then this client stops rather than spin on a dead socket. */
    private void proceed(@Nullable Throwable failure) {
      if (failure == null) {
        next();
      } else {
        done.complete(null);
      }
    }
  }
}
