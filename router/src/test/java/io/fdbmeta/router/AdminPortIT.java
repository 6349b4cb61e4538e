package io.fdbmeta.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The router's admin port as a health checker sees it, with slow clients connected. */
class AdminPortIT {
  private TestCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) cluster.close();
  }

  @Test
  void healthAnsweredWithinASecondWhileHundredClientsSendHalfARequest() throws Exception {
    cluster = new TestCluster("n1");
    InetSocketAddress admin = cluster.router().adminAddress();
    List<RawHttp> slow = new ArrayList<>();
    try {
      for (int i = 0; i < 100; i++) {
        RawHttp c = new RawHttp(admin);
        slow.add(c);
        c.send("GET /health HTTP/1.1\r\nHost: t\r\n"); // the blank line never comes
      }
      long t0 = System.nanoTime();
      String reply = RawHttp.get(admin, "/health", Duration.ofSeconds(1));
      long millis = (System.nanoTime() - t0) / 1_000_000;
      assertThat(RawHttp.status(reply)).as(reply).isEqualTo(200);
      assertThat(millis).as("milliseconds to answer /health").isLessThan(1_000);
    } finally {
      for (RawHttp c : slow) c.close();
    }
  }

  @Test
  void healthzAndReadyzAnswerBesideMetrics() throws Exception {
    cluster = new TestCluster("n1");
    Router router = cluster.router();
    InetSocketAddress admin = router.adminAddress();
    assertThat(admin.getAddress().isLoopbackAddress()).as("admin binds 127.0.0.1").isTrue();
    Duration t = Duration.ofSeconds(2);
    assertThat(RawHttp.get(admin, "/healthz", t)).startsWith("HTTP/1.1 200").endsWith("ok\n");
    assertThat(RawHttp.get(admin, "/readyz", t)).startsWith("HTTP/1.1 200").endsWith("ok\n");
    assertThat(RawHttp.get(admin, "/metrics?x=1", t))
        .startsWith("HTTP/1.1 200")
        .contains("text/plain; version=0.0.4")
        .contains("fdbmeta_router_route_cache_ranges 1");
    assertThat(RawHttp.status(RawHttp.get(admin, "/nope", t))).isEqualTo(404);
  }
}
