package io.fdbmeta.layer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/*
 * An immutable sorted array of range end keys searched without touching the key arrays in the
 * common case. The ends share a prefix (computed once); for each end the 8 bytes after that prefix
 * are kept as one long in a contiguous long[], so a binary search compares longs in cache-friendly
 * memory and only dereferences a key on a tie of those 8 bytes. Stripping the shared prefix keeps
 * the longs discriminating when keys look alike ("user:000001", "user:000002", ...).
 *
 * An end is given as (array, from), so that a cold load copies no key: from 0 means the whole
 * array (a descriptor's end, or an unescaped copy); from > 0 means the end is embedded in a
 * range-index key, from `from` up to the key's last byte, the tuple's 0x00 terminator (RangeRow).
 * A null array is "no end" (after every key); only the last end may be one, and it takes part in
 * no comparison.
 *
 * The longs are laid out as an implicit B+tree of fanout 16 for few dependent cache misses and no
 * mispredicted branches, since a router looks up random keys in tables far larger than its caches:
 * level 0 holds the long of every end; each level above holds the long of the last end of every
 * block of 16 below it, up to a level of at most 16. A search scans one block per level (two
 * cache lines, loaded at once: it counts the longs below the key instead of branching on each
 * compare, as a binary search would, whose next load waits for the last compare). A chunk of 256
 * ends is two levels, a top index over 4,000 chunks three.
 */
class EndKeyIndex {
  private static final VarHandle BIG_ENDIAN_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  static final byte[] NO_PREFIX = new byte[0];

  private static final int FANOUT_BITS = 4;
  private static final int FANOUT = 1 << FANOUT_BITS;

  private final byte[] @Nullable [] arrays;
  private final int[] froms;
  /** The levels of the tree, top first; the last level holds one long per finite end. */
  private final long[] next8;
  /** Where each level starts in {@link #next8}, and its length; index 0 is level 0 (the ends). */
  private final int[] levelStart;
  private final int[] levelLength;
  private final byte[] shared;
  private final int finite;

  /**
   * Indexes the ends {@code (arrays[i], froms[i])}. Takes ownership of both arrays. The ends must
   * be strictly increasing: every caller builds them in order (a range index scan returns rows in
   * key order, edits insert by binary search), so they are not checked again here.
   *
   * @param arrays only the last may be null (no end)
   */
  EndKeyIndex(byte[] @Nullable [] arrays, int[] froms) {
    this(arrays, froms, null, null);
  }

  /**
   * As {@link #EndKeyIndex(byte[][], int[])}, with the ends' longs computed by the caller (a load
   * computes them in the same pass that reads each key): {@code longs} has {@link #longsFor}(finite
   * ends) entries, the last ones {@link #next8} of each finite end past {@code shared}, the shared
   * prefix of the first and last finite ends. Both null: computed here.
   */
  EndKeyIndex(byte[] @Nullable [] arrays, int[] froms, byte @Nullable [] shared, long @Nullable [] longs) {
    int n = arrays.length;
    this.arrays = arrays;
    this.froms = froms;
    this.finite = n > 0 && arrays[n - 1] == null ? n - 1 : n;
    if (shared != null) {
      this.shared = shared;
    } else if (finite == 0) {
      this.shared = NO_PREFIX;
    } else {
      this.shared = sharedPrefix(arrays[0], froms[0], arrays[finite - 1], froms[finite - 1]);
    }
    int levels = 1;
    for (int len = finite; len > FANOUT; len = (len + FANOUT - 1) >>> FANOUT_BITS) levels++;
    this.levelStart = new int[levels];
    this.levelLength = new int[levels];
    int total = 0;
    for (int l = 0, len = finite; l < levels; l++, len = (len + FANOUT - 1) >>> FANOUT_BITS) {
      levelLength[l] = len;
      total += len;
    }
    for (int l = levels - 1, at = 0; l >= 0; at += levelLength[l], l--) levelStart[l] = at;
    int ends = levelStart[0];
    if (longs != null) {
      if (longs.length != total) throw new IllegalArgumentException(longs.length + " longs for " + finite + " ends, expected " + total);
      this.next8 = longs;
    } else {
      this.next8 = new long[total];
      for (int i = 0; i < finite; i++) {
        byte[] a = arrays[i];
        next8[ends + i] = next8(a, froms[i], to(a, froms[i]), this.shared.length);
      }
    }
    for (int l = 1; l < levels; l++) {
      for (int j = 0; j < levelLength[l]; j++) next8[levelStart[l] + j] = next8[ends + lastEnd(l, j)];
    }
  }

  /** How many longs an index of {@code finite} finite ends holds: its ends' and the levels' above. */
  static int longsFor(int finite) {
    int total = finite;
    for (int len = finite; len > FANOUT; ) {
      len = (len + FANOUT - 1) >>> FANOUT_BITS;
      total += len;
    }
    return total;
  }

  /** The last end under entry {@code j} of level {@code l}. */
  private int lastEnd(int l, int j) {
    return Math.min((j + 1) << (l * FANOUT_BITS), finite) - 1;
  }

