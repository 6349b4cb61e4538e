package io.fdbmeta.router;

import io.fdbmeta.layer.route.EndKeyIndex;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/*
 * One immutable version of the route cache's ordered index: cached ranges sorted by end key, cut
 * into chunks of at most CHUNK_MAX, each with an EndKeyIndex (the layer's, as in its route table)
 * over its ends, and a top one over each chunk's last end. A lookup is two searches over long[]s
 * and no allocation.
 *
 * A cold lookup is a chain of dependent cache misses, so the chain is kept short: beside the chunks,
 * two parallel arrays hold each chunk's search words and entries, and a lookup goes from the top
 * search straight to those (EndKeyIndex.valueAbove), never through the chunk object but on a tie;
 * the line of entries it will return is loaded alongside the leaf block it searches. At 1,000,000
 * ranges (the lookup phase of `fdbmeta bench router`) that is about 1.3x the lookups per second of
 * going through the chunk object, on both uniform and Zipf keys.
 *
 * The cache is partial: neighbouring entries need not be adjacent ranges. So the entry a lookup
 * finds (the smallest end above the key) holds the key only if its start is at or below it; the
 * caller checks.
 *
 * An edit copies what it touches: the chunk array (one reference per ~256 entries) and the touched
 * chunks; the top index too only when a chunk's last end or the chunk count changes.
 */
/** Immutable ordered index of cached ranges by end key. */
final class EndIndex {
  static final int CHUNK_MAX = 512;
  static final int CHUNK_TARGET = 256;
  static final int CHUNK_MIN = 64;
  static final EndIndex EMPTY = of(new Chunk[0], 0);

  /** The ends of a run of entries, and the entries. */
  private static final class Chunk extends EndKeyIndex {
    final CachedRange[] ranges;

    Chunk(List<CachedRange> ranges) {
      super(endsOf(ranges));
      this.ranges = ranges.toArray(new CachedRange[0]);
    }

    private static List<byte @Nullable []> endsOf(List<CachedRange> ranges) {
      List<byte @Nullable []> e = new ArrayList<>(ranges.size());
      for (CachedRange r : ranges) e.add(r.end);
      return e;
    }

    byte @Nullable [] lastEnd() {
      return ranges[ranges.length - 1].end;
    }
  }

  private final Chunk[] chunks;

  /**
   * Of each chunk, its search words and its entries: what a lookup reads (see the top of this
   * file).
   */
  private final long[][] chunkWords;

  private final CachedRange[][] chunkRanges;
  private final EndKeyIndex top;
  private final int size;

  private EndIndex(
      Chunk[] chunks, long[][] chunkWords, CachedRange[][] chunkRanges, EndKeyIndex top, int size) {
    this.chunks = chunks;
    this.chunkWords = chunkWords;
    this.chunkRanges = chunkRanges;
    this.top = top;
    this.size = size;
  }

  private static EndIndex of(Chunk[] chunks, int size) {
    List<byte @Nullable []> lastEnds = new ArrayList<>(chunks.length);
    long[][] words = new long[chunks.length][];
    CachedRange[][] ranges = new CachedRange[chunks.length][];
    for (int c = 0; c < chunks.length; c++) {
      lastEnds.add(chunks[c].lastEnd());
      words[c] = chunks[c].searchWords();
      ranges[c] = chunks[c].ranges;
    }
    return new EndIndex(chunks, words, ranges, EndKeyIndex.of(lastEnds), size);
  }

  /**
   * An index of exactly {@code ranges}.
   *
   * @throws IllegalArgumentException if two share an end key
   */
  static EndIndex of(List<CachedRange> ranges) {
    List<CachedRange> sorted = new ArrayList<>(ranges);
    sorted.sort((a, b) -> EndKeyIndex.compareEnds(a.end, b.end));
    List<Chunk> out = new ArrayList<>(sorted.size() / CHUNK_TARGET + 1);
    for (int i = 0; i < sorted.size(); i += CHUNK_TARGET)
      out.add(new Chunk(sorted.subList(i, Math.min(sorted.size(), i + CHUNK_TARGET))));
    return of(out.toArray(new Chunk[0]), sorted.size());
  }

  /**
   * The entry with the smallest end greater than {@code key} (it holds the key only if its start is
   * not above it), or null.
   */
  @Nullable CachedRange ceiling(byte[] key) {
    int c = top.upperBound(key);
    if (c == chunks.length) return null;
    return EndKeyIndex.valueAbove(chunkWords[c], chunks[c], chunkRanges[c], key);
  }

  int size() {
    return size;
  }

  /** Every entry in key order; O(n), for tests and tools. */
  List<CachedRange> all() {
    List<CachedRange> out = new ArrayList<>(size);
    for (Chunk c : chunks) Collections.addAll(out, c.ranges);
    return out;
  }

