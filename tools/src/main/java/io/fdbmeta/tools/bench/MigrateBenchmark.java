package io.fdbmeta.tools.bench;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.tuple.Tuple;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.layer.CatalogImport;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.Migration;
import io.fdbmeta.layer.MigrationProgress;
import io.fdbmeta.layer.Migrations;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/*
 * `fdbmeta bench migrate`: the schema 1 -> 2 lease migration of a large catalog while it is used.
 *
 *  1. A version-1 catalog of R ranges (CatalogImport, 4,000 a commit) on 30 registered nodes, every
 *     lease in the old form with its own expiry: one in ten expired (vacated by the migration), the
 *     rest held (made to ride on liveness).
 *  2. Load, all through the run: LOOKUP_THREADS threads looking up random keys in the catalog (the
 *     read a router makes when its cache misses or it reloads), and one thread splitting a random
 *     range every SPLIT_EVERY_MILLIS (routing changes the catch-up must replay).
 *  3. WARMUP_SECONDS of that load (not counted: the JIT), BEFORE_SECONDS more as the baseline, then
 *     `Migrations.run` to the swap.
 *  4. Figures: the migration's wall time and records/s against the target (under 2 minutes for
 *     1,000,000 ranges), and the lookups' p50/p99 before the migration, during the backfill and in
 *     the catch-up and swap, against the target (p99 during the swap within 2x of before).
 */
/** {@code bench migrate}: see the comment at the top. */
public final class MigrateBenchmark {
  public static final int DEFAULT_RANGES = 1_000_000;
  public static final String REPRODUCE = "java -jar tools/target/fdbmeta.jar bench migrate";
  static final int NODES = 30;
  static final int LOOKUP_THREADS = 2;
  static final long SPLIT_EVERY_MILLIS = 100;
  static final double WARMUP_SECONDS = 3;
  static final double BEFORE_SECONDS = 5;

  private enum Phase {
    WARMUP,
    BEFORE,
    BACKFILL,
    SWAP,
    AFTER
  }

  private final int ranges;
  private final @Nullable Path dir;
  private final PrintWriter out;
  private final AtomicReference<Phase> phase = new AtomicReference<>(Phase.WARMUP);

  public MigrateBenchmark(int ranges, @Nullable Path dir, PrintWriter out) {
    if (ranges < 1000 || ranges > 10_000_000)
      throw new IllegalArgumentException("ranges must be in [1000, 10000000], got " + ranges);
    this.ranges = ranges;
    this.dir = dir;
    this.out = out;
  }

  /**
   * Runs the benchmark and prints its figures.
   *
   * @return true if both targets were met
   */
  public boolean run() throws InterruptedException {
    try (Database db = dir == null ? EmbeddedFdb.inMemory() : EmbeddedFdb.open(dir)) {
      LayerConfig config = LayerConfig.defaults();
      Keyspace ks = Keyspace.open(db, "bench-migrate");
      RangeCatalog catalog = new RangeCatalog(ks, config);
      long t0 = System.nanoTime();
      seed(db, ks, config, catalog);
      out.printf(
          Locale.ROOT,
          "bench migrate: %,d ranges in the old lease form built in %.1f s%n",
          ranges,
          (System.nanoTime() - t0) / 1e9);
      out.flush();
      AtomicBoolean stop = new AtomicBoolean();
      long[][] latencies = new long[Phase.values().length][];
      List<Thread> load = new ArrayList<>();
      List<LatencySamples[]> perThread = new ArrayList<>();
      for (int i = 0; i < LOOKUP_THREADS; i++) {
        LatencySamples[] mine = new LatencySamples[Phase.values().length];
        for (int p = 0; p < mine.length; p++) mine[p] = new LatencySamples(1 << 20);
        perThread.add(mine);
        load.add(start("lookups-" + i, () -> lookups(db, catalog, stop, mine)));
      }
      AtomicLong splits = new AtomicLong();
      load.add(start("splits", () -> splits(db, catalog, stop, splits)));
      Thread.sleep((long) (WARMUP_SECONDS * 1000));
      phase.set(Phase.BEFORE);
      Thread.sleep((long) (BEFORE_SECONDS * 1000));
      phase.set(Phase.BACKFILL);
      long started = System.nanoTime();
      AtomicLong swapStarted = new AtomicLong();
      long version =
          new Migrations(ks, config)
              .run(
                  db,
                  0,
                  new Migrations.Listener() {
                    private long lastPrint = System.nanoTime();

                    @Override
                    public void progress(Migration m, MigrationProgress p, long total) {
                      if (p.state() == MigrationProgress.State.CATCHUP
                          && phase.compareAndSet(Phase.BACKFILL, Phase.SWAP))
                        swapStarted.set(System.nanoTime());
                      long now = System.nanoTime();
                      if (now - lastPrint < 5_000_000_000L) return;
                      lastPrint = now;
                      out.printf(
                          Locale.ROOT,
                          "bench migrate: pass %d, %,d of %,d records, %.0f s%n",
                          p.pass(),
                          p.scanned(),
                          total,
                          (now - started) / 1e9);
                      out.flush();
                    }

                    @Override
                    public void note(String line) {
                      out.println("bench migrate: " + line);
                      out.flush();
                    }
                  });
      long ended = System.nanoTime();
      phase.set(Phase.AFTER);
      Thread.sleep(1000);
      stop.set(true);
      for (Thread t : load) t.join();
      for (Phase p : Phase.values()) {
        List<LatencySamples> of = new ArrayList<>();
        for (LatencySamples[] s : perThread) of.add(s[p.ordinal()]);
        latencies[p.ordinal()] = LatencySamples.merge(of);
        Arrays.sort(latencies[p.ordinal()]);
      }
      return report(version, ended - started, ended - swapStarted.get(), splits.get(), latencies);
    }
  }

