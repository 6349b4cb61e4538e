package io.fdbmeta.embedded;

/** A half-open key range [begin, end), as conflict ranges are. */
record KeyRange(byte[] begin, byte[] end) {
  static KeyRange single(byte[] key) {
    return new KeyRange(key, Bytes.keyAfter(key));
  }

  /** True if this range holds exactly one key (end is begin + \x00). */
  boolean isSingleKey() {
    if (end.length != begin.length + 1 || end[begin.length] != 0) return false;
    for (int i = 0; i < begin.length; i++) {
      if (begin[i] != end[i]) return false;
    }
    return true;
  }

  boolean intersects(byte[] otherBegin, byte[] otherEnd) {
    return Bytes.compare(begin, otherEnd) < 0 && Bytes.compare(otherBegin, end) < 0;
  }

  boolean isEmpty() {
    return Bytes.compare(begin, end) >= 0;
  }

  int byteSize() {
    return begin.length + end.length;
  }
}
