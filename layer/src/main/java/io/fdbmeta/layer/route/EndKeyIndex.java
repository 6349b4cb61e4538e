package io.fdbmeta.layer.route;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
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
 *
 * A search reads nothing but the words (the ends only on a tie): their first long holds the shape
 * of the tree (finite ends, prefix length, levels), the prefix follows, then the top level. A
 * container of many indexes, such as a router's route cache, keeps each index's words beside it and
 * searches them with the static methods, so that a cold lookup does not first wait for the index
 * object: one dependent cache miss fewer. valueAbove also loads the cache line of the container's
 * values for the leaf block alongside that block, rather than after the block is searched.
 */
/**
 * An immutable sorted array of range end keys with an allocation-free upper-bound search, for
 * tables of ranges keyed by end (the route table, a router's route cache). Build one with {@link
 * #of}.
 */
public class EndKeyIndex {
  private static final VarHandle BIG_ENDIAN_LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  static final byte[] NO_PREFIX = new byte[0];

  private static final int FANOUT_BITS = 4;
  private static final int FANOUT = 1 << FANOUT_BITS;

  /** The longest shared prefix the shape word can hold (end keys are far shorter). */
  private static final int MAX_SHARED = (1 << 24) - 1;

  private final byte[] @Nullable [] arrays;
  private final int[] froms;

