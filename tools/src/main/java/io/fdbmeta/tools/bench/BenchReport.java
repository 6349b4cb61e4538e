package io.fdbmeta.tools.bench;

import io.fdbmeta.tools.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The figures of one {@code bench store} run, as an aligned table and as one JSON line. */
public final class BenchReport implements Report {
  /** FoundationDB's published single-process figures, applied to fdb-embedded in memory. */
  static final double POINT_READS_TARGET = 90_000;

  static final double COMMITS_TARGET = 35_000;
  static final double TEN_KEY_WRITES_TARGET = 46_000;

  /** Durable 16-client commits/s must be at least this fraction of memory's. */
  static final double DURABLE_RATIO_TARGET = 0.5;

  /** Served commit p50 at 1 client, durable (FoundationDB documents 1.5-2.5 ms commits). */
  static final double SERVED_COMMIT_P50_MICROS_TARGET = 500;

  /** Served 256-client commits/s must be at least this fraction of in-process durable's. */
  static final double SERVED_RATIO_TARGET = 0.5;

  private final StoreBenchmark.Config config;
  private final int executorThreads;
  private final String durableDir;
  private final Map<Backend, Map<Workload, Measurement>> results;
  private final List<Target> targets = new ArrayList<>();
  private final double loadAverage;

  BenchReport(
      StoreBenchmark.Config config,
      int executorThreads,
      String durableDir,
      Map<Backend, Map<Workload, Measurement>> results,
      double loadAverage) {
    this.loadAverage = loadAverage;
    this.config = config;
    this.executorThreads = executorThreads;
    this.durableDir = durableDir;
    this.results = results;
    targets.add(
        Target.atLeast(
            "memoryPointReads",
            "memory point reads/s, 1 get per read transaction, 16 clients",
            POINT_READS_TARGET,
            get(Backend.MEMORY, Workload.POINT_READ).unitsPerSecond()));
    targets.add(
        Target.atLeast(
            "memoryCommits16Clients",
            "memory single-key commits/s, 16 clients",
            COMMITS_TARGET,
            get(Backend.MEMORY, Workload.COMMIT_16).opsPerSecond()));
    targets.add(
        Target.atLeast(
            "memoryTenKeyWrites",
            "memory key-writes/s, 100 clients x 10 keys",
            TEN_KEY_WRITES_TARGET,
            get(Backend.MEMORY, Workload.COMMIT_10_KEYS).unitsPerSecond()));
    targets.add(
        Target.atLeast(
            "durableOverMemoryCommits256Clients",
            "durable / memory single-key commits/s, 256 clients (within 2x, group commit)",
            DURABLE_RATIO_TARGET,
            durableRatio(Workload.COMMIT_256)));
    targets.add(
        Target.atLeast(
            "servedPointReads",
            "served point reads/s, 10 gets per read transaction, 16 clients",
            POINT_READS_TARGET,
            get(Backend.SERVED, Workload.POINT_READ_BATCH).unitsPerSecond()));
    targets.add(
        Target.atMost(
            "servedCommitP50OneClient",
            "served commit p50 (us), 1 client, durable",
            SERVED_COMMIT_P50_MICROS_TARGET,
            get(Backend.SERVED, Workload.COMMIT_1).latencyMicros(50)));
    targets.add(
        Target.atLeast(
            "servedOverDurableCommits256Clients",
            "served / in-process durable single-key commits/s, 256 clients",
            SERVED_RATIO_TARGET,
            servedRatio(Workload.COMMIT_256)));
  }

  public Measurement get(Backend backend, Workload workload) {
    return results.get(backend).get(workload);
  }

  public List<Target> targets() {
    return List.copyOf(targets);
  }

  public boolean allTargetsPass() {
    return Target.allPass(targets);
  }

  /**
   * Durable over memory commits/s. With c clients each waiting for its flush, durable commits/s
   * cannot exceed c / flush latency, so the ratio is only meaningful at high concurrency; the
   * 16-client ratio is printed for information.
   */
  double durableRatio(Workload w) {
    return get(Backend.DURABLE, w).opsPerSecond() / get(Backend.MEMORY, w).opsPerSecond();
  }

  /** Served over in-process durable commits/s: what the network costs a durable store. */
  double servedRatio(Workload w) {
    return get(Backend.SERVED, w).opsPerSecond() / get(Backend.DURABLE, w).opsPerSecond();
  }

  private Target target(String id) {
    return Target.byId(targets, id);
  }

  private static final String ROW = "%-27s %-10s %7s %12s %12s %12s %12s  %s%n";

