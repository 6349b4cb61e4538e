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
    return get(admin, path, null);
  }

  private String get(ServiceAdmin admin, String path, String authorization) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.address().getPort() + path))
            .timeout(Duration.ofSeconds(5));
    if (authorization != null) b.header("Authorization", authorization);
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return r.statusCode()
        + " "
        + r.headers().firstValue("content-type").orElse("")
        + " "
        + r.body();
  }

  @Test
  void answersHealthReadinessAndMetrics() throws Exception {
    try (ServiceAdmin admin =
        ServiceAdmin.start("test", HostPort.parseListen("127.0.0.1:0"), null)) {
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
  void withATokenEveryPathAnswersOnlyRequestsThatCarryIt() throws Exception {
    String token = "0123456789abcdef-token";
    try (ServiceAdmin admin =
        ServiceAdmin.start("test", HostPort.parseListen("127.0.0.1:0"), token)) {
      admin.readiness(() -> ServiceAdmin.Readiness.ready("serving"));
      for (String path : new String[] {"/healthz", "/readyz", "/metrics", "/nothing"}) {
        for (String wrong :
            new String[] {null, "Bearer wrong", "Bearer " + token + "x", "Basic " + token, token})
          assertThat(get(admin, path, wrong))
              .as(path + " with " + wrong)
              .startsWith("401 ")
              .contains("Authorization: Bearer TOKEN");
      }
      assertThat(get(admin, "/healthz", "Bearer " + token)).startsWith("200 ").endsWith("ok\n");
      assertThat(get(admin, "/readyz", "Bearer " + token)).endsWith("ready: serving\n");
    }
  }

  @Test
  void aShortOrMissingTokenFileIsAUsageError() throws Exception {
    Path shortToken = tmp.resolve("short");
    java.nio.file.Files.writeString(shortToken, "tooshort\n");
    for (Path file : new Path[] {shortToken, tmp.resolve("missing")}) {
      Cli r =
          Cli.run(
              "--embedded",
              tmp.toString(),
              "controller",
              "--id",
              "c1",
              "--admin-token-file",
              file.toString());
      assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
      assertThat(r.err()).contains("--admin-token-file " + file);
    }
  }

  @Test
  void aTakenPortIsOneLineNamingItAndExitOne() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String at = "127.0.0.1:" + taken.getLocalPort();
      assertThatThrownBy(() -> ServiceAdmin.start("test", HostPort.parseListen(at), null))
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