  /**
   * The shape word ({@link #shape}), the shared prefix packed 8 bytes to a long (big-endian, zero
   * padded), then the levels of the tree, top first; the last level holds one long per finite end.
   * One array, so that a search that finds it cold pays one miss for its shape, the prefix and the
   * top of the tree together.
   */
  private final long[] words;

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
   * ends, shared length) entries, the last ones {@link #next8} of each finite end past {@code
   * shared}, the shared prefix of the first and last finite ends. Both null: computed here.
   */
  EndKeyIndex(
      byte[] @Nullable [] arrays, int[] froms, byte @Nullable [] shared, long @Nullable [] longs) {
    int n = arrays.length;
    this.arrays = arrays;
    this.froms = froms;
    int finite = n > 0 && arrays[n - 1] == null ? n - 1 : n;
    if (shared == null)
      shared =
          finite == 0
              ? NO_PREFIX
              : sharedPrefix(arrays[0], froms[0], arrays[finite - 1], froms[finite - 1]);
    int sharedLength = shared.length;
    if (sharedLength > MAX_SHARED)
      throw new IllegalArgumentException(
          "end keys share a prefix of " + sharedLength + " bytes, more than " + MAX_SHARED);
    int levels = levels(finite);
    int total = longsFor(finite, sharedLength);
    int ends = endsStart(finite, sharedLength);
    if (longs != null) {
      if (longs.length != total)
        throw new IllegalArgumentException(
            longs.length + " longs for " + finite + " ends, expected " + total);
      this.words = longs;
    } else {
      this.words = new long[total];
      for (int i = 0; i < finite; i++) {
        byte[] a = arrays[i];
        words[ends + i] = next8(a, froms[i], to(a, froms[i]), sharedLength);
      }
    }
    words[0] = shape(finite, sharedLength, levels);
    for (int i = 0; i < sharedLength; i++)
      words[1 + (i >>> 3)] |= (shared[i] & 0xffL) << (56 - ((i & 7) << 3));
    for (int l = levels - 1, at = treeStart(sharedLength);
        l >= 0;
        at += padded(levelLength(finite, l)), l--) {
      int length = levelLength(finite, l);
      if (l > 0) {
        for (int j = 0; j < length; j++) words[at + j] = words[ends + lastEnd(finite, l, j)];
      }
      Arrays.fill(
          words,
          at + length,
          at + padded(length),
          Long.MAX_VALUE); // after every key: never counted
    }
  }

  /**
   * An index of {@code ends}, whose arrays it keeps (not copies); for subclasses that keep a value
   * per end, as a chunk of a route table does.
   *
   * @param ends strictly increasing in unsigned byte order; only the last may be null (no end)
   * @throws IllegalArgumentException if they are not
   */
  protected EndKeyIndex(List<byte @Nullable []> ends) {
    this(checked(ends), new int[ends.size()]);
  }

  /** As {@link #EndKeyIndex(List)}. */
  public static EndKeyIndex of(List<byte @Nullable []> ends) {
    return new EndKeyIndex(ends);
  }

  private static byte[] @Nullable [] checked(List<byte @Nullable []> ends) {
    int n = ends.size();
    byte[][] arrays = new byte[n][];
    for (int i = 0; i < n; i++) {
      byte[] e = ends.get(i);
      if (e == null && i < n - 1)
        throw new IllegalArgumentException(
            "only the last end may be null (no end), not the one at index " + i);
      if (i > 0 && compare(arrays[i - 1], 0, e, 0) >= 0)
        throw new IllegalArgumentException("end keys are not strictly increasing at index " + i);
      arrays[i] = e;
    }
    return arrays;
  }

  /**
   * How many longs an index of {@code finite} finite ends sharing a prefix of {@code sharedLength}
   * bytes holds: the shape word, the packed prefix, then each level padded to whole blocks of 16,
   * the ends' last.
   */
  static int longsFor(int finite, int sharedLength) {
    int total = treeStart(sharedLength);
    for (int l = 0, levels = levels(finite); l < levels; l++)
      total += padded(levelLength(finite, l));
    return total;
  }

  /** Levels of the tree over {@code finite} ends: up to a top level of at most 16 entries. */
  private static int levels(int finite) {
    int levels = 1;
    for (int len = finite; len > FANOUT; len = (len + FANOUT - 1) >>> FANOUT_BITS) levels++;
    return levels;
  }

  /** Where the ends' longs start in such an index (see {@link #longsFor}). */
  static int endsStart(int finite, int sharedLength) {
    return longsFor(finite, sharedLength) - padded(finite);
  }

  /** The first word of an index: what a search needs before it reads the prefix and the tree. */
  private static long shape(int finite, int sharedLength, int levels) {
    return finite | (long) sharedLength << 32 | (long) levels << 56;
  }

  private static int finiteOf(long shape) {
    return (int) shape;
  }

  private static int sharedLengthOf(long shape) {
    return (int) (shape >>> 32) & MAX_SHARED;
  }

  private static int levelsOf(long shape) {
    return (int) (shape >>> 56);
  }

  /** Where the top level starts in the words: after the shape word and the shared prefix. */
  private static int treeStart(int sharedLength) {
    return 1 + ((sharedLength + 7) >>> 3);
  }

  /** {@code length} rounded up to whole blocks, so that a block scan always reads 16 longs. */
  private static int padded(int length) {
    return (length + FANOUT - 1) & -FANOUT;
  }

  /**
   * Entries at level {@code l}: one per block of 16 below, ceil(finite / 16^l) (ceilings of
   * ceilings are one ceiling).
   */
  private static int levelLength(int finite, int l) {
    return finite == 0 ? 0 : ((finite - 1) >>> (l * FANOUT_BITS)) + 1;
  }

  /** The last end under entry {@code j} of level {@code l}. */
  private static int lastEnd(int finite, int l, int j) {
    return Math.min((j + 1) << (l * FANOUT_BITS), finite) - 1;
  }

  /** Where an end starting at {@code from} in {@code a} stops (see the top of this file). */
  static int to(byte[] a, int from) {
    return from == 0 ? a.length : a.length - 1;
  }

  /** Number of ends, the unbounded one included. */
  public final int size() {
    return arrays.length;
  }

  /** The array holding end {@code i}, null for the unbounded one. */
  final byte @Nullable [] array(int i) {
    return arrays[i];
  }

  final int from(int i) {
    return froms[i];
  }

  /** End {@code i} as an array of its own (copied if embedded in a key), or null for no end. */
  public final byte @Nullable [] end(int i) {
    return copy(arrays[i], froms[i]);
  }

  /** Index of the first end greater than {@code key}, or {@link #size()} if there is none. */
  public final int upperBound(byte[] key) {
    int from = leafBlock(words, this, key);
    return from < 0 ? ~from : from + countInLeaf(words, this, from, key);
  }

  /**
   * This index's search words, for a container that keeps them beside the index to call {@link
   * #valueAbove} with (see the top of this file). Not a copy: never to be modified.
   */
  public final long[] searchWords() {
    return words;
  }

  /**
   * {@code values[ends.upperBound(key)]}, or null if that is {@code values.length}, without loading
   * {@code ends} but on a tie of longs; the line of {@code values} under the key's leaf block is
   * loaded while that block is searched.
   *
   * @param words {@code ends.searchWords()}
   * @param values one per end of {@code ends}, in order, none null
   * @throws NullPointerException if the first value under the key's leaf block is null
   */
  public static <V> @Nullable V valueAbove(long[] words, EndKeyIndex ends, V[] values, byte[] key) {
    assert words == ends.words && values.length == ends.size();
    int from = leafBlock(words, ends, key);
    if (from < 0) return ~from < values.length ? values[~from] : null;
    // An independent load whose cache miss overlaps the leaf block's. The null check keeps it here:
    // a value used only when n == 0 would be loaded only then, after the block is searched.
    V first = values[from];
    if (first == null) throw new NullPointerException("values[" + from + "] is null");
    int n = countInLeaf(words, ends, from, key);
    if (n == 0) return first;
    return from + n < values.length
        ? values[from + n]
        : null; // past the last end: a lone leaf block
  }

  /**
   * Where in level 0 the block holding the key's upper bound starts, found through the levels above
   * it; or {@code ~upperBound} if the key is decided before level 0 (outside the shared prefix, or
   * after every end).
   */
  private static int leafBlock(long[] w, EndKeyIndex ends, byte[] key) {
    long shape = w[0];
    int finite = finiteOf(shape);
    if (finite == 0) return ~0;
    int sharedLength = sharedLengthOf(shape);
    int c = compareToShared(w, sharedLength, key);
    if (c < 0) return ~0;
    if (c > 0) return ~finite;
    long k = next8(key, 0, key.length, sharedLength);
    int j = 0; // the block to scan at the current level, then the entry found in it
    for (int l = levelsOf(shape) - 1, at = treeStart(sharedLength); l > 0; l--) {
      int length = levelLength(finite, l);
      int from = j << FANOUT_BITS;
      int to = Math.min(from + FANOUT, length);
      j = from + countNotAfter(w, ends, finite, l, at, from, to, k, key);
      // Below the top the block's last entry is the one above that was after the key, so only the
      // top block can be passed whole: every end is before the key.
      if (j == to) return ~finite;
      at += padded(length);
    }
    return j << FANOUT_BITS;
  }

  /** How many ends of the leaf block at {@code from} are not after {@code key}. */
  private static int countInLeaf(long[] w, EndKeyIndex ends, int from, byte[] key) {
    long shape = w[0];
    int finite = finiteOf(shape);
    long k = next8(key, 0, key.length, sharedLengthOf(shape));
    return countNotAfter(
        w,
        ends,
        finite,
        0,
        w.length - padded(finite),
        from,
        Math.min(from + FANOUT, finite),
        k,
        key);
  }

  /**
   * How many entries at [from, to) of level {@code l}, which starts at {@code at} in the words,
   * stand for ends not after {@code key}: all loads independent, no branch but on a tie of the
   * longs, where the ends themselves decide. Levels are padded to whole blocks with longs after
   * every key, so the scan always reads 16 (a fixed trip count: ~10% faster than up to `to`).
   */
  private static int countNotAfter(
      long[] w, EndKeyIndex ends, int finite, int l, int at, int from, int to, long k, byte[] key) {
    int n = 0;
    for (int j = at + from, end = j + FANOUT; j < end; j++)
      n += w[j] < k ? 1 : 0; // a whole block: padding counts 0
    // Longs equal to k follow those below it; of their ends, those not after the key count too.
    for (int j = from + n;
        j < to && w[at + j] == k && ends.compareWithKey(lastEnd(finite, l, j), key) <= 0;
        j++) n++;
    return n;
  }

  private int compareWithKey(int i, byte[] key) {
    byte[] a = arrays[i];
    int from = froms[i];
    return Arrays.compareUnsigned(a, from, to(a, from), key, 0, key.length);
  }

  /** Unsigned byte order of two whole ends, where null (no end) is after every key. */
  public static int compareEnds(byte @Nullable [] a, byte @Nullable [] b) {
    return compare(a, 0, b, 0);
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
  private static int compareToShared(long[] w, int sharedLength, byte[] key) {
    int n = Math.min(key.length, sharedLength);
    int i = 0;
    for (;
        i + 8 <= n;
        i += 8) { // prefixes are short: eight bytes at a time beats a call to Arrays.mismatch
      long a = (long) BIG_ENDIAN_LONG.get(key, i);
      long b = w[1 + (i >>> 3)];
      if (a != b) return Long.compareUnsigned(a, b);
    }
    if (i < n) { // the last 1 to 7 bytes of the prefix: one masked compare if the key has 8 bytes
      // from i
      long mask = -1L << ((8 - (n - i)) << 3);
      long b = w[1 + (i >>> 3)] & mask;
      if (i + 8 <= key.length) {
        long a = (long) BIG_ENDIAN_LONG.get(key, i) & mask;
        if (a != b) return Long.compareUnsigned(a, b);
      } else {
        for (; i < n; i++) {
          int d = (key[i] & 0xff) - (int) ((w[1 + (i >>> 3)] >>> (56 - ((i & 7) << 3))) & 0xff);
          if (d != 0) return d;
        }
      }
    }
    return key.length < sharedLength ? -1 : 0;
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
