package io.fdbmeta.embedded;

import io.fdbmeta.embedded.StoreMessage.Type;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.MessageToByteEncoder;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;

/*
 * The store protocol, between RemoteCluster (a client process) and StoreServer (the process that
 * owns the database). Big-endian throughout:
 *
 *   frame  = i32 length (of what follows, at most MAX_FRAME), u8 type, i32 id, payload
 *   bytes  = i32 length, then the bytes; -1 for null where a payload allows it
 *
 *   client -> server                          server -> client
 *   GRV      i32 count (callers batched)      OK_VERSION   i64 version
 *   HOLD, PIN, RELEASE  i64 version (no reply)
 *   GET      i64 rv, bytes key                OK_VALUE     bytes value | -1
 *   RANGE    i64 rv, bytes begin, bytes end,  OK_RANGE     i32 n, n x (bytes key, bytes value),
 *            u8 reverse, i32 rowLimit                      u8 more
 *   COMMIT   CommitCodec's request            OK_COMMIT    i64 version, bytes versionstamp
 *   WATCH    bytes key, bytes expected | -1   WATCH_FIRED  (when the value differs)
 *   CANCEL_WATCH  i32 id of the WATCH (no reply)
 *   DESCRIBE                                  OK_TEXT      bytes UTF-8
 *                                             ERROR        i32 code, bytes UTF-8 message
 *
 * A reply carries the id of its request; the client pipelines requests and matches replies by id
 * (they may arrive out of order: a commit answers once durable, a watch when it fires). Requests
 * without a reply carry id 0.
 *
 * Every input is hostile until bounded. LengthFieldBasedFrameDecoder rejects a length above
 * MAX_FRAME as soon as it arrives (the length is unsigned: "negative" is just too long) and
 * otherwise waits for the whole frame; it never allocates from the length, the cumulation grows
 * with the bytes actually received. Inside a frame every length and count is checked against the
 * bytes left before anything is allocated, so a frame cannot make the decoder allocate more than
 * its own size; trailing bytes are an error. A decoding error reaches the connection's handler,
 * which closes that connection.
 */
/** Wire format, limits and pipeline codec of the store protocol. */
final class StoreProtocol {
  /** Largest frame, after its length: a 10 MB commit's mutations plus its conflict ranges. */
  static final int MAX_FRAME = 32 << 20;

  /** Rows of one OK_RANGE stop once they reach this many bytes (the client asks again). */
  static final int RANGE_REPLY_BYTES = 1 << 20;

  /** Callers one GRV may stand for (the client starts another batch beyond it). */
  static final int MAX_GRV_BATCH = 1 << 16;

  private static final int HEADER_BYTES = 1 + 4;

  private StoreProtocol() {}

  /** Framing and codec for the server's side of a connection: requests in, replies out. */
  static void serverPipeline(ChannelPipeline p) {
    p.addLast("frames", frameDecoder());
    p.addLast("decoder", new Decoder(true));
    p.addLast("encoder", new Encoder());
  }

  /** Framing and codec for the client's side of a connection: replies in, requests out. */
  static void clientPipeline(ChannelPipeline p) {
    p.addLast("frames", frameDecoder());
    p.addLast("decoder", new Decoder(false));
    p.addLast("encoder", new Encoder());
  }

  private static LengthFieldBasedFrameDecoder frameDecoder() {
    // The limit counts the 4-byte length too; the frame handed on starts at the type.
    return new LengthFieldBasedFrameDecoder(MAX_FRAME + 4, 0, 4, 0, 4, true);
  }

  /** Bytes of the whole frame of {@code m}, length prefix included. */
  static long frameSize(StoreMessage m) {
    return 4L + HEADER_BYTES + m.payloadSize();
  }

  static void encode(StoreMessage m, ByteBuf out) {
    int start = out.writerIndex();
    out.writeInt(0); // the length, set once the frame is written: sizing a commit walks it all
    out.writeByte(m.type().code);
    out.writeInt(m.id());
    m.writePayload(out);
    out.setInt(start, out.writerIndex() - start - 4);
  }

