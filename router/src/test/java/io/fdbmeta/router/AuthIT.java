package io.fdbmeta.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AUTH with users: the router (a users file) and a real redis-server (an ACL file with the same
 * users: default, alice with +@all, reader with +@all -@write) get the same command sequences;
 * every reply must be the same bytes (HELLO's map without its connection id).
 */
class AuthIT {
  @TempDir static Path dir;

  private static NodesBehindRouter nodes;
  private static Router router;
  private static Router open;
  private static RedisServerProcess redis;

  @BeforeAll
  static void start() throws Exception {
    Path acl = dir.resolve("users.acl");
    Files.writeString(
        acl,
        "user default on >secret ~* &* +@all\n"
            + "user alice on >apw ~* &* +@all\n"
            + "user reader on >rpw ~* &* +@all -@write\n");
    redis = RedisServerProcess.start(new String[] {"--aclfile", acl.toString()}, "secret");
    Path users = dir.resolve("users");
    Files.writeString(
        users,
        "# name hash permissions\n"
            + "default "
            + Users.hash("secret")
            + "\n"
            + "alice "
            + Users.hash("apw")
            + " +@all\n"
            + "reader "
            + Users.hash("rpw")
            + " +@all -@write\n");
    nodes = NodesBehindRouter.start("auth");
    router = nodes.router(b -> b.users(Users.load(users)));
    open = nodes.router();
  }

  @AfterAll
  static void stop() {
    if (nodes != null) nodes.close();
    if (redis != null) redis.close();
  }

  private static final List<List<String>> SEQUENCES =
      List.of(
          List.of(
              "PING",
              "GET k",
              "SET k v",
              "FOO",
              "GET",
              "ECHO x",
              "CLIENT ID",
              "COMMAND COUNT",
              "HELLO 3",
              "HELLO 3 AUTH alice bad",
              "AUTH",
              "AUTH bad",
              "AUTH a b c",
              "AUTH alice bad",
              "AUTH nobody apw",
              "PING",
              "QUIT"),
          List.of(
              "RESET",
              "AUTH reader rpw",
              "SET k v",
              "GET k",
              "DEL k",
              "UNLINK k",
              "MSET a b",
              "INCR n",
              "TOUCH k",
              "EXISTS k",
              "MGET a k",
              "PING",
              "RESET",
              "GET k",
              "AUTH secret",
              "SET k v",
              "GET k",
              "DEL k",
              "AUTH default secret",
              "HELLO 3 AUTH reader rpw",
              "HELLO 2 AUTH alice nope",
              "GET k",
              "SET k w"),
          List.of(
              "HELLO 2 AUTH alice apw",
              "SET k2 v",
              "GET k2",
              "DEL k2",
              "AUTH reader wrong",
              "SET k2 v",
              "AUTH reader rpw",
              "SET k2 v",
              "GET k2"));

  @Test
  void authAnswersAsRedisWithAnAclFileDoes() throws Exception {
    long failedBefore = router.metrics().security(RouterMetrics.Security.AUTH_FAILED);
    int failed = 0;
    for (List<String> seq : SEQUENCES) {
      try (RedisServerProcess.Conn r = redis.connect();
          RedisServerProcess.Conn f = new RedisServerProcess.Conn(router.address())) {
        for (String line : seq) {
          String[] cmd = line.split(" ");
          String fromRedis = r.call(cmd);
          String fromRouter = f.call(cmd);
          if (fromRedis.startsWith("-WRONGPASS")) failed++;
          if (cmd[0].equals("HELLO") && !fromRedis.startsWith("-"))
            assertThat(withoutId(fromRouter)).as(line).isEqualTo(withoutId(fromRedis));
          else assertThat(fromRouter).as(seq + ": " + line).isEqualTo(fromRedis);
        }
      }
    }
    assertThat(router.metrics().security(RouterMetrics.Security.AUTH_FAILED) - failedBefore)
        .isEqualTo(failed);
    assertThat(router.metrics().prometheus())
        .contains("fdbmeta_router_security_rejections_total{kind=\"auth_failed\"}");
  }

  @Test
  void withoutUsersEveryConnectionIsThePasswordlessDefaultUserAsInRedis() throws Exception {
    try (RedisServerProcess.Conn f = new RedisServerProcess.Conn(open.address())) {
      assertThat(f.call("PING")).isEqualTo("+PONG\r\n");
      assertThat(f.call("AUTH", "x"))
          .isEqualTo(
              "-ERR AUTH <password> called without any password configured for the default"
                  + " user. Are you sure your configuration is correct?\r\n");
      assertThat(f.call("AUTH", "default", "anything")).isEqualTo("+OK\r\n");
      assertThat(f.call("AUTH", "alice", "x"))
          .isEqualTo("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
      assertThat(f.call("SET", "open", "v")).isEqualTo("+OK\r\n");
    }
  }

  /**
   * Redis 7 limits what a client that has not authenticated may announce (CVE-2021-32675): more
   * than 10 arguments or a bulk string longer than 16384 bytes is a protocol error, and the
   * connection is closed; after AUTH (also pipelined in the same packet) the limits are gone, after
   * RESET they are back. Each case is sent in one write, to the router and to redis-server, and
   * everything each sends back until it closes is compared byte for byte.
   */
  @Test
  void beforeAuthTheLimitsOfRedisApplyByteForByte() throws Exception {
    String x16384 = "x".repeat(16384);
    String x20000 = "x".repeat(20000);
    String mget9 = "MGET a b c d e f g h i";
    String mget10 = "MGET a b c d e f g h i j";
    List<byte[]> cases =
        List.of(
            raw("*11\r\n"),
            raw("*2\r\n$16385\r\n"),
            raw("*2\r\n$4\r\nECHO\r\n$20000000\r\n"),
            raw("*1048577\r\n"),
            raw("*-1\r\n*12\r\n"),
            cat(cmd("PING abc"), raw("*11\r\n")),
            cat(cmd(mget9), cmd("ECHO " + x16384), cmd("QUIT")),
            cat(cmd("AUTH secret"), cmd(mget10), cmd("ECHO " + x20000), cmd("QUIT")),
            cat(cmd("AUTH alice apw"), cmd("RESET"), raw("*11\r\n")),
            cat(cmd("HELLO 2 AUTH alice apw"), cmd("RESET"), raw("*2\r\n$16385\r\n")));
    for (byte[] c : cases) {
      String fromRedis = transcript(redis.address(), c);
      String fromRouter = transcript(router.address(), c);
      assertThat(withoutId(fromRouter))
          .as(RespFuzzIT.escape(c, 80))
          .isEqualTo(withoutId(fromRedis));
    }
  }

  private static byte[] raw(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] cmd(String line) {
    return RespClient.command(line.split(" "));
  }

  private static byte[] cat(byte[]... parts) {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) b.writeBytes(p);
    return b.toByteArray();
  }

  /** Everything a server sends back to {@code bytes}, sent in one write, until it closes. */
  private static String transcript(java.net.InetSocketAddress a, byte[] bytes) throws Exception {
    try (java.net.Socket s = new java.net.Socket(a.getAddress(), a.getPort())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(bytes);
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void anUnauthenticatedConnectionIsClosedWhenIdleForItsShortTimeout() throws Exception {
    Router strict =
        nodes.router(
            b ->
                b.users(router.config().users())
                    .unauthenticatedIdleTimeout(java.time.Duration.ofMillis(300)));
    try (RespClient idle = new RespClient(strict.address());
        RespClient authed = new RespClient(strict.address());
        RespClient reset = new RespClient(strict.address())) {
      assertThat(authed.call("AUTH", "secret")).isEqualTo("OK");
      assertThat(reset.call("AUTH", "secret")).isEqualTo("OK");
      assertThat(reset.call("RESET")).isEqualTo("RESET");
      long t0 = System.nanoTime();
      assertThat(idle.closedByServer()).as("the unauthenticated connection").isTrue();
      assertThat(reset.closedByServer()).as("the connection that was RESET").isTrue();
      long closedAfterMillis = (System.nanoTime() - t0) / 1_000_000;
      assertThat(authed.call("PING")).as("the authenticated one, as idle").isEqualTo("PONG");
      assertThat(strict.metrics().security(RouterMetrics.Security.UNAUTHENTICATED_IDLE))
          .isEqualTo(2);
      assertThat(closedAfterMillis).isLessThan(9_000); // far below the 5-minute idle timeout
    }
    assertThat(strict.metrics().prometheus())
        .contains("fdbmeta_router_security_rejections_total{kind=\"unauthenticated_idle\"} 2");
  }

  private static String withoutId(String hello) {
    return hello.replaceAll("\\$2\r\nid\r\n:\\d+\r\n", "");
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
