package io.fdbmeta.router;

import static io.fdbmeta.router.RespClient.str;
import static io.fdbmeta.router.TestCluster.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.route.ChangeFeed;
import io.fdbmeta.wire.ReplyStatus;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The router on real loopback sockets against fake storage nodes and an embedded catalog. */
class RouterIT {
  private TestCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) cluster.close();
  }

  @Test
  void servesEveryCommandBinarySafe() throws Exception {
    cluster = new TestCluster("n1");
    Router router = cluster.router();
    try (RespClient c = new RespClient(router.address())) {
      byte[] key = {0, (byte) 0xff, '\r', '\n', 'k'};
      byte[] value = {'\r', '\n', 0, (byte) 0x80};
      assertThat(c.call("PING")).isEqualTo("PONG");
      assertThat(str(c.call("ECHO", "hi"))).isEqualTo("hi");
      assertThat(c.call(b("SET"), key, value)).isEqualTo("OK");
      assertThat((byte[]) c.call(b("GET"), key)).isEqualTo(value);
      assertThat(c.call("GET", "missing")).isNull();
      assertThat(c.call("MSET", "a", "1", "b", "2", "c", "3")).isEqualTo("OK");
      assertThat((List<?>) c.call("MGET", "c", "missing", "a"))
          .extracting(RespClient::str)
          .containsExactly("3", "null", "1");
      assertThat(c.call("EXISTS", "a", "b", "nope")).isEqualTo(2L);
      assertThat(c.call("DEL", "a", "nope")).isEqualTo(1L);
      assertThat((List<?>) c.call("RANGE", "a", "c"))
          .extracting(RespClient::str)
          .containsExactly("b", "2");
      assertThat((List<?>) c.call("RANGE", "", "", "LIMIT", "2")).hasSize(4);
      assertThat(c.call("NOSUCH", "x"))
          .isInstanceOf(RespClient.Err.class)
          .asString()
          .contains("unknown command 'NOSUCH'");
      assertThat(c.call("GET")).asString().contains("wrong number of arguments");
      assertThat(str(c.call("INFO"))).contains("route_cache_ranges:1");
      assertThat(c.call("QUIT")).isEqualTo("OK");
      assertThat(c.closedByServer()).isTrue();
    }
    assertThat(router.metrics().failures()).isZero();
  }

  @Test
  void multiKeyCommandsSplitByRangeAndAnswerInOrder() throws Exception {
    cluster = new TestCluster("n1", "n2");
    for (String k : new String[] {"d", "h", "m", "t"}) cluster.split(k);
    cluster.moveLease("h", "n2");
    cluster.moveLease("t", "n2");
    cluster.syncNodes();
    Router router = cluster.router();
    assertThat(router.routeCache().size()).isEqualTo(5);
    try (RespClient c = new RespClient(router.address())) {
      List<String> args = new ArrayList<>(List.of("MSET"));
      for (char ch = 'a'; ch <= 'z'; ch++) args.addAll(List.of(String.valueOf(ch), "v" + ch));
      assertThat(c.call(args.toArray(String[]::new))).isEqualTo("OK");
      assertThat(cluster.node("n1").served.get()).isPositive();
      assertThat(cluster.node("n2").served.get()).isPositive();
      List<String> get = new ArrayList<>(List.of("MGET"));
      for (char ch = 'z'; ch >= 'a'; ch--) get.add(String.valueOf(ch));
      List<?> got = (List<?>) c.call(get.toArray(String[]::new));
      assertThat(got).hasSize(26);
      for (int i = 0; i < 26; i++) assertThat(str(got.get(i))).isEqualTo("v" + (char) ('z' - i));
      List<?> range = (List<?>) c.call("RANGE", "b", "v", "LIMIT", "1000");
      StringBuilder keys = new StringBuilder();
      for (int i = 0; i < range.size(); i += 2) keys.append(str(range.get(i)));
      assertThat(keys.toString()).isEqualTo("bcdefghijklmnopqrstu");
      List<?> page = (List<?>) c.call("RANGE", "c", "", "LIMIT", "3");
      assertThat(page).extracting(RespClient::str).containsExactly("c", "vc", "d", "vd", "e", "ve");
      assertThat(c.call("DEL", "a", "h", "z", "nope")).isEqualTo(3L);
    }
    assertThat(router.metrics().failures()).isZero();
  }

  @Test
  void aRouterWithAStaleTableHealsThroughRedirects() throws Exception {
    cluster = new TestCluster("n1", "n2");
    // No watches and a poll far beyond the test: the router's cache never hears of the changes
    // below.
    Router router =
        cluster.router(
            b ->
                b.feedOptions(
                    ChangeFeed.Options.builder()
                        .watches(false)
                        .pollInterval(Duration.ofHours(1))
                        .build()));
    try (RespClient c = new RespClient(router.address())) {
      assertThat(c.call("SET", "k1", "before")).isEqualTo("OK");
      for (String k : new String[] {"f", "p"}) cluster.split(k);
      cluster.moveLease("k", "n2");
      cluster.syncNodes();
      for (int i = 0; i < 50; i++) {
        String k = String.valueOf((char) ('a' + i % 26)) + i;
        assertThat(c.call("SET", k, "v" + i)).as(k).isEqualTo("OK");
        assertThat(str(c.call("GET", k))).isEqualTo("v" + i);
      }
      assertThat(str(c.call("GET", "k1"))).isEqualTo("before");
      assertThat(router.metrics().redirects(ReplyStatus.WRONG_RANGE))
          .as("the split parent is gone on the nodes")
          .isPositive();
      cluster.moveLease("a", "n2");
      cluster.syncNodes();
      assertThat(str(c.call("GET", "a0"))).isEqualTo("v0");
      assertThat(router.metrics().redirects(ReplyStatus.STALE_EPOCH))
          .as("the old leaseholder knows the new epoch")
          .isPositive();
    }
    assertThat(router.metrics().failures()).isZero();
    assertThat(router.routeCache().snapshot()).containsExactlyElementsOf(cluster.ranges());
  }

  @Test
  void redirectsOfRequestsBehindOneThatAlreadyHealedTheCacheDoNotReadTheCatalog() throws Exception {
    cluster = new TestCluster("n1");
    Router router =
        cluster.router(
            b ->
                b.feedOptions(
                    ChangeFeed.Options.builder()
                        .watches(false)
                        .pollInterval(Duration.ofHours(1))
                        .build()));
    cluster.split("m");
    cluster.syncNodes();
    long loads = router.routeCache().stats().loads();
    try (RespClient c = new RespClient(router.address())) {
      ByteArrayOutputStream batch = new ByteArrayOutputStream();
      for (int i = 0; i < 50; i++)
        batch.write(
            RespClient.command(
                "SET", "a" + i, "v" + i)); // all in [, m), all sent to the gone root at once
      c.raw(batch.toByteArray());
      for (int i = 0; i < 50; i++) assertThat(c.read()).isEqualTo("OK");
    }
    assertThat(router.metrics().redirects(ReplyStatus.WRONG_RANGE)).isPositive();
    assertThat(router.routeCache().stats().loads() - loads)
        .as("catalog reads for %d redirects", router.metrics().redirects())
        .isLessThanOrEqualTo(1);
    assertThat(router.metrics().failures()).isZero();
  }

  @Test
  void pipelinedGetsOfOneRangeLeaveAsFewNodeRequests() throws Exception {
    cluster = new TestCluster("n1");
    Router router = cluster.router();
    try (RespClient c = new RespClient(router.address())) {
      for (int i = 0; i < 40; i += 2) assertThat(c.call("SET", "k" + i, "v" + i)).isEqualTo("OK");
      long served = cluster.node("n1").served.get();
      ByteArrayOutputStream batch = new ByteArrayOutputStream();
      for (int i = 0; i < 40; i++) batch.write(RespClient.command("GET", "k" + i));
      batch.write(RespClient.command("MGET", "k0", "k1", "k2"));
      c.raw(batch.toByteArray());
      for (int i = 0; i < 40; i++)
        assertThat(str(c.read())).as("GET k%d", i).isEqualTo(i % 2 == 0 ? "v" + i : "null");
      assertThat((List<?>) c.read())
          .extracting(RespClient::str)
          .containsExactly("v0", "null", "v2");
      assertThat(cluster.node("n1").served.get() - served)
          .as("node requests for 41 pipelined reads")
          .isLessThanOrEqualTo(4);
      assertThat(str(c.call("INFO"))).contains("coalesced_gets:");
    }
    assertThat(router.metrics().coalescedGets()).isGreaterThanOrEqualTo(41 - 3);
    assertThat(router.metrics().failures()).isZero();
  }

  @Test
  void aCoalescedGetThatMeetsARedirectIsRetriedPerCommand() throws Exception {
    cluster = new TestCluster("n1", "n2");
    Router router =
        cluster.router(
            b ->
                b.feedOptions(
                    ChangeFeed.Options.builder()
                        .watches(false)
                        .pollInterval(Duration.ofHours(1))
                        .build()));
    try (RespClient c = new RespClient(router.address())) {
      for (char ch = 'a'; ch <= 'z'; ch++)
        assertThat(c.call("SET", String.valueOf(ch), "v" + ch)).isEqualTo("OK");
      cluster.split(
          "m"); // the router's cache still has the parent: the coalesced GET gets WRONG_RANGE
      cluster.moveLease("p", "n2");
      cluster.syncNodes();
      ByteArrayOutputStream batch = new ByteArrayOutputStream();
      for (char ch = 'z'; ch >= 'a'; ch--)
        batch.write(RespClient.command("GET", String.valueOf(ch)));
      c.raw(batch.toByteArray());
      for (char ch = 'z'; ch >= 'a'; ch--) assertThat(str(c.read())).isEqualTo("v" + ch);
    }
    assertThat(router.metrics().redirects()).isPositive();
    assertThat(router.metrics().failures()).isZero();
  }

  @Test
  void theChangeFeedKeepsTheCacheEqualToTheCatalog() {
    cluster = new TestCluster("n1");
    Router router = cluster.router();
    for (int i = 1; i < 20; i++) cluster.split(String.format("key%03d", i * 10));
    TestCluster.await(
        "cache to follow the catalog",
        Duration.ofSeconds(10),
        () -> router.routeCache().snapshot().equals(cluster.ranges()),
        () -> router.routeCache().stats().toString());
  }

  @Test
  void pipelinedRepliesKeepCommandOrderWhenNodesAnswerOutOfOrder() throws Exception {
    cluster = new TestCluster("n1");
    cluster.node("n1").reverse = true;
    Router router = cluster.router();
    try (RespClient c = new RespClient(router.address())) {
      ByteArrayOutputStream batch = new ByteArrayOutputStream();
      for (int i = 0; i < 200; i++) batch.write(RespClient.command("SET", "k" + i, "v" + i));
      for (int i = 0; i < 200; i++) batch.write(RespClient.command("GET", "k" + i));
      c.raw(batch.toByteArray());
      for (int i = 0; i < 200; i++) assertThat(c.read()).isEqualTo("OK");
      for (int i = 0; i < 200; i++) assertThat(str(c.read())).isEqualTo("v" + i);
    }
  }

  /**
   * A rolling restart of storage nodes failed writes: while a replica restarts, its leaseholder
   * answers OVERLOADED for seconds, and the router gave up after 8 attempts (about 0.4 s of
   * backoff). OVERLOADED is now retried until the request's deadline.
   */
  @Test
  void overloadedRepliesAreRetriedUntilTheDeadlineNotEightTimes() throws Exception {
    cluster = new TestCluster("n1");
    Router router = cluster.router();
    try (RespClient c = new RespClient(router.address())) {
      cluster.node("n1").overloadNext.set(20);
      assertThat(c.call("SET", "k", "v")).isEqualTo("OK");
    }
    assertThat(router.metrics().retries()).isEqualTo(20);
  }

  @Test
  void pipelinedCommandsOnOneKeyTakeEffectInOrderWhenTheFirstIsRetried() throws Exception {
    cluster = new TestCluster("n1");
    Router router = cluster.router();
    try (RespClient c = new RespClient(router.address())) {
      assertThat(c.call("SET", "k", "v0")).isEqualTo("OK");
      cluster
          .node("n1")
          .overloadNext
          .set(1); // the first SET below is answered OVERLOADED and retried after a backoff
      ByteArrayOutputStream batch = new ByteArrayOutputStream();
      batch.write(RespClient.command("SET", "k", "v1"));
      batch.write(RespClient.command("GET", "k"));
      batch.write(RespClient.command("SET", "k", "v2"));
      batch.write(RespClient.command("EXISTS", "k", "other"));
      batch.write(RespClient.command("MGET", "other", "k"));
      batch.write(RespClient.command("DEL", "k"));
      batch.write(RespClient.command("RANGE", "a", "z"));
      batch.write(RespClient.command("MSET", "k", "v3", "other", "o"));
      c.raw(batch.toByteArray());
      assertThat(c.read()).isEqualTo("OK");
      assertThat(str(c.read())).as("GET after SET v1 on the same connection").isEqualTo("v1");
      assertThat(c.read()).isEqualTo("OK");
      assertThat(c.read()).isEqualTo(1L);
      assertThat((List<?>) c.read()).extracting(RespClient::str).containsExactly("null", "v2");
      assertThat(c.read()).isEqualTo(1L);
      assertThat((List<?>) c.read()).isEmpty();
      assertThat(c.read()).isEqualTo("OK");
      assertThat(str(c.call("GET", "k"))).as("the last write of the pipeline wins").isEqualTo("v3");
    }
    assertThat(router.metrics().retries()).isPositive();
  }

  @Test
  void pipelinedCommandsOnDifferentKeysAndReadsOfOneKeyStillRunInParallel() throws Exception {
    cluster = new TestCluster("n1");
    FakeNode n1 = cluster.node("n1");
    Router router = cluster.router();
    try (RespClient c = new RespClient(router.address())) {
      assertThat(c.call("SET", "k", "v")).isEqualTo("OK");
      n1.delayMillis = 100;
      ByteArrayOutputStream batch = new ByteArrayOutputStream();
      for (int i = 0; i < 10; i++) batch.write(RespClient.command("SET", "k" + i, "v" + i));
      for (int i = 0; i < 10; i++) batch.write(RespClient.command("GET", "k"));
      c.raw(batch.toByteArray());
      for (int i = 0; i < 10; i++) assertThat(c.read()).isEqualTo("OK");
      for (int i = 0; i < 10; i++) assertThat(str(c.read())).isEqualTo("v");
    }
    // the ten SETs, and the ten GETs coalesced into one request: all at the node at once
    assertThat(n1.peakOutstanding.get()).as("requests at the node at once").isEqualTo(11);
  }

  @Test
  void adminPortServesMetricsAndHealth() throws Exception {
    cluster = new TestCluster("n1");
    Router router = cluster.router();
    try (RespClient c = new RespClient(router.address())) {
      c.call("SET", "a", "1");
      c.call("GET", "a");
    }
    HttpClient http = HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + router.adminAddress().getPort();
    HttpResponse<String> metrics =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body())
        .contains(
            "fdbmeta_router_requests_total{command=\"get\"} 1",
            "fdbmeta_router_request_seconds_bucket{command=\"set\",le=\"+Inf\"} 1",
            "fdbmeta_router_route_cache_ranges 1",
            "fdbmeta_router_route_lag_versions ",
            "fdbmeta_router_redirects_total{status=\"wrong_range\"} 0");
    HttpResponse<String> health =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/health")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
  }
}
