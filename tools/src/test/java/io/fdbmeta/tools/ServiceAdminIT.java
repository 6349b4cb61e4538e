package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A service's admin port over real sockets: the three paths, and a port that is taken. */
class ServiceAdminIT {
  @TempDir Path tmp;

  private final HttpClient http = HttpClient.newHttpClient();

  private String get(ServiceAdmin admin, String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + admin.address().getPort() + path))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return r.statusCode()
        + " "
        + r.headers().firstValue("content-type").orElse("")
        + " "
        + r.body();
  }

  @Test
  void answersHealthReadinessAndMetrics() throws Exception {
    try (ServiceAdmin admin = ServiceAdmin.start("test", HostPort.parseListen("127.0.0.1:0"))) {
      assertThat(admin.address().getPort()).isPositive();
      assertThat(get(admin, "/healthz")).isEqualTo("200 text/plain; charset=utf-8 ok\n");
      assertThat(get(admin, "/readyz"))
          .isEqualTo("503 text/plain; charset=utf-8 not ready: starting\n");
      AtomicBoolean ready = new AtomicBoolean();
      admin.readiness(
          () ->
              ready.get()
                  ? ServiceAdmin.Readiness.ready("standby")
                  : ServiceAdmin.Readiness.notReady("opening the store"));
      assertThat(get(admin, "/readyz"))
          .endsWith(" not ready: opening the store\n")
          .startsWith("503");
      ready.set(true);
      assertThat(get(admin, "/readyz")).isEqualTo("200 text/plain; charset=utf-8 ready: standby\n");
      admin.metrics(t -> t.gauge("fdbmeta_test_active", "Active.", 1));
      admin.metrics(t -> t.counter("fdbmeta_test_ticks_total", "Ticks.", 3));
      assertThat(get(admin, "/metrics"))
          .isEqualTo(
              "200 text/plain; version=0.0.4; charset=utf-8 "
                  + "# HELP fdbmeta_test_active Active.\n# TYPE fdbmeta_test_active gauge\n"
                  + "fdbmeta_test_active 1\n"
                  + "# HELP fdbmeta_test_ticks_total Ticks.\n"
                  + "# TYPE fdbmeta_test_ticks_total counter\nfdbmeta_test_ticks_total 3\n");
      admin.metrics(t -> t.gauge("fdbmeta_test_active", "Twice.", 1));
      assertThat(get(admin, "/metrics"))
          .startsWith("500 ")
          .contains("metrics failed: metric fdbmeta_test_active written twice");
    }
  }

  @Test
  void aTakenPortIsOneLineNamingItAndExitOne() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String at = "127.0.0.1:" + taken.getLocalPort();
      assertThatThrownBy(() -> ServiceAdmin.start("test", HostPort.parseListen(at)))
          .isInstanceOf(CliException.class)
          .hasMessage(
              "cannot open the test's admin port "
                  + at
                  + " (--admin): the port is taken (Address already in use)");
      Cli r =
          Cli.run(
              "--embedded",
              tmp.resolve("store").toString(),
              "controller",
              "--id",
              "c",
              "--admin",
              at);
      assertThat(r.exitCode()).isEqualTo(1);
      assertThat(r.errLines())
          .containsExactly(
              "fdbmeta: cannot open the controller's admin port "
                  + at
                  + " (--admin): the port is taken (Address already in use)");
      assertThat(r.out()).isEmpty();
    }
  }
}
