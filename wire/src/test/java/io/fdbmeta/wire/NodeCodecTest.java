package io.fdbmeta.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class NodeCodecTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void requestsRoundTripThroughTheServerPipeline() {
    EmbeddedChannel server = new EmbeddedChannel();
    NodeCodec.serverPipeline(server.pipeline(), 1 << 20);
    NodeRequest set =
        NodeRequest.set(
            7,
            42,
            3,
            9,
            new byte[][] {b("a"), new byte[0]},
            new byte[][] {b("1"), new byte[] {0, (byte) 0xff}});
    NodeRequest repl =
        new NodeRequest(
            8, NodeOp.REPLICATE, 42, 3, 9, 0, new byte[][] {b("k")}, new byte[][] {null});
    ByteBuf wire = Unpooled.buffer();
    NodeCodec.encode(set, wire);
    NodeCodec.encode(repl, wire);
    // split anywhere: framing reassembles
    server.writeInbound(wire.readRetainedSlice(5));
    server.writeInbound(wire.retainedSlice());
    wire.release();

    NodeRequest got = server.readInbound();
    assertThat(got.id()).isEqualTo(7);
    assertThat(got.op()).isEqualTo(NodeOp.SET);
    assertThat(got.rangeId()).isEqualTo(42);
    assertThat(got.generation()).isEqualTo(3);
    assertThat(got.epoch()).isEqualTo(9);
    assertThat(got.keys()).isDeepEqualTo(new byte[][] {b("a"), new byte[0]});
    assertThat(got.values()).isDeepEqualTo(new byte[][] {b("1"), {0, (byte) 0xff}});
    NodeRequest got2 = server.readInbound();
    assertThat(got2.op()).isEqualTo(NodeOp.REPLICATE);
    assertThat(got2.values()).isDeepEqualTo(new byte[][] {null});
  }

  @Test
  void repliesRoundTripThroughTheClientPipeline() {
    EmbeddedChannel client = new EmbeddedChannel();
    NodeCodec.clientPipeline(client.pipeline(), 1 << 20);
    ByteBuf wire = Unpooled.buffer();
    NodeCodec.encode(NodeReply.values(1, 0, new byte[][] {b("v"), null}), wire);
    NodeCodec.encode(
        NodeReply.redirect(2, ReplyStatus.STALE_EPOCH, b("descriptor"), "epoch 3 < 4 — refresh"),
        wire);
    client.writeInbound(wire);

    NodeReply r1 = client.readInbound();
    assertThat(r1.status()).isEqualTo(ReplyStatus.OK);
    assertThat(r1.values()).isDeepEqualTo(new byte[][] {b("v"), null});
    NodeReply r2 = client.readInbound();
    assertThat(r2.status()).isEqualTo(ReplyStatus.STALE_EPOCH);
    assertThat(r2.descriptor()).isEqualTo(b("descriptor"));
    assertThat(r2.message()).isEqualTo("epoch 3 < 4 — refresh");

    // and the client's requests come out framed
    client.writeOutbound(NodeRequest.ping(3));
    ByteBuf out = client.readOutbound();
    assertThat(out.readInt()).isEqualTo(out.readableBytes());
    assertThat(NodeCodec.decodeRequest(out).op()).isEqualTo(NodeOp.PING);
    out.release();
  }

  @Test
  void oversizedFrameIsRejectedBeforeItIsBuffered() {
    EmbeddedChannel server = new EmbeddedChannel();
    NodeCodec.serverPipeline(server.pipeline(), 1024);
    ByteBuf header = Unpooled.buffer().writeInt(1 << 30);
    assertThatThrownBy(() -> server.writeInbound(header)).isInstanceOf(TooLongFrameException.class);
  }

  @Test
  void frameLimitIsThePayloadNotItsLengthPrefix() {
    EmbeddedChannel server = new EmbeddedChannel();
    NodeCodec.serverPipeline(server.pipeline(), 1024);
    NodeRequest probe = NodeRequest.set(1, 1, 1, 1, new byte[][] {b("k")}, new byte[][] {b("")});
    byte[] value = new byte[1024 - NodeCodec.size(probe)];
    NodeRequest exact = NodeRequest.set(1, 1, 1, 1, new byte[][] {b("k")}, new byte[][] {value});
    ByteBuf wire = Unpooled.buffer();
    NodeCodec.encode(exact, wire);
    assertThat(wire.getInt(0)).isEqualTo(1024);
    server.writeInbound(wire);
    NodeRequest got = server.readInbound();
    assertThat(got.values()[0]).hasSize(value.length);

    ByteBuf over = Unpooled.buffer().writeInt(1025).writeZero(1025);
    assertThatThrownBy(() -> server.writeInbound(over)).isInstanceOf(TooLongFrameException.class);
  }

  @Test
  void partialFramesOfAllConnectionsShareOneBudget() {
    PartialFrameBudget budget = new PartialFrameBudget(3000);
    EmbeddedChannel a = new EmbeddedChannel();
    EmbeddedChannel b = new EmbeddedChannel();
    NodeCodec.serverPipeline(a.pipeline(), 2048, budget);
    NodeCodec.serverPipeline(b.pipeline(), 2048, budget);
    a.writeInbound(Unpooled.buffer().writeInt(2000).writeZero(10));
    assertThat(budget.held()).isEqualTo(2000);
    assertThatThrownBy(() -> b.writeInbound(Unpooled.buffer().writeInt(2000).writeZero(10)))
        .isInstanceOf(TooLongFrameException.class)
        .hasMessageContaining("partial frames would hold more than 3000 bytes");
    assertThat(budget.held()).isEqualTo(2000);
    a.close();
    assertThat(budget.held()).isZero();
  }

  @Test
  void frameAboveTheLimitDropsEverythingAfterIt() {
    EmbeddedChannel server = new EmbeddedChannel();
    NodeCodec.serverPipeline(server.pipeline(), 1024, new PartialFrameBudget(1 << 20));
    ByteBuf wire = Unpooled.buffer().writeInt(1 << 30);
    assertThatThrownBy(() -> server.writeInbound(wire)).isInstanceOf(TooLongFrameException.class);
    ByteBuf ping = Unpooled.buffer();
    NodeCodec.encode(NodeRequest.ping(1), ping);
    server.writeInbound(ping);
    assertThat((Object) server.readInbound()).isNull();
  }

  @Test
  void negativeFrameLengthIsRejected() {
    EmbeddedChannel server = new EmbeddedChannel();
    NodeCodec.serverPipeline(server.pipeline(), 1024);
    // the length is read unsigned, so a "negative" one is simply far too long
    assertThatThrownBy(() -> server.writeInbound(Unpooled.buffer().writeInt(-5).writeLong(0)))
        .isInstanceOf(TooLongFrameException.class);
  }

  @Test
  void hugeCountsInsideASmallFrameAreRejectedWithoutAllocating() {
    ByteBuf f = Unpooled.buffer();
    f.writeByte(1)
        .writeByte(NodeOp.GET.code)
        .writeLong(1)
        .writeLong(1)
        .writeLong(1)
        .writeLong(1)
        .writeInt(0);
    f.writeInt(Integer.MAX_VALUE); // key count
    assertThatThrownBy(() -> NodeCodec.decodeRequest(f))
        .isInstanceOf(MalformedFrameException.class)
        .hasMessageContaining("keys count");

    ByteBuf g = Unpooled.buffer();
    g.writeByte(1)
        .writeByte(NodeOp.GET.code)
        .writeLong(1)
        .writeLong(1)
        .writeLong(1)
        .writeLong(1)
        .writeInt(0);
    g.writeInt(1).writeInt(Integer.MAX_VALUE); // one key claiming 2 GB
    assertThatThrownBy(() -> NodeCodec.decodeRequest(g))
        .isInstanceOf(MalformedFrameException.class)
        .hasMessageContaining("keys length");
  }

  @Test
  void unknownVersionOpAndTrailingBytesAreNamed() {
    assertThatThrownBy(() -> NodeCodec.decodeRequest(Unpooled.buffer().writeByte(9).writeByte(1)))
        .hasMessageContaining("version 9");
    assertThatThrownBy(() -> NodeCodec.decodeRequest(Unpooled.buffer().writeByte(1).writeByte(99)))
        .hasMessageContaining("unknown op code 99");
    ByteBuf f = Unpooled.buffer();
    NodeCodec.encode(NodeRequest.ping(1), f);
    f.skipBytes(4);
    f.writeByte(0);
    assertThatThrownBy(() -> NodeCodec.decodeRequest(f)).hasMessageContaining("1 unexpected bytes");
  }

  /** Any bytes at all either decode or fail with MalformedFrameException; nothing else escapes. */
  @Property(tries = 2000)
  void arbitraryFramesNeverFailOtherwise(@ForAll("frames") byte[] frame) {
    for (boolean request : new boolean[] {true, false}) {
      try {
        if (request) NodeCodec.decodeRequest(Unpooled.wrappedBuffer(frame));
        else NodeCodec.decodeReply(Unpooled.wrappedBuffer(frame));
      } catch (MalformedFrameException expected) {
        // fine
      }
    }
  }

  /** Mostly valid frames with a few bytes flipped, so decoding gets deep before it fails. */
  @Provide
  Arbitrary<byte[]> frames() {
    Arbitrary<byte[]> valid =
        Arbitraries.longs()
            .map(
                seed -> {
                  java.util.Random r = new java.util.Random(seed);
                  ByteBuf f = Unpooled.buffer();
                  byte[][] keys = new byte[r.nextInt(4)][];
                  for (int i = 0; i < keys.length; i++) keys[i] = new byte[r.nextInt(6)];
                  if (r.nextBoolean())
                    NodeCodec.encode(
                        new NodeRequest(r.nextLong(), NodeOp.GET, 1, 2, 3, 0, keys, new byte[0][]),
                        f);
                  else NodeCodec.encode(NodeReply.values(r.nextLong(), 1, keys), f);
                  f.skipBytes(4);
                  byte[] out = new byte[f.readableBytes()];
                  f.readBytes(out);
                  for (int i = r.nextInt(3); i > 0 && out.length > 0; i--)
                    out[r.nextInt(out.length)] = (byte) r.nextInt();
                  if (r.nextInt(4) == 0 && out.length > 0)
                    out = java.util.Arrays.copyOf(out, r.nextInt(out.length));
                  return out;
                });
    return Arbitraries.oneOf(valid, Arbitraries.bytes().array(byte[].class).ofMaxSize(64));
  }
}
