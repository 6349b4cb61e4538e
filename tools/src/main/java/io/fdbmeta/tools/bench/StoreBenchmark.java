package io.fdbmeta.tools.bench;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.Range;
import com.apple.foundationdb.Transaction;
import io.fdbmeta.embedded.EmbeddedFdb;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/*
 * How the store benchmark works.
 *
 * Every workload runs on four backends: fdb-embedded in memory, fdb-embedded durable in a
 * directory, the same durable store served by `fdbmeta store serve` in a child process and reached
 * over loopback TCP (what separate fdbmeta processes use), and a bare ConcurrentSkipListMap with an
 * unsigned lexicographic comparator (the ceiling: what the data structure alone costs, with no
 * transactions, MVCC, conflict checks or log). After one unmeasured pass over every workload (to
 * compile the hot paths), the backends take turns workload by workload, so drift during the run
 * (JIT, GC, other load on the machine) falls on all alike. Figures still vary run to run on a busy
 * machine; compare within a run.
 *
 * Each backend is loaded with the same KEYS keys (prefix + 8-byte big-endian index) and 100-byte
 * values; reads hit random existing keys, writes overwrite random existing keys, so every write
 * transaction is blind (no reads, hence no conflicts) like FoundationDB's published write figures.
 *
 * fdb-embedded clients are asynchronous: a client chains runAsync/readAsync calls, one outstanding
 * at a time, and is rescheduled on a ForkJoinPool (also the database's executor) after each
 * completion. Skiplist clients are platform threads in a tight loop. Each run has a warm-up, then
 * a fixed window; only operations completing inside the window count.
 */

/** Runs {@code fdbmeta bench store}; see the comment at the top of this file for the method. */
public final class StoreBenchmark {
  static final int KEYS = 100_000;
  static final int VALUE_BYTES = 100;
  static final int RANGE_KEYS = 1000;
  private static final byte[] PREFIX = "fdbmeta-bench/".getBytes(StandardCharsets.US_ASCII);

  /**
   * Options of one run. {@code durableDir} null means a temporary directory, deleted afterwards.
   */
  public record Config(double seconds, double warmupSeconds, @Nullable Path durableDir, int keys) {
    public Config {
      if (!(seconds > 0 && seconds <= 600))
        throw new IllegalArgumentException("seconds must be in (0, 600], got " + seconds);
      if (!(warmupSeconds >= 0 && warmupSeconds <= 600))
        throw new IllegalArgumentException("warm-up must be in [0, 600], got " + warmupSeconds);
      if (keys < RANGE_KEYS + 10)
        throw new IllegalArgumentException(
            "keys must be >= " + (RANGE_KEYS + 10) + ", got " + keys);
    }

    /**
     * The defaults for {@code seconds} per measurement: warm-up a quarter of it, at least 0.2 s.
     */
    public static Config of(double seconds, @Nullable Path durableDir) {
      return new Config(seconds, Math.min(1.0, Math.max(0.2, seconds / 4)), durableDir, KEYS);
    }
  }

  /** Opens the database a run measures: in memory when {@code dir} is null, else durable in it. */
  interface Opener {
    Database open(@Nullable Path dir, Executor executor);

    /** A client of the store served at {@code hostPort}. */
    default Database connect(String hostPort, Executor executor) {
      return EmbeddedFdb.builder().executor(executor).server(hostPort).build();
    }
  }

  private static final Opener EMBEDDED =
      (dir, executor) -> {
        EmbeddedFdb.Builder b = EmbeddedFdb.builder().executor(executor);
        if (dir != null) b.directory(dir);
        return b.build();
      };

  private final Config config;
  private final @Nullable PrintWriter progress;
  private final Opener opener;
  private final byte[][] keys;
  private final byte[] value;
  private final byte[] endKey;

  public StoreBenchmark(Config config, @Nullable PrintWriter progress) {
    this(config, progress, EMBEDDED);
  }

  StoreBenchmark(Config config, @Nullable PrintWriter progress, Opener opener) {
    this.config = config;
    this.progress = progress;
    this.opener = opener;
    this.keys = new byte[config.keys()][];
    for (int i = 0; i < keys.length; i++) keys[i] = key(i);
    this.value = new byte[VALUE_BYTES];
    new SplittableRandom(42).nextBytes(value);
    this.endKey = Range.startsWith(PREFIX).end;
  }

  static byte[] key(int i) {
    return ByteBuffer.allocate(PREFIX.length + 8).put(PREFIX).putLong(i).array();
  }

