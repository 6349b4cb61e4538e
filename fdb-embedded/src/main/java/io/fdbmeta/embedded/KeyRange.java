package io.fdbmeta.embedded;

import org.jspecify.annotations.Nullable;

/**
 * A half-open key range [begin, end), as conflict ranges are. A range of one key (most reads and
 * writes) does not store its end, key + \x00: every get, set and clear records one, and the copy
 * was a noticeable share of what a small transaction allocates. Its end is made only if asked for.
 */
final class KeyRange {
  private final byte[] begin;
  private final byte @Nullable [] end; // null: exactly the key `begin`

  KeyRange(byte[] begin, byte[] end) {
    this.begin = begin;
    this.end = end;
  }

  private KeyRange(byte[] key) {
    this.begin = key;
    this.end = null;
  }

  static KeyRange single(byte[] key) {
    return new KeyRange(key);
  }

  byte[] begin() {
    return begin;
  }

  byte[] end() {
    return end != null ? end : Bytes.keyAfter(begin);
  }

  /** True if this range holds exactly one key (end is begin + \x00). */
  boolean isSingleKey() {
    return end == null || Bytes.isKeyAfter(begin, end);
  }

  boolean intersects(byte[] otherBegin, byte[] otherEnd) {
    if (end == null)
      return Bytes.compare(otherBegin, begin) <= 0 && Bytes.compare(begin, otherEnd) < 0;
    return Bytes.compare(begin, otherEnd) < 0 && Bytes.compare(otherBegin, end) < 0;
  }

  boolean isEmpty() {
    return end != null && Bytes.compare(begin, end) >= 0;
  }

  int byteSize() {
    return end == null ? 2 * begin.length + 1 : begin.length + end.length;
  }
}
