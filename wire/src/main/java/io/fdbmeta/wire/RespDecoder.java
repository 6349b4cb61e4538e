package io.fdbmeta.wire;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ByteProcessor;
import java.util.ArrayList;
import java.util.List;

/*
 * Incremental RESP request decoder. Clients send arrays of bulk strings ("*2\r\n$3\r\nGET\r\n$1\r\na\r\n");
 * people at a terminal send inline commands ("PING\r\n"). Both are accepted.
 *
 * It keeps its place between reads (array header, bulk header, bulk body), so a command that
 * arrives a byte at a time costs no re-parsing, and it allocates a bulk's byte[] only once the
 * whole bulk is in the buffer. Every number is checked against Limits before it is used: an array
 * count or bulk length beyond the limits, a header line that does not end within a few bytes, or an
 * inline line longer than its limit is a protocol error, not an allocation or an unbounded wait for
 * a line end. The cumulated bytes are therefore bounded by the largest legal bulk plus a header.
 *
 * Time is not its concern: a client that trickles a legal command slowly is cut off by the
 * channel's request deadline, not here.
 */
/**
 * Decodes RESP requests into {@link RespCommand}s; on malformed input emits one {@link
 * RespProtocolError} (after the commands before it) and ignores the rest of the connection's input.
 * Not sharable: one per channel.
 */
public final class RespDecoder extends ByteToMessageDecoder {
  /**
   * Bounds on what one command may claim.
   *
   * @param maxArgs most arguments in one command, the name included
   * @param maxBulkBytes largest single argument
   * @param maxInlineBytes longest inline command line
   * @param maxCommandBytes most argument bytes in one command, all arguments together
   */
  public record Limits(int maxArgs, int maxBulkBytes, int maxInlineBytes, long maxCommandBytes) {
    public static final Limits DEFAULT = new Limits(1 << 20, 16 << 20, 64 << 10, 64L << 20);

    public Limits {
      if (maxArgs < 1 || maxBulkBytes < 0 || maxInlineBytes < 1 || maxCommandBytes < maxBulkBytes) {
        throw new IllegalArgumentException(
            "invalid RESP limits: "
                + maxArgs
                + " args, "
                + maxBulkBytes
                + " bulk bytes, "
                + maxInlineBytes
                + " inline bytes, "
                + maxCommandBytes
                + " command bytes");
      }
    }
  }

  private enum State {
    COMMAND,
    BULK_HEADER,
    BULK_BODY,
    FAILED
  }

  /** Longest "*<count>\r\n" or "$<length>\r\n" line: the type byte, 19 digits and a sign, CRLF. */
  private static final int MAX_HEADER_LINE = 23;

  private static final long INCOMPLETE = Long.MIN_VALUE;

  private final Limits limits;
  private State state = State.COMMAND;
  private byte[][] args = new byte[0][];
  private int argCount;
  private int bulkLength;
  private long commandBytes;

  public RespDecoder() {
    this(Limits.DEFAULT);
  }

  public RespDecoder(Limits limits) {
    this.limits = limits;
  }

  /**
   * True while part of a command has arrived but not all of it (bytes are buffered, or the decoder
   * is between a command's header and its last argument). A channel's request deadline uses it to
   * cut off a client that trickles a command; false after a protocol error.
   */
  public boolean hasPartialCommand() {
    return state == State.BULK_HEADER
        || state == State.BULK_BODY
        || (state == State.COMMAND && actualReadableBytes() > 0);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    try {
      decodeAvailable(in, out);
    } catch (Malformed e) {
      state = State.FAILED;
      args = new byte[0][];
      in.skipBytes(in.readableBytes());
      out.add(new RespProtocolError(e.getMessage()));
    }
  }

