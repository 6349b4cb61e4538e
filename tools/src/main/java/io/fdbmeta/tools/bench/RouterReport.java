package io.fdbmeta.tools.bench;

import io.fdbmeta.tools.Json;
import io.fdbmeta.tools.bench.RouterBenchmark.Route;
import io.fdbmeta.tools.bench.RouterBenchmark.Workload;
import io.fdbmeta.wire.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The figures of one {@code bench router} run, as an aligned table and as one JSON line. */
public final class RouterReport implements Report {
  static final double THROUGHPUT_RATIO_TARGET = 0.7;
  static final double ADDED_P50_MICROS_TARGET = 100;
  static final double LOOKUP_RATIO_UNIFORM_TARGET = 0.2;
  static final double LOOKUP_RATIO_ZIPF_TARGET = 0.33;

  private final RouterBenchmark.Config config;
  private final RouterBenchmark.Results r;
  private final List<Target> targets = new ArrayList<>();

  RouterReport(RouterBenchmark.Config config, RouterBenchmark.Results r) {
    this.config = config;
    this.r = r;
    targets.add(
        Target.atLeast(
            "getThroughputRatio",
            "routed / direct GET/s, " + config.clients() + " clients, 1 outstanding each",
            THROUGHPUT_RATIO_TARGET,
            ratio(Workload.GET)));
    targets.add(
        Target.atLeast(
            "getPipelinedThroughputRatio",
            "routed / direct GET/s, "
                + config.clients()
                + " clients, pipelined x"
                + config.pipeline(),
            THROUGHPUT_RATIO_TARGET,
            ratio(Workload.GET_PIPELINED)));
    targets.add(
        Target.atMost(
            "getAddedP50Micros",
            "routed GET p50 - direct GET p50 (us), light load: "
                + config.lightClients()
                + " clients, 1 outstanding each",
            ADDED_P50_MICROS_TARGET,
            addedP50Micros(Workload.GET_LIGHT_LOAD)));
    targets.add(
        Target.atLeast(
            "lookupRatioUniform",
            "RouteCache.lookup/s over ConcurrentHashMap.get/s, uniform keys, best of "
                + RouterBenchmark.LOOKUP_ROUNDS,
            LOOKUP_RATIO_UNIFORM_TARGET,
            r.lookups().of(RouteLookups.Distribution.UNIFORM).ratio()));
    targets.add(
        Target.atLeast(
            "lookupRatioZipf",
            "RouteCache.lookup/s over ConcurrentHashMap.get/s, Zipf keys, best of "
                + RouterBenchmark.LOOKUP_ROUNDS,
            LOOKUP_RATIO_ZIPF_TARGET,
            r.lookups().of(RouteLookups.Distribution.ZIPF).ratio()));
  }

  public List<Target> targets() {
    return List.copyOf(targets);
  }

  public boolean allTargetsPass() {
    return Target.allPass(targets);
  }

  /** Routed over direct commands per second. */
  double ratio(Workload w) {
    return r.get(w, Route.ROUTED).unitsPerSecond() / r.get(w, Route.DIRECT).unitsPerSecond();
  }

  /** Routed with TLS over routed without, commands per second (NaN without a TLS path). */
  double tlsRatio(Workload w) {
    if (!r.data().get(w).containsKey(Route.ROUTED_TLS)) return Double.NaN;
    return r.get(w, Route.ROUTED_TLS).unitsPerSecond() / r.get(w, Route.ROUTED).unitsPerSecond();
  }

  /** Routed p50 minus direct p50, microseconds. */
  double addedP50Micros(Workload w) {
    return r.get(w, Route.ROUTED).latencyMicros(50) - r.get(w, Route.DIRECT).latencyMicros(50);
  }

  private Target target(String id) {
    return Target.byId(targets, id);
  }

  /** Every socket of the run (client, router, nodes) uses the same one. */
  private static final String TRANSPORT = Transport.preferred().name().toLowerCase(Locale.ROOT);

  private static final String ROW = "%-50s %7s %13s %9s %9s %9s %9s  %s%n";

