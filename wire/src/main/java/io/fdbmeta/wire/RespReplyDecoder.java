package io.fdbmeta.wire;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The client side of RESP: decodes replies into {@link RespValue}s. A reply is consumed only once
 * it has fully arrived; lengths are checked against {@code maxBulkBytes} before use. Meant for our
 * own clients (tests, benchmarks, the demo workload); malformed replies fail the channel with a
 * {@link CorruptedFrameException}.
 */
public final class RespReplyDecoder extends ByteToMessageDecoder {
  private static final int MAX_DEPTH = 16;
  private final int maxBulkBytes;

  public RespReplyDecoder() {
    this(RespDecoder.Limits.DEFAULT.maxBulkBytes());
  }

  public RespReplyDecoder(int maxBulkBytes) {
    this.maxBulkBytes = maxBulkBytes;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    while (in.isReadable()) {
      int mark = in.readerIndex();
      RespValue v = parse(in, 0);
      if (v == null) {
        in.readerIndex(mark);
        return;
      }
      out.add(v);
    }
  }

  /** One value at the reader index, advancing past it; null if it has not fully arrived. */
  private @Nullable RespValue parse(ByteBuf in, int depth) {
    if (depth > MAX_DEPTH)
      throw new CorruptedFrameException("RESP reply nested deeper than " + MAX_DEPTH);
    if (!in.isReadable()) return null;
    byte type = in.readByte();
    String line = readLine(in);
    if (line == null) return null;
    switch (type) {
      case '+':
        return new RespValue.Simple(line);
      case '-':
        return new RespValue.Error(line);
      case ':':
        return new RespValue.Integer(number(line));
      case '$':
        {
          long n = number(line);
          if (n == -1) return new RespValue.Bulk(null);
          if (n < 0 || n > maxBulkBytes)
            throw new CorruptedFrameException("invalid bulk length " + n);
          if (in.readableBytes() < n + 2) return null;
          byte[] b = new byte[(int) n];
          in.readBytes(b);
          in.skipBytes(2);
          return new RespValue.Bulk(b);
        }
      case '*':
        {
          long n = number(line);
          if (n == -1) return new RespValue.Array(null);
          if (n < 0 || n > in.readableBytes()) {
            if (n >= 0 && n <= Integer.MAX_VALUE)
              return null; // cannot be complete yet: each element needs at least one byte
            throw new CorruptedFrameException("invalid array length " + n);
          }
          List<RespValue> elements = new ArrayList<>((int) n);
          for (int i = 0; i < n; i++) {
            RespValue e = parse(in, depth + 1);
            if (e == null) return null;
            elements.add(e);
          }
          return new RespValue.Array(elements);
        }
      default:
        throw new CorruptedFrameException(
            "unknown RESP reply type byte 0x" + Integer.toHexString(type & 0xff));
    }
  }

  private static @Nullable String readLine(ByteBuf in) {
    int lf = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
    if (lf < 0) return null;
    int end = lf > in.readerIndex() && in.getByte(lf - 1) == '\r' ? lf - 1 : lf;
    String s = in.toString(in.readerIndex(), end - in.readerIndex(), StandardCharsets.UTF_8);
    in.readerIndex(lf + 1);
    return s;
  }

  private static long number(String line) {
    try {
      return Long.parseLong(line);
    } catch (NumberFormatException e) {
      throw new CorruptedFrameException("not a number in RESP reply: " + line);
    }
  }
}
