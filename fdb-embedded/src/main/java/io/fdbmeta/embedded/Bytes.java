package io.fdbmeta.embedded;

import java.util.Arrays;
import java.util.Comparator;

/** Byte-string helpers with FoundationDB's ordering (unsigned lexicographic). */
final class Bytes {
  static final byte[] EMPTY = new byte[0];

  /** The first key of the system keyspace; user keys are below it. */
  static final byte[] SYSTEM_PREFIX = {(byte) 0xff};

  /** The end of everything readable with system-key access. */
  static final byte[] ALL_KEYS_END = {(byte) 0xff, (byte) 0xff};

  static final Comparator<byte[]> ORDER = Arrays::compareUnsigned;

  private Bytes() {}

  static int compare(byte[] a, byte[] b) {
    return Arrays.compareUnsigned(a, b);
  }

  static byte[] min(byte[] a, byte[] b) {
    return compare(a, b) <= 0 ? a : b;
  }

  static byte[] max(byte[] a, byte[] b) {
    return compare(a, b) >= 0 ? a : b;
  }

  /** The first key after {@code key}: key + \x00. */
  static byte[] keyAfter(byte[] key) {
    return Arrays.copyOf(key, key.length + 1);
  }

  /** True if {@code end} is {@code key} + \x00, so [key, end) holds exactly the key. */
  static boolean isKeyAfter(byte[] key, byte[] end) {
    return end.length == key.length + 1
        && end[key.length] == 0
        && Arrays.equals(key, 0, key.length, end, 0, key.length);
  }

  static String printable(byte[] bytes) {
    StringBuilder sb = new StringBuilder(bytes.length + 2);
    for (byte b : bytes) {
      int c = b & 0xff;
      if (c >= 32 && c < 127 && c != '\\') {
        sb.append((char) c);
      } else {
        sb.append(String.format("\\x%02x", c));
      }
    }
    return sb.toString();
  }
}
