package io.fdbmeta.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.tools.MiniJson;
import io.fdbmeta.tools.bench.RouterBenchmark.Figures;
import io.fdbmeta.tools.bench.RouterBenchmark.Route;
import io.fdbmeta.tools.bench.RouterBenchmark.Workload;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The router benchmark's report and JSON from made-up figures: no cluster, no sockets. */
class RouterReportTest {
  static final long SECOND = 1_000_000_000L;

  /**
   * {@code perSec} commands in one second, every latency {@code micros}, {@code cpuMicros} of cpu
   * per command.
   */
  static Figures figures(long perSec, long micros, double cpuMicros) {
    long[] latencies = new long[100];
    java.util.Arrays.fill(latencies, micros * 1000);
    return new Figures(
        new Measurement(perSec, perSec, 0, SECOND, latencies), (long) (cpuMicros * 1000 * perSec));
  }

  /** Routed GET figures as given, for both the throughput run and the light-load run. */
  static RouterReport report(
      long routedGetPerSec,
      long routedGetMicros,
      RouteLookups.Figures zipf,
      List<RouterBenchmark.RedisRun> redis) {
    return report(
        figures(routedGetPerSec, routedGetMicros, 30),
        figures(routedGetPerSec, routedGetMicros, 30),
        zipf,
        redis);
  }

  static RouterReport report(
      Figures routedGet,
      Figures routedGetLightLoad,
      RouteLookups.Figures zipf,
      List<RouterBenchmark.RedisRun> redis) {
    Map<Workload, Map<Route, Figures>> data = new EnumMap<>(Workload.class);
    for (Workload w : Workload.values()) {
      Map<Route, Figures> m = new EnumMap<>(Route.class);
      m.put(Route.DIRECT, figures(40_000, 100, 20));
      m.put(
          Route.ROUTED,
          w == Workload.GET
              ? routedGet
              : w == Workload.GET_LIGHT_LOAD ? routedGetLightLoad : figures(32_000, 150, 28));
      data.put(w, m);
    }
    RouteLookups.Figures uniform =
        new RouteLookups.Figures(
            RouteLookups.Distribution.UNIFORM,
            new double[] {1e6, 2e6},
            new double[] {5e6, 4e6},
            900,
            1000);
    RouteLookups.Results lookups = new RouteLookups.Results(1000, 0.5, List.of(uniform, zipf));
    RouterBenchmark.Config config =
        new RouterBenchmark.Config(1, 50, 8, 16, 1000, 1000, 1000, 2, !redis.isEmpty());
    LayerBenchmark.Gc gc = new LayerBenchmark.Gc(3, 40);
    String note =
        redis.isEmpty()
            ? "redis-benchmark: skipped (--no-redis-benchmark)"
            : "redis-benchmark: /usr/bin/redis-benchmark";
    return new RouterReport(
        config,
        new RouterBenchmark.Results(
            0.5,
            0.7,
            2,
            2,
            "n2",
            "Range{7 [key:, key;)}",
            0.1,
            data,
            lookups,
            redis,
            note,
            gc,
            gc,
            9.5));
  }

  static final RouteLookups.Figures ZIPF_FAST =
      new RouteLookups.Figures(
          RouteLookups.Distribution.ZIPF, new double[] {3e6}, new double[] {6e6}, 500, 1000);

  @Test
  void targetsJudgeTheGetRowsAndTheLookupRatios() {
    RouterReport r = report(36_000, 160, ZIPF_FAST, List.of());
    assertThat(r.targets())
        .extracting(Target::id)
        .containsExactly(
            "getThroughputRatio",
            "getPipelinedThroughputRatio",
            "getAddedP50Micros",
            "lookupRatioUniform",
            "lookupRatioZipf");
    assertThat(Target.byId(r.targets(), "getThroughputRatio").actual()).isEqualTo(0.9);
    assertThat(Target.byId(r.targets(), "getPipelinedThroughputRatio").actual()).isEqualTo(0.8);
    assertThat(Target.byId(r.targets(), "getAddedP50Micros").actual()).isEqualTo(60.0);
    assertThat(Target.byId(r.targets(), "lookupRatioUniform").actual())
        .as("best over best")
        .isEqualTo(0.4);
    assertThat(Target.byId(r.targets(), "lookupRatioZipf").actual()).isEqualTo(0.5);
    assertThat(r.allTargetsPass()).isTrue();

    RouterReport slow =
        report(
            20_000,
            250,
            new RouteLookups.Figures(
                RouteLookups.Distribution.ZIPF, new double[] {1e6}, new double[] {6e6}, 500, 1000),
            List.of());
    assertThat(slow.targets())
        .filteredOn(t -> !t.pass())
        .extracting(Target::id)
        .containsExactly("getThroughputRatio", "getAddedP50Micros", "lookupRatioZipf");
    assertThat(slow.table("reproduce-me"))
        .contains("some MISS")
        .contains("0.50x  >= 0.7x  MISS")
        .contains("p50 +150 us <= 100 us  MISS");
  }

