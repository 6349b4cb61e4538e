package io.fdbmeta.wire;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ByteProcessor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/*
 * Incremental RESP request decoder. Clients send arrays of bulk strings ("*2\r\n$3\r\nGET\r\n$1\r\na\r\n");
 * people at a terminal send inline commands ("PING\r\n"). Both are accepted.
 *
 * It keeps its place between reads (array header, bulk header, bulk body), so a command that
 * arrives a byte at a time costs no re-parsing, and it allocates a bulk's byte[] only once the
 * whole bulk is in the buffer. Every number is checked against Limits before it is used: an array
 * count or bulk length beyond the limits, a header line that does not end within a few bytes, or an
 * inline line longer than its limit is a protocol error, not an allocation or an unbounded wait for
 * a line end.
 *
 * Memory held while a command is incomplete. An array header only promises arguments, so the
 * argument table grows as they arrive (doubling, up to the announced count), never from the count
 * alone: "*1048576" costs nothing until a million arguments follow. What an incomplete command
 * holds (its arguments so far, a per-argument overhead and the cumulated bytes not yet decoded) is
 * counted after every read against a per-connection bound and a Budget shared by the server's
 * connections. Over either, the decoder emits a RespProtocolError marked overLimit: the handler
 * answers -ERR and closes that connection, others keep their share. Hostile clients holding many
 * partial commands at once thus cost at most the shared budget, not a heap each.
 *
 * Time is not its concern: a client that trickles a legal command slowly is cut off by the
 * channel's request deadline, not here.
 *
 * Before authentication. A server that requires AUTH turns on limitUnauthenticated: then, as
 * redis-server 7 does for a client that has not authenticated, an array of more than 10 elements or
 * a bulk string longer than 16384 bytes is a protocol error ("unauthenticated multibulk length",
 * "unauthenticated bulk length"), checked in Redis's order (a malformed number first, then these,
 * then our own limits). Once it has been turned on, the decoder passes on an AUTH, HELLO or RESET,
 * and any command while the limits apply, on its own (one decode call), so the handler answers it
 * and sets the limits before the command after it (pipelined in the same read) is decoded, as
 * Redis, which runs each command before parsing the next, does.
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

  /**
   * Bytes that incomplete commands may hold, together, across the connections that share it (one
   * per server). Thread-safe. Also usable for any other bytes connections hold against one shared
   * bound (the router's unsent replies).
   */
  public static final class Budget {
    private final long limit;
    private final AtomicLong used = new AtomicLong();

    public Budget(long limit) {
      if (limit < 0) throw new IllegalArgumentException("negative RESP budget " + limit);
      this.limit = limit;
    }

    /** No bound: for ports whose connections are few and trusted (tests, a node's own port). */
    public static Budget unbounded() {
      return new Budget(Long.MAX_VALUE);
    }

    /** Bytes held now. */
    public long used() {
      return used.get();
    }

    public long limit() {
      return limit;
    }

    /** Takes {@code n} bytes if they fit; false (nothing taken) if they do not. */
    public boolean tryTake(long n) {
      while (true) {
        long u = used.get();
        if (u + n > limit) return false;
        if (used.compareAndSet(u, u + n)) return true;
      }
    }

    /** Gives back {@code n} bytes taken before. */
    public void give(long n) {
      used.addAndGet(-n);
    }
  }

  /** What one held argument costs beside its bytes: its array's header and its table slot. */
  static final int ARG_OVERHEAD = 24;

  private enum State {
    COMMAND,
    BULK_HEADER,
    BULK_BODY,
    FAILED
  }

  /** Longest "*<count>\r\n" or "$<length>\r\n" line: the type byte, 19 digits and a sign, CRLF. */
  private static final int MAX_HEADER_LINE = 23;

  private static final long INCOMPLETE = Long.MIN_VALUE;

  private static final byte[][] NO_ARGS = new byte[0][];

  /** Redis's bounds for an unauthenticated client: elements of an array, bytes of a bulk string. */
  static final int UNAUTHENTICATED_MAX_ARGS = 10;

  static final int UNAUTHENTICATED_MAX_BULK_BYTES = 16384;

  private final Limits limits;
  private final long maxHeldBytes;
  private boolean unauthenticated;
  private boolean watchAuth;
  private final Budget budget;
  private State state = State.COMMAND;
  private byte[][] args = NO_ARGS;
  private int argsExpected;
  private int argCount;
  private long argBytes;
  private long held;
  private int bulkLength;
  private long commandBytes;

  public RespDecoder() {
    this(Limits.DEFAULT);
  }

  public RespDecoder(Limits limits) {
    this(limits, Long.MAX_VALUE, Budget.unbounded());
  }

  /**
   * @param maxHeldBytes most bytes one incomplete command of this connection may hold (see the
   *     class comment for what counts)
   * @param budget what all connections sharing it may hold together
   */
  public RespDecoder(Limits limits, long maxHeldBytes, Budget budget) {
    this.limits = limits;
    this.maxHeldBytes = maxHeldBytes;
    this.budget = budget;
  }

  /**
   * Applies redis-server's limits for a client that has not authenticated (see the class comment)
   * from the next command header on, or lifts them. Call on the channel's event loop.
   */
  public void limitUnauthenticated(boolean on) {
    unauthenticated = on;
    watchAuth = true;
  }

  /** True if decoding must stop after {@code args}: the handler must see it before what follows. */
  private boolean stopAfter(byte[][] args) {
    return unauthenticated
        || (watchAuth
            && args.length > 0
            && (is(args[0], "AUTH") || is(args[0], "HELLO") || is(args[0], "RESET")));
  }

  private static boolean is(byte[] arg, String upper) {
    if (arg.length != upper.length()) return false;
    for (int i = 0; i < arg.length; i++)
      if ((arg[i] & 0xdf) != upper.charAt(i)) return false; // ASCII letters, either case
    return true;
  }

  /** Bytes this connection's incomplete command holds, as last counted. */
  public long heldBytes() {
    return held;
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
      hold(in);
    } catch (Malformed e) {
      state = State.FAILED;
      args = NO_ARGS;
      in.skipBytes(in.readableBytes());
      hold(0);
      out.add(new RespProtocolError(e.getMessage(), e.overLimit));
    }
  }

  @Override
  protected void handlerRemoved0(ChannelHandlerContext ctx) {
    args = NO_ARGS;
    hold(0);
  }

  /** Counts what the incomplete command holds now, against both bounds. */
  private void hold(ByteBuf in) {
    long now = in.readableBytes();
    if (state == State.BULK_HEADER || state == State.BULK_BODY)
      now += argBytes + (long) argCount * ARG_OVERHEAD;
    if (now > maxHeldBytes)
      throw new Malformed(
          "incomplete command holds more than " + maxHeldBytes + " bytes (the connection's limit)",
          true);
    if (now > held && !budget.tryTake(now - held))
      throw new Malformed(
          "server busy: incomplete commands of all connections hold "
              + budget.used()
              + " of "
              + budget.limit()
              + " bytes",
          true);
    hold(now);
  }

  private void hold(long now) {
    if (now < held) budget.give(held - now);
    held = now;
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
            int before = out.size();
            if (!readInline(in, out)) return;
            if (out.size() > before && stopAfter(((RespCommand) out.get(before)).args())) return;
            continue;
          }
          long count = readHeaderLine(in, '*', "multibulk length");
          if (count == INCOMPLETE) return;
          if (unauthenticated && count > UNAUTHENTICATED_MAX_ARGS)
            throw new Malformed("unauthenticated multibulk length");
          if (count > limits.maxArgs())
            throw new Malformed(
                "invalid multibulk length "
                    + count
                    + " (at most "
                    + limits.maxArgs()
                    + " arguments)");
          if (count <= 0) continue; // "*0" and "*-1" are empty requests; Redis ignores them
          argsExpected = (int) count;
          args = new byte[Math.min(argsExpected, 16)][];
          argCount = 0;
          argBytes = 0;
          commandBytes = 0;
          state = State.BULK_HEADER;
        }
        case BULK_HEADER -> {
          if (!in.isReadable()) return;
          byte type = in.getByte(in.readerIndex());
          if (type != '$') throw new Malformed("expected '$', got '" + printable(type) + "'");
          long length = readHeaderLine(in, '$', "bulk length");
          if (length == INCOMPLETE) return;
          if (unauthenticated && length > UNAUTHENTICATED_MAX_BULK_BYTES)
            throw new Malformed("unauthenticated bulk length");
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
          if (argCount == args.length)
            args = Arrays.copyOf(args, (int) Math.min(2L * args.length, argsExpected));
          args[argCount++] = arg;
          argBytes += arg.length;
          if (argCount < argsExpected) {
            state = State.BULK_HEADER;
          } else {
            byte[][] done = args;
            out.add(new RespCommand(done));
            args = NO_ARGS;
            state = State.COMMAND;
            if (stopAfter(done)) return; // the handler answers it before the next is decoded
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
    final boolean overLimit;

    Malformed(String message) {
      this(message, false);
    }

    Malformed(String message, boolean overLimit) {
      super(message, null, false, false);
      this.overLimit = overLimit;
    }
  }
}
