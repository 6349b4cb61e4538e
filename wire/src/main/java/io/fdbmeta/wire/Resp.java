package io.fdbmeta.wire;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Writes RESP replies (and, for clients, commands) into a buffer. Nothing here allocates beyond the
 * buffer's own growth.
 */
public final class Resp {
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] OK = "+OK\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NULL_BULK = "$-1\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NULL_ARRAY = "*-1\r\n".getBytes(StandardCharsets.US_ASCII);

  private Resp() {}

  public static void ok(ByteBuf out) {
    out.writeBytes(OK);
  }

  /** {@code +text}; text must not contain CR or LF. */
  public static void simple(ByteBuf out, String text) {
    out.writeByte('+');
    writeLine(out, text);
  }

  /**
   * {@code -text}. By convention text starts with an upper-case error code ("ERR", "WRONGTYPE",
   * ...). CR and LF in it are replaced by spaces, since an error is one line.
   */
  public static void error(ByteBuf out, String text) {
    out.writeByte('-');
    writeLine(out, text.replace('\r', ' ').replace('\n', ' '));
  }

  public static void integer(ByteBuf out, long n) {
    out.writeByte(':');
    writeDecimal(out, n);
    out.writeBytes(CRLF);
  }

  /** A bulk string, or the null bulk string for null. */
  public static void bulk(ByteBuf out, byte @Nullable [] value) {
    if (value == null) {
      out.writeBytes(NULL_BULK);
      return;
    }
    out.writeByte('$');
    writeDecimal(out, value.length);
    out.writeBytes(CRLF);
    out.writeBytes(value);
    out.writeBytes(CRLF);
  }

  public static void arrayHeader(ByteBuf out, int count) {
    out.writeByte('*');
    writeDecimal(out, count);
    out.writeBytes(CRLF);
  }

  public static void nullArray(ByteBuf out) {
    out.writeBytes(NULL_ARRAY);
  }

  /** A command as clients send it: an array of bulk strings. */
  public static void command(ByteBuf out, byte[]... args) {
    arrayHeader(out, args.length);
    for (byte[] a : args) bulk(out, a);
  }

  private static void writeLine(ByteBuf out, String text) {
    out.writeCharSequence(text, StandardCharsets.UTF_8);
    out.writeBytes(CRLF);
  }

  /** Writes n in decimal without building a String. */
  static void writeDecimal(ByteBuf out, long n) {
    if (n == Long.MIN_VALUE) {
      out.writeCharSequence(Long.toString(n), StandardCharsets.US_ASCII);
      return;
    }
    if (n < 0) {
      out.writeByte('-');
      n = -n;
    }
    if (n < 10) {
      out.writeByte((int) ('0' + n));
      return;
    }
    int digits = 0;
    for (long m = n; m > 0; m /= 10) digits++;
    int at = out.writerIndex() + digits;
    out.ensureWritable(digits);
    for (int i = 1; i <= digits; i++) {
      out.setByte(at - i, (int) ('0' + n % 10));
      n /= 10;
    }
    out.writerIndex(at);
  }
}