  /** The human report; its second line is the command that reproduces it. */
  @Override
  public String table(String reproduce) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "fdbmeta bench router: the same RESP client straight to a storage node and through the router; route lookups beside a hash map\n");
    sb.append("reproduce: ").append(reproduce).append('\n');
    int cpus = Runtime.getRuntime().availableProcessors();
    sb.append(
        String.format(
            Locale.ROOT,
            "%d storage nodes (replication %d) + 1 router (%d io threads; %s) + client (%d event loops) in one JVM, fdb-embedded in memory; sockets: %s; %d cpus; Java %s; total %.1f s%n",
            RouterBenchmark.NODES,
            RouterBenchmark.REPLICATION,
            r.routerIoThreads(),
            r.data().get(Workload.GET).containsKey(Route.ROUTED_TLS)
                ? "and a second one with TLS on its RESP port, the JDK's provider"
                : "no TLS path: openssl is missing",
            r.clientThreads(),
            TRANSPORT,
            cpus,
            Runtime.version(),
            r.totalSeconds()));
    sb.append(
        String.format(
            Locale.ROOT,
            "direct: %s's own RESP port (it leads %s); %,d keys of %d bytes written through the router in %.1f s;%n"
                + "%.2f s per run after %.2f s warm-up, %d round(s) per path and workload, direct and routed alternating, after %.2f s of each untimed (JIT warm-up)%n",
            r.targetNode(),
            r.benchRange(),
            config.keys(),
            RouterBenchmark.VALUE_BYTES,
            r.preloadSeconds(),
            config.seconds(),
            config.warmupSeconds(),
            config.rounds(),
            config.jitWarmupSeconds()));
    sb.append(Target.loadWarning(r.loadAverage()));
    sb.append(
        String.format(
            Locale.ROOT,
            "load average at start: %.2f, at end: %.2f%n",
            r.loadAverage(),
            r.loadAverageAtEnd()));
    sb.append('\n');
    sb.append(
        String.format(
            Locale.ROOT,
            ROW,
            "data path",
            "clients",
            "commands/s",
            "p50 us",
            "p99 us",
            "max us",
            "cpu us/cmd",
            "routed / direct"));
    for (Workload w : Workload.values()) {
      String what =
          w.command
              + (w.pipelined
                  ? ", pipelined x" + config.pipeline() + " (latency per batch)"
                  : ", 1 outstanding per client")
              + (w.lightLoad ? ", light load" : "");
      for (Route route : Route.values()) {
        if (!r.data().get(w).containsKey(route)) continue; // no TLS path without openssl
        Measurement m = r.get(w, route);
        double cpu = r.figures(w, route).cpuMicrosPerCommand();
        String right = "";
        if (route == Route.ROUTED) {
          right = String.format(Locale.ROOT, "%.2fx", ratio(w));
          if (w == Workload.GET) right += "  " + target("getThroughputRatio").verdict("%.1f", "x");
          if (w == Workload.GET_PIPELINED)
            right += "  " + target("getPipelinedThroughputRatio").verdict("%.1f", "x");
          if (w == Workload.GET_LIGHT_LOAD) right += " (latency-bound)";
          right += String.format(Locale.ROOT, "; p50 %+.0f us", addedP50Micros(w));
          if (w == Workload.GET_LIGHT_LOAD)
            right += " " + target("getAddedP50Micros").verdict("%.0f", " us");
        }
        if (route == Route.ROUTED_TLS)
          right =
              String.format(
                  Locale.ROOT,
                  "TLS / router %.2fx; p50 %+.0f us (reported, not judged)",
                  tlsRatio(w),
                  m.latencyMicros(50) - r.get(w, Route.ROUTED).latencyMicros(50));
        sb.append(
            String.format(
                Locale.ROOT,
                ROW,
                what + ", " + route.label,
                config.clientsOf(w),
                perSec(m.unitsPerSecond()),
                us(m, 50),
                us(m, 99),
                us(m, 100),
                Double.isNaN(cpu) ? "-" : String.format(Locale.ROOT, "%.1f", cpu),
                right));
      }
    }
    sb.append('\n');
    RouteLookups.Results l = r.lookups();
    sb.append(
        String.format(
            Locale.ROOT,
            ROW,
            String.format(Locale.ROOT, "route lookups, %,d ranges, 1 thread", l.ranges()),
            "",
            "lookups/s",
            "",
            "",
            "",
            "",
            "cache / map"));
    for (RouteLookups.Figures f : l.figures()) {
      String id =
          f.distribution() == RouteLookups.Distribution.UNIFORM
              ? "lookupRatioUniform"
              : "lookupRatioZipf";
      String keys =
          f.distribution() == RouteLookups.Distribution.UNIFORM
              ? "uniform keys"
              : "Zipf " + RouteLookups.ZIPF_THETA + " keys";
      sb.append(
          String.format(
              Locale.ROOT,
              ROW,
              "RouteCache.lookup, " + keys,
              "",
              perSec(f.bestCache()),
              "",
              "",
              "",
              "",
              ""));
      sb.append(
          String.format(
              Locale.ROOT,
              ROW,
              "ConcurrentHashMap.get, " + keys,
              "",
              perSec(f.bestMap()),
              "",
              "",
              "",
              "",
              String.format(Locale.ROOT, "%.2fx  %s", f.ratio(), target(id).verdict("%.2f", "x"))));
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "(best of %d passes each over %,d keys, alternating; the map holds every distinct key of the stream: %,d uniform, %,d Zipf;%n"
                + " its key object and hash are made per lookup; replaceAll of %,d descriptors took %.2f s)%n",
            RouterBenchmark.LOOKUP_ROUNDS,
            l.figures().get(0).streamLength(),
            l.of(RouteLookups.Distribution.UNIFORM).distinctKeys(),
            l.of(RouteLookups.Distribution.ZIPF).distinctKeys(),
            l.ranges(),
            l.loadSeconds()));
    sb.append('\n');
    sb.append(redisTable());
    sb.append(
        String.format(
            Locale.ROOT,
            "%ngarbage collection (same JVM as nodes and router): %d collections, %,d ms during the data-path runs; %d, %,d ms in the whole run%n",
            r.dataPathGc().count(),
            r.dataPathGc().millis(),
            r.totalGc().count(),
            r.totalGc().millis()));
    long errors = 0;
    for (Workload w : Workload.values())
      for (Route route : r.data().get(w).keySet()) errors += r.get(w, route).errors();
    sb.append(
        String.format(
            Locale.ROOT,
            "%d failed commands in all; targets: %s%n",
            errors,
            allTargetsPass() ? "all PASS" : "some MISS"));
    return sb.toString();
  }

  private String redisTable() {
    StringBuilder sb = new StringBuilder();
    sb.append(r.redisNote()).append('\n');
    if (r.redis().isEmpty()) return sb.toString();
    sb.append(
        String.format(
            Locale.ROOT,
            ROW,
            "redis-benchmark",
            "clients",
            "requests/s",
            "p50 us",
            "p99 us",
            "",
            "",
            "routed / direct"));
    List<RouterBenchmark.RedisRun> runs = new ArrayList<>(r.redis());
    // grouped by clients, pipeline depth and test, direct before routed, whatever order they ran in
    runs.sort(
        java.util.Comparator.comparingInt(RouterBenchmark.RedisRun::clients)
            .reversed()
            .thenComparingInt(RouterBenchmark.RedisRun::pipeline)
            .thenComparing(
                run -> run.figures().isEmpty() ? "" : run.figures().get(0).test(),
                java.util.Comparator.reverseOrder())
            .thenComparing(RouterBenchmark.RedisRun::route));
    for (RouterBenchmark.RedisRun run : runs) {
      for (RedisBenchmarkRun.Figures f : run.figures()) {
        String right = "";
        if (run.route() == Route.ROUTED) {
          RedisBenchmarkRun.Figures d =
              redisFigures(Route.DIRECT, run.clients(), run.pipeline(), f.test());
          if (d != null)
            right =
                String.format(
                    Locale.ROOT,
                    "%.2fx; p50 %+.0f us%s",
                    f.requestsPerSec() / d.requestsPerSec(),
                    (f.p50Millis() - d.p50Millis()) * 1e3,
                    customTest(f.test())
                        ? (f.requestsPerSec() / d.requestsPerSec() >= RouterBenchmark.CUSTOM_TARGET
                            ? "; >= 0.7x PASS"
                            : "; >= 0.7x MISS")
                        : "");
        }
        sb.append(
            String.format(
                Locale.ROOT,
                ROW,
                String.format(
                    Locale.ROOT, "%s -P %d, %s", f.test(), run.pipeline(), run.route().label),
                run.clients(),
                perSec(f.requestsPerSec()),
                micros(f.p50Millis()),
                micros(f.p99Millis()),
                "",
                "",
                right));
      }
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "(redis-benchmark -h 127.0.0.1 -p PORT -t set|get -n N -c %d|%d -P 1|%d -r %d -d %d --csv, N sized from our rate for the same workload;%n"
                + " its latencies are per request, also when pipelined; INCR and SET EX: redis-benchmark -n N -c %d -P 1|%d -r %d"
                + " INCR key:c__rand_int__ | SET key:e__rand_int__ <%d bytes> EX 3600, executed by the storage node)%n",
            config.clients(),
            config.lightClients(),
            config.pipeline(),
            config.keys(),
            RouterBenchmark.VALUE_BYTES,
            config.clients(),
            config.pipeline(),
            config.keys(),
            RouterBenchmark.VALUE_BYTES));
    return sb.toString();
  }

  private static boolean customTest(String test) {
    for (String[] c : RouterBenchmark.CUSTOM_TESTS) if (c[0].equals(test)) return true;
    return false;
  }

  private RedisBenchmarkRun.@org.jspecify.annotations.Nullable Figures redisFigures(
      Route route, int clients, int pipeline, String test) {
    for (RouterBenchmark.RedisRun run : r.redis()) {
      if (run.route() != route || run.clients() != clients || run.pipeline() != pipeline) continue;
      for (RedisBenchmarkRun.Figures f : run.figures()) if (f.test().equals(test)) return f;
    }
    return null;
  }

  private static String perSec(double v) {
    return String.format(Locale.ROOT, "%,.0f/s", v);
  }

  private static String us(Measurement m, double p) {
    return String.format(Locale.ROOT, "%.0f", m.latencyMicros(p));
  }

  private static String micros(double millis) {
    return Double.isNaN(millis) ? "-" : String.format(Locale.ROOT, "%.0f", millis * 1e3);
  }

  private static Json figures(RouterBenchmark.Figures f) {
    Measurement m = f.measurement();
    return Json.object()
        .put("commands", m.units())
        .put("perSec", m.unitsPerSecond())
        .put("p50Micros", m.latencyMicros(50))
        .put("p99Micros", m.latencyMicros(99))
        .put("maxMicros", m.latencyMicros(100))
        .put("cpuMicrosPerCommand", f.cpuMicrosPerCommand())
        .put("errors", m.errors());
  }

  /** Every figure in one line of JSON. */
  @Override
  public String json(String reproduce) {
    Json root =
        Json.object()
            .put("bench", "router")
            .put("reproduce", reproduce)
            .put("seconds", config.seconds())
            .put("warmupSeconds", config.warmupSeconds())
            .put("rounds", config.rounds())
            .put("clients", config.clients())
            .put("lightLoadClients", config.lightClients())
            .put("pipeline", config.pipeline())
            .put("keys", config.keys())
            .put("valueBytes", RouterBenchmark.VALUE_BYTES)
            .put("nodes", RouterBenchmark.NODES)
            .put("replication", RouterBenchmark.REPLICATION)
            .put("directNode", r.targetNode())
            .put("cpus", Runtime.getRuntime().availableProcessors())
            .put("clientThreads", r.clientThreads())
            .put("routerIoThreads", r.routerIoThreads())
            .put("transport", TRANSPORT)
            .put("loadAverageAtStart", r.loadAverage())
            .put("loadAverageAtEnd", r.loadAverageAtEnd())
            .put("java", Runtime.version().toString())
            .put("totalSeconds", r.totalSeconds())
            .put("preloadSeconds", r.preloadSeconds());
    for (Workload w : Workload.values()) {
      Json o =
          Json.object()
              .put("clients", config.clientsOf(w))
              .put("direct", figures(r.figures(w, Route.DIRECT)))
              .put("routed", figures(r.figures(w, Route.ROUTED)))
              .put("ratio", ratio(w))
              .put("addedP50Micros", addedP50Micros(w));
      if (r.data().get(w).containsKey(Route.ROUTED_TLS))
        o.put("routedTls", figures(r.figures(w, Route.ROUTED_TLS))).put("tlsRatio", tlsRatio(w));
      root.put(w.id, o);
    }
    RouteLookups.Results l = r.lookups();
    Json lookups =
        Json.object()
            .put("ranges", l.ranges())
            .put("rounds", RouterBenchmark.LOOKUP_ROUNDS)
            .put("replaceAllSeconds", l.loadSeconds());
    for (RouteLookups.Figures f : l.figures()) {
      List<Object> cache = Json.list();
      for (double v : f.cachePerSec()) cache.add(v);
      List<Object> map = Json.list();
      for (double v : f.mapPerSec()) map.add(v);
      lookups.put(
          f.distribution().label,
          Json.object()
              .put("streamLength", f.streamLength())
              .put("distinctKeys", f.distinctKeys())
              .put("cachePerSec", f.bestCache())
              .put("mapPerSec", f.bestMap())
              .put("ratio", f.ratio())
              .put("cacheRoundsPerSec", cache)
              .put("mapRoundsPerSec", map));
    }
    root.put("lookups", lookups);
    List<Object> redis = Json.list();
    for (RouterBenchmark.RedisRun run : r.redis()) {
      for (RedisBenchmarkRun.Figures f : run.figures()) {
        redis.add(
            Json.object()
                .put("test", f.test())
                .put("route", run.route() == Route.DIRECT ? "direct" : "routed")
                .put("clients", run.clients())
                .put("pipeline", run.pipeline())
                .put("requests", run.requests())
                .put("perSec", f.requestsPerSec())
                .put("p50Micros", f.p50Millis() * 1e3)
                .put("p99Micros", f.p99Millis() * 1e3));
      }
    }
    root.put("redisBenchmark", Json.object().put("note", r.redisNote()).put("runs", redis));
    root.put(
        "gc",
        Json.object()
            .put("dataPathCollections", r.dataPathGc().count())
            .put("dataPathMillis", r.dataPathGc().millis())
            .put("totalCollections", r.totalGc().count())
            .put("totalMillis", r.totalGc().millis()));
    root.put("targets", Target.json(targets));
    root.put("allTargetsPass", allTargetsPass());
    return root.toString();
  }
}