  /** The human report; its second line is the command that reproduces it. */
  @Override
  public String table(String reproduce) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "fdbmeta bench store: fdb-embedded (memory, durable, served over TCP) beside a raw ConcurrentSkipListMap, same run\n");
    sb.append("reproduce: ").append(reproduce).append('\n');
    sb.append(
        String.format(
            Locale.ROOT,
            "%.2f s per measurement after %.2f s warm-up; %,d keys of %d bytes, %d-byte values; %d cpus; Java %s%n",
            config.seconds(),
            config.warmupSeconds(),
            config.keys(),
            StoreBenchmark.key(0).length,
            StoreBenchmark.VALUE_BYTES,
            Runtime.getRuntime().availableProcessors(),
            Runtime.version()));
    sb.append(
        String.format(
            Locale.ROOT,
            "fdb-embedded clients: async (runAsync/readAsync chains, 1 transaction outstanding each) on a ForkJoinPool of %d;%n"
                + "skiplist clients: threads in a tight loop, one map operation per key; durable stores: %s;%n"
                + "served: the durable store served by `fdbmeta store serve` in a child JVM, over loopback TCP%n",
            executorThreads,
            durableDir));
    sb.append(Target.loadWarning(loadAverage));
    sb.append('\n');
    sb.append(
        String.format(
            Locale.ROOT,
            ROW,
            "operation",
            "per txn",
            "clients",
            "memory",
            "durable",
            "served",
            "skiplist",
            "target"));
    for (Workload w : Workload.values()) {
      String t = "";
      if (w == Workload.POINT_READ) t = "memory " + target("memoryPointReads").verdict("%,.0f", "");
      if (w == Workload.POINT_READ_BATCH)
        t = "served " + target("servedPointReads").verdict("%,.0f", "");
      if (w == Workload.COMMIT_16)
        t = "memory " + target("memoryCommits16Clients").verdict("%,.0f", "");
      if (w == Workload.COMMIT_10_KEYS)
        t = "memory " + target("memoryTenKeyWrites").verdict("%,.0f", "");
      sb.append(
          String.format(
              Locale.ROOT,
              ROW,
              w.label,
              w.perTransaction,
              w.clients,
              rate(Backend.MEMORY, w),
              rate(Backend.DURABLE, w),
              rate(Backend.SERVED, w),
              rate(Backend.SKIPLIST, w),
              t));
    }
    for (Workload w : List.of(Workload.COMMIT_1, Workload.COMMIT_16, Workload.COMMIT_256)) {
      for (double p : new double[] {50, 99}) {
        String t =
            w == Workload.COMMIT_1 && p == 50
                ? "served " + target("servedCommitP50OneClient").verdict("%,.0f", " us")
                : "";
        sb.append(
            String.format(
                Locale.ROOT,
                ROW,
                String.format(Locale.ROOT, "commit latency p%.0f (us)", p),
                w.perTransaction,
                w.clients,
                micros(Backend.MEMORY, w, p),
                micros(Backend.DURABLE, w, p),
                micros(Backend.SERVED, w, p),
                micros(Backend.SKIPLIST, w, p),
                t));
      }
    }
    sb.append(
        String.format(
            Locale.ROOT,
            ROW,
            "durable/memory commits/s",
            "1 set",
            16,
            "",
            String.format(Locale.ROOT, "%.2fx", durableRatio(Workload.COMMIT_16)),
            "",
            "",
            "(bounded by 16 clients / flush latency)"));
    Target ratio = target("durableOverMemoryCommits256Clients");
    sb.append(
        String.format(
            Locale.ROOT,
            ROW,
            "durable/memory commits/s",
            "1 set",
            256,
            "",
            String.format(Locale.ROOT, "%.2fx", ratio.actual()),
            "",
            "",
            ratio.verdict("%.2f", "x")));
    Target served = target("servedOverDurableCommits256Clients");
    sb.append(
        String.format(
            Locale.ROOT,
            ROW,
            "served/durable commits/s",
            "1 set",
            256,
            "",
            "",
            String.format(Locale.ROOT, "%.2fx", served.actual()),
            "",
            served.verdict("%.2f", "x")));
    long errors =
        results.values().stream()
            .flatMap(m -> m.values().stream())
            .mapToLong(Measurement::errors)
            .sum();
    sb.append(
        String.format(
            Locale.ROOT,
            "%nskiplist latency rows time one map put; %d failed operations in all; targets: %s%n",
            errors,
            allTargetsPass() ? "all PASS" : "some MISS"));
    return sb.toString();
  }

  private String rate(Backend b, Workload w) {
    return String.format(Locale.ROOT, "%,.0f", get(b, w).unitsPerSecond());
  }

  private String micros(Backend b, Workload w, double p) {
    return String.format(Locale.ROOT, "%,.1f", get(b, w).latencyMicros(p));
  }

  /** Every figure in one line of JSON. */
  @Override
  public String json(String reproduce) {
    Json root =
        Json.object()
            .put("bench", "store")
            .put("reproduce", reproduce)
            .put("seconds", config.seconds())
            .put("warmupSeconds", config.warmupSeconds())
            .put("keys", config.keys())
            .put("valueBytes", StoreBenchmark.VALUE_BYTES)
            .put("cpus", Runtime.getRuntime().availableProcessors())
            .put("executorThreads", executorThreads)
            .put("loadAverageAtStart", loadAverage)
            .put("java", Runtime.version().toString())
            .put("clients", "fdb-embedded: async runAsync/readAsync chains; skiplist: threads");
    for (Backend b : Backend.values()) {
      Json backend = Json.object().put("description", b.description);
      long errors = 0;
      for (Workload w : Workload.values()) {
        Measurement m = get(b, w);
        backend.put(w.id + "TxnPerSec", m.opsPerSecond());
        backend.put(w.id + "KeysPerSec", m.unitsPerSecond());
        backend.put(w.id + "P50Micros", m.latencyMicros(50));
        backend.put(w.id + "P99Micros", m.latencyMicros(99));
        errors += m.errors();
      }
      backend.put("errors", errors);
      root.put(b.id, backend);
    }
    root.put("targets", Target.json(targets));
    root.put("durableOverMemoryCommits16Clients", durableRatio(Workload.COMMIT_16));
    root.put("servedOverDurableCommits256Clients", servedRatio(Workload.COMMIT_256));
    root.put("allTargetsPass", allTargetsPass());
    return root.toString();
  }
}
