package io.fdbmeta.tools.bench;

import io.fdbmeta.layer.HeartbeatBatcher;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.tools.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The figures of one {@code bench layer} run, as an aligned table and as one JSON line. */
public final class LayerReport implements Report {
  static final double HEARTBEATS_TARGET = 20_000;
  static final double HEARTBEAT_P99_MILLIS_TARGET = 10;
  static final double COLD_LOAD_RATIO_TARGET = 0.8;
  static final double PROPAGATION_P99_MILLIS_TARGET = 20;

  private final LayerBenchmark.Config config;
  private final LayerBenchmark.Results r;
  private final List<Target> targets = new ArrayList<>();

  LayerReport(LayerBenchmark.Config config, LayerBenchmark.Results r) {
    this.config = config;
    this.r = r;
    targets.add(
        Target.atLeast(
            "heartbeatsPerSec",
            String.format(
                Locale.ROOT,
                "heartbeats committed/s from %,d nodes, open loop at %,.0f/s offered",
                config.nodes(),
                r.heartbeatRate()),
            HEARTBEATS_TARGET,
            r.heartbeatsOpenLoop().opsPerSecond()));
    targets.add(
        Target.atMost(
            "heartbeatP99Millis",
            "heartbeat latency p99 (ms) from due time to commit, open loop",
            HEARTBEAT_P99_MILLIS_TARGET,
            millis(r.heartbeatsOpenLoop(), 99)));
    targets.add(
        Target.atLeast(
            "coldLoadOverRawScan",
            "cold load descriptors/s over raw scan keys/s (best of "
                + r.scanNanos().length
                + " each)",
            COLD_LOAD_RATIO_TARGET,
            coldLoadRatio()));
    targets.add(
        Target.atMost(
            "propagationP99Millis",
            "commit acknowledged -> follower applied p99 (ms), watch + poll",
            PROPAGATION_P99_MILLIS_TARGET,
            millis(r.propagation(), 99)));
  }

  public List<Target> targets() {
    return List.copyOf(targets);
  }

  public boolean allTargetsPass() {
    return Target.allPass(targets);
  }

  private static double millis(Measurement m, double p) {
    return m.latencyMicros(p) / 1e3;
  }

  private static long best(long[] nanos) {
    return LayerBenchmark.sorted(nanos)[0];
  }

  private static long median(long[] nanos) {
    long[] s = LayerBenchmark.sorted(nanos);
    return s[s.length / 2];
  }

  double scanKeysPerSec() {
    return config.ranges() * 1e9 / best(r.scanNanos());
  }

  double loadDescriptorsPerSec() {
    return config.ranges() * 1e9 / best(r.loadNanos());
  }

  double coldLoadRatio() {
    return loadDescriptorsPerSec() / scanKeysPerSec();
  }

  double medianRatio() {
    return (double) median(r.scanNanos()) / median(r.loadNanos());
  }

  private Target target(String id) {
    return Target.byId(targets, id);
  }

  private static final String ROW = "%-50s %14s %8s %8s %8s  %s%n";