  /**
   * Decodes one frame (after its length), consuming all of it.
   *
   * @param requests true on the server (only requests are accepted), false on the client
   * @throws CorruptedFrameException if the frame does not follow the format
   */
  static StoreMessage decode(ByteBuf in, boolean requests) {
    int code = readUnsignedByte(in);
    Type type = Type.of(code);
    if (type == null || type.isRequest() != requests) {
      throw new CorruptedFrameException("unexpected message type " + code);
    }
    int id = readInt(in);
    StoreMessage m =
        switch (type) {
          case GRV -> new StoreMessage.Grv(id, readGrvCount(in));
          case HOLD, PIN, RELEASE -> new StoreMessage.VersionNote(type, readLong(in));
          case GET -> new StoreMessage.Get(id, readLong(in), readBytes(in));
          case RANGE ->
              new StoreMessage.Range(
                  id, readLong(in), readBytes(in), readBytes(in), readBoolean(in), readInt(in));
          case COMMIT -> new StoreMessage.Commit(id, CommitCodec.read(in));
          case WATCH -> new StoreMessage.Watch(id, readBytes(in), readNullableBytes(in));
          case CANCEL_WATCH -> new StoreMessage.CancelWatch(readInt(in));
          case DESCRIBE -> new StoreMessage.Describe(id);
          case OK_VERSION -> new StoreMessage.VersionReply(id, readLong(in));
          case OK_VALUE -> new StoreMessage.ValueReply(id, readNullableBytes(in));
          case OK_RANGE -> StoreMessage.RangeReply.read(id, in);
          case OK_COMMIT ->
              new StoreMessage.CommitReply(id, new CommitResult(readLong(in), readBytes(in)));
          case WATCH_FIRED -> new StoreMessage.WatchFired(id);
          case OK_TEXT -> StoreMessage.TextReply.ok(id, readText(in));
          case ERROR -> StoreMessage.TextReply.error(id, readInt(in), readText(in));
        };
    if (in.isReadable()) {
      throw new CorruptedFrameException(in.readableBytes() + " bytes after a " + type + " message");
    }
    return m;
  }

  // ---------------------------------------------------------------- primitives

  /** Bytes {@link #writeBytes} takes for {@code b}. */
  static int sizeOf(byte @Nullable [] b) {
    return 4 + (b == null ? 0 : b.length);
  }

  static void writeBytes(ByteBuf out, byte @Nullable [] b) {
    if (b == null) {
      out.writeInt(-1);
    } else {
      out.writeInt(b.length);
      out.writeBytes(b);
    }
  }

  static byte[] readBytes(ByteBuf in) {
    byte[] b = readNullableBytes(in);
    if (b == null) throw new CorruptedFrameException("null where bytes are required");
    return b;
  }

  static byte @Nullable [] readNullableBytes(ByteBuf in) {
    int n = readInt(in);
    if (n == -1) return null;
    if (n < 0 || n > in.readableBytes()) {
      throw new CorruptedFrameException(
          "length " + n + " with " + in.readableBytes() + " bytes left in the frame");
    }
    byte[] b = new byte[n];
    in.readBytes(b);
    return b;
  }

  /**
   * A count of elements that take at least {@code minBytes} each, checked against the bytes left so
   * a caller may size a list from it.
   */
  static int readCount(ByteBuf in, int minBytes, String what) {
    int n = readInt(in);
    if (n < 0 || (long) n * minBytes > in.readableBytes()) {
      throw new CorruptedFrameException(
          n + " " + what + " with " + in.readableBytes() + " bytes left in the frame");
    }
    return n;
  }

  static long readLong(ByteBuf in) {
    need(in, 8);
    return in.readLong();
  }

  static int readInt(ByteBuf in) {
    need(in, 4);
    return in.readInt();
  }

  static int readUnsignedByte(ByteBuf in) {
    need(in, 1);
    return in.readUnsignedByte();
  }

  static boolean readBoolean(ByteBuf in) {
    int b = readUnsignedByte(in);
    if (b > 1) throw new CorruptedFrameException("boolean " + b);
    return b == 1;
  }

  private static int readGrvCount(ByteBuf in) {
    int n = readInt(in);
    if (n < 1 || n > MAX_GRV_BATCH) throw new CorruptedFrameException("GRV for " + n + " callers");
    return n;
  }

  private static String readText(ByteBuf in) {
    return new String(readBytes(in), StandardCharsets.UTF_8);
  }

  private static void need(ByteBuf in, int n) {
    if (in.readableBytes() < n) {
      throw new CorruptedFrameException(
          "frame ends " + (n - in.readableBytes()) + " bytes short of its content");
    }
  }

  // ---------------------------------------------------------------- codec handlers

  private static final class Decoder extends MessageToMessageDecoder<ByteBuf> {
    private final boolean requests;

    Decoder(boolean requests) {
      super(ByteBuf.class);
      this.requests = requests;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
      out.add(StoreProtocol.decode(frame, requests));
    }
  }

  private static final class Encoder extends MessageToByteEncoder<StoreMessage> {
    Encoder() {
      super(StoreMessage.class);
    }

    @Override
    protected ByteBuf allocateBuffer(
        ChannelHandlerContext ctx, StoreMessage m, boolean preferDirect) {
      long size = frameSize(m);
      if (size - 4 > MAX_FRAME) {
        throw new IllegalArgumentException(
            m.type() + " of " + size + " bytes exceeds the frame limit " + MAX_FRAME);
      }
      return ctx.alloc().ioBuffer((int) size);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, StoreMessage m, ByteBuf out) {
      StoreProtocol.encode(m, out);
    }
  }
}
