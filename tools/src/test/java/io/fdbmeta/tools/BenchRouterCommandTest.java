package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A tiny whole run of the router benchmark in-process (a few seconds), and its option checks. */
class BenchRouterCommandTest {
  @Test
  void tinyRunEndsWithOneJsonLine() {
    Cli r =
        Cli.run(
            "bench",
            "router",
            "--json",
            "--seconds",
            "0.3",
            "--rounds",
            "1",
            "--keys",
            "200",
            "--ranges",
            "1000",
            "--lookups",
            "2000",
            "--clients",
            "4",
            "--light-clients",
            "2",
            "--no-redis-benchmark");
    assertThat(r.exitCode()).as(r.err()).isZero();
    List<String> lines = r.outLines();
    assertThat(lines.get(1))
        .isEqualTo(
            "reproduce: java -jar tools/target/fdbmeta.jar bench router --json --seconds 0.3 --rounds 1 --clients 4 --light-clients 2 --keys 200 --ranges 1000 --lookups 2000"
                + " --no-redis-benchmark");
    assertThat(r.out())
        .contains(
            "GET, 1 outstanding per client, router",
            "GET, 1 outstanding per client, router, TLS",
            "TLS / router",
            "RouteCache.lookup, uniform keys",
            "redis-benchmark: skipped")
        .containsPattern("(PASS|MISS)");
    @SuppressWarnings("unchecked")
    Map<String, Object> json = (Map<String, Object>) MiniJson.parse(lines.get(lines.size() - 1));
    assertThat(json)
        .containsEntry("bench", "router")
        .containsEntry("keys", 200.0)
        .containsEntry("clients", 4.0)
        .containsEntry("lightLoadClients", 2.0)
        .containsKeys("targets", "allTargetsPass");
    for (String w : List.of("get", "set", "getPipelined", "setPipelined", "getLightLoad")) {
      for (String route : List.of("direct", "routed", "routedTls")) {
        @SuppressWarnings("unchecked")
        Map<String, Object> f =
            (Map<String, Object>) ((Map<String, Object>) json.get(w)).get(route);
        assertThat(f).as(w + " " + route).containsEntry("errors", 0.0);
        assertThat((Double) f.get("commands")).as(w + " " + route).isPositive();
      }
    }
  }

  @Test
  void rejectsOptionsOutOfRange() {
    Cli r = Cli.run("bench", "router", "--pipeline", "1");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("pipeline must be in [2, 1000], got 1");
    Cli light = Cli.run("bench", "router", "--light-clients", "0");
    assertThat(light.exitCode()).isEqualTo(2);
    assertThat(light.err()).contains("light-load clients must be in [1, 1000], got 0");
  }
}
