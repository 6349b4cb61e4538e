package io.fdbmeta.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.wire.Command;
import io.fdbmeta.wire.RespDecoder;
import io.fdbmeta.wire.RespRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Replies in order and backpressure, on EmbeddedChannel. */
class ReplyQueueTest {
  private final RouterMetrics metrics = new RouterMetrics();

  private Services services() {
    return HandlerTest.services(
        RouterConfig.builder().build(), metrics, section -> "# Router\r\n" + "x".repeat(1000));
  }

  /** Counts replies written while the channel was already over its high water mark. */
  private static final class OverTheMark extends ChannelOutboundHandlerAdapter {
    int writes;
    int writesWhileUnwritable;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      writes++;
      if (!ctx.channel().isWritable()) writesWhileUnwritable++;
      ctx.write(msg, promise);
    }
  }

  /**
   * Issue 14, defect 5: INFO, PING, ECHO and error replies were written without looking at
   * writability, so a client pipelining INFO without reading grew the router's memory without
   * bound.
   */
  @Test
  void immediateRepliesStopAtTheHighWaterMark() {
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(2_048, 4_096));
    OverTheMark mark = new OverTheMark();
    ch.pipeline().addLast(mark, new RespDecoder(), new ClientHandler(services()));
    String info = "*1\r\n$4\r\nINFO\r\n";
    ch.writeOneInbound(Unpooled.copiedBuffer(info.repeat(200), StandardCharsets.US_ASCII));
    assertThat(mark.writes).isBetween(1, 199);
    assertThat(mark.writesWhileUnwritable).isZero();
    int replies = 0;
    for (int round = 0; round < 1_000 && replies < 200; round++) {
      ch.flushOutbound();
      ch.runPendingTasks();
      for (ByteBuf b; (b = ch.readOutbound()) != null; b.release()) replies++;
    }
    assertThat(replies).isEqualTo(200);
    assertThat(mark.writesWhileUnwritable).isZero();
    ch.finishAndReleaseAll();
  }

  /** A ReplyQueue on an EmbeddedChannel; keyed requests wait until the test answers them. */
  private final class Harness extends ChannelInboundHandlerAdapter {
    ReplyQueue queue;
    final List<String> started = new ArrayList<>();
    final Map<String, KeyOp> ops = new HashMap<>();

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      queue = new ReplyQueue(ctx, metrics, 16, this::start);
    }

    private void start(RespRequest r) {
      if (r instanceof RespRequest.Get g) begin("GET " + str(g.key()), g.key(), false);
      else if (r instanceof RespRequest.Set s) begin("SET " + str(s.key()), s.key(), true);
      else {
        started.add(r.command().name());
        queue.reply(r.command(), 0, reply("+PONG"), false);
      }
    }

    private void begin(String name, byte[] key, boolean write) {
      started.add(name);
      KeyOp op = new KeyOp(key, write);
      ops.put(name, op);
      queue.enqueue(op);
    }

    void answer(String name, String reply) {
      queue.complete(ops.get(name), reply(reply));
    }
  }

  private static final class KeyOp extends Op {
    final byte[][] keys;
    final boolean write;

    KeyOp(byte[] key, boolean write) {
      super(write ? Command.SET : Command.GET, 0);
      this.keys = new byte[][] {key};
      this.write = write;
    }

    @Override
    void enter(KeyGate gate) {
      gate.started(keys, write);
    }

    @Override
    void leave(KeyGate gate) {
      gate.finished(keys, write);
    }
  }

  private static ByteBuf reply(String line) {
    return Unpooled.copiedBuffer(line + "\r\n", StandardCharsets.US_ASCII);
  }

  private static String str(byte[] b) {
    return new String(b, StandardCharsets.US_ASCII);
  }

  private static String out(EmbeddedChannel ch) {
    StringBuilder sb = new StringBuilder();
    for (ByteBuf b; (b = ch.readOutbound()) != null; b.release())
      sb.append(b.toString(StandardCharsets.US_ASCII));
    return sb.toString();
  }

  @Test
  void aCommandOnAKeyAnEarlierOneWritesWaitsAndRepliesKeepCommandOrder() {
    Harness h = new Harness();
    EmbeddedChannel ch = new EmbeddedChannel(h);
    h.queue.offer(new RespRequest.Set(TestCluster.b("a"), TestCluster.b("1")));
    h.queue.offer(new RespRequest.Get(TestCluster.b("b")));
    h.queue.offer(new RespRequest.Get(TestCluster.b("a")));
    h.queue.offer(new RespRequest.Local(Command.PING, null));
    assertThat(h.started).containsExactly("SET a", "GET b");
    h.answer("GET b", "$1\r\nb");
    assertThat(out(ch)).as("the SET before it is unanswered").isEmpty();
    h.answer("SET a", "+OK");
    assertThat(out(ch)).isEqualTo("+OK\r\n$1\r\nb\r\n");
    assertThat(h.started).containsExactly("SET a", "GET b", "GET a", "PING");
    h.answer("GET a", "$1\r\n1");
    assertThat(out(ch)).isEqualTo("$1\r\n1\r\n+PONG\r\n");
    assertThat(h.queue.isEmpty()).isTrue();
    assertThat(h.queue.gate().idle()).isTrue();
  }

  @Test
  void readsOfOneKeyRunTogetherButAWriteWaitsForThem() {
    Harness h = new Harness();
    EmbeddedChannel ch = new EmbeddedChannel(h);
    h.queue.offer(new RespRequest.Get(TestCluster.b("a")));
    h.queue.offer(new RespRequest.Keys(Command.MGET, new byte[][] {TestCluster.b("a")}));
    h.queue.offer(new RespRequest.Set(TestCluster.b("a"), TestCluster.b("2")));
    assertThat(h.started).containsExactly("GET a", "MGET");
    h.answer("GET a", "$-1");
    assertThat(out(ch)).isEqualTo("$-1\r\n+PONG\r\n");
    assertThat(h.started).containsExactly("GET a", "MGET", "SET a");
  }
}
