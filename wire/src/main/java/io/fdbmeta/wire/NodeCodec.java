package io.fdbmeta.wire;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.MessageToByteEncoder;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;

/*
 * The node protocol's frames. Every frame is a big-endian int32 length (of what follows) and then:
 *
 *   request:  u8 version=1, u8 op, i64 id, i64 rangeId, i64 generation, i64 epoch, i32 limit,
 *             i32 keyCount, keyCount x (i32 len, bytes), i32 valueCount, valueCount x (i32 len | -1, bytes)
 *   reply:    u8 version=1, u8 status, i64 id, i64 number, i32 valueCount, valueCount x (i32 len | -1, bytes),
 *             i32 descriptorLen | -1, bytes, i32 messageLen | -1, UTF-8 bytes
 *
 * Every limit named maxFrameBytes is a limit on that length, the payload: the 4-byte prefix is not
 * counted, at either end. The frame decoder (NodeFrameDecoder) rejects a length above it before
 * buffering the frame; the length is unsigned, so a "negative" one is just too long. Inside a
 * frame every count and length is checked against the
 * bytes that remain before anything is allocated, so a frame can never make the decoder allocate
 * more than the frame's own size. Trailing bytes are an error: they mean the two sides disagree on
 * the format.
 */
/** Encoding, decoding and pipeline setup for the node protocol. */
public final class NodeCodec {
  public static final int VERSION = 1;

  /**
   * Default frame limit, in payload bytes (the length prefix not counted): the largest RESP command
   * plus room for headers.
   */
  public static final int DEFAULT_MAX_FRAME_BYTES = 80 << 20;

  private NodeCodec() {}

  /**
   * Installs framing and the request codec on a storage node's connection: NodeRequest in,
   * NodeReply out. Frames up to {@code maxFrameBytes} of payload; with no limit on what partial
   * frames of all connections hold together.
   */
  public static void serverPipeline(ChannelPipeline p, int maxFrameBytes) {
    serverPipeline(p, maxFrameBytes, null);
  }

  /**
   * As {@link #serverPipeline(ChannelPipeline, int)}, with partial frames held against {@code
   * budget}, which the connections of one port share. A frame above the limit, or one the budget
   * cannot take, fails the decoder with {@link io.netty.handler.codec.TooLongFrameException} at
   * once; the connection is then closed by its owner.
   */
  public static void serverPipeline(
      ChannelPipeline p, int maxFrameBytes, @Nullable PartialFrameBudget budget) {
    p.addLast("frames", new NodeFrameDecoder(maxFrameBytes, budget));
    p.addLast("request-decoder", new RequestDecoder());
    p.addLast("reply-encoder", new ReplyEncoder());
  }

  /**
   * Installs framing and the reply codec on a client's connection to a node: NodeRequest out,
   * NodeReply in.
   */
  public static void clientPipeline(ChannelPipeline p, int maxFrameBytes) {
    p.addLast("frames", new NodeFrameDecoder(maxFrameBytes, null));
    p.addLast("reply-decoder", new ReplyDecoder());
    p.addLast("request-encoder", new RequestEncoder());
  }

  // ---- requests

  static int size(NodeRequest r) {
    return 2 + 8 * 4 + 4 + 4 + arraySize(r.keys()) + 4 + arraySize(r.values());
  }

  /** Writes the whole frame, length prefix included. */
  public static void encode(NodeRequest r, ByteBuf out) {
    out.ensureWritable(4 + size(r));
    out.writeInt(size(r));
    out.writeByte(VERSION);
    out.writeByte(r.op().code);
    out.writeLong(r.id());
    out.writeLong(r.rangeId());
    out.writeLong(r.generation());
    out.writeLong(r.epoch());
    out.writeInt(r.limit());
    writeArray(out, r.keys());
    writeArray(out, r.values());
  }

  /**
   * Decodes one request from a frame's content (after the length prefix), consuming all of it.
   *
   * @throws MalformedFrameException if the content does not follow the format
   */
  public static NodeRequest decodeRequest(ByteBuf in) {
    version(in);
    int code = in.readUnsignedByte();
    NodeOp op = NodeOp.ofCode(code);
    if (op == null) throw new MalformedFrameException("unknown op code " + code);
    need(in, 8 * 4 + 4, "request header");
    long id = in.readLong();
    long rangeId = in.readLong();
    long generation = in.readLong();
    long epoch = in.readLong();
    int limit = in.readInt();
    if (limit < 0) throw new MalformedFrameException("negative limit " + limit);
    byte[][] keys = readArray(in, false, "keys");
    byte[][] values = readArray(in, true, "values");
    if (values.length != 0 && values.length != keys.length)
      throw new MalformedFrameException(keys.length + " keys but " + values.length + " values");
    end(in);
    return new NodeRequest(id, op, rangeId, generation, epoch, limit, keys, values);
  }

  // ---- replies

  /** Payload bytes of a reply carrying no values, descriptor or message. */
  public static final int EMPTY_REPLY_BYTES = 2 + 8 + 8 + 4 + 4 + 4;

  /** Payload bytes one value adds to a reply: its length field and its bytes (null: none). */
  public static int valueBytes(byte @Nullable [] value) {
    return 4 + (value == null ? 0 : value.length);
  }