  /** Where an end starting at {@code from} in {@code a} stops (see the top of this file). */
  static int to(byte[] a, int from) {
    return from == 0 ? a.length : a.length - 1;
  }

  /** Number of ends, the unbounded one included. */
  final int size() {
    return arrays.length;
  }

  /** The array holding end {@code i}, null for the unbounded one. */
  final byte @Nullable [] array(int i) {
    return arrays[i];
  }

  final int from(int i) {
    return froms[i];
  }

  /** Index of the first end greater than {@code key}, or {@link #size()} if there is none. */
  final int upperBound(byte[] key) {
    if (finite == 0) return 0;
    int c = compareToShared(key);
    if (c < 0) return 0;
    if (c > 0) return finite;
    long k = next8(key, 0, key.length, shared.length);
    int j = 0; // the block to scan at the current level, then the entry found in it
    for (int l = levelStart.length - 1; l >= 0; l--) {
      int from = j << FANOUT_BITS;
      int to = Math.min(from + FANOUT, levelLength[l]);
      j = from + countNotAfter(l, from, to, k, key);
      // Below the top the block's last entry is the one above that was after the key, so only the
      // top block can be passed whole: every end is before the key.
      if (j == to) return finite;
    }
    return j;
  }

  /**
   * How many entries at [from, to) of level {@code l} stand for ends not after {@code key}: all
   * loads independent, no branch but on a tie of the longs, where the ends themselves decide.
   */
  private int countNotAfter(int l, int from, int to, long k, byte[] key) {
    int base = levelStart[l];
    int n = 0;
    for (int j = base + from; j < base + to; j++) n += next8[j] < k ? 1 : 0;
    // Longs equal to k follow those below it; of their ends, those not after the key count too.
    for (int j = from + n; j < to && next8[base + j] == k && compareWithKey(lastEnd(l, j), key) <= 0; j++) n++;
    return n;
  }

  private int compareWithKey(int i, byte[] key) {
    byte[] a = arrays[i];
    int from = froms[i];
    return Arrays.compareUnsigned(a, from, to(a, from), key, 0, key.length);
  }

  /** Compares two ends; a null array is the unbounded end, after every key. */
  static int compare(byte @Nullable [] a, int aFrom, byte @Nullable [] b, int bFrom) {
    if (a == null) return b == null ? 0 : 1;
    if (b == null) return -1;
    return Arrays.compareUnsigned(a, aFrom, to(a, aFrom), b, bFrom, to(b, bFrom));
  }

  /** An end as an array of its own (copied if embedded in a key), or null for no end. */
  static byte @Nullable [] copy(byte @Nullable [] a, int from) {
    return a == null || from == 0 ? a : Arrays.copyOfRange(a, from, to(a, from));
  }

  /**
   * Compares {@code key} with the shared prefix: negative if the key sorts before every end with
   * that prefix, positive if after every one, 0 if the key starts with the prefix.
   */
  private int compareToShared(byte[] key) {
    byte[] p = shared;
    int n = Math.min(key.length, p.length);
    int i = 0;
    for (; i + 8 <= n; i += 8) { // prefixes are short: eight bytes at a time beats a call to Arrays.mismatch
      long a = (long) BIG_ENDIAN_LONG.get(key, i);
      long b = (long) BIG_ENDIAN_LONG.get(p, i);
      if (a != b) return Long.compareUnsigned(a, b);
    }
    for (; i < n; i++) {
      int d = (key[i] & 0xff) - (p[i] & 0xff);
      if (d != 0) return d;
    }
    return key.length < p.length ? -1 : 0;
  }

  /**
   * The 8 bytes of {@code a[from, to)} from {@code offset} on, zero padded, as a long whose signed
   * order is their unsigned order.
   */
  static long next8(byte[] a, int from, int to, int offset) {
    int p = from + offset;
    if (p + 8 <= to) return (long) BIG_ENDIAN_LONG.get(a, p) ^ Long.MIN_VALUE;
    if (p >= to) return Long.MIN_VALUE;
    if (to >= 8) { // the 8 bytes ending at `to`, shifted so that byte p leads and zeros follow
      return ((long) BIG_ENDIAN_LONG.get(a, to - 8) << ((p + 8 - to) << 3)) ^ Long.MIN_VALUE;
    }
    long v = 0;
    for (int i = 0; i < 8; i++, p++) v = (v << 8) | (p < to ? a[p] & 0xff : 0);
    return v ^ Long.MIN_VALUE;
  }

  static byte[] sharedPrefix(byte[] a, int aFrom, byte[] b, int bFrom) {
    int len = Math.min(to(a, aFrom) - aFrom, to(b, bFrom) - bFrom);
    int i = Arrays.mismatch(a, aFrom, aFrom + len, b, bFrom, bFrom + len);
    return Arrays.copyOfRange(a, aFrom, aFrom + (i < 0 ? len : i));
  }
}
