package io.fdbmeta.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.MutationType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The wire format, through the real pipelines on EmbeddedChannels. */
class StoreProtocolTest {
  private final EmbeddedChannel server = new EmbeddedChannel();
  private final EmbeddedChannel client = new EmbeddedChannel();

  StoreProtocolTest() {
    StoreProtocol.serverPipeline(server.pipeline());
    StoreProtocol.clientPipeline(client.pipeline());
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Writes {@code m} on one side and reads it back on the other. */
  private static StoreMessage carry(StoreMessage m, EmbeddedChannel from, EmbeddedChannel to) {
    assertThat(from.writeOutbound(m)).isTrue();
    ByteBuf bytes = from.readOutbound();
    assertThat((long) bytes.readableBytes()).isEqualTo(StoreProtocol.frameSize(m));
    to.writeInbound(bytes);
    return to.readInbound();
  }

  private StoreMessage request(StoreMessage m) {
    return carry(m, client, server);
  }

  private StoreMessage reply(StoreMessage m) {
    return carry(m, server, client);
  }

  @Test
  void requestsRoundTrip() {
    assertThat(request(new StoreMessage.Grv(7, 3))).isEqualTo(new StoreMessage.Grv(7, 3));
    StoreMessage.VersionNote hold = new StoreMessage.VersionNote(StoreMessage.Type.HOLD, 42);
    assertThat(request(hold)).isEqualTo(hold);
    StoreMessage.Get get = (StoreMessage.Get) request(new StoreMessage.Get(3, 99, b("k")));
    assertThat(get.id()).isEqualTo(3);
    assertThat(get.readVersion()).isEqualTo(99);
    assertThat(get.key()).isEqualTo(b("k"));
    StoreMessage.Range range =
        (StoreMessage.Range) request(new StoreMessage.Range(4, 5, b("a"), b("z"), true, 10));
    assertThat(range.begin()).isEqualTo(b("a"));
    assertThat(range.end()).isEqualTo(b("z"));
    assertThat(range.reverse()).isTrue();
    assertThat(range.rowLimit()).isEqualTo(10);
    StoreMessage.Watch watch =
        (StoreMessage.Watch) request(new StoreMessage.Watch(5, b("w"), null));
    assertThat(watch.expected()).isNull();
    assertThat(request(new StoreMessage.CancelWatch(5))).isEqualTo(new StoreMessage.CancelWatch(5));
    assertThat(request(new StoreMessage.Describe(6))).isEqualTo(new StoreMessage.Describe(6));
  }

  @Test
  void aCommitRoundTripsWithItsRangesAndMutations() {
    byte[] stamped = {'p', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
    CommitRequest sent =
        new CommitRequest(
            12,
            List.of(KeyRange.single(b("r")), new KeyRange(b("a"), b("c"))),
            List.of(new KeyRange(b("x"), Bytes.keyAfter(b("x")))),
            List.of(
                Mutation.set(b("k"), b("v")),
                Mutation.clearRange(b("a"), b("b")),
                Mutation.atomic(MutationType.ADD, b("n"), new byte[] {1}),
                Mutation.atomic(MutationType.SET_VERSIONSTAMPED_KEY, stamped, b("v"))));
    CommitRequest got = ((StoreMessage.Commit) request(new StoreMessage.Commit(9, sent))).request();
    assertThat(got.readVersion()).isEqualTo(12);
    assertThat(got.reads()).hasSize(2);
    assertThat(got.reads().get(0).isSingleKey()).isTrue();
    assertThat(got.reads().get(1).end()).isEqualTo(b("c"));
    assertThat(got.writes().get(0).isSingleKey()).isTrue();
    assertThat(got.mutations()).hasSize(4);
    for (int i = 0; i < 4; i++) {
      Mutation s = sent.mutations().get(i);
      Mutation g = got.mutations().get(i);
      assertThat(g.kind()).isEqualTo(s.kind());
      assertThat(g.type()).isEqualTo(s.type());
      assertThat(g.key()).isEqualTo(s.key());
      assertThat(g.param()).isEqualTo(s.param());
    }
  }

  @Test
  void repliesRoundTrip() {
    assertThat(reply(new StoreMessage.VersionReply(1, 77)))
        .isEqualTo(new StoreMessage.VersionReply(1, 77));
    assertThat(((StoreMessage.ValueReply) reply(new StoreMessage.ValueReply(2, null))).value())
        .isNull();
    assertThat(((StoreMessage.ValueReply) reply(new StoreMessage.ValueReply(2, b("v")))).value())
        .isEqualTo(b("v"));
    StoreMessage.RangeReply rows =
        (StoreMessage.RangeReply)
            reply(new StoreMessage.RangeReply(3, List.of(new KeyValue(b("k"), b("v"))), true));
    assertThat(rows.rows()).containsExactly(new KeyValue(b("k"), b("v")));
    assertThat(rows.more()).isTrue();
    StoreMessage.CommitReply commit =
        (StoreMessage.CommitReply)
            reply(new StoreMessage.CommitReply(4, new CommitResult(5, new byte[10])));
    assertThat(commit.result().version()).isEqualTo(5);
    assertThat(commit.result().versionstamp()).hasSize(10);
    assertThat(reply(new StoreMessage.WatchFired(6))).isEqualTo(new StoreMessage.WatchFired(6));
    assertThat(reply(StoreMessage.TextReply.ok(7, "héllo")))
        .isEqualTo(StoreMessage.TextReply.ok(7, "héllo"));
    assertThat(reply(StoreMessage.TextReply.error(8, 1020, "conflict")))
        .isEqualTo(StoreMessage.TextReply.error(8, 1020, "conflict"));
  }

  @Test
  void aFrameLengthAboveTheLimitIsRefusedOnItsFourBytesAlone() {
    ByteBuf header = Unpooled.buffer().writeInt(0x8000_0000); // 2 GiB
    assertThatThrownBy(() -> server.writeInbound(header)).isInstanceOf(TooLongFrameException.class);
  }

  @Test
  void aFrameJustAtTheLimitWaitsForItsBytesWithoutAllocatingThem() {
    UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
    server.config().setAllocator(alloc);
    server.writeInbound(alloc.heapBuffer(16).writeInt(StoreProtocol.MAX_FRAME).writeByte(7));
    server.writeInbound(Unpooled.wrappedBuffer(new byte[1000])); // the cumulation grows now
    StoreMessage decoded = server.readInbound();
    assertThat(decoded).isNull();
    assertThat(alloc.metric().usedHeapMemory()).isBetween(1L, 64L << 10);
  }

  @Test
  void anInnerLengthBeyondTheFrameIsCorrupt() {
    ByteBuf frame = Unpooled.buffer();
    frame.writeInt(1 + 4 + 8 + 4).writeByte(StoreMessage.Type.GET.code).writeInt(1);
    frame.writeLong(10).writeInt(1_000_000); // a key of a million bytes, in a frame of none
    assertThatThrownBy(() -> server.writeInbound(frame))
        .isInstanceOf(CorruptedFrameException.class)
        .hasMessageContaining("1000000");
  }

  @Test
  void aRowCountBeyondTheFrameIsCorruptBeforeAnyListIsSized() {
    ByteBuf frame = Unpooled.buffer();
    frame.writeInt(1 + 4 + 4 + 1).writeByte(StoreMessage.Type.OK_RANGE.code).writeInt(1);
    frame.writeInt(Integer.MAX_VALUE).writeByte(0);
    assertThatThrownBy(() -> client.writeInbound(frame))
        .isInstanceOf(CorruptedFrameException.class);
  }

  @Test
  void aMutationCountBeyondTheFrameIsCorrupt() {
    ByteBuf frame = Unpooled.buffer();
    frame.writeInt(1 + 4 + 8 + 4 + 4 + 4).writeByte(StoreMessage.Type.COMMIT.code).writeInt(1);
    frame.writeLong(1).writeInt(0).writeInt(0).writeInt(500_000_000);
    assertThatThrownBy(() -> server.writeInbound(frame))
        .isInstanceOf(CorruptedFrameException.class);
  }

  @Test
  void trailingBytesAreCorrupt() {
    ByteBuf frame = Unpooled.buffer();
    frame.writeInt(1 + 4 + 4 + 3).writeByte(StoreMessage.Type.GRV.code).writeInt(1);
    frame.writeInt(1).writeMedium(0);
    assertThatThrownBy(() -> server.writeInbound(frame))
        .isInstanceOf(CorruptedFrameException.class);
  }

  @Test
  void aGrvForNoCallersOrTooManyIsCorrupt() {
    for (int count : new int[] {0, -1, StoreProtocol.MAX_GRV_BATCH + 1}) {
      ByteBuf frame = Unpooled.buffer();
      frame.writeInt(1 + 4 + 4).writeByte(StoreMessage.Type.GRV.code).writeInt(1).writeInt(count);
      assertThatThrownBy(() -> server.writeInbound(frame))
          .isInstanceOf(CorruptedFrameException.class);
    }
  }

  @Test
  void aReplyTypeSentToTheServerIsCorrupt() {
    ByteBuf frame = Unpooled.buffer();
    frame.writeInt(1 + 4 + 8).writeByte(StoreMessage.Type.OK_VERSION.code).writeInt(1);
    frame.writeLong(5);
    assertThatThrownBy(() -> server.writeInbound(frame))
        .isInstanceOf(CorruptedFrameException.class);
  }

  @Test
  void anUnknownMutationTypeIsCorrupt() {
    ByteBuf frame = Unpooled.buffer();
    frame.writeInt(1 + 4 + 8 + 4 + 4 + 4 + 1 + 4 + 4 + 1);
    frame.writeByte(StoreMessage.Type.COMMIT.code).writeInt(1);
    frame.writeLong(1).writeInt(0).writeInt(0).writeInt(1);
    frame.writeByte(2).writeInt(0).writeInt(0).writeByte(250);
    assertThatThrownBy(() -> server.writeInbound(frame))
        .isInstanceOf(CorruptedFrameException.class)
        .hasMessageContaining("250");
  }
}