  private void decodeAvailable(ByteBuf in, List<Object> out) {
    while (true) {
      switch (state) {
        case FAILED -> {
          in.skipBytes(in.readableBytes());
          return;
        }
        case COMMAND -> {
          if (!in.isReadable()) return;
          if (in.getByte(in.readerIndex()) != '*') {
            if (!readInline(in, out)) return;
            continue;
          }
          long count = readHeaderLine(in, '*', "multibulk length");
          if (count == INCOMPLETE) return;
          if (count > limits.maxArgs())
            throw new Malformed(
                "invalid multibulk length "
                    + count
                    + " (at most "
                    + limits.maxArgs()
                    + " arguments)");
          if (count <= 0) continue; // "*0" and "*-1" are empty requests; Redis ignores them
          args = new byte[(int) count][];
          argCount = 0;
          commandBytes = 0;
          state = State.BULK_HEADER;
        }
        case BULK_HEADER -> {
          if (!in.isReadable()) return;
          byte type = in.getByte(in.readerIndex());
          if (type != '$') throw new Malformed("expected '$', got '" + printable(type) + "'");
          long length = readHeaderLine(in, '$', "bulk length");
          if (length == INCOMPLETE) return;
          if (length < 0 || length > limits.maxBulkBytes())
            throw new Malformed(
                "invalid bulk length " + length + " (at most " + limits.maxBulkBytes() + " bytes)");
          commandBytes += length;
          if (commandBytes > limits.maxCommandBytes())
            throw new Malformed("command larger than " + limits.maxCommandBytes() + " bytes");
          bulkLength = (int) length;
          state = State.BULK_BODY;
        }
        case BULK_BODY -> {
          if (in.readableBytes() < bulkLength + 2) return;
          byte[] arg = new byte[bulkLength];
          in.readBytes(arg);
          if (in.readByte() != '\r' || in.readByte() != '\n')
            throw new Malformed("bulk string not followed by CRLF");
          args[argCount++] = arg;
          if (argCount < args.length) {
            state = State.BULK_HEADER;
          } else {
            out.add(new RespCommand(args));
            args = new byte[0][];
            state = State.COMMAND;
          }
        }
      }
    }
  }

  /**
   * Reads "<type><signed decimal>\r\n" at the reader index.
   *
   * @return the number, or INCOMPLETE (nothing consumed) if the line has not fully arrived
   */
  private static long readHeaderLine(ByteBuf in, char type, String what) {
    int start = in.readerIndex();
    int window = Math.min(in.readableBytes(), MAX_HEADER_LINE);
    int lf = in.indexOf(start, start + window, (byte) '\n');
    if (lf < 0) {
      if (window == MAX_HEADER_LINE)
        throw new Malformed(
            "invalid " + what + ": no line end within " + MAX_HEADER_LINE + " bytes");
      return INCOMPLETE;
    }
    if (lf - start < 3 || in.getByte(lf - 1) != '\r')
      throw new Malformed("invalid " + what + " line after '" + type + "'");
    int i = start + 1;
    boolean negative = in.getByte(i) == '-';
    if (negative) i++;
    if (i == lf - 1) throw new Malformed("invalid " + what + ": no digits");
    long n = 0;
    for (; i < lf - 1; i++) {
      byte b = in.getByte(i);
      if (b < '0' || b > '9')
        throw new Malformed("invalid " + what + ": '" + printable(b) + "' is not a digit");
      n = n * 10 + (b - '0');
      if (n > Integer.MAX_VALUE) throw new Malformed("invalid " + what + ": too large");
    }
    in.readerIndex(lf + 1);
    return negative ? -n : n;
  }

  /**
   * Reads one inline command (words separated by spaces or tabs); false if its line has not fully
   * arrived.
   */
  private boolean readInline(ByteBuf in, List<Object> out) {
    int start = in.readerIndex();
    int window = Math.min(in.readableBytes(), limits.maxInlineBytes() + 2);
    int lf = in.indexOf(start, start + window, (byte) '\n');
    if (lf < 0) {
      if (window == limits.maxInlineBytes() + 2)
        throw new Malformed(
            "too big inline request (at most " + limits.maxInlineBytes() + " bytes)");
      return false;
    }
    int end = lf > start && in.getByte(lf - 1) == '\r' ? lf - 1 : lf;
    List<byte[]> words = new ArrayList<>();
    int i = start;
    while (i < end) {
      int wordStart = in.forEachByte(i, end - i, ByteProcessor.FIND_NON_LINEAR_WHITESPACE);
      if (wordStart < 0) break;
      int wordEnd =
          in.forEachByte(wordStart, end - wordStart, ByteProcessor.FIND_LINEAR_WHITESPACE);
      if (wordEnd < 0) wordEnd = end;
      byte[] word = new byte[wordEnd - wordStart];
      in.getBytes(wordStart, word);
      words.add(word);
      i = wordEnd;
    }
    in.readerIndex(lf + 1);
    if (words.size() > limits.maxArgs())
      throw new Malformed("too many arguments in inline request");
    if (!words.isEmpty()) out.add(new RespCommand(words.toArray(new byte[0][])));
    return true;
  }

  private static String printable(byte b) {
    return b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xff);
  }

  /** Control flow for malformed input; never escapes this class. */
  private static final class Malformed extends RuntimeException {
    Malformed(String message) {
      super(message, null, false, false);
    }
  }
}
