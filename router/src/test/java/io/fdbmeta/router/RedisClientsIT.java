package io.fdbmeta.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.ProtocolVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.RedisProtocol;

/**
 * Jedis 5.2, Lettuce 6.8 and redis-cli 7 against the router, with their default handshakes and with
 * RESP3: GET/SET/MGET/MSET/DEL/PING/COMMAND COUNT, MGET and MSET across two ranges, a pipeline of
 * 10,000, and not one error counted by the router.
 */
class RedisClientsIT {
  private static NodesBehindRouter nodes;
  private static Router router;

  @BeforeAll
  static void start() {
    nodes = NodesBehindRouter.start("clients");
    nodes.cluster.split("key:5".getBytes(StandardCharsets.UTF_8));
    router = nodes.router();
  }

  @AfterAll
  static void stop() {
    if (router != null) router.close();
    if (nodes != null) nodes.close();
  }

  @AfterEach
  void noErrorCounted() {
    RouterMetrics m = router.metrics();
    assertThat(m.clientErrors()).as("client errors").isZero();
    assertThat(m.failures()).as("failures").isZero();
    assertThat(m.protocolErrors()).as("protocol errors").isZero();
  }

  private static void jedis(Jedis j, String prefix) {
    assertThat(j.ping()).isEqualTo("PONG");
    assertThat(j.set(prefix + "a", "1")).isEqualTo("OK");
    assertThat(j.get(prefix + "a")).isEqualTo("1");
    assertThat(j.get(prefix + "missing")).isNull();
    assertThat(j.mset("key:1" + prefix, "x", "key:9" + prefix, "y")).isEqualTo("OK");
    assertThat(j.mget("key:1" + prefix, "key:9" + prefix, "key:0missing"))
        .containsExactly("x", "y", null);
    assertThat(j.del("key:1" + prefix, "key:9" + prefix)).isEqualTo(2);
    assertThat(j.commandCount()).isEqualTo(CommandTable.count());
    Pipeline p = j.pipelined();
    for (int i = 0; i < 10_000; i++) p.set("key:" + i + prefix, "v" + i);
    for (int i = 0; i < 10_000; i++) p.get("key:" + i + prefix);
    List<Object> all = p.syncAndReturnAll();
    assertThat(all).hasSize(20_000);
    for (int i = 0; i < 10_000; i++) {
      assertThat(all.get(i)).isEqualTo("OK");
      assertThat(all.get(10_000 + i)).isEqualTo("v" + i);
    }
  }

  @Test
  void jedisWithItsDefaults() {
    try (Jedis j = new Jedis(router.address().getHostString(), router.address().getPort())) {
      jedis(j, ":jedis2");
    }
  }

  @Test
  void jedisWithResp3AndAName() {
    try (Jedis j =
        new Jedis(
            new HostAndPort(router.address().getHostString(), router.address().getPort()),
            DefaultJedisClientConfig.builder()
                .protocol(RedisProtocol.RESP3)
                .clientName("jedis-app")
                .build())) {
      jedis(j, ":jedis3");
      assertThat(j.clientGetname()).isEqualTo("jedis-app");
    }
  }

  private static void lettuce(ProtocolVersion version, String prefix) throws Exception {
    RedisURI uri =
        RedisURI.builder()
            .withHost(router.address().getHostString())
            .withPort(router.address().getPort())
            .withClientName("lettuce-app")
            .withTimeout(Duration.ofSeconds(10))
            .build();
    RedisClient client = RedisClient.create(uri);
    try {
      ClientOptions.Builder o = ClientOptions.builder();
      if (version != null) o.protocolVersion(version);
      client.setOptions(o.build());
      try (StatefulRedisConnection<String, String> c = client.connect()) {
        RedisCommands<String, String> s = c.sync();
        assertThat(s.ping()).isEqualTo("PONG");
        assertThat(s.set(prefix + "a", "1")).isEqualTo("OK");
        assertThat(s.get(prefix + "a")).isEqualTo("1");
        assertThat(s.get(prefix + "missing")).isNull();
        assertThat(s.mset(Map.of("key:1" + prefix, "x", "key:9" + prefix, "y"))).isEqualTo("OK");
        assertThat(s.mget("key:1" + prefix, "key:9" + prefix))
            .extracting(kv -> kv.getValue())
            .containsExactly("x", "y");
        assertThat(s.del("key:1" + prefix, "key:9" + prefix)).isEqualTo(2);
        assertThat(s.commandCount()).isEqualTo(CommandTable.count());
        assertThat(s.clientGetname()).isEqualTo("lettuce-app");
        RedisAsyncCommands<String, String> a = c.async();
        c.setAutoFlushCommands(false);
        List<RedisFuture<?>> fs = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) fs.add(a.set("key:" + i + prefix, "v" + i));
        c.flushCommands();
        assertThat(LettuceFutures.awaitAll(30, TimeUnit.SECONDS, fs.toArray(new RedisFuture[0])))
            .isTrue();
        fs.clear();
        for (int i = 0; i < 10_000; i++) fs.add(a.get("key:" + i + prefix));
        c.flushCommands();
        assertThat(LettuceFutures.awaitAll(30, TimeUnit.SECONDS, fs.toArray(new RedisFuture[0])))
            .isTrue();
        for (int i = 0; i < 10_000; i++) assertThat(fs.get(i).get()).isEqualTo("v" + i);
        c.setAutoFlushCommands(true);
      }
    } finally {
      client.shutdown();
    }
  }

  @Test
  void lettuceWithItsDefaults() throws Exception {
    lettuce(null, ":lettuce");
  }

  @Test
  void lettuceWithResp3() throws Exception {
    lettuce(ProtocolVersion.RESP3, ":lettuce3");
  }

  @Test
  void lettuceWithResp2() throws Exception {
    lettuce(ProtocolVersion.RESP2, ":lettuce2");
  }

  private static String cli(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("redis-cli", "-p", "" + router.address().getPort()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  @Test
  void redisCli() throws Exception {
    RedisServerProcess.binary(); // a clear message if Redis's tools are missing
    assertThat(cli("-3", "ping")).isEqualTo("PONG\n");
    assertThat(cli("hello", "3")).contains("proto").contains("3").contains("7.0.15");
    assertThat(cli("-3", "set", "cli:a", "1")).isEqualTo("OK\n");
    assertThat(cli("-3", "get", "cli:a")).isEqualTo("1\n");
    assertThat(cli("command", "count")).isEqualTo(CommandTable.count() + "\n");
  }
}