  /** The human report; its second line is the command that reproduces it. */
  @Override
  public String table(String reproduce) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "fdbmeta bench layer: heartbeats, splits, lookups, cold load and change propagation on fdb-embedded, same run\n");
    sb.append("reproduce: ").append(reproduce).append('\n');
    int cpus = Runtime.getRuntime().availableProcessors();
    sb.append(
        String.format(
            Locale.ROOT,
            "%,d ranges, %,d nodes; %.2f s per timed phase after %.2f s warm-up; store: %s; %d cpus; Java %s; total %.1f s%n",
            config.ranges(),
            config.nodes(),
            config.seconds(),
            config.warmupSeconds(),
            config.dir() == null ? "in memory" : "durable in " + config.dir(),
            cpus,
            Runtime.version(),
            r.totalSeconds()));
    sb.append(
        String.format(
            Locale.ROOT,
            "async clients on a ForkJoinPool of %d (also the store's executor); HeartbeatBatcher maxBatch %d, maxInFlight %d; load page %,d rows%n",
            r.executorThreads(),
            HeartbeatBatcher.DEFAULT_MAX_BATCH,
            HeartbeatBatcher.DEFAULT_MAX_IN_FLIGHT,
            LayerBenchmark.LOAD_PAGE_SIZE));
    sb.append(Target.loadWarning(r.loadAverage()));
    sb.append('\n');
    sb.append(
        String.format(
            Locale.ROOT, ROW, "measurement", "rate", "p50 ms", "p99 ms", "max ms", "target"));
    sb.append(
        String.format(
            Locale.ROOT,
            ROW,
            String.format(
                Locale.ROOT,
                "register %,d nodes (%d per transaction)",
                config.nodes(),
                LayerBenchmark.REGISTER_PER_TXN),
            perSec(config.nodes() / r.registerSeconds()),
            "",
            "",
            "",
            String.format(Locale.ROOT, "(%.2f s)", r.registerSeconds())));
    Measurement hb = r.heartbeatsOpenLoop();
    Target hbRate = target("heartbeatsPerSec");
    Target hbP99 = target("heartbeatP99Millis");
    sb.append(
        row(
            String.format(Locale.ROOT, "heartbeats, open loop, %,.0f/s offered", r.heartbeatRate()),
            hb,
            hbRate.verdict("%,.0f", "/s") + "; p99 " + hbP99.verdict("%.0f", " ms")));
    sb.append(
        row(
            "heartbeats, saturated (1 outstanding per node)",
            r.heartbeatsSaturated(),
            "(information)"));
    sb.append(
        String.format(
            Locale.ROOT,
            ROW,
            String.format(
                Locale.ROOT,
                "build %,d ranges (splitMany, %,d keys/commit)",
                config.ranges(),
                RangeCatalog.MAX_SPLIT_KEYS),
            perSec(config.ranges() / r.buildSeconds()),
            "",
            "",
            "",
            String.format(
                Locale.ROOT, "(%.1f s, %d commits)", r.buildSeconds(), r.buildCommits())));
    sb.append(
        String.format(
            Locale.ROOT,
            ROW,
            String.format(
                Locale.ROOT, "trim changelog to retention: %,d entries", r.trimmedEntries()),
            perSec(r.trimmedEntries() / r.trimSeconds()),
            "",
            "",
            "",
            String.format(Locale.ROOT, "(%.1f s)", r.trimSeconds())));
    sb.append(row("split phase 2 (commit), 1 client", r.splitCommitSequential(), ""));
    sb.append(row("split lookup + phase 1 + phase 2, 1 client", r.splitTwoPhaseSequential(), ""));
    sb.append(
        row(
            "split phase 2 (commit), " + LayerBenchmark.SPLIT_CLIENTS + " clients",
            r.splitCommitConcurrent(),
            ""));
    sb.append(
        row(
            "split lookup + phase 1 + phase 2, " + LayerBenchmark.SPLIT_CLIENTS + " clients",
            r.splitTwoPhaseConcurrent(),
            ""));
    sb.append(row("cold lookup (new transaction each), 1 client", r.coldLookups(), ""));
    sb.append(
        String.format(
            Locale.ROOT,
            ROW,
            String.format(
                Locale.ROOT,
                "raw scan of %,d range-index keys, best of %d",
                config.ranges(),
                r.scanNanos().length),
            perSec(scanKeysPerSec()),
            "",
            "",
            "",
            String.format(
                Locale.ROOT,
                "(%.3f s; median %.3f s)",
                best(r.scanNanos()) / 1e9,
                median(r.scanNanos()) / 1e9)));
    sb.append(
        String.format(
            Locale.ROOT,
            ROW,
            String.format(
                Locale.ROOT,
                "list + decode (RangeCatalog.list), best of %d",
                r.decodeNanos().length),
            perSec(config.ranges() * 1e9 / best(r.decodeNanos())),
            "",
            "",
            "",
            String.format(
                Locale.ROOT,
                "(%.3f s; median %.3f s) no table",
                best(r.decodeNanos()) / 1e9,
                median(r.decodeNanos()) / 1e9)));
    sb.append(
        String.format(
            Locale.ROOT,
            ROW,
            String.format(
                Locale.ROOT, "cold load (RouteFollower.start), best of %d", r.loadNanos().length),
            perSec(loadDescriptorsPerSec()),
            "",
            "",
            "",
            String.format(
                Locale.ROOT,
                "(%.3f s; median %.3f s)",
                best(r.loadNanos()) / 1e9,
                median(r.loadNanos()) / 1e9)));
    Target ratio = target("coldLoadOverRawScan");
    sb.append(
        String.format(
            Locale.ROOT,
            ROW,
            "cold load / raw scan",
            String.format(Locale.ROOT, "%.2fx", ratio.actual()),
            "",
            "",
            "",
            ratio.verdict("%.2f", "x")
                + String.format(Locale.ROOT, " (medians: %.2fx)", medianRatio())));
    LayerBenchmark.FirstLookups first = r.firstLookups();
    sb.append(
        String.format(
            Locale.ROOT,
            ROW,
            String.format(
                Locale.ROOT,
                "lookups after each load, 1 per %d ranges, best",
                LayerBenchmark.FIRST_LOOKUP_STRIDE),
            perSec(first.lookups() * 1e9 / first.firstNanos()),
            "",
            "",
            "",
            String.format(
                Locale.ROOT,
                "(%.3f s: each chunk indexed on its first; the same again: %.3f s)",
                first.firstNanos() / 1e9,
                first.againNanos() / 1e9)));
    sb.append(
        samplesRow(
            "propagation commit -> applied (watch + 1 s poll)",
            r.propagation(),
            target("propagationP99Millis").verdict("%.0f", " ms") + " (p99)"));
    sb.append(
        samplesRow(
            "propagation commit -> applied (watches only)",
            r.propagationWatchesOnly(),
            "(information)"));
    LayerBenchmark.LeaseUpkeep u = r.leaseUpkeep();
    sb.append(
        String.format(
            Locale.ROOT,
            ROW,
            String.format(
                Locale.ROOT,
                "lease upkeep before: %,d leases renewed every %.1f s",
                u.leases(),
                u.renewMillis() / 1000.0),
            perSec(u.beforeNeeded()),
            "",
            "",
            "",
            String.format(
                Locale.ROOT,
                "computed (ranges / renew interval; that path is gone); one measured pass of"
                    + " %,d lease-record writes: %.2f s = %,.0f/s, so %.1f s of this store's"
                    + " writes per second",
                u.leases(),
                u.rewriteSeconds(),
                u.rewritesPerSecond(),
                u.beforeNeeded() / u.rewritesPerSecond())));
    sb.append(
        row(
            String.format(
                Locale.ROOT,
                "lease upkeep after: %,d nodes' heartbeats every %.1f s",
                config.nodes(),
                u.heartbeatMillis() / 1000.0),
            u.heartbeats(),
            String.format(
                Locale.ROOT,
                "measured, %,.0f/s offered (nodes / heartbeat interval); 0 lease writes;"
                    + " before / after = %,.0fx",
                u.heartbeatRate(),
                u.beforeNeeded() / Math.max(1e-9, u.heartbeats().opsPerSecond()))));
    sb.append(
        String.format(
            Locale.ROOT,
            "%ngarbage collection (same JVM as the store): %d collections, %,d ms during the open-loop heartbeats;"
                + " %d, %,d ms during propagation (watch + poll); %d, %,d ms in the whole run%n",
            r.heartbeatGc().count(),
            r.heartbeatGc().millis(),
            r.propagationGc().count(),
            r.propagationGc().millis(),
            r.totalGc().count(),
            r.totalGc().millis()));
    long errors =
        r.heartbeatsOpenLoop().errors()
            + r.heartbeatsSaturated().errors()
            + r.coldLookups().errors()
            + r.splitTwoPhaseSequential().errors()
            + r.splitTwoPhaseConcurrent().errors();
    sb.append(
        String.format(
            Locale.ROOT,
            "rates are per second (heartbeats, splits, lookups, keys or descriptors); propagation rows give the number of samples%n"
                + "(splits one at a time; 0 ms: the follower applied it before the committing thread saw the acknowledgement);%n"
                + "%d failed operations in all; targets: %s%n",
            errors,
            allTargetsPass() ? "all PASS" : "some MISS"));
    return sb.toString();
  }

  private static String row(String label, Measurement m, String target) {
    return String.format(
        Locale.ROOT,
        ROW,
        label,
        perSec(m.opsPerSecond()),
        ms(m, 50),
        ms(m, 99),
        ms(m, 100),
        target);
  }

  private static String samplesRow(String label, Measurement m, String target) {
    return String.format(
        Locale.ROOT,
        ROW,
        label,
        String.format(Locale.ROOT, "%,d samples", m.ops()),
        ms(m, 50),
        ms(m, 99),
        ms(m, 100),
        target);
  }

  private static String perSec(double v) {
    return String.format(Locale.ROOT, "%,.0f/s", v);
  }

  private static String ms(Measurement m, double p) {
    return String.format(Locale.ROOT, "%.2f", m.latencyMicros(p) / 1e3);
  }

  private static Json figures(Measurement m) {
    return Json.object()
        .put("count", m.ops())
        .put("perSec", m.opsPerSecond())
        .put("p50Millis", m.latencyMicros(50) / 1e3)
        .put("p99Millis", m.latencyMicros(99) / 1e3)
        .put("maxMillis", m.latencyMicros(100) / 1e3)
        .put("errors", m.errors());
  }

  /** Every figure in one line of JSON. */
  @Override
  public String json(String reproduce) {
    Json root =
        Json.object()
            .put("bench", "layer")
            .put("reproduce", reproduce)
            .put("ranges", config.ranges())
            .put("nodes", config.nodes())
            .put("seconds", config.seconds())
            .put("warmupSeconds", config.warmupSeconds())
            .put("store", config.dir() == null ? "memory" : "durable")
            .put("cpus", Runtime.getRuntime().availableProcessors())
            .put("executorThreads", r.executorThreads())
            .put("loadAverageAtStart", r.loadAverage())
            .put("java", Runtime.version().toString())
            .put("totalSeconds", r.totalSeconds())
            .put("registerSeconds", r.registerSeconds())
            .put("heartbeatOfferedPerSec", r.heartbeatRate())
            .put("heartbeats", figures(r.heartbeatsOpenLoop()))
            .put("heartbeatsSaturated", figures(r.heartbeatsSaturated()))
            .put("buildSeconds", r.buildSeconds())
            .put("buildCommits", r.buildCommits())
            .put("buildRangesPerSec", config.ranges() / r.buildSeconds())
            .put("trimSeconds", r.trimSeconds())
            .put("trimmedEntries", r.trimmedEntries())
            .put("splitCommit", figures(r.splitCommitSequential()))
            .put("splitTwoPhase", figures(r.splitTwoPhaseSequential()))
            .put("splitCommitConcurrent", figures(r.splitCommitConcurrent()))
            .put("splitTwoPhaseConcurrent", figures(r.splitTwoPhaseConcurrent()))
            .put("splitClients", LayerBenchmark.SPLIT_CLIENTS)
            .put("coldLookup", figures(r.coldLookups()))
            .put(
                "leaseUpkeep",
                Json.object()
                    .put("leases", r.leaseUpkeep().leases())
                    .put("renewIntervalMillis", r.leaseUpkeep().renewMillis())
                    .put("beforeWritesPerSecComputed", r.leaseUpkeep().beforeNeeded())
                    .put("beforeRewritePassSeconds", r.leaseUpkeep().rewriteSeconds())
                    .put("beforeRewritesPerSecMeasured", r.leaseUpkeep().rewritesPerSecond())
                    .put("heartbeatIntervalMillis", r.leaseUpkeep().heartbeatMillis())
                    .put("afterOfferedPerSec", r.leaseUpkeep().heartbeatRate())
                    .put("after", figures(r.leaseUpkeep().heartbeats())));
    root.put(
        "coldLoad",
        Json.object()
            .put("pageSize", LayerBenchmark.LOAD_PAGE_SIZE)
            .put("rounds", r.loadNanos().length)
            .put("rawScanSeconds", seconds(r.scanNanos()))
            .put("listDecodeSeconds", seconds(r.decodeNanos()))
            .put("loadSeconds", seconds(r.loadNanos()))
            .put("rawScanKeysPerSec", scanKeysPerSec())
            .put("listDecodePerSec", config.ranges() * 1e9 / best(r.decodeNanos()))
            .put("loadDescriptorsPerSec", loadDescriptorsPerSec())
            .put(
                "firstLookups",
                Json.object()
                    .put("lookups", r.firstLookups().lookups())
                    .put("seconds", r.firstLookups().firstNanos() / 1e9)
                    .put("againSeconds", r.firstLookups().againNanos() / 1e9))
            .put("ratio", coldLoadRatio())
            .put("medianRatio", medianRatio())
            .put("figure", "best of rounds"));
    root.put("propagation", figures(r.propagation()));
    root.put("propagationWatchesOnly", figures(r.propagationWatchesOnly()));
    root.put(
        "followerMetrics",
        Json.object()
            .put("appliedCommits", r.followerMetrics().appliedCommits())
            .put("watchFires", r.followerMetrics().watchFires())
            .put("polls", r.followerMetrics().polls())
            .put("reloads", r.followerMetrics().reloads())
            .put("failures", r.followerMetrics().failures()));
    root.put(
        "gc",
        Json.object()
            .put("heartbeatCollections", r.heartbeatGc().count())
            .put("heartbeatMillis", r.heartbeatGc().millis())
            .put("propagationCollections", r.propagationGc().count())
            .put("propagationMillis", r.propagationGc().millis())
            .put("totalCollections", r.totalGc().count())
            .put("totalMillis", r.totalGc().millis()));
    root.put("targets", Target.json(targets));
    root.put("allTargetsPass", allTargetsPass());
    return root.toString();
  }

  /** Each of {@code nanos} in seconds, as a JSON list. */
  private static List<Object> seconds(long[] nanos) {
    List<Object> out = Json.list();
    for (long n : nanos) out.add(n / 1e9);
    return out;
  }
}
