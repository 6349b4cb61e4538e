package io.fdbmeta.layer.route;

import com.apple.foundationdb.tuple.Tuple;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.MetaException;
import io.fdbmeta.layer.RangeDescriptor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/*
 * Reads the two things the route table indexes from a row of the range index, its end key and its
 * range id, without decoding the descriptor: Tuple.fromBytes of a whole RangeDescriptor costs
 * ~430 ns, a cold load of 1,000,000 rows may spend ~15 ns per row beyond the scan itself.
 *
 * The end comes from the row's key, which is authoritative (it is what the index is ordered by):
 * range prefix, then tuple(endKey) = 0x01, the key with each 0x00 escaped as 0x00 0xff, 0x00; or
 * tuple(true) = 0x27 for "no end". Without a 0x00 in the key (the common case) the end is a span of
 * the key array itself, so nothing is copied; with one, the unescaped end is copied out.
 *
 * The id comes from the value's second element (RangeDescriptor.encode): 0x15 0x01 (format 1),
 * then a non-negative integer: code 0x14 + n, n big-endian bytes.
 *
 * Anything else falls back to Tuple decoding of the key or the value, so an unusual but valid row
 * reads the same, and an invalid one fails here with CORRUPT_RECORD. Everything after the id is
 * left to RangeDescriptor.decode when the descriptor is first asked for, so a value corrupted there
 * fails then, naming the range.
 */
/**
 * Reads range-index rows' end keys (one instance per thread, reused row after row) and descriptors'
 * ids.
 */
final class RangeRow {
  private static final byte BYTES_CODE = 0x01;
  private static final byte TRUE_CODE = 0x27;
  private static final int INT_ZERO_CODE = 0x14;
  private static final VarHandle LITTLE_ENDIAN_LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final int prefixLength;

  /** The array holding the end key, or null if the range has no end. */
  byte @Nullable [] endArray;

  /**
   * Where the end starts in {@link #endArray}: 0 for the whole array, else inside the key
   * (EndKeyIndex).
   */
  int endFrom;

  /**
   * @param prefixLength the length of the range subspace's prefix, before the tuple in each key
   */
  RangeRow(int prefixLength) {
    this.prefixLength = prefixLength;
  }

  int prefixLength() {
    return prefixLength;
  }

  /**
   * True if the end key of range-index key {@code key} is simply its bytes from {@code prefixLength
   * + 1} up to its last one (the common case, see the top of this file): a byte string element with
   * no 0x00 to unescape.
   */
  static boolean isPlainEnd(byte[] key, int prefixLength) {
    int last = key.length - 1;
    return last > prefixLength
        && key[prefixLength] == BYTES_CODE
        && key[last] == 0
        && indexOfZero(key, prefixLength + 1, last) < 0;
  }

  /**
   * Reads the end key of a range-index key into {@link #endArray} and {@link #endFrom}.
   *
   * @throws MetaException CORRUPT_RECORD if the key holds no end key
   */
  void readEnd(byte[] key) {
    int p = prefixLength;
    int last = key.length - 1;
    if (last == p && key[p] == TRUE_CODE) {
      endArray = null;
      return;
    }
    if (last > p && key[p] == BYTES_CODE && key[last] == 0) {
      int zero = indexOfZero(key, p + 1, last);
      if (zero < 0) {
        endArray = key;
        endFrom = p + 1; // > 0: embedded, ending before the terminator at `last`
        return;
      }
      byte[] unescaped = unescape(key, p + 1, last, zero);
      if (unescaped != null) {
        endArray = unescaped;
        endFrom = 0;
        return;
      }
    }
    endArray = endBySlowPath(key, prefixLength);
    endFrom = 0;
  }

  /**
   * The first 0x00 in a[from, to), or -1; eight bytes at a time (SWAR, the classic has-zero-byte
   * test), the last eight overlapping the ones before instead of a loop over the tail.
   */
  private static int indexOfZero(byte[] a, int from, int to) {
    if (to - from < 8) {
      for (int i = from; i < to; i++) {
        if (a[i] == 0) return i;
      }
      return -1;
    }
    int i = from;
    for (; i + 8 < to; i += 8) {
      long zeros = zeroBytes((long) LITTLE_ENDIAN_LONG.get(a, i));
      if (zeros != 0) return i + (Long.numberOfTrailingZeros(zeros) >>> 3);
    }
    long zeros =
        zeroBytes((long) LITTLE_ENDIAN_LONG.get(a, to - 8)); // bytes before i are known non-zero
    return zeros == 0 ? -1 : to - 8 + (Long.numberOfTrailingZeros(zeros) >>> 3);
  }

  /**
   * The high bit of every byte of {@code v} that is 0x00. Exact up to the lowest zero byte (a
   * borrow can mark a 0x01 above one), which is the only one read.
   */
  private static long zeroBytes(long v) {
    return (v - 0x0101010101010101L) & ~v & 0x8080808080808080L;
  }

  /**
   * The bytes of [from, to) with each 0x00 0xff turned into 0x00, or null if a 0x00 is not followed
   * by 0xff.
   */
  private static byte @Nullable [] unescape(byte[] a, int from, int to, int firstZero) {
    byte[] out = new byte[to - from];
    int n = firstZero - from;
    System.arraycopy(a, from, out, 0, n);
    for (int i = firstZero; i < to; i++) {
      byte b = a[i];
      out[n++] = b;
      if (b == 0) {
        if (i + 1 >= to || a[i + 1] != (byte) 0xff) return null;
        i++;
      }
    }
    return Arrays.copyOf(out, n);
  }

  /** The end key of a range-index key by Tuple decoding: for keys the fast path did not expect. */
  static byte @Nullable [] endBySlowPath(byte[] key, int prefixLength) {
    Object element;
    try {
      Tuple t = Tuple.fromBytes(key, prefixLength, key.length - prefixLength);
      element = t.size() == 1 ? t.get(0) : null;
    } catch (RuntimeException e) {
      throw MetaException.forKey(
          MetaException.Code.CORRUPT_RECORD,
          key,
          null,
          "cannot decode range index key: " + e.getMessage());
    }
    if (element instanceof byte[]) return (byte[]) element;
    if (Keyspace.END_SENTINEL.equals(element)) return null;
    throw MetaException.forKey(
        MetaException.Code.CORRUPT_RECORD,
        key,
        null,
        "range index key holds " + element + ", not an end key");
  }

  /**
   * The range id of an encoded descriptor: read by hand from the fixed layout, by Tuple otherwise.
   *
   * @throws MetaException CORRUPT_RECORD if the value has no readable id
   */
  static long rangeId(byte[] value) {
    if (value.length >= 3 && value[0] == INT_ZERO_CODE + 1 && value[1] == RangeDescriptor.FORMAT) {
      int n = (value[2] & 0xff) - INT_ZERO_CODE;
      if (n >= 0 && n <= 8 && value.length >= 3 + n) {
        long id = 0;
        for (int i = 3; i < 3 + n; i++) id = (id << 8) | (value[i] & 0xff);
        if (id >= 0) return id; // 8 bytes with the top bit set do not fit a long: Tuple's error
      }
    }
    return rangeIdBySlowPath(value);
  }

  static long rangeIdBySlowPath(byte[] value) {
    return RangeDescriptor.decodeId(value);
  }
}