  public BenchReport run() throws InterruptedException {
    double loadAverage = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    Map<Backend, Map<Workload, Measurement>> results = new EnumMap<>(Backend.class);
    for (Backend b : Backend.values()) results.put(b, new EnumMap<>(Workload.class));
    int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
    ForkJoinPool pool =
        new ForkJoinPool(threads, ForkJoinPool.defaultForkJoinWorkerThreadFactory, null, true);
    Path durableDir = config.durableDir();
    boolean temporary = durableDir == null;
    try {
      Path dir = temporary ? Files.createTempDirectory("fdbmeta-bench-") : durableDir;
      try {
        Files.createDirectories(dir);
        ConcurrentSkipListMap<byte[], byte[]> map =
            new ConcurrentSkipListMap<>(Arrays::compareUnsigned);
        Path servedDir = dir.resolve("served");
        try (Database memory = opener.open(null, pool);
            Database durable = opener.open(dir.resolve("local"), pool);
            ServedStoreProcess server = ServedStoreProcess.start(servedDir, "127.0.0.1:0");
            Database served = opener.connect(server.address(), pool)) {
          say("bench store: loading " + keys.length + " keys into each store");
          for (byte[] k : keys) map.put(k, value);
          load(memory);
          load(durable);
          load(served);
          say("bench store: warming up the JIT (here and in the server) on every workload");
          for (Workload w : Workload.values()) {
            for (Database db : List.of(memory, served)) {
              AsyncLoad.run(
                  "warm-up",
                  w.clients,
                  Window.startingNow(0, config.warmupSeconds()),
                  pool,
                  embeddedOp(w, db, pool));
            }
          }
          // Backends take turns per workload, so drift (JIT, other load on the machine) hits them
          // alike.
          for (Workload w : Workload.values()) {
            say(
                "bench store: "
                    + w.label
                    + ", "
                    + w.perTransaction
                    + " per transaction, "
                    + w.clients
                    + " clients");
            results
                .get(Backend.MEMORY)
                .put(
                    w,
                    AsyncLoad.run(
                        "memory " + w.label,
                        w.clients,
                        window(),
                        pool,
                        embeddedOp(w, memory, pool)));
            results
                .get(Backend.DURABLE)
                .put(
                    w,
                    AsyncLoad.run(
                        "durable " + w.label,
                        w.clients,
                        window(),
                        pool,
                        embeddedOp(w, durable, pool)));
            results
                .get(Backend.SERVED)
                .put(
                    w,
                    AsyncLoad.run(
                        "served " + w.label,
                        w.clients,
                        window(),
                        pool,
                        embeddedOp(w, served, pool)));
            results
                .get(Backend.SKIPLIST)
                .put(w, ThreadLoad.run("skiplist", w.clients, window(), skipListOp(w, map)));
          }
          for (Database db : List.of(durable, served)) {
            db.run(
                tr -> {
                  tr.clear(new Range(PREFIX, endKey));
                  return null;
                });
          }
        }
      } finally {
        if (temporary) deleteRecursively(dir);
      }
      String where = temporary ? "a temporary directory, deleted afterwards" : dir.toString();
      return new BenchReport(config, threads, where, results, loadAverage);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      pool.shutdown();
    }
  }

  private Window window() {
    return Window.startingNow(config.warmupSeconds(), config.seconds());
  }

  private void say(String line) {
    if (progress != null) {
      progress.println(line);
      progress.flush();
    }
  }

  /** Writes every bench key, 1000 to a transaction, after clearing earlier bench keys. */
  private void load(Database db) {
    for (int start = 0; start < keys.length; start += 1000) {
      int from = start, to = Math.min(keys.length, start + 1000);
      db.run(
          tr -> {
            if (from == 0) tr.clear(new Range(PREFIX, endKey));
            for (int i = from; i < to; i++) tr.set(keys[i], value);
            return null;
          });
    }
  }

  private Supplier<CompletableFuture<Integer>> embeddedOp(
      Workload w, Database db, ForkJoinPool pool) {
    switch (w) {
      case POINT_READ:
        return () -> db.readAsync(tr -> tr.get(randomKey()), pool).thenApply(StoreBenchmark::one);
      case POINT_READ_BATCH:
        return () ->
            db.readAsync(
                tr -> {
                  List<CompletableFuture<byte[]>> gets = new ArrayList<>(w.keysPerOp);
                  for (int i = 0; i < w.keysPerOp; i++) gets.add(tr.get(randomKey()));
                  return CompletableFuture.allOf(gets.toArray(CompletableFuture<?>[]::new))
                      .thenApply(
                          x -> {
                            for (CompletableFuture<byte[]> g : gets) one(g.join());
                            return gets.size();
                          });
                },
                pool);
      case COMMIT_1:
      case COMMIT_16:
      case COMMIT_256:
      case COMMIT_10_KEYS:
        return () -> db.runAsync(tr -> setRandom(tr, w.keysPerOp), pool);
      case RANGE_READ:
        return () ->
            db.readAsync(
                tr -> {
                  int from = ThreadLocalRandom.current().nextInt(keys.length - RANGE_KEYS);
                  return tr.getRange(keys[from], endKey, RANGE_KEYS).asList().thenApply(List::size);
                },
                pool);
    }
    throw new AssertionError(w);
  }

  private CompletableFuture<Integer> setRandom(Transaction tr, int n) {
    for (int i = 0; i < n; i++) tr.set(randomKey(), value);
    return CompletableFuture.completedFuture(n);
  }

  private byte[] randomKey() {
    return keys[ThreadLocalRandom.current().nextInt(keys.length)];
  }

  private static int one(byte @Nullable [] value) {
    if (value == null) throw new IllegalStateException("a loaded bench key read back as missing");
    return 1;
  }

  private IntSupplier skipListOp(Workload w, ConcurrentSkipListMap<byte[], byte[]> map) {
    switch (w) {
      case POINT_READ:
      case POINT_READ_BATCH:
        return () -> {
          for (int i = 0; i < w.keysPerOp; i++) one(map.get(randomKey()));
          return w.keysPerOp;
        };
      case COMMIT_1:
      case COMMIT_16:
      case COMMIT_256:
      case COMMIT_10_KEYS:
        return () -> {
          for (int i = 0; i < w.keysPerOp; i++) map.put(randomKey(), value);
          return w.keysPerOp;
        };
      case RANGE_READ:
        return () -> {
          int from = ThreadLocalRandom.current().nextInt(keys.length - RANGE_KEYS);
          int n = 0;
          long sink = 0;
          for (Map.Entry<byte[], byte[]> e :
              map.subMap(keys[from], true, endKey, false).entrySet()) {
            // Touch what a range read returns, as KeyValue does.
            sink += new KeyValue(e.getKey(), e.getValue()).getValue().length;
            if (++n == RANGE_KEYS) break;
          }
          return sink > 0 ? n : 0;
        };
    }
    throw new AssertionError(w);
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, @Nullable IOException exc)
              throws IOException {
            Files.delete(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
