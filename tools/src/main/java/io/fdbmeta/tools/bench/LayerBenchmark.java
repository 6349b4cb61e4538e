package io.fdbmeta.tools.bench;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.Transaction;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.ChangelogTrimmer;
import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.HeartbeatBatcher;
import io.fdbmeta.layer.Ids;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.MetaException;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.Page;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.route.ChangeFeed;
import io.fdbmeta.layer.route.RouteFollower;
import io.fdbmeta.layer.route.RouteTable;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/*
 * How the layer benchmark works.
 *
 * Everything runs in one JVM on one fdb-embedded store (in memory, or durable in --dir), through
 * the layer's public API only, in this order:
 *
 *  1. Fleet: register N nodes (500 per transaction).
 *  2. Heartbeats: an open-loop load at a fixed offered rate through one HeartbeatBatcher (default
 *     limits), node i % N sending heartbeat i. Latency runs from each heartbeat's due time to its
 *     commit acknowledgement (OpenLoop: no coordinated omission), after an unmeasured warm-up at
 *     the same rate. Then, for information, the saturated rate: every node keeps one heartbeat
 *     outstanding (closed loop).
 *  3. Catalog: pre-split the root into R ranges with splitManyAsync, 5,000 keys per commit, each
 *     call splitting the last range; range i is [user:i*10, user:(i+1)*10). The ranges have no
 *     replicas yet, as after a bulk pre-split: with 3 replicas and a lease every range also writes
 *     4 index and lease keys, which makes the build about 3 times slower, while the cold load
 *     measured about the same. Then the ChangelogTrimmer trims the log to its retention, as a
 *     controller would.
 *  4. Cold load beside a raw scan, alternating which goes first, several rounds: the raw scan
 *     reads the same range-index rows with the same page size and one read transaction per page,
 *     without decoding (RangeCatalog.scanIndexAsync shares the loader's paging code); the cold
 *     load is a new RouteFollower's start(): pages, build the table, catch up. The table indexes
 *     each chunk of ~256 ranges on its first lookup, so after each load (outside its time) lookups
 *     of one range in FIRST_LOOKUP_STRIDE, in key order, are timed, then the same again: the cost
 *     the load leaves to first use is printed beside it. Then, for
 *     information, RangeCatalog's listing of the same pages: decoded, but no table (not between
 *     the two: its garbage would land on whichever ran next). Best of the rounds (the medians are
 *     printed beside).
 *     The last round's follower keeps running (as a router would) through phases 5 to 7.
 *  5. Cold lookups: one new read transaction and RangeCatalog.lookupAsync per sample, random keys.
 *  6. Splits on the big catalog: sequentially (prepare untimed, then the phase-2 commit timed,
 *     and the two phases together), then 8 concurrent clients each looking up a random range,
 *     preparing and committing its split.
 *  8. Lease upkeep, before and after range leases rode on liveness (step 7 is below; this runs
 *     last). Before: each held range lease was renewed on its own every leaseRenewInterval (a
 *     third of the lease), one lease-record write per range: ranges / interval writes per second
 *     are needed (computed: that renewal path no longer exists, renewing now converts a lease to
 *     one riding on liveness). Measured beside it: one pass rewriting a lease record (the bytes an
 *     old renewal wrote) per range, 1,000 per transaction, 8 transactions in flight, i.e. how
 *     many seconds of this store's writes one second of the old upkeep would cost. After: upkeep
 *     is the heartbeats alone, nodes / heartbeat interval (the storage node's default, a third of
 *     the liveness), offered open loop through a HeartbeatBatcher and measured.
 *  7. Propagation: a running RouteFollower (the one from step 4, then a new one); splits committed one at a time; for each, the time
 *     from the commit's acknowledgement to the follower's listener seeing the left child. Once
 *     with default options (watch on meta_version plus a 1 s poll), once with watches only.
 *
 * Timed phases last --seconds each; the machine's load average is reported because on a small
 * shared machine other work moves every figure.
 */

