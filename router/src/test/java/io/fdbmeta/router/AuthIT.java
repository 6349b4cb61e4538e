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

  private static String withoutId(String hello) {
    return hello.replaceAll("\\$2\r\nid\r\n:\\d+\r\n", "");
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