  Editor edit() {
    return new Editor(this);
  }

  /**
   * A batch of removals and additions against one base version. Chunk boundaries of the base stay
   * fixed for the batch; single-threaded.
   */
  static final class Editor {
    private final EndIndex base;
    private final Map<Integer, List<CachedRange>> touched = new TreeMap<>();
    private int size;

    Editor(EndIndex base) {
      this.base = base;
      this.size = base.size;
    }

    /** Removes exactly this entry (by identity); false if it is not in the index. */
    boolean remove(CachedRange r) {
      List<CachedRange> chunk = chunkFor(r.end);
      int i = find(chunk, r.end);
      if (i < 0 || chunk.get(i) != r) return false;
      chunk.remove(i);
      size--;
      return true;
    }

    /**
     * Adds an entry.
     *
     * @throws IllegalStateException if an entry with the same end is present (remove overlaps
     *     first)
     */
    void add(CachedRange r) {
      List<CachedRange> chunk = chunkFor(r.end);
      int i = find(chunk, r.end);
      if (i >= 0)
        throw new IllegalStateException(
            "route cache already holds " + chunk.get(i) + " at the end of " + r);
      chunk.add(-i - 1, r);
      size++;
    }

    private static int find(List<CachedRange> chunk, byte @Nullable [] end) {
      int lo = 0;
      int hi = chunk.size() - 1;
      while (lo <= hi) {
        int mid = (lo + hi) >>> 1;
        int c = EndKeyIndex.compareEnds(chunk.get(mid).end, end);
        if (c < 0) {
          lo = mid + 1;
        } else if (c > 0) {
          hi = mid - 1;
        } else {
          return mid;
        }
      }
      return -(lo + 1);
    }

    private List<CachedRange> chunkFor(byte @Nullable [] end) {
      int n = base.chunks.length;
      int c;
      if (n == 0) {
        c = 0;
      } else if (end == null) {
        c = n - 1;
      } else {
        c = base.top.upperBound(end);
        if (c > 0 && Arrays.equals(base.top.end(c - 1), end))
          c--; // whole ends: end() copies nothing
        if (c == n) c = n - 1;
      }
      return touched.computeIfAbsent(
          c,
          k -> k < n ? new ArrayList<>(Arrays.asList(base.chunks[k].ranges)) : new ArrayList<>());
    }

    EndIndex build() {
      if (touched.isEmpty()) return base;
      EndIndex inPlace = buildInPlace();
      if (inPlace != null) return inPlace;
      Chunk[] chunks = base.chunks;
      List<Chunk> out = new ArrayList<>(chunks.length + 2);
      List<CachedRange> carry = new ArrayList<>();
      int n = Math.max(chunks.length, 1);
      for (int c = 0; c < n; c++) {
        List<CachedRange> t = touched.get(c);
        if (t == null && carry.isEmpty()) {
          if (c < chunks.length) out.add(chunks[c]);
          continue;
        }
        carry.addAll(t != null ? t : Arrays.asList(chunks[c].ranges));
        // A small chunk joins its successor, so removals cannot leave a trail of tiny chunks.
        if (carry.size() < CHUNK_MIN && c < n - 1) continue;
        emit(out, carry);
        carry = new ArrayList<>();
      }
      if (!carry.isEmpty()) emit(out, carry);
      return of(out.toArray(new Chunk[0]), size);
    }

    /** Every touched chunk keeps a healthy size and its last end: only those chunks are rebuilt. */
    private @Nullable EndIndex buildInPlace() {
      Chunk[] out = base.chunks.clone();
      long[][] words = base.chunkWords.clone();
      CachedRange[][] ranges = base.chunkRanges.clone();
      for (Map.Entry<Integer, List<CachedRange>> e : touched.entrySet()) {
        int c = e.getKey();
        List<CachedRange> t = e.getValue();
        if (c >= out.length || t.size() < CHUNK_MIN || t.size() > CHUNK_MAX) return null;
        if (!Arrays.equals(t.get(t.size() - 1).end, base.chunks[c].lastEnd())) return null;
        out[c] = new Chunk(t);
        words[c] = out[c].searchWords();
        ranges[c] = out[c].ranges;
      }
      return new EndIndex(out, words, ranges, base.top, size);
    }

    private static void emit(List<Chunk> out, List<CachedRange> ranges) {
      if (ranges.isEmpty()) return;
      if (ranges.size() <= CHUNK_MAX) {
        out.add(new Chunk(ranges));
        return;
      }
      int pieces = (ranges.size() + CHUNK_TARGET - 1) / CHUNK_TARGET;
      for (int p = 0; p < pieces; p++)
        out.add(
            new Chunk(
                ranges.subList(p * ranges.size() / pieces, (p + 1) * ranges.size() / pieces)));
    }
  }
}
