package io.fdbmeta.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.wire.TestCertificates;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.ProtocolVersion;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisProtocol;

/**
 * TLS on the RESP port with AUTH on, certificates from {@link TestCertificates}: redis-cli {@code
 * --tls}, Jedis and Lettuce with SSL, a plaintext client refused cleanly (closed, counted, others
 * served), and a router requiring client certificates.
 */
class TlsIT {
  @TempDir static Path dir;

  private static NodesBehindRouter nodes;
  private static Router router;
  private static Router mutual;

  @BeforeAll
  static void start() throws Exception {
    TestCertificates.create(dir, List.of("127.0.0.1", "localhost"));
    Path users = dir.resolve("users");
    Files.writeString(
        users, "default " + Users.hash("secret") + "\napp " + Users.hash("apw") + " +@all\n");
    nodes = NodesBehindRouter.start("tls");
    router =
        nodes.router(
            b ->
                b.users(Users.load(users))
                    .tls(
                        new RouterConfig.Tls(
                            dir.resolve("server.pem"), dir.resolve("server.key"), null, false)));
    mutual =
        nodes.router(
            b ->
                b.tls(
                    new RouterConfig.Tls(
                        dir.resolve("server.pem"),
                        dir.resolve("server.key"),
                        dir.resolve("ca.pem"),
                        true)));
  }

  @AfterAll
  static void stop() {
    if (nodes != null) nodes.close();
  }

  private static Process cli(Router r, String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "redis-cli",
                "--tls",
                "--cacert",
                dir.resolve("ca.pem").toString(),
                "-h",
                "127.0.0.1",
                "-p",
                "" + r.address().getPort()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    return p;
  }

  private static String out(Process p) throws Exception {
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  @Test
  void redisCliWithTlsAndAuth() throws Exception {
    RedisServerProcess.binary();
    String auth = "--user app --pass apw --no-auth-warning ";
    assertThat(out(cli(router, (auth + "ping").split(" ")))).isEqualTo("PONG\n");
    assertThat(out(cli(router, (auth + "set tls:cli v1").split(" ")))).isEqualTo("OK\n");
    assertThat(out(cli(router, (auth + "get tls:cli").split(" ")))).isEqualTo("v1\n");
    assertThat(out(cli(router, "ping"))).isEqualTo("NOAUTH Authentication required.\n\n");
    assertThat(out(cli(router, "-a", "secret", "--no-auth-warning", "get", "tls:cli")))
        .isEqualTo("v1\n");
  }

  private static SSLContext trusting(Path caPem) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    try (InputStream in = Files.newInputStream(caPem)) {
      ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  @Test
  void jedisWithSsl() throws Exception {
    try (Jedis j =
        new Jedis(
            new HostAndPort("127.0.0.1", router.address().getPort()),
            DefaultJedisClientConfig.builder()
                .ssl(true)
                .sslSocketFactory(trusting(dir.resolve("ca.pem")).getSocketFactory())
                .protocol(RedisProtocol.RESP3)
                .user("app")
                .password("apw")
                .build())) {
      assertThat(j.ping()).isEqualTo("PONG");
      assertThat(j.set("tls:jedis", "v")).isEqualTo("OK");
      assertThat(j.get("tls:jedis")).isEqualTo("v");
    }
  }

  @Test
  void lettuceWithSsl() {
    RedisURI uri =
        RedisURI.builder()
            .withHost("127.0.0.1")
            .withPort(router.address().getPort())
            .withSsl(true)
            .withAuthentication("app", "apw".toCharArray())
            .withTimeout(Duration.ofSeconds(10))
            .build();
    RedisClient client = RedisClient.create(uri);
    try {
      client.setOptions(
          ClientOptions.builder()
              .protocolVersion(ProtocolVersion.RESP3)
              .sslOptions(
                  SslOptions.builder()
                      .jdkSslProvider()
                      .trustManager(dir.resolve("ca.pem").toFile())
                      .build())
              .build());
      try (StatefulRedisConnection<String, String> c = client.connect()) {
        RedisCommands<String, String> s = c.sync();
        assertThat(s.ping()).isEqualTo("PONG");
        assertThat(s.set("tls:lettuce", "v")).isEqualTo("OK");
        assertThat(s.get("tls:lettuce")).isEqualTo("v");
      }
    } finally {
      client.shutdown();
    }
  }

  @Test
  void aPlaintextClientOnTheTlsPortIsClosedAndCountedAndOthersAreServed() throws Exception {
    long before = router.metrics().security(RouterMetrics.Security.TLS_HANDSHAKE);
    try (Socket s = new Socket("127.0.0.1", router.address().getPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      int b;
      try {
        b = s.getInputStream().read();
        while (b >= 0 && b != '+') b = s.getInputStream().read(); // a TLS alert at most
      } catch (java.net.SocketException reset) {
        b = -1;
      }
      assertThat(b).as("no RESP reply to a plaintext client").isEqualTo(-1);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (router.metrics().security(RouterMetrics.Security.TLS_HANDSHAKE) == before
        && System.nanoTime() < deadline) Thread.sleep(10);
    assertThat(router.metrics().security(RouterMetrics.Security.TLS_HANDSHAKE))
        .isGreaterThan(before);
    assertThat(out(cli(router, "-a", "secret", "--no-auth-warning", "ping"))).isEqualTo("PONG\n");
  }

  @Test
  void aRouterRequiringClientCertificatesServesOnlyClientsThatShowOne() throws Exception {
    Process without = cli(mutual, "ping");
    assertThat(out(without)).doesNotContain("PONG");
    assertThat(
            out(
                cli(
                    mutual,
                    "--cert",
                    dir.resolve("client.pem").toString(),
                    "--key",
                    dir.resolve("client.key").toString(),
                    "ping")))
        .isEqualTo("PONG\n");
  }
}
