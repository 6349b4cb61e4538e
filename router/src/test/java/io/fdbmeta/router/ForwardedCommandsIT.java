package io.fdbmeta.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Commands the router routes by the command table's key positions without serving them itself,
 * through real storage nodes split at "key:5": a single-key one reaches its leaseholder, which
 * serves INCR (and answers MSETNX, which it does not serve, with Redis's unknown-command text); an
 * atomic multi-key one goes only if its keys share a range, else -CROSSRANGE.
 */
class ForwardedCommandsIT {
  @Test
  void singleKeyAndSingleRangeCommandsReachTheLeaseholderAndCrossRangeOnesAreRefused()
      throws Exception {
    try (NodesBehindRouter nodes = NodesBehindRouter.start("forwarded")) {
      nodes.cluster.split("key:5".getBytes(StandardCharsets.UTF_8));
      Router router = nodes.router();
      try (RedisServerProcess.Conn c = new RedisServerProcess.Conn(router.address())) {
        assertThat(c.call("INCR", "key:1")).isEqualTo(":1\r\n");
        assertThat(c.call("INCR", "key:9")).isEqualTo(":1\r\n");
        assertThat(c.call("SET", "key:9", "v", "EX", "100", "GET")).isEqualTo("$1\r\n1\r\n");
        assertThat(c.call("MSETNX", "key:1", "a", "key:2", "b"))
            .isEqualTo(
                "-ERR unknown command 'MSETNX', with args beginning with: 'key:1' 'a' 'key:2' 'b'"
                    + " \r\n");
        assertThat(c.call("MSETNX", "key:1", "a", "key:9", "b"))
            .isEqualTo("-CROSSRANGE Keys in request don't belong to the same range\r\n");
        assertThat(c.call("RENAME", "key:9", "key:1"))
            .isEqualTo("-CROSSRANGE Keys in request don't belong to the same range\r\n");
        assertThat(c.call("RENAME", "key:9"))
            .isEqualTo("-ERR wrong number of arguments for 'rename' command\r\n");
        assertThat(c.call("SET", "key:1", "v")).isEqualTo("+OK\r\n");
        assertThat(c.call("GET", "key:1")).isEqualTo("$1\r\nv\r\n");
      }
      assertThat(router.metrics().failures()).isZero();
      assertThat(router.metrics().clientErrors()).isEqualTo(4);
    }
  }
}