  @Test
  void lightLoadJudgesAddedLatencyButNotItsLatencyBoundRate() {
    RouterReport r =
        report(figures(36_000, 400, 25), figures(24_000, 130, 30), ZIPF_FAST, List.of());
    assertThat(Target.byId(r.targets(), "getThroughputRatio").actual()).isEqualTo(0.9);
    assertThat(Target.byId(r.targets(), "getAddedP50Micros").actual())
        .as("from the light-load run")
        .isEqualTo(30.0);
    assertThat(r.allTargetsPass()).isTrue();
    String row =
        r.table("x")
            .lines()
            .filter(l -> l.startsWith("GET, 1 outstanding per client, light load, router"))
            .findFirst()
            .orElseThrow();
    assertThat(row)
        .contains(" 8 ")
        .contains("0.60x (latency-bound); p50 +30 us <= 100 us  PASS")
        .doesNotContain(">= 0.7x");
    RouterReport slower =
        report(figures(36_000, 400, 25), figures(24_000, 230, 30), ZIPF_FAST, List.of());
    assertThat(slower.targets())
        .filteredOn(t -> !t.pass())
        .extracting(Target::id)
        .containsExactly("getAddedP50Micros");
  }

  @Test
  void tableHasEveryRowAndTheCommandThatReproducesIt() {
    RouterBenchmark.RedisRun direct =
        new RouterBenchmark.RedisRun(
            Route.DIRECT,
            50,
            1,
            1000,
            List.of(
                new RedisBenchmarkRun.Figures("SET", 10_000, 0.4, 1.0),
                new RedisBenchmarkRun.Figures("GET", 50_000, 0.1, 0.2)),
            "-h 127.0.0.1 -p 4000 -t set,get");
    RouterBenchmark.RedisRun routed =
        new RouterBenchmark.RedisRun(
            Route.ROUTED,
            50,
            1,
            1000,
            List.of(
                new RedisBenchmarkRun.Figures("SET", 8_000, 0.5, 1.5),
                new RedisBenchmarkRun.Figures("GET", 40_000, 0.15, 0.3)),
            "-h 127.0.0.1 -p 5000 -t set,get");
    String table =
        report(36_000, 160, ZIPF_FAST, List.of(direct, routed))
            .table("java -jar tools/target/fdbmeta.jar bench router --seconds 1.0");
    List<String> lines = table.lines().toList();
    assertThat(lines.get(1))
        .isEqualTo("reproduce: java -jar tools/target/fdbmeta.jar bench router --seconds 1.0");
    assertThat(table)
        .contains("load average at start: 0.50, at end: 0.70")
        .contains(
            "GET, 1 outstanding per client, direct",
            "GET, 1 outstanding per client, router",
            "SET, pipelined x16 (latency per batch), router")
        .contains("RouteCache.lookup, uniform keys", "ConcurrentHashMap.get, Zipf 0.99 keys")
        .contains("GET -P 1, router", "0.80x; p50 +50 us", "-p PORT")
        .contains("targets: all PASS");
    assertThat(lines)
        .filteredOn(l -> l.startsWith("GET, 1 outstanding per client, direct"))
        .singleElement()
        .asString()
        .contains("40,000/s")
        .contains("20.0");
  }

  @Test
  void jsonIsOneLineWithEveryFigure() {
    RouterBenchmark.RedisRun run =
        new RouterBenchmark.RedisRun(
            Route.DIRECT,
            50,
            16,
            1000,
            List.of(new RedisBenchmarkRun.Figures("GET", 50_000, 0.1, 0.2)),
            "-p 1");
    String json = report(36_000, 160, ZIPF_FAST, List.of(run)).json("repro");
    assertThat(json).doesNotContain("\n");
    @SuppressWarnings("unchecked")
    Map<String, Object> root = (Map<String, Object>) MiniJson.parse(json);
    assertThat(root)
        .containsEntry("bench", "router")
        .containsEntry("reproduce", "repro")
        .containsEntry("clients", 50.0)
        .containsEntry("lightLoadClients", 8.0)
        .containsEntry("pipeline", 16.0)
        .containsEntry("directNode", "n2")
        .containsEntry("allTargetsPass", true)
        .containsKeys("loadAverageAtStart", "cpus", "gc", "lookups", "redisBenchmark");
    for (Workload w : Workload.values()) {
      @SuppressWarnings("unchecked")
      Map<String, Object> row = (Map<String, Object>) root.get(w.id);
      assertThat(row)
          .as(w.id)
          .containsKeys("direct", "routed", "ratio", "addedP50Micros")
          .containsEntry("clients", w.lightLoad ? 8.0 : 50.0);
      @SuppressWarnings("unchecked")
      Map<String, Object> direct = (Map<String, Object>) row.get("direct");
      assertThat(direct)
          .containsEntry("perSec", 40_000.0)
          .containsEntry("p50Micros", 100.0)
          .containsEntry("cpuMicrosPerCommand", 20.0)
          .containsEntry("errors", 0.0);
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> zipf =
        (Map<String, Object>) ((Map<String, Object>) root.get("lookups")).get("zipf");
    assertThat(zipf)
        .containsEntry("cachePerSec", 3e6)
        .containsEntry("mapPerSec", 6e6)
        .containsEntry("ratio", 0.5)
        .containsEntry("distinctKeys", 500.0);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> runs =
        (List<Map<String, Object>>) ((Map<String, Object>) root.get("redisBenchmark")).get("runs");
    assertThat(runs)
        .singleElement()
        .satisfies(
            r ->
                assertThat(r)
                    .containsEntry("test", "GET")
                    .containsEntry("route", "direct")
                    .containsEntry("clients", 50.0)
                    .containsEntry("pipeline", 16.0)
                    .containsEntry("perSec", 50_000.0)
                    .containsEntry("p50Micros", 100.0));
  }
}
