package io.fdbmeta.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class RespParserTest {
  private final RespParser router =
      new RespParser(EnumSet.complementOf(EnumSet.of(Command.UNKNOWN)), 100, 1_000);
  private final RespParser node = RespParser.forNode();

  private static String error(RespRequest r) {
    return ((RespRequest.Invalid) r).error();
  }

  @Test
  void typesEachServedCommand() {
    assertThat(router.parse(RespCommand.of("get", "k"))).isInstanceOf(RespRequest.Get.class);
    assertThat(router.parse(RespCommand.of("SET", "k", "v"))).isInstanceOf(RespRequest.Set.class);
    RespRequest.MSet m =
        (RespRequest.MSet) router.parse(RespCommand.of("MSET", "a", "1", "b", "2"));
    assertThat(m.keys().length).isEqualTo(2);
    assertThat(new String(m.values()[1])).isEqualTo("2");
    RespRequest.Keys k = (RespRequest.Keys) router.parse(RespCommand.of("del", "a", "b"));
    assertThat(k.command()).isEqualTo(Command.DEL);
    assertThat(k.keys().length).isEqualTo(2);
    assertThat(((RespRequest.Range) router.parse(RespCommand.of("RANGE", "a", ""))).limit())
        .isEqualTo(100);
    assertThat(
            ((RespRequest.Range) router.parse(RespCommand.of("RANGE", "a", "", "limit", "7")))
                .limit())
        .isEqualTo(7);
    assertThat(((RespRequest.Local) router.parse(RespCommand.of("PING"))).message()).isNull();
  }

  @Test
  void theRouterAndANodeSayTheSameForTheSameMistake() {
    for (RespParser p : new RespParser[] {router, node}) {
      assertThat(error(p.parse(RespCommand.of("GET"))))
          .isEqualTo("ERR wrong number of arguments for 'get' command");
      assertThat(error(p.parse(RespCommand.of("set", "k", "v", "NX"))))
          .isEqualTo("ERR syntax error: SET takes a key and a value (no options)");
      assertThat(error(p.parse(RespCommand.of("FLUSHALL"))))
          .isEqualTo("ERR unknown command 'FLUSHALL'");
      assertThat(error(p.parse(new RespCommand(new byte[][] {{(byte) 0xff, 0, 'x'}}))))
          .isEqualTo("ERR unknown command '\\xff\\x00x'");
    }
    assertThat(error(node.parse(RespCommand.of("MGET", "a"))))
        .as("a node's port does not serve MGET")
        .isEqualTo("ERR unknown command 'MGET'");
  }

  @Test
  void rangeAndSelectArgumentsAreChecked() {
    assertThat(error(router.parse(RespCommand.of("RANGE", "a", "b", "LIMT", "3"))))
        .isEqualTo("ERR syntax error: RANGE start end [LIMIT n] [WITHCURSOR]");
    assertThat(error(router.parse(RespCommand.of("RANGE", "a", "b", "LIMIT", "1001"))))
        .isEqualTo("ERR LIMIT must be an integer in [1, 1000]");
    assertThat(error(router.parse(RespCommand.of("MSET", "a"))))
        .isEqualTo("ERR wrong number of arguments for 'mset' command");
    assertThat(error(router.parse(RespCommand.of("SELECT", "1"))))
        .startsWith("ERR DB index is out of range");
  }

  @Test
  void protocolErrorsAndOverLimitRefusalsReadDifferently() {
    assertThat(RespParser.protocolError(new RespProtocolError("bad")))
        .isEqualTo("ERR Protocol error: bad");
    assertThat(RespParser.protocolError(new RespProtocolError("too much", true)))
        .isEqualTo("ERR too much");
  }
}