/** Runs {@code fdbmeta bench layer}; see the comment at the top of this file for the method. */
public final class LayerBenchmark {
  public static final int DEFAULT_RANGES = 1_000_000;
  public static final int DEFAULT_NODES = 10_000;
  public static final double DEFAULT_RATE = 25_000;
  static final String CLUSTER = "fdbmeta-bench-layer";
  static final int REGISTER_PER_TXN = 500;
  static final int LOAD_PAGE_SIZE = 10_000;
  static final int COLD_LOAD_ROUNDS = 15;

  /**
   * After the cold load, one lookup per this many ranges: a few in every chunk, each chunk indexed
   * on its first.
   */
  static final int FIRST_LOOKUP_STRIDE = 64;

  static final int SPLIT_CLIENTS = 8;
  static final int MAX_PROPAGATION_SAMPLES = 5_000;
  static final int KEY_STRIDE = 10;

  /** Options of one run; {@code dir} null means in memory. */
  public record Config(
      int ranges, int nodes, double seconds, double heartbeatRate, @Nullable Path dir) {
    public Config {
      if (ranges < 1000 || ranges > 10_000_000)
        throw new IllegalArgumentException("ranges must be in [1000, 10000000], got " + ranges);
      if (nodes < 3 || nodes > 1_000_000)
        throw new IllegalArgumentException("nodes must be in [3, 1000000], got " + nodes);
      if (!(seconds > 0 && seconds <= 600))
        throw new IllegalArgumentException("seconds must be in (0, 600], got " + seconds);
      if (!(heartbeatRate >= 1 && heartbeatRate <= 1_000_000))
        throw new IllegalArgumentException(
            "heartbeat rate must be in [1, 1000000], got " + heartbeatRate);
    }

    double warmupSeconds() {
      return Math.min(1.0, Math.max(0.1, seconds / 4));
    }
  }

  /** Everything a run measured; {@link LayerReport} formats it. */
  record Results(
      double loadAverage,
      int executorThreads,
      double registerSeconds,
      Measurement heartbeatsOpenLoop,
      double heartbeatRate,
      Measurement heartbeatsSaturated,
      double buildSeconds,
      long buildCommits,
      double trimSeconds,
      long trimmedEntries,
      long[] scanNanos,
      long[] decodeNanos,
      long[] loadNanos,
      long loadedRanges,
      FirstLookups firstLookups,
      Measurement coldLookups,
      Measurement splitCommitSequential,
      Measurement splitTwoPhaseSequential,
      Measurement splitCommitConcurrent,
      Measurement splitTwoPhaseConcurrent,
      Measurement propagation,
      Measurement propagationWatchesOnly,
      RouteFollower.Metrics followerMetrics,
      Gc heartbeatGc,
      LeaseUpkeep leaseUpkeep,
      Gc propagationGc,
      Gc totalGc,
      double totalSeconds) {}

  /**
   * Lookups right after each cold load, one per FIRST_LOOKUP_STRIDE ranges in key order, which
   * index every chunk (the load leaves that to first use), then the same lookups again; best of the
   * rounds each (the first rounds also warm the lookup code up).
   */
  record FirstLookups(int lookups, long firstNanos, long againNanos) {}

  /**
   * Lease upkeep for {@code leases} range leases: before (per-range renewal every {@code
   * renewMillis}; {@code rewriteSeconds} for one pass of lease-record writes, measured) and after
   * (heartbeats every {@code heartbeatMillis}, offered open loop and measured).
   */
  record LeaseUpkeep(
      long leases,
      long renewMillis,
      double rewriteSeconds,
      long heartbeatMillis,
      double heartbeatRate,
      Measurement heartbeats) {
    /** Writes per second the old per-range renewal needs: leases / renew interval. */
    double beforeNeeded() {
      return leases * 1000.0 / renewMillis;
    }

    /** Lease-record writes per second this store sustained in the measured pass. */
    double rewritesPerSecond() {
      return leases / rewriteSeconds;
    }
  }

