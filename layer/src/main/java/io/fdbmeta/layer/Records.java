package io.fdbmeta.layer;

import com.apple.foundationdb.tuple.Tuple;

/** Shared checks for decoding tuple-encoded records: format version first, then fields. */
final class Records {
  private Records() {}

  /**
   * Unpacks a stored value and checks its format version.
   *
   * @throws MetaException CORRUPT_RECORD if the bytes are not a tuple or the version is unknown
   */
  static Tuple unpack(byte[] value, String what, int maxFormat) {
    Tuple t;
    try {
      t = Tuple.fromBytes(value);
    } catch (RuntimeException e) {
      throw MetaException.of(
          MetaException.Code.CORRUPT_RECORD, "cannot decode " + what + ": " + e.getMessage());
    }
    if (t.size() == 0 || !(t.get(0) instanceof Long)) {
      throw MetaException.of(MetaException.Code.CORRUPT_RECORD, what + " has no format version");
    }
    long format = t.getLong(0);
    if (format < 1 || format > maxFormat) {
      throw MetaException.of(
          MetaException.Code.CORRUPT_RECORD,
          what + " has format " + format + ", this build reads up to " + maxFormat);
    }
    return t;
  }

  /** A field of a decoded record, or a CORRUPT_RECORD error naming it. */
  static <T> T field(Tuple t, int index, Class<T> type, String what) {
    Object o = index < t.size() ? t.get(index) : null;
    if (!type.isInstance(o)) {
      throw MetaException.of(
          MetaException.Code.CORRUPT_RECORD,
          what + " field " + index + " is not a " + type.getSimpleName());
    }
    return type.cast(o);
  }
}
