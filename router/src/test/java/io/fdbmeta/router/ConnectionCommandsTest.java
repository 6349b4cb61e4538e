package io.fdbmeta.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.wire.RespDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** HELLO, CLIENT, COMMAND and the other connection commands on EmbeddedChannel: Redis's bytes. */
class ConnectionCommandsTest {
  private final RouterMetrics metrics = new RouterMetrics();
  private final EmbeddedChannel ch = new EmbeddedChannel();

  ConnectionCommandsTest() {
    RouterConfig config = RouterConfig.builder().requestTimeout(Duration.ofMillis(100)).build();
    ch.pipeline()
        .addLast(new RespDecoder())
        .addLast(
            new ClientHandler(HandlerTest.services(config, metrics, s -> "# Router\r\nx:1\r\n")));
  }

  private String call(String... args) {
    return call(ch, args);
  }

  private static String call(EmbeddedChannel ch, String... args) {
    StringBuilder sb = new StringBuilder("*" + args.length + "\r\n");
    for (String a : args) sb.append('$').append(a.length()).append("\r\n").append(a).append("\r\n");
    ch.writeInbound(Unpooled.copiedBuffer(sb, StandardCharsets.ISO_8859_1));
    ch.runPendingTasks();
    StringBuilder out = new StringBuilder();
    for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
      out.append(b.toString(StandardCharsets.ISO_8859_1));
      b.release();
    }
    return out.toString();
  }

  private static String hello(int proto, long id) {
    String head = proto == 3 ? "%7\r\n" : "*14\r\n";
    return head
        + "$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:"
        + proto
        + "\r\n$2\r\nid\r\n:"
        + id
        + "\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n";
  }

  @Test
  void theHandshakesOfJedisLettuceAndRedisCliAreAnsweredWithoutAnError() {
    long id = Long.parseLong(call("CLIENT", "ID").substring(1).trim());
    assertThat(call("HELLO", "3")).isEqualTo(hello(3, id));
    assertThat(call("CLIENT", "SETINFO", "lib-name", "Lettuce")).isEqualTo("+OK\r\n");
    assertThat(call("CLIENT", "SETINFO", "LIB-VER", "6.8.2")).isEqualTo("+OK\r\n");
    assertThat(call("CLIENT", "SETNAME", "app")).isEqualTo("+OK\r\n");
    assertThat(call("CLIENT", "GETNAME")).isEqualTo("$3\r\napp\r\n");
    assertThat(call("COMMAND", "DOCS")).startsWith("%" + CommandTable.count() + "\r\n");
    assertThat(call("CLIENT", "INFO")).startsWith("=").contains("lib-name=Lettuce lib-ver=6.8.2");
    assertThat(call("HELLO", "2", "AUTH", "default", "x", "SETNAME", "b")).isEqualTo(hello(2, id));
    assertThat(call("CLIENT", "GETNAME")).isEqualTo("$1\r\nb\r\n");
    assertThat(call("SELECT", "0")).isEqualTo("+OK\r\n");
    assertThat(call("PING")).isEqualTo("+PONG\r\n");
    assertThat(metrics.clientErrors()).isZero();
    assertThat(metrics.failures()).isZero();
  }

  /**
   * ioredis 6.1 connects with HELLO 3, CLIENT SETINFO twice, then CLIENT MAINT_NOTIFICATIONS ON
   * moving-endpoint-type internal-ip (a Redis 8 command) and INFO: the router counted that as a
   * client error on every connection.
   */
  @Test
  void theHandshakeOfIoredis6IsAnsweredWithoutAnError() {
    long id = Long.parseLong(call("CLIENT", "ID").substring(1).trim());
    assertThat(call("HELLO", "3")).isEqualTo(hello(3, id));
    assertThat(call("CLIENT", "SETINFO", "LIB-VER", "6.1.0")).isEqualTo("+OK\r\n");
    assertThat(call("CLIENT", "SETINFO", "LIB-NAME", "ioredis")).isEqualTo("+OK\r\n");
    assertThat(call("CLIENT", "MAINT_NOTIFICATIONS", "ON", "moving-endpoint-type", "internal-ip"))
        .isEqualTo("+OK\r\n");
    assertThat(call("INFO")).startsWith("=");
    assertThat(call("PING")).isEqualTo("+PONG\r\n");
    assertThat(metrics.clientErrors()).isZero();
    assertThat(call("CLIENT", "MAINT_NOTIFICATIONS", "maybe")).isEqualTo("-ERR syntax error\r\n");
  }

  /**
   * Redis answers AUTH guesses for ever, so one pipelined connection could try thousands of
   * passwords a second: the router closes a connection after its tenth failed AUTH.
   */
  @Test
  void aConnectionIsClosedAfterTenFailedAuths() {
    for (int i = 1; i < ConnectionCommands.MAX_FAILED_AUTHS; i++) {
      assertThat(call("AUTH", "someone", "guess" + i)).startsWith("-WRONGPASS");
      assertThat(ch.isOpen()).as("after %d failures", i).isTrue();
    }
    assertThat(call("AUTH", "someone", "last")).startsWith("-WRONGPASS");
    assertThat(ch.isOpen()).isFalse();
  }

  /** Redis checks HELLO's SETNAME before its AUTH: a refused HELLO must not log the client in. */
  @Test
  void helloWithABadNameDoesNotLogTheClientIn() {
    RouterConfig config =
        RouterConfig.builder()
            .requestTimeout(Duration.ofMillis(100))
            .users(Users.parse(List.of("alice " + Users.hash("apw") + " +@all"), "test"))
            .build();
    EmbeddedChannel secured = new EmbeddedChannel();
    secured
        .pipeline()
        .addLast(new RespDecoder())
        .addLast(new ClientHandler(HandlerTest.services(config, metrics, s -> "")));
    assertThat(call(secured, "HELLO", "3", "AUTH", "alice", "apw", "SETNAME", "a b"))
        .isEqualTo("-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
    assertThat(call(secured, "CLIENT", "GETNAME")).startsWith("-NOAUTH");
  }

  @Test
  void helloAnswersAsRedisWithoutUsersDoes() {
    assertThat(call("HELLO", "3", "AUTH", "u", "p"))
        .isEqualTo("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    assertThat(call("HELLO", "4")).isEqualTo("-NOPROTO unsupported protocol version\r\n");
    assertThat(call("HELLO", "x"))
        .isEqualTo("-ERR Protocol version is not an integer or out of range\r\n");
    assertThat(call("HELLO", "3", "AUTH", "u"))
        .isEqualTo("-ERR Syntax error in HELLO option 'AUTH'\r\n");
    assertThat(call("HELLO", "3", "SETNAME", "a b"))
        .isEqualTo("-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
    // none of them changed the protocol
    assertThat(call("CLIENT", "GETNAME")).isEqualTo("$-1\r\n");
  }

  @Test
  void resp3RepliesAfterHelloThreeAndRespTwoAfterReset() {
    call("HELLO", "3");
    assertThat(call("CLIENT", "GETNAME")).isEqualTo("_\r\n");
    assertThat(call("COMMAND", "INFO", "nosuch")).isEqualTo("*1\r\n_\r\n");
    assertThat(call("RESET")).isEqualTo("+RESET\r\n");
    assertThat(call("CLIENT", "GETNAME")).isEqualTo("$-1\r\n");
    assertThat(call("COMMAND", "INFO", "nosuch")).isEqualTo("*1\r\n$-1\r\n");
  }

  @Test
  void commandAnswersFromTheTableAsRedisDoes() {
    assertThat(call("COMMAND", "COUNT")).isEqualTo(":" + CommandTable.count() + "\r\n");
    // redis-server 7.0.15's own bytes
    assertThat(call("COMMAND", "INFO", "get"))
        .isEqualTo(
            "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n");
    assertThat(call("COMMAND", "FOO"))
        .isEqualTo("-ERR unknown subcommand 'FOO'. Try COMMAND HELP.\r\n");
    assertThat(call("COMMAND", "COUNT", "x"))
        .isEqualTo("-ERR wrong number of arguments for 'command|count' command\r\n");
    assertThat(call("CLIENT")).isEqualTo("-ERR wrong number of arguments for 'client' command\r\n");
    assertThat(call("SELECT", "1")).isEqualTo("-ERR SELECT is not allowed in cluster mode\r\n");
    assertThat(call("SELECT", "01")).isEqualTo("-ERR value is not an integer or out of range\r\n");
    assertThat(call("GET")).isEqualTo("-ERR wrong number of arguments for 'get' command\r\n");
    assertThat(call("FOO", "a", "b"))
        .isEqualTo("-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n");
  }
}