  private boolean report(
      long version, long nanos, long swapNanos, long splits, long[][] latencies) {
    double seconds = nanos / 1e9;
    double target = Math.max(10, 120.0 * ranges / DEFAULT_RANGES);
    boolean timeOk = seconds < target;
    double before = percentile(latencies[Phase.BEFORE.ordinal()], 0.99);
    double swap = percentile(latencies[Phase.SWAP.ordinal()], 0.99);
    boolean lookupsOk = swap <= 2 * before;
    out.printf(
        Locale.ROOT,
        "%nbench migrate (%s)%n",
        REPRODUCE + (ranges == DEFAULT_RANGES ? "" : " --ranges " + ranges));
    out.printf(
        Locale.ROOT,
        "  migration 1 -> %d of %,d leases: %.1f s, %,.0f records/s (target: under %.0f s) %s%n",
        version,
        ranges,
        seconds,
        ranges / seconds,
        target,
        timeOk ? "PASS" : "FAIL");
    out.printf(
        Locale.ROOT,
        "  catch-up and swap: %.2f s; %,d splits committed during the run%n",
        swapNanos / 1e9,
        splits);
    out.printf(Locale.ROOT, "  catalog lookups   %10s %10s %10s%n", "count", "p50 ms", "p99 ms");
    for (Phase p : Phase.values()) {
      if (p == Phase.WARMUP) continue;
      long[] l = latencies[p.ordinal()];
      out.printf(
          Locale.ROOT,
          "    %-14s %10d %10.3f %10.3f%n",
          p.name().toLowerCase(Locale.ROOT),
          l.length,
          percentile(l, 0.50),
          percentile(l, 0.99));
    }
    out.printf(
        Locale.ROOT,
        "  lookups' p99 in the catch-up and swap / before: %.2fx (target: at most 2x) %s%n",
        before == 0 ? 0 : swap / before,
        lookupsOk ? "PASS" : "FAIL");
    out.flush();
    return timeOk && lookupsOk;
  }

  private static double percentile(long[] sorted, double q) {
    if (sorted.length == 0) return 0;
    return sorted[Math.min(sorted.length - 1, (int) (q * sorted.length))] / 1e6;
  }

  private static Thread start(String name, Runnable r) {
    Thread t = new Thread(r, "bench-migrate-" + name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private void lookups(
      Database db, RangeCatalog catalog, AtomicBoolean stop, LatencySamples[] out) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    while (!stop.get()) {
      byte[] key = key(random.nextInt(ranges));
      Phase p = phase.get();
      long t = System.nanoTime();
      catalog.lookup(db, key);
      out[p.ordinal()].add(System.nanoTime() - t);
    }
  }

  private void splits(Database db, RangeCatalog catalog, AtomicBoolean stop, AtomicLong done) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    while (!stop.get()) {
      try {
        int i = random.nextInt(ranges - 1);
        RangeDescriptor d = catalog.lookup(db, key(i));
        byte[] mid = Arrays.copyOf(key(i), key(i).length + 1);
        mid[mid.length - 1] = (byte) ('0' + random.nextInt(10));
        if (d.contains(mid) && !Arrays.equals(mid, d.startKey())) {
          catalog.split(db, d.rangeId(), mid);
          done.incrementAndGet();
        }
        Thread.sleep(SPLIT_EVERY_MILLIS);
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // a split that lost a race with another change: the next one is another range
      }
    }
  }

  private void seed(Database db, Keyspace ks, LayerConfig config, RangeCatalog catalog) {
    catalog.init(db);
    NodeRegistry registry = new NodeRegistry(ks, config);
    long[] incarnations = new long[NODES];
    for (int n = 0; n < NODES; n++)
      incarnations[n] =
          registry
              .register(
                  db,
                  new NodeRegistry.Registration(
                      node(n),
                      "10.0.0." + n + ":7000",
                      new NodeRecord.Locality("r", "z" + n % 3, "k" + n % 6),
                      new NodeRecord.Capacity(1L << 40, 16)),
                  "bench-" + n)
              .incarnation();
    CatalogImport importer = new CatalogImport(catalog);
    long now = config.now();
    List<CatalogImport.ImportedRange> chunk = new ArrayList<>();
    for (int i = 0; i < ranges; i++) {
      int holder = i % NODES;
      chunk.add(
          new CatalogImport.ImportedRange(
              100 + i,
              i == ranges - 1 ? null : key(i + 1),
              List.of(node(holder), node((holder + 1) % NODES), node((holder + 2) % NODES)),
              node(holder),
              i % 10 == 0 ? now - 60_000 : now + 3_600_000,
              incarnations[holder]));
      if (chunk.size() == CatalogImport.DEFAULT_CHUNK || i == ranges - 1) {
        importer.importChunkAsync(db, chunk).join();
        chunk.clear();
      }
    }
    db.run(
        tr -> {
          tr.set(ks.schemaVersionKey(), Tuple.from(1L).pack());
          return null;
        });
  }

  private static String node(int n) {
    return "n" + n;
  }

  private static byte[] key(int i) {
    return String.format(Locale.ROOT, "r%08d", i).getBytes(StandardCharsets.UTF_8);
  }
}
