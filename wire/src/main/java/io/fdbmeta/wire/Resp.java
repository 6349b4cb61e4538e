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
  private static final byte[] NULL3 = "_\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TRUE3 = "#t\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] FALSE3 = "#f\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TXT = "txt:".getBytes(StandardCharsets.US_ASCII);

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

  /** A null array in RESP2, RESP3's null. */
  public static void nullArray(ByteBuf out, boolean resp3) {
    out.writeBytes(resp3 ? NULL3 : NULL_ARRAY);
  }

  /**
   * A null: RESP3's {@code _} once negotiated, else RESP2's null bulk string (what Redis answers
   * for a missing value in either protocol).
   */
  public static void nil(ByteBuf out, boolean resp3) {
    if (resp3) out.writeBytes(NULL3);
    else out.writeBytes(NULL_BULK);
  }

  /** A bulk string, or {@link #nil} for null. */
  public static void bulk(ByteBuf out, byte @Nullable [] value, boolean resp3) {
    if (value == null) nil(out, resp3);
    else bulk(out, value);
  }

  /** A bulk string of UTF-8 text. */
  public static void bulkText(ByteBuf out, String text) {
    bulk(out, text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A map of {@code pairs} entries: RESP3's {@code %n}, or in RESP2 a flat array of {@code 2n}
   * elements, key and value alternating, as Redis sends it.
   */
  public static void mapHeader(ByteBuf out, int pairs, boolean resp3) {
    if (resp3) {
      out.writeByte('%');
      writeDecimal(out, pairs);
      out.writeBytes(CRLF);
    } else {
      arrayHeader(out, pairs * 2);
    }
  }

  /** A set of {@code count} elements: RESP3's {@code ~n}, an array in RESP2. */
  public static void setHeader(ByteBuf out, int count, boolean resp3) {
    if (resp3) {
      out.writeByte('~');
      writeDecimal(out, count);
      out.writeBytes(CRLF);
    } else {
      arrayHeader(out, count);
    }
  }

  /**
   * Text meant for people (INFO, CLIENT INFO): RESP3's verbatim string {@code =n txt:...}, a bulk
   * string in RESP2.
   */
  public static void verbatim(ByteBuf out, String text, boolean resp3) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    if (!resp3) {
      bulk(out, b);
      return;
    }
    out.writeByte('=');
    writeDecimal(out, b.length + 4);
    out.writeBytes(CRLF);
    out.writeBytes(TXT);
    out.writeBytes(b);
    out.writeBytes(CRLF);
  }

  /** A boolean: RESP3's {@code #t}/{@code #f}, the integer 1 or 0 in RESP2. */
  public static void bool(ByteBuf out, boolean value, boolean resp3) {
    if (resp3) out.writeBytes(value ? TRUE3 : FALSE3);
    else integer(out, value ? 1 : 0);
  }

  /**
   * A double: RESP3's {@code ,n}, a bulk string in RESP2; written as Redis does ({@code inf},
   * {@code -inf}, {@code nan}, else the shortest text that reads back as the same double).
   */
  public static void doubleValue(ByteBuf out, double value, boolean resp3) {
    String text;
    if (Double.isNaN(value)) text = "nan";
    else if (Double.isInfinite(value)) text = value > 0 ? "inf" : "-inf";
    else if (value == Math.rint(value) && Math.abs(value) < 1e17)
      text = Long.toString((long) value);
    else text = Double.toString(value);
    if (!resp3) {
      bulkText(out, text);
      return;
    }
    out.writeByte(',');
    writeLine(out, text);
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
