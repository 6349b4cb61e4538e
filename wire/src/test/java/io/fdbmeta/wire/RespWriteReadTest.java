package io.fdbmeta.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RespWriteReadTest {
  @Test
  void repliesWrittenByRespDecodeBackThroughTheClientDecoder() {
    ByteBuf b = Unpooled.buffer();
    Resp.ok(b);
    Resp.error(b, "ERR bad\r\nthing");
    Resp.integer(b, 0);
    Resp.integer(b, -1234567890123L);
    Resp.integer(b, Long.MIN_VALUE);
    Resp.bulk(b, null);
    Resp.bulk(b, new byte[] {0, '\r', '\n'});
    Resp.arrayHeader(b, 2);
    Resp.bulk(b, "x".getBytes(StandardCharsets.UTF_8));
    Resp.nullArray(b);

    // fed one byte at a time, the client decoder waits for each reply to complete
    EmbeddedChannel ch = new EmbeddedChannel(new RespReplyDecoder());
    while (b.isReadable()) ch.writeInbound(b.readRetainedSlice(1));
    b.release();
    List<Object> out = new ArrayList<>();
    for (Object o; (o = ch.readInbound()) != null; ) out.add(o);

    assertThat(out).hasSize(8);
    assertThat(out.get(0)).isEqualTo(new RespValue.Simple("OK"));
    assertThat(out.get(1)).isEqualTo(new RespValue.Error("ERR bad  thing"));
    assertThat(out.get(2)).isEqualTo(new RespValue.Integer(0));
    assertThat(out.get(3)).isEqualTo(new RespValue.Integer(-1234567890123L));
    assertThat(out.get(4)).isEqualTo(new RespValue.Integer(Long.MIN_VALUE));
    assertThat(((RespValue.Bulk) out.get(5)).bytes()).isNull();
    assertThat(((RespValue.Bulk) out.get(6)).bytes()).containsExactly(0, '\r', '\n');
    RespValue.Array a = (RespValue.Array) out.get(7);
    assertThat(a.elements()).hasSize(2);
    assertThat(((RespValue.Bulk) a.elements().get(0)).utf8()).isEqualTo("x");
    assertThat(((RespValue.Array) a.elements().get(1)).elements()).isNull();
  }
}
