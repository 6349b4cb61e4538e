package io.fdbmeta.storage;

import static io.fdbmeta.storage.Bytes.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.Lease;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.wire.RespDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The RESP port's handler through a real pipeline (EmbeddedChannel). */
class RespHandlerTest {
  static final long START = 1_700_000_000_000L;
  static final RangeDescriptor MINE =
      new RangeDescriptor(1, new byte[0], b("m"), 2, List.of("n1", "n2"), "n1", 1);
  static final RangeDescriptor THEIRS =
      new RangeDescriptor(2, b("m"), null, 2, List.of("n2", "n3"), "n3", 1);

  final FakeClock clock = new FakeClock(START);
  final ReplicaSet replicas =
      new ReplicaSet(
          "n1",
          LayerConfig.builder().clock(clock).build(),
          new ReplicaSet.Hooks() {
            @Override
            public void syncNeeded(Replica r) {
              r.markSynced();
            }

            @Override
            public void leaseNeeded(Replica r) {}

            @Override
            public void dropped(Span span) {}
          });
  CompletableFuture<Void> replication = CompletableFuture.completedFuture(null);
  EmbeddedChannel ch;

  @BeforeEach
  void setUp() {
    RequestProcessor processor =
        new RequestProcessor(
            "n1",
            replicas,
            new DataStore(),
            new RequestProcessor.Environment() {
              @Override
              public void catchUp() {}

              @Override
              public @Nullable RangeDescriptor routeOf(byte[] key) {
                return THEIRS.contains(key) ? THEIRS : null;
              }

              @Override
              public CompletableFuture<Void> replicate(
                  ReplicatedWrite write, List<String> targets) {
                return replication;
              }

              @Override
              public void leaseAttention(Replica r) {}
            },
            clock);
    processor.open(new WriteSequence(1));
    replicas.apply(List.of(ChangeEvent.upsert(MINE)));
    replicas.byId(1).leaseChanged(new Lease("n1", 1, START + 9000, 1));
    RespCommands commands =
        new RespCommands(
            "n1",
            replicas,
            processor,
            node -> CompletableFuture.completedFuture(node + ".example:7000"));
    ch = new EmbeddedChannel(new RespDecoder(), new RespHandler(commands, new AtomicInteger()));
  }

  String exchange(String input) {
    ch.writeInbound(Unpooled.copiedBuffer(input, StandardCharsets.UTF_8));
    return output();
  }

  String output() {
    ch.runPendingTasks();
    StringBuilder sb = new StringBuilder();
    ByteBuf b;
    while ((b = ch.readOutbound()) != null) {
      sb.append(b.toString(StandardCharsets.UTF_8));
      b.release();
    }
    return sb.toString();
  }

  @Test
  void repliesKeepCommandOrderWhileAWriteWaitsForReplication() {
    replication = new CompletableFuture<>();
    assertThat(exchange("SET a 1\r\nPING\r\nGET a\r\n"))
        .as("nothing may overtake the SET")
        .isEmpty();
    replication.complete(null);
    assertThat(output()).isEqualTo("+OK\r\n+PONG\r\n$1\r\n1\r\n");
  }

  @Test
  void repliesReadyTogetherLeaveInOneFlush() {
    AtomicInteger flushes = new AtomicInteger();
    ch.pipeline()
        .addFirst(
            new ChannelOutboundHandlerAdapter() {
              @Override
              public void flush(ChannelHandlerContext ctx) {
                flushes.incrementAndGet();
                ctx.flush();
              }
            });
    replication = new CompletableFuture<>();
    assertThat(exchange("SET a 1\r\nPING\r\nGET a\r\nPING\r\n")).isEmpty();
    assertThat(flushes).hasValue(0);
    replication.complete(null);
    assertThat(output()).isEqualTo("+OK\r\n+PONG\r\n$1\r\n1\r\n+PONG\r\n");
    assertThat(flushes)
        .as("the SET's reply releases the three behind it: one flush for all four")
        .hasValue(1);
  }

  @Test
  void aKeyLedElsewhereNamesItsLeaseholder() {
    assertThat(exchange("GET x\r\n"))
        .isEqualTo("-MOVED range 2 is led by node n3 (n3.example:7000)\r\n");
    assertThat(exchange("DEL a x\r\n")).startsWith("-CROSSRANGE");
  }

  @Test
  void aProtocolErrorIsAnsweredAndClosesTheConnection() {
    assertThat(exchange("PING\r\n*1\r\n$-5\r\n"))
        .isEqualTo(
            "+PONG\r\n-ERR Protocol error: invalid bulk length -5 (at most 16777216 bytes)\r\n");
    assertThat(ch.isActive()).isFalse();
  }

  @Test
  void quitClosesAfterItsReply() {
    assertThat(exchange("QUIT\r\nPING\r\n")).isEqualTo("+OK\r\n");
    assertThat(ch.isActive()).isFalse();
  }
}
