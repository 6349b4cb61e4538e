package io.fdbmeta.layer;

import com.apple.foundationdb.tuple.Tuple;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/*
 * Tuple encoding for the layer's hottest records and keys, byte for byte what
 * com.apple.foundationdb.tuple.Tuple produces, without its per-element objects.
 *
 * A heartbeat decodes and re-encodes a NodeRecord and builds four keys. Through Tuple that was more
 * than half of all the bytes a heartbeat allocated (Tuple copies its input, boxes every number and
 * decodes each string through a new CharsetDecoder), and allocation is what sets how often the
 * garbage collector pauses. So the common shapes take a short path here: ASCII strings without NUL,
 * integers that fit a long, and doubles. Anything else goes to Tuple itself: the writer appends
 * Tuple's encoding of the element, the reader throws NotSimple and the caller decodes with Tuple,
 * so results and errors are always Tuple's.
 */
final class TupleBytes {
  private static final byte STRING = 0x02;
  private static final byte INT_ZERO = 0x14;
  private static final byte DOUBLE = 0x21;

  private TupleBytes() {}

  /** What {@link Writer#string} writes for an ASCII string without NUL; others take more. */
  static int sizeOf(String s) {
    return s.length() + 2;
  }

  /** What {@link Writer#integer} writes for {@code v}. */
  static int sizeOf(long v) {
    return v == Long.MIN_VALUE ? 9 : 1 + 8 - Long.numberOfLeadingZeros(Math.abs(v)) / 8;
  }

  /** What {@link Writer#floating} writes. */
  static final int DOUBLE_SIZE = 9;

  /**
   * Appends tuple elements after a raw prefix (a subspace's key, or nothing for a value). Give the
   * exact size (prefix included, see sizeOf) and the bytes are built in place, without a final
   * copy.
   */
  static final class Writer {
    private byte[] buf;
    private int len;

    Writer(byte[] prefix, int expectedSize) {
      buf = Arrays.copyOf(prefix, Math.max(expectedSize, prefix.length));
      len = prefix.length;
    }

    Writer string(String s) {
      int n = s.length();
      for (int i = 0; i < n; i++) {
        char c = s.charAt(i);
        if (c == 0 || c >= 0x80) return raw(Tuple.from(s).pack());
      }
      ensure(n + 2);
      buf[len++] = STRING;
      for (int i = 0; i < n; i++) buf[len++] = (byte) s.charAt(i);
      buf[len++] = 0;
      return this;
    }

    Writer integer(long v) {
      if (v == Long.MIN_VALUE) return raw(Tuple.from(v).pack());
      int n = v == 0 ? 0 : 8 - Long.numberOfLeadingZeros(Math.abs(v)) / 8;
      ensure(n + 1);
      buf[len++] = (byte) (v >= 0 ? INT_ZERO + n : INT_ZERO - n);
      // A negative number is stored as its n-byte one's complement, so that order is kept.
      long bits = v >= 0 ? v : v - 1;
      for (int shift = (n - 1) * 8; shift >= 0; shift -= 8) buf[len++] = (byte) (bits >>> shift);
      return this;
    }

    Writer floating(double d) {
      long bits = Double.doubleToRawLongBits(d);
      // Flip the sign bit of positives and every bit of negatives, so bytes sort as numbers do.
      bits = bits < 0 ? ~bits : bits ^ Long.MIN_VALUE;
      ensure(9);
      buf[len++] = DOUBLE;
      for (int shift = 56; shift >= 0; shift -= 8) buf[len++] = (byte) (bits >>> shift);
      return this;
    }

    byte[] toBytes() {
      return len == buf.length ? buf : Arrays.copyOf(buf, len);
    }

    private Writer raw(byte[] element) {
      ensure(element.length);
      System.arraycopy(element, 0, buf, len, element.length);
      len += element.length;
      return this;
    }

    private void ensure(int more) {
      if (len + more > buf.length)
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more + 16));
    }
  }

  /** Thrown when the input is not one of the short path's shapes; decode it with Tuple instead. */
  static final class NotSimple extends RuntimeException {
    private static final NotSimple INSTANCE = new NotSimple();

    private NotSimple() {
      super("not a simple tuple", null, false, false);
    }
  }

  /** Reads tuple elements in order from a packed tuple. */
  static final class Reader {
    private final byte[] bytes;
    private int pos;

    Reader(byte[] bytes) {
      this.bytes = bytes;
    }

    boolean atEnd() {
      return pos == bytes.length;
    }

    String string() {
      expect(STRING);
      int start = pos;
      while (true) {
        byte b = next();
        if (b == 0) break;
        if (b < 0) throw NotSimple.INSTANCE; // non-ASCII: let Tuple check the UTF-8
      }
      // A NUL inside the string would be 00 FF; the short path does not unescape.
      if (pos < bytes.length && bytes[pos] == (byte) 0xff) throw NotSimple.INSTANCE;
      return new String(bytes, start, pos - 1 - start, StandardCharsets.ISO_8859_1);
    }

    long integer() {
      int code = next();
      int n = code - INT_ZERO;
      if (n < -8 || n > 8) throw NotSimple.INSTANCE;
      int size = Math.abs(n);
      if (pos + size > bytes.length) throw NotSimple.INSTANCE;
      long bits = 0;
      for (int i = 0; i < size; i++) bits = bits << 8 | (bytes[pos++] & 0xff);
      if (n >= 0) {
        if (bits < 0) throw NotSimple.INSTANCE; // above Long.MAX_VALUE: Tuple gives a BigInteger
        return bits;
      }
      long v = size == 8 ? bits + 1 : bits - ((1L << (8 * size)) - 1);
      if (v >= 0) throw NotSimple.INSTANCE; // below Long.MIN_VALUE
      return v;
    }

    double floating() {
      expect(DOUBLE);
      if (pos + 8 > bytes.length) throw NotSimple.INSTANCE;
      long bits = 0;
      for (int i = 0; i < 8; i++) bits = bits << 8 | (bytes[pos++] & 0xff);
      return Double.longBitsToDouble(bits < 0 ? bits ^ Long.MIN_VALUE : ~bits);
    }

    private void expect(byte code) {
      if (next() != code) throw NotSimple.INSTANCE;
    }

    private byte next() {
      if (pos >= bytes.length) throw NotSimple.INSTANCE;
      return bytes[pos++];
    }
  }
}