  /** Garbage collections and their accumulated time (ms) since the JVM started, or in a phase. */
  record Gc(long count, long millis) {
    static Gc now() {
      long count = 0;
      long millis = 0;
      for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
        count += Math.max(0, b.getCollectionCount());
        millis += Math.max(0, b.getCollectionTime());
      }
      return new Gc(count, millis);
    }

    Gc minus(Gc earlier) {
      return new Gc(count - earlier.count, millis - earlier.millis);
    }
  }

  private final Config config;
  private final @Nullable PrintWriter progress;
  private final LayerConfig layerConfig = LayerConfig.defaults();

  public LayerBenchmark(Config config, @Nullable PrintWriter progress) {
    this.config = config;
    this.progress = progress;
  }

  static byte[] userKey(long n) {
    return String.format(Locale.ROOT, "user:%010d", n).getBytes(StandardCharsets.US_ASCII);
  }

  static String nodeId(int i) {
    return String.format(Locale.ROOT, "node-%06d", i);
  }

  public LayerReport run() throws InterruptedException {
    long runStart = System.nanoTime();
    double loadAverage = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
    ForkJoinPool pool =
        new ForkJoinPool(threads, ForkJoinPool.defaultForkJoinWorkerThreadFactory, null, true);
    Path dir = config.dir();
    try {
      if (dir != null) Files.createDirectories(dir);
      EmbeddedFdb.Builder b = EmbeddedFdb.builder().executor(pool);
      if (dir != null) b.directory(dir);
      try (Database db = b.build()) {
        Keyspace ks = Keyspace.open(db, CLUSTER);
        db.run(
            tr -> {
              tr.clear(ks.all()); // a durable store may hold an earlier run's catalog
              return null;
            });
        Results r = measure(db, ks, pool, loadAverage, threads, runStart);
        if (dir != null) {
          say("bench layer: clearing the benchmark's keys from " + dir);
          db.run(
              tr -> {
                tr.clear(ks.all());
                return null;
              });
        }
        return new LayerReport(config, r);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      pool.shutdown();
    }
  }

  private Results measure(
      Database db, Keyspace ks, ForkJoinPool pool, double loadAverage, int threads, long runStart)
      throws InterruptedException {
    RangeCatalog catalog = new RangeCatalog(ks, layerConfig);
    NodeRegistry registry = new NodeRegistry(ks, layerConfig);
    RangeDescriptor root = catalog.bootstrapAsync(db).join();

    // 1. fleet
    say(String.format(Locale.ROOT, "bench layer: registering %,d nodes", config.nodes()));
    long t0 = System.nanoTime();
    registerFleet(db, registry);
    double registerSeconds = seconds(t0);

    // 2. heartbeats
    NodeRegistry.Heartbeat[] beats = new NodeRegistry.Heartbeat[config.nodes()];
    for (int i = 0; i < beats.length; i++) {
      beats[i] =
          new NodeRegistry.Heartbeat(
              nodeId(i), 1, new NodeRecord.Load(i % 100, 100.0, 1L << 30, 0.5), CAPACITY);
    }
    Measurement open;
    Measurement saturated;
    Gc heartbeatGc;
    try (HeartbeatBatcher batcher = new HeartbeatBatcher(registry, db)) {
      say(
          String.format(
              Locale.ROOT,
              "bench layer: heartbeats, open loop at %,.0f/s from %,d nodes",
              config.heartbeatRate(),
              config.nodes()));
      OpenLoop.run(
          config.heartbeatRate(),
          config.warmupSeconds(),
          i -> batcher.submit(beats[i % beats.length]));
      Gc gc0 = Gc.now();
      open =
          OpenLoop.run(
                  config.heartbeatRate(),
                  config.seconds(),
                  i -> batcher.submit(beats[i % beats.length]))
              .measurement();
      heartbeatGc = Gc.now().minus(gc0);
      say("bench layer: heartbeats, saturated (every node keeps one outstanding)");
      saturated =
          AsyncLoad.run(
              "saturated heartbeats",
              beats.length,
              window(),
              pool,
              (int node) -> batcher.submit(beats[node]).thenApply(rec -> 1));
    }

    // 3. catalog
    say(
        String.format(
            Locale.ROOT,
            "bench layer: building %,d ranges with splitMany (%,d keys per commit)",
            config.ranges(),
            RangeCatalog.MAX_SPLIT_KEYS));
    t0 = System.nanoTime();
    long commits = buildCatalog(db, catalog, root.rangeId());
    double buildSeconds = seconds(t0);
    say(
        String.format(
            Locale.ROOT, "bench layer: built in %.1f s; trimming the changelog", buildSeconds));
    t0 = System.nanoTime();
    long trimmed = new ChangelogTrimmer(ks, layerConfig).trimAsync(db).join();
    double trimSeconds = seconds(t0);

    // 4. cold load beside the raw scan
    ChangeFeed.Options loadOptions =
        ChangeFeed.Options.builder().loadPageSize(LOAD_PAGE_SIZE).build();
    long[] scanNanos = new long[COLD_LOAD_ROUNDS];
    long[] loadNanos = new long[COLD_LOAD_ROUNDS];
    long[] decodeNanos = new long[COLD_LOAD_ROUNDS];
    long loaded = 0;
    long[] firstLookupNanos = new long[COLD_LOAD_ROUNDS];
    long[] againLookupNanos = new long[COLD_LOAD_ROUNDS];
    int firstLookupCount = 0;
    RouteFollower running =
        null; // the last round's follower keeps running for the propagation phase
    for (int round = 0; round < COLD_LOAD_ROUNDS; round++) {
      say(
          String.format(
              Locale.ROOT,
              "bench layer: cold load and raw scan, round %d of %d",
              round + 1,
              COLD_LOAD_ROUNDS));
      // alternate which goes first, so each runs after the other's garbage as often
      for (int k = 0; k < 2; k++) {
        if ((k + round) % 2 == 0) {
          t0 = System.nanoTime();
          long rows = catalog.scanIndexAsync(db, LOAD_PAGE_SIZE, pool).join();
          scanNanos[round] = System.nanoTime() - t0;
          check(
              rows == config.ranges(),
              "raw scan read " + rows + " rows, expected " + config.ranges());
        } else {
          RouteFollower f = new RouteFollower(db, ks, loadOptions);
          t0 = System.nanoTime();
          f.start();
          loadNanos[round] = System.nanoTime() - t0;
          loaded = f.table().size();
          if (running != null) running.close();
          running = f;
          check(
              loaded == config.ranges(),
              "cold load holds " + loaded + " ranges, expected " + config.ranges());
          t0 = System.nanoTime();
          firstLookupCount = lookupEvery(f.table());
          firstLookupNanos[round] = System.nanoTime() - t0;
          t0 = System.nanoTime();
          lookupEvery(f.table());
          againLookupNanos[round] = System.nanoTime() - t0;
        }
      }
    }
    FirstLookups firstLookups =
        new FirstLookups(
            firstLookupCount,
            Arrays.stream(firstLookupNanos).min().orElseThrow(),
            Arrays.stream(againLookupNanos).min().orElseThrow());
    // after, not between them: decoding a million descriptors leaves far more garbage than either,
    // and whichever ran next would pay its collection
    for (int round = 0; round < COLD_LOAD_ROUNDS; round++) {
      say(
          String.format(
              Locale.ROOT,
              "bench layer: list + decode, round %d of %d",
              round + 1,
              COLD_LOAD_ROUNDS));
      t0 = System.nanoTime();
      long rows = listAll(db, catalog);
      decodeNanos[round] = System.nanoTime() - t0;
      check(
          rows == config.ranges(),
          "listing read " + rows + " descriptors, expected " + config.ranges());
    }

    // 5. cold lookups
    say("bench layer: cold lookups (a new transaction per lookup)");
    long keySpace = (long) config.ranges() * KEY_STRIDE;
    AsyncLoad.run(
        "warm-up",
        1,
        Window.startingNow(0, config.warmupSeconds()),
        pool,
        (int c) -> lookupRandom(db, catalog, keySpace));
    Measurement lookups =
        AsyncLoad.run(
            "cold lookups", 1, window(), pool, (int c) -> lookupRandom(db, catalog, keySpace));

    // 6. splits
    say("bench layer: splits, 1 client");
    Split seq = new Split(db, catalog, keySpace);
    AsyncLoad.run(
        "warm-up", 1, Window.startingNow(0, config.warmupSeconds()), pool, (int c) -> seq.once());
    seq.reset();
    Window ws = Window.startingNow(0, config.seconds());
    seq.window = ws;
    Measurement twoPhaseSeq = AsyncLoad.run("splits", 1, ws, pool, (int c) -> seq.once());
    Measurement commitSeq = seq.commits(ws.nanos());
    say("bench layer: splits, " + SPLIT_CLIENTS + " clients");
    Split conc = new Split(db, catalog, keySpace);
    Window w = window();
    conc.window = w;
    Measurement twoPhaseConc =
        AsyncLoad.run("concurrent splits", SPLIT_CLIENTS, w, pool, (int c) -> conc.once());
    Measurement commitConc = conc.commits(w.nanos());

    // 7. propagation
    say("bench layer: propagation, commit acknowledged -> follower applied (watch + poll)");
    Gc propagationGc0 = Gc.now();
    Propagation p1;
    try (RouteFollower f = Objects.requireNonNull(running)) {
      p1 = propagation(db, catalog, f, keySpace);
    }
    Gc propagationGc = Gc.now().minus(propagationGc0);
    say("bench layer: propagation, watches only");
    Propagation p2;
    try (RouteFollower f =
        new RouteFollower(
            db,
            ks,
            ChangeFeed.Options.builder()
                .loadPageSize(LOAD_PAGE_SIZE)
                .pollInterval(Duration.ofHours(1))
                .build())) {
      f.start();
      p2 = propagation(db, catalog, f, keySpace);
    }

    // 8. lease upkeep, before and after
    LeaseUpkeep upkeep = leaseUpkeep(db, ks, registry, beats);

    return new Results(
        loadAverage,
        threads,
        registerSeconds,
        open,
        config.heartbeatRate(),
        saturated,
        buildSeconds,
        commits,
        trimSeconds,
        trimmed,
        scanNanos,
        decodeNanos,
        loadNanos,
        loaded,
        firstLookups,
        lookups,
        commitSeq,
        twoPhaseSeq,
        commitConc,
        twoPhaseConc,
        p1.latencies,
        p2.latencies,
        p1.metrics,
        heartbeatGc,
        upkeep,
        propagationGc,
        Gc.now(),
        seconds(runStart));
  }

  /** Step 8: see the comment at the top. */
  private LeaseUpkeep leaseUpkeep(
      Database db, Keyspace ks, NodeRegistry registry, NodeRegistry.Heartbeat[] beats)
      throws InterruptedException {
    long renewMillis = Math.max(10, layerConfig.leaseMillis() / 3);
    long heartbeatMillis = Math.max(10, layerConfig.livenessMillis() / 3);
    say(
        String.format(
            Locale.ROOT,
            "bench layer: lease upkeep before: rewriting %,d lease records once",
            config.ranges()));
    // the benchmark's own keys, inside its keyspace (cleared with it)
    byte[] begin = ks.all().begin;
    com.apple.foundationdb.subspace.Subspace old =
        new com.apple.foundationdb.subspace.Subspace(Arrays.copyOf(begin, begin.length - 1))
            .get("bench-lease-upkeep");
    long t0 = System.nanoTime();
    List<CompletableFuture<Void>> inFlight = new ArrayList<>();
    for (long from = 0; from < config.ranges(); from += 1_000) {
      long start = from;
      long end = Math.min(config.ranges(), from + 1_000);
      long now = layerConfig.now();
      inFlight.add(
          db.runAsync(
              tr -> {
                for (long id = start; id < end; id++) {
                  tr.set(
                      old.pack(id),
                      new io.fdbmeta.layer.Lease(
                              nodeId((int) (id % config.nodes())),
                              1,
                              now + layerConfig.leaseMillis(),
                              1)
                          .encode());
                }
                return CompletableFuture.completedFuture((Void) null);
              }));
      if (inFlight.size() >= 8) inFlight.remove(0).join();
    }
    inFlight.forEach(CompletableFuture::join);
    double rewriteSeconds = seconds(t0);
    db.run(
        tr -> {
          tr.clear(old.range());
          return null;
        });
    double rate = config.nodes() * 1000.0 / heartbeatMillis;
    say(
        String.format(
            Locale.ROOT,
            "bench layer: lease upkeep after: heartbeats of %,d nodes at %,.0f/s",
            config.nodes(),
            rate));
    Measurement hb;
    try (HeartbeatBatcher batcher = new HeartbeatBatcher(registry, db)) {
      OpenLoop.run(rate, config.warmupSeconds(), i -> batcher.submit(beats[i % beats.length]));
      hb =
          OpenLoop.run(rate, config.seconds(), i -> batcher.submit(beats[i % beats.length]))
              .measurement();
    }
    return new LeaseUpkeep(config.ranges(), renewMillis, rewriteSeconds, heartbeatMillis, rate, hb);
  }

  /**
   * Looks up a key of every FIRST_LOOKUP_STRIDE-th range, in key order, and checks the answers;
   * returns the number of lookups.
   */
  private int lookupEvery(RouteTable table) {
    int n = 0;
    for (long i = 0; i < config.ranges(); i += FIRST_LOOKUP_STRIDE, n++) {
      byte[] key = userKey(i * KEY_STRIDE);
      RangeDescriptor d = table.lookup(key);
      check(
          d != null && d.contains(key), "lookup of range " + i + " after the cold load found " + d);
    }
    return n;
  }

  static final NodeRecord.Locality LOCALITY =
      new NodeRecord.Locality("region-1", "zone-1", "rack-1");
  static final NodeRecord.Capacity CAPACITY = new NodeRecord.Capacity(4L << 40, 16);

  /**
   * Registers the fleet, {@link #REGISTER_PER_TXN} nodes per transaction (a Transaction is a
   * TransactionContext).
   */
  private void registerFleet(Database db, NodeRegistry registry) {
    for (int from = 0; from < config.nodes(); from += REGISTER_PER_TXN) {
      int start = from;
      int end = Math.min(config.nodes(), from + REGISTER_PER_TXN);
      List<String> tokens = new ArrayList<>();
      for (int i = start; i < end; i++)
        tokens.add(UUID.randomUUID().toString()); // outside the retry loop
      db.run(
          (Transaction tr) -> {
            List<CompletableFuture<NodeRecord>> all = new ArrayList<>();
            for (int i = start; i < end; i++) {
              String id = nodeId(i);
              NodeRegistry.Registration reg =
                  new NodeRegistry.Registration(id, id + ".storage:7000", LOCALITY, CAPACITY);
              all.add(registry.registerAsync(tr, reg, tokens.get(i - start)));
            }
            all.forEach(CompletableFuture::join);
            return null;
          });
    }
  }

  /**
   * Splits the root, then each time the last range, until there are {@code ranges}; returns the
   * commits.
   */
  private long buildCatalog(Database db, RangeCatalog catalog, long rootId) {
    long parent = rootId;
    long commits = 0;
    for (int next = 1; next < config.ranges(); next += RangeCatalog.MAX_SPLIT_KEYS) {
      int to = Math.min(config.ranges(), next + RangeCatalog.MAX_SPLIT_KEYS);
      List<byte[]> keys = new ArrayList<>(to - next);
      List<Long> ids = new ArrayList<>(to - next + 1);
      for (int i = next; i < to; i++) keys.add(userKey((long) i * KEY_STRIDE));
      for (int i = 0; i <= keys.size(); i++) ids.add(Ids.newRangeId());
      catalog.splitManyAsync(db, Ids.newOpId(), parent, keys, ids).join();
      parent = ids.get(ids.size() - 1);
      commits++;
    }
    return commits;
  }

  /**
   * Every descriptor through RangeCatalog's listing: the same pages as the raw scan, decoded, no
   * table.
   */
  private static long listAll(Database db, RangeCatalog catalog) {
    long n = 0;
    byte[] cursor = null;
    do {
      Page<RangeDescriptor> page = catalog.listAsync(db, cursor, LOAD_PAGE_SIZE).join();
      n += page.items().size();
      cursor = page.nextCursor();
    } while (cursor != null);
    return n;
  }

  private static CompletableFuture<Integer> lookupRandom(
      Database db, RangeCatalog catalog, long keySpace) {
    return catalog
        .lookupAsync(db, userKey(ThreadLocalRandom.current().nextLong(keySpace)))
        .thenApply(d -> 1);
  }

  /** A random key strictly inside one of the initial ranges: never the start of one. */
  private static byte[] splitKey(long keySpace) {
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    return userKey(
        rnd.nextLong(keySpace / KEY_STRIDE) * KEY_STRIDE + 1 + rnd.nextInt(KEY_STRIDE - 1));
  }

  /**
   * One split of the range holding a random key: lookup and phase 1 untimed here, phase 2 timed
   * into {@link #commitLatencies} (kept if it ends inside {@link #window}). The whole operation is
   * what {@link AsyncLoad} times. A random key that already is a range boundary is skipped.
   */
  private static final class Split {
    final Database db;
    final RangeCatalog catalog;
    final long keySpace;
    volatile @Nullable Window window;
    final LatencySamples commitLatencies = new LatencySamples(1 << 20);
    long commitsInWindow;

    Split(Database db, RangeCatalog catalog, long keySpace) {
      this.db = db;
      this.catalog = catalog;
      this.keySpace = keySpace;
    }

    CompletableFuture<Integer> once() {
      byte[] k = splitKey(keySpace);
      return catalog
          .lookupAsync(db, k)
          .thenCompose(
              parent -> {
                if (!parent.isInterior(k)) return CompletableFuture.completedFuture(0);
                String opId = Ids.newOpId();
                return catalog
                    .prepareSplitAsync(
                        db,
                        opId,
                        parent.rangeId(),
                        k,
                        parent.generation(),
                        Ids.newRangeId(),
                        Ids.newRangeId())
                    .thenCompose(
                        plan -> {
                          long c0 = System.nanoTime();
                          return catalog
                              .commitSplitAsync(db, opId)
                              .thenApply(
                                  result -> {
                                    long now = System.nanoTime();
                                    synchronized (this) {
                                      if (window == null || window.counts(now)) {
                                        commitLatencies.add(now - c0);
                                        commitsInWindow++;
                                      }
                                    }
                                    return 1;
                                  });
                        });
              })
          .exceptionally(Split::lostRace);
    }

    /**
     * Concurrent clients can pick the same range: the loser's lookup or prepare then sees a newer
     * generation, a parent already gone or an op aborted by the winner. That is the catalog doing
     * its job, so it counts as a skipped split (0 units), not an error.
     */
    private static int lostRace(Throwable t) {
      Throwable cause = FdbErrors.cause(t);
      if (cause instanceof MetaException m && RACE_CODES.contains(m.code())) return 0;
      throw t instanceof CompletionException c ? c : new CompletionException(cause);
    }

    private static final Set<MetaException.Code> RACE_CODES =
        EnumSet.of(
            MetaException.Code.STALE_GENERATION,
            MetaException.Code.UNKNOWN_RANGE,
            MetaException.Code.CONFLICTING_OPERATION);

    synchronized void reset() {
      commitLatencies.clear();
      commitsInWindow = 0;
    }

    synchronized Measurement commits(long windowNanos) {
      return new Measurement(
          commitsInWindow,
          commitsInWindow,
          0,
          windowNanos,
          LatencySamples.merge(List.of(commitLatencies)));
    }
  }

  private record Propagation(Measurement latencies, RouteFollower.Metrics metrics) {}

  /**
   * With {@code follower} running, commits splits one at a time for the phase's seconds (at most
   * {@link #MAX_PROPAGATION_SAMPLES}); each sample is the time from the commit's acknowledgement to
   * the follower's listener seeing the split's left child.
   */
  private Propagation propagation(
      Database db, RangeCatalog catalog, RouteFollower follower, long keySpace)
      throws InterruptedException {
    Map<Long, CompletableFuture<Long>> expected = new ConcurrentHashMap<>();
    follower.addListener(
        (position, events) -> {
          long now = System.nanoTime();
          for (ChangeEvent e : events) {
            RangeDescriptor d = e.descriptor();
            if (e.kind() != ChangeEvent.Kind.UPSERT || d == null) continue;
            CompletableFuture<Long> f = expected.get(d.rangeId());
            if (f != null) f.complete(now);
          }
        });
    LatencySamples samples = new LatencySamples(MAX_PROPAGATION_SAMPLES);
    long warmupEnd = System.nanoTime() + (long) (config.warmupSeconds() * 1e9);
    long end = warmupEnd + (long) (config.seconds() * 1e9);
    int n = 0;
    while (n < MAX_PROPAGATION_SAMPLES && System.nanoTime() < end) {
      byte[] k = splitKey(keySpace);
      RangeDescriptor parent = catalog.lookupAsync(db, k).join();
      if (!parent.isInterior(k)) continue;
      String opId = Ids.newOpId();
      long left = Ids.newRangeId();
      CompletableFuture<Long> applied = new CompletableFuture<>();
      expected.put(left, applied);
      catalog
          .prepareSplitAsync(
              db, opId, parent.rangeId(), k, parent.generation(), left, Ids.newRangeId())
          .join();
      catalog.commitSplitAsync(db, opId).join();
      long acked = System.nanoTime();
      long appliedAt;
      try {
        appliedAt = applied.get(10, TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException e) {
        throw new IllegalStateException(
            "the follower did not apply a committed split within 10 s: " + e, e);
      }
      expected.remove(left);
      if (acked >= warmupEnd) {
        samples.add(
            Math.max(0, appliedAt - acked)); // the listener may run before the caller sees the ack
        n++;
      }
    }
    long[] values = LatencySamples.merge(List.of(samples));
    return new Propagation(
        new Measurement(values.length, values.length, 0, Math.max(1, end - warmupEnd), values),
        follower.metrics());
  }

  private Window window() {
    return Window.startingNow(config.warmupSeconds(), config.seconds());
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  private static void check(boolean ok, String what) {
    if (!ok) throw new IllegalStateException("bench layer: " + what);
  }

  private void say(String line) {
    if (progress != null) {
      progress.println(line);
      progress.flush();
    }
  }

  static long[] sorted(long[] a) {
    long[] c = a.clone();
    Arrays.sort(c);
    return c;
  }
}