  static int size(NodeReply r) {
    return 2
        + 8
        + 8
        + 4
        + arraySize(r.values())
        + 4
        + (r.descriptor() == null ? 0 : r.descriptor().length)
        + 4
        + (r.message() == null ? 0 : utf8Length(r.message()));
  }

  /** Writes the whole frame, length prefix included. */
  public static void encode(NodeReply r, ByteBuf out) {
    int size = size(r);
    out.ensureWritable(4 + size);
    out.writeInt(size);
    out.writeByte(VERSION);
    out.writeByte(r.status().code);
    out.writeLong(r.id());
    out.writeLong(r.number());
    writeArray(out, r.values());
    writeBytes(out, r.descriptor());
    if (r.message() == null) {
      out.writeInt(-1);
    } else {
      out.writeInt(utf8Length(r.message()));
      out.writeCharSequence(r.message(), StandardCharsets.UTF_8);
    }
  }

  /**
   * Decodes one reply from a frame's content (after the length prefix), consuming all of it.
   *
   * @throws MalformedFrameException if the content does not follow the format
   */
  public static NodeReply decodeReply(ByteBuf in) {
    version(in);
    int code = in.readUnsignedByte();
    ReplyStatus status = ReplyStatus.ofCode(code);
    if (status == null) throw new MalformedFrameException("unknown reply status " + code);
    need(in, 16, "reply header");
    long id = in.readLong();
    long number = in.readLong();
    byte[][] values = readArray(in, true, "values");
    byte[] descriptor = readBytes(in, true, "descriptor");
    byte[] message = readBytes(in, true, "message");
    end(in);
    return new NodeReply(
        id,
        status,
        number,
        values,
        descriptor,
        message == null ? null : new String(message, StandardCharsets.UTF_8));
  }

  // ---- pieces

  private static void version(ByteBuf in) {
    need(in, 2, "version and op");
    int v = in.readUnsignedByte();
    if (v != VERSION)
      throw new MalformedFrameException(
          "unsupported node protocol version " + v + " (this side speaks " + VERSION + ")");
  }

  private static void need(ByteBuf in, int bytes, String what) {
    if (in.readableBytes() < bytes)
      throw new MalformedFrameException("frame ends inside the " + what);
  }

  private static void end(ByteBuf in) {
    if (in.isReadable())
      throw new MalformedFrameException(
          in.readableBytes() + " unexpected bytes at the end of the frame");
  }

  private static int arraySize(byte[][] a) {
    int n = 0;
    for (byte[] b : a) n += 4 + (b == null ? 0 : b.length);
    return n;
  }

  private static void writeArray(ByteBuf out, byte[][] a) {
    out.writeInt(a.length);
    for (byte[] b : a) writeBytes(out, b);
  }

  private static void writeBytes(ByteBuf out, byte @Nullable [] b) {
    if (b == null) {
      out.writeInt(-1);
    } else {
      out.writeInt(b.length);
      out.writeBytes(b);
    }
  }

  private static byte[][] readArray(ByteBuf in, boolean nullable, String what) {
    need(in, 4, what + " count");
    int n = in.readInt();
    // each element takes at least its 4-byte length, so a count the frame cannot hold is rejected
    // before allocating
    if (n < 0 || n > in.readableBytes() / 4)
      throw new MalformedFrameException("invalid " + what + " count " + n);
    byte[][] a = new byte[n][];
    for (int i = 0; i < n; i++) a[i] = readBytes(in, nullable, what);
    return a;
  }

  private static byte @Nullable [] readBytes(ByteBuf in, boolean nullable, String what) {
    need(in, 4, what + " length");
    int len = in.readInt();
    if (len == -1 && nullable) return null;
    if (len < 0 || len > in.readableBytes())
      throw new MalformedFrameException(
          "invalid "
              + what
              + " length "
              + len
              + " with "
              + in.readableBytes()
              + " bytes left in the frame");
    byte[] b = new byte[len];
    in.readBytes(b);
    return b;
  }

  private static int utf8Length(String s) {
    return io.netty.buffer.ByteBufUtil.utf8Bytes(s);
  }

  // ---- Netty handlers

  @ChannelHandler.Sharable
  static final class RequestEncoder extends MessageToByteEncoder<NodeRequest> {
    @Override
    protected void encode(ChannelHandlerContext ctx, NodeRequest msg, ByteBuf out) {
      NodeCodec.encode(msg, out);
    }
  }

  @ChannelHandler.Sharable
  static final class ReplyEncoder extends MessageToByteEncoder<NodeReply> {
    @Override
    protected void encode(ChannelHandlerContext ctx, NodeReply msg, ByteBuf out) {
      NodeCodec.encode(msg, out);
    }
  }

  @ChannelHandler.Sharable
  static final class RequestDecoder extends MessageToMessageDecoder<ByteBuf> {
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
      out.add(decodeRequest(frame));
    }
  }

  @ChannelHandler.Sharable
  static final class ReplyDecoder extends MessageToMessageDecoder<ByteBuf> {
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
      out.add(decodeReply(frame));
    }
  }
}
