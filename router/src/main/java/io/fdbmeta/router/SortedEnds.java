package io.fdbmeta.router;

import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/*
 * An immutable sorted array of range end keys, searched without touching the key arrays in the
 * common case (the same scheme as the layer's route snapshot). The ends share a prefix, computed
 * once; for each end the 8 bytes after that prefix are one long in a contiguous long[], so a binary
 * search compares longs in cache-friendly memory and dereferences a key only on a tie of those 8
 * bytes. Stripping the shared prefix keeps the longs discriminating when keys look alike
 * ("user:000001", "user:000002", ...). The last end may be null ("no end", after every key); it is
 * kept out of the arrays and sits at index ends.length.
 */
/** Sorted end keys with an allocation-free upper-bound search. */
final class SortedEnds {
  private static final byte[] NO_PREFIX = new byte[0];
  static final SortedEnds EMPTY = new SortedEnds(List.of());

  private final byte[][] ends;
  private final long[] next8;
  private final byte[] shared;
  private final boolean unbounded;

  /**
   * @param ends strictly increasing in unsigned byte order; only the last may be null
   * @throws IllegalArgumentException if they are not
   */
  SortedEnds(List<byte @Nullable []> ends) {
    int n = ends.size();
    this.unbounded = n > 0 && ends.get(n - 1) == null;
    int finite = unbounded ? n - 1 : n;
    this.ends = new byte[finite][];
    for (int i = 0; i < finite; i++) {
      byte[] e = ends.get(i);
      if (e == null) throw new IllegalArgumentException("only the last range may have no end");
      if (i > 0 && Arrays.compareUnsigned(this.ends[i - 1], e) >= 0) throw new IllegalArgumentException("end keys are not strictly increasing at index " + i);
      this.ends[i] = e;
    }
    this.shared = finite == 0 ? NO_PREFIX : Arrays.copyOf(this.ends[0], commonPrefix(this.ends[0], this.ends[finite - 1]));
    this.next8 = new long[finite];
    for (int i = 0; i < finite; i++) next8[i] = next8(this.ends[i], shared.length);
  }

  int size() {
    return ends.length + (unbounded ? 1 : 0);
  }

  /** The end at {@code i}; null for the unbounded one. */
  byte @Nullable [] end(int i) {
    return i == ends.length ? null : ends[i];
  }

  /** Index of the first end greater than {@code key}, or {@link #size()} if there is none. */
  int upperBound(byte[] key) {
    int n = ends.length;
    if (n == 0) return 0;
    int c = compareToShared(key);
    if (c < 0) return 0;
    if (c > 0) return n;
    long k = next8(key, shared.length);
    int lo = 0;
    int hi = n;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      long m = next8[mid];
      if (m > k || (m == k && Arrays.compareUnsigned(ends[mid], key) > 0)) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  private int compareToShared(byte[] key) {
    int len = Math.min(key.length, shared.length);
    int i = Arrays.mismatch(key, 0, len, shared, 0, len);
    if (i >= 0) return Integer.compare(key[i] & 0xff, shared[i] & 0xff);
    return key.length < shared.length ? -1 : 0;
  }

  private static long next8(byte[] key, int offset) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      int j = offset + i;
      v = (v << 8) | (j < key.length ? key[j] & 0xff : 0);
    }
    return v ^ Long.MIN_VALUE;
  }

  private static int commonPrefix(byte[] a, byte[] b) {
    int i = Arrays.mismatch(a, b);
    return i < 0 ? a.length : i;
  }

  /** Unsigned order of ends where null ("no end") is after every key. */
  static int compareEnds(byte @Nullable [] a, byte @Nullable [] b) {
    if (a == null) return b == null ? 0 : 1;
    if (b == null) return -1;
    return Arrays.compareUnsigned(a, b);
  }
}
