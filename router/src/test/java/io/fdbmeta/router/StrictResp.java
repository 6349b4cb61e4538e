package io.fdbmeta.router;

import java.nio.charset.StandardCharsets;

/**
 * A strict checker of what a RESP server sends: a stream of whole RESP2/RESP3 values, nothing else.
 * Stricter than a client's decoder on purpose: every line ends in CRLF, holds no CR or LF, numbers
 * are plain decimals, bulk bodies are followed by CRLF, and a stream that ends must end between
 * values. Used by tests that feed the router hostile input and read every byte it answers.
 */
final class StrictResp {
  private static final int MAX_DEPTH = 32;

  private StrictResp() {}

  /** Why {@code bytes} are not a sequence of whole RESP values, or null if they are. */
  static String check(byte[] bytes) {
    int at = 0;
    int values = 0;
    while (at < bytes.length) {
      try {
        at = value(bytes, at, 0);
      } catch (Bad e) {
        return "reply " + values + " at byte " + at + ": " + e.getMessage();
      }
      values++;
    }
    return null;
  }

  /** How many top-level values {@code bytes} hold; they must pass {@link #check}. */
  static int count(byte[] bytes) {
    int at = 0;
    int n = 0;
    while (at < bytes.length) {
      at = value(bytes, at, 0);
      n++;
    }
    return n;
  }

  /** Offset of each top-level value's first byte; {@code bytes} must pass {@link #check}. */
  static int[] starts(byte[] bytes) {
    int[] out = new int[count(bytes)];
    int at = 0;
    for (int i = 0; i < out.length; i++) {
      out[i] = at;
      at = value(bytes, at, 0);
    }
    return out;
  }

  /** The first line of the value at {@code at}, without its type byte and CRLF. */
  static String firstLine(byte[] bytes, int at) {
    int end = lineEnd(bytes, at + 1);
    return new String(bytes, at + 1, end - at - 1, StandardCharsets.ISO_8859_1);
  }

  private static int value(byte[] b, int at, int depth) {
    if (depth > MAX_DEPTH) throw new Bad("nested deeper than " + MAX_DEPTH);
    if (at >= b.length) throw new Bad("stream ends where a value should start");
    byte type = b[at];
    int end = lineEnd(b, at + 1);
    String line = new String(b, at + 1, end - at - 1, StandardCharsets.ISO_8859_1);
    int next = end + 2;
    switch (type) {
      case '+', '-' -> {
        return next;
      }
      case ':', '(' -> {
        number(line, Long.MIN_VALUE);
        return next;
      }
      case '_' -> {
        if (!line.isEmpty()) throw new Bad("null with content '" + line + "'");
        return next;
      }
      case '#' -> {
        if (!line.equals("t") && !line.equals("f")) throw new Bad("boolean '" + line + "'");
        return next;
      }
      case ',' -> {
        if (line.isEmpty()) throw new Bad("empty double");
        return next;
      }
      case '$', '!', '=' -> {
        long n = number(line, -1);
        if (n == -1) {
          if (type != '$') throw new Bad("null " + (char) type);
          return next;
        }
        if (next + n + 2 > b.length)
          throw new Bad("bulk of " + n + " bytes cut off at the end of the stream");
        int close = (int) (next + n);
        if (b[close] != '\r' || b[close + 1] != '\n') throw new Bad("bulk not followed by CRLF");
        if (type == '=' && (n < 4 || b[next + 3] != ':'))
          throw new Bad("verbatim string without its format");
        return close + 2;
      }
      case '*', '~', '>', '%', '|' -> {
        long n = number(line, -1);
        if (n == -1) {
          if (type != '*') throw new Bad("null " + (char) type);
          return next;
        }
        long elements = type == '%' || type == '|' ? 2 * n : n;
        int at2 = next;
        for (long i = 0; i < elements; i++) at2 = value(b, at2, depth + 1);
        if (type == '|') return value(b, at2, depth + 1); // an attribute precedes its value
        return at2;
      }
      default -> throw new Bad(String.format("unknown type byte 0x%02x", type & 0xff));
    }
  }

  /** Index of the CR of the CRLF ending the line that starts at {@code from}. */
  private static int lineEnd(byte[] b, int from) {
    for (int i = from; i < b.length; i++) {
      if (b[i] == '\n') throw new Bad("LF without CR in a line");
      if (b[i] == '\r') {
        if (i + 1 >= b.length) throw new Bad("line cut off at the end of the stream");
        if (b[i + 1] != '\n') throw new Bad("CR without LF in a line");
        return i;
      }
    }
    throw new Bad("line cut off at the end of the stream");
  }

  private static long number(String line, long min) {
    if (!line.matches("-?[0-9]{1,19}")) throw new Bad("not a number: '" + line + "'");
    long n;
    try {
      n = Long.parseLong(line);
    } catch (NumberFormatException e) {
      throw new Bad("number out of range: '" + line + "'");
    }
    if (n < min) throw new Bad("negative length " + n);
    return n;
  }

  private static final class Bad extends RuntimeException {
    Bad(String message) {
      super(message, null, false, false);
    }
  }
}
