package io.fdbmeta.layer;

import com.apple.foundationdb.tuple.Versionstamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/*
 * One immutable version of a route table. Readers get every answer from a single snapshot, so they
 * never see half of a commit's events.
 *
 * Layout: ranges sorted by end key, cut into chunks of at most CHUNK_MAX. Each chunk has an
 * EndKeyIndex over its ends; a top EndKeyIndex holds each chunk's last end. A lookup is two binary
 * searches over contiguous long[]s (the top one small enough to stay in cache) and no allocation.
 *
 * Applying a commit copies only what it touches: the chunk array (one reference per ~256 ranges),
 * the chunks holding changed ranges, the top index and the id index's bucket array. At 1,000,000
 * ranges that is tens of kilobytes per commit instead of the whole table, which an immutable sorted
 * array would need, while lookups stay close to a binary search over a flat array. A
 * ConcurrentSkipListMap would need no copying at all, but its lookups chase ~20 pointers at that
 * size and it cannot apply several events atomically, which a split (remove parent, add children)
 * needs so that no reader sees a gap.
 */
/**
 * An immutable, consistent version of the route table: the ranges as of {@link #cursor()}. Obtain
 * one from {@link RouteTable#snapshot()} to make several reads that must agree with each other.
 */
public final class RouteSnapshot {
  static final int CHUNK_MAX = 512;
  static final int CHUNK_TARGET = 256;
  static final int CHUNK_MIN = 64;

  /** The position before any changelog entry. */
  public static final Versionstamp ORIGIN = Versionstamp.complete(new byte[10], 0);

  static final RouteSnapshot EMPTY = new RouteSnapshot(new Chunk[0], IdIndex.EMPTY, 0, ORIGIN);

  private static final Comparator<byte @Nullable []> END_ORDER = (a, b) -> {
    if (a == null) return b == null ? 0 : 1;
    if (b == null) return -1;
    return Arrays.compareUnsigned(a, b);
  };

  /** A run of ranges in end-key order with the index over their ends. */
  private static final class Chunk {
    final EndKeyIndex index;
    final RangeDescriptor[] ranges;

    Chunk(List<RangeDescriptor> ranges) {
      this.ranges = ranges.toArray(new RangeDescriptor[0]);
      List<byte @Nullable []> ends = new ArrayList<>(ranges.size());
      for (RangeDescriptor d : ranges) ends.add(d.rawEndKey());
      this.index = new EndKeyIndex(ends);
    }

    byte @Nullable [] lastEnd() {
      return ranges[ranges.length - 1].rawEndKey();
    }
  }

  private final Chunk[] chunks;
  private final EndKeyIndex top;
  private final IdIndex ids;
  private final int size;
  private final Versionstamp cursor;

  private RouteSnapshot(Chunk[] chunks, IdIndex ids, int size, Versionstamp cursor) {
    this(chunks, topIndex(chunks), ids, size, cursor);
  }

  private RouteSnapshot(Chunk[] chunks, EndKeyIndex top, IdIndex ids, int size, Versionstamp cursor) {
    this.chunks = chunks;
    this.top = top;
    this.ids = ids;
    this.size = size;
    this.cursor = cursor;
    if (ids.size() != size) {
      throw new IllegalArgumentException("range ids are not unique: " + size + " ranges, " + ids.size() + " ids");
    }
  }

  private static EndKeyIndex topIndex(Chunk[] chunks) {
    List<byte @Nullable []> lastEnds = new ArrayList<>(chunks.length);
    for (Chunk c : chunks) lastEnds.add(c.lastEnd());
    return new EndKeyIndex(lastEnds);
  }

  /**
   * A snapshot of exactly {@code ranges} at {@code cursor}.
   *
   * @throws IllegalArgumentException if two ranges share an end key or an id
   */
  static RouteSnapshot of(Collection<RangeDescriptor> ranges, Versionstamp cursor) {
    List<RangeDescriptor> sorted = new ArrayList<>(ranges);
    sorted.sort((a, b) -> END_ORDER.compare(a.rawEndKey(), b.rawEndKey()));
    List<Chunk> chunks = new ArrayList<>(sorted.size() / CHUNK_TARGET + 1);
    for (int i = 0; i < sorted.size(); i += CHUNK_TARGET) {
      chunks.add(new Chunk(sorted.subList(i, Math.min(sorted.size(), i + CHUNK_TARGET))));
    }
    return new RouteSnapshot(chunks.toArray(new Chunk[0]), IdIndex.of(sorted), sorted.size(), cursor);
  }

  /**
   * The range holding {@code key}: the one with the smallest end key greater than {@code key}
   * (a range without end is greater than every key), or null if the table has none.
   */
  public @Nullable RangeDescriptor lookup(byte[] key) {
    int c = top.upperBound(key);
    if (c == chunks.length) return null;
    Chunk chunk = chunks[c];
    return chunk.ranges[chunk.index.upperBound(key)];
  }

  /** The range with this id, or null. */
  public @Nullable RangeDescriptor byId(long rangeId) {
    return ids.get(rangeId);
  }

  public int size() {
    return size;
  }

  /** The changelog position this snapshot reflects: every change at or before it is applied. */
  public Versionstamp cursor() {
    return cursor;
  }

  /** All ranges in key order; O(n), for tools and tests rather than the request path. */
  public List<RangeDescriptor> ranges() {
    List<RangeDescriptor> out = new ArrayList<>(size);
    for (Chunk c : chunks) Collections.addAll(out, c.ranges);
    return out;
  }

  /**
   * This snapshot with one commit's events applied, at {@code position}. An UPSERT replaces the
   * range with the same id unless that one is strictly newer (higher generation, or the same
   * generation and a higher lease epoch), and displaces any other range at the same end key; a
   * REMOVE deletes the range with that id if present.
   */
  RouteSnapshot apply(List<ChangeEvent> events, Versionstamp position) {
    Editor e = new Editor(this);
    for (ChangeEvent ev : events) {
      if (ev.kind() == ChangeEvent.Kind.UPSERT) {
        e.upsert(ev.descriptor());
      } else {
        e.remove(ev.removedRangeId());
      }
    }
    return e.build(position);
  }

  /** True if {@code a} is a strictly later version of the same range than {@code b}. */
  static boolean newer(RangeDescriptor a, RangeDescriptor b) {
    return a.generation() > b.generation() || (a.generation() == b.generation() && a.leaseEpoch() > b.leaseEpoch());
  }

  /**
   * Edits of one batch. Chunks are copied into mutable lists when first touched; every end key is
   * placed by the chunk boundaries of the base snapshot, which stay fixed for the batch.
   */
  private static final class Editor {
    private final RouteSnapshot base;
    private final IdIndex.Editor ids;
    private final Map<Integer, List<RangeDescriptor>> touched = new HashMap<>();
    private int size;

    Editor(RouteSnapshot base) {
      this.base = base;
      this.ids = base.ids.edit();
      this.size = base.size;
    }

    void upsert(RangeDescriptor d) {
      RangeDescriptor old = ids.get(d.rangeId());
      if (old != null) {
        if (newer(old, d)) return;
        removeFromChunk(old);
      }
      List<RangeDescriptor> chunk = chunkFor(d.rawEndKey());
      int i = Collections.binarySearch(chunk, d, (a, b) -> END_ORDER.compare(a.rawEndKey(), b.rawEndKey()));
      if (i >= 0) {
        RangeDescriptor displaced = chunk.set(i, d);
        ids.remove(displaced.rangeId());
      } else {
        chunk.add(-i - 1, d);
        size++;
      }
      ids.put(d);
    }

    void remove(long rangeId) {
      RangeDescriptor old = ids.get(rangeId);
      if (old == null) return;
      removeFromChunk(old);
      ids.remove(rangeId);
    }

    private void removeFromChunk(RangeDescriptor old) {
      List<RangeDescriptor> chunk = chunkFor(old.rawEndKey());
      int i = Collections.binarySearch(chunk, old, (a, b) -> END_ORDER.compare(a.rawEndKey(), b.rawEndKey()));
      if (i < 0 || chunk.get(i).rangeId() != old.rangeId()) {
        throw new IllegalStateException("route table index out of step: range " + old.rangeId() + " not at its end key");
      }
      chunk.remove(i);
      size--;
    }

    /** The mutable chunk that holds (or would hold) a range ending at {@code end}. */
    private List<RangeDescriptor> chunkFor(byte @Nullable [] end) {
      int n = base.chunks.length;
      int c;
      if (n == 0) {
        c = 0;
      } else if (end == null) {
        c = n - 1;
      } else {
        c = base.top.upperBound(end);
        if (c > 0 && Arrays.equals(base.top.end(c - 1), end)) c--; // the chunk whose last end is exactly this one
        if (c == n) c = n - 1;
      }
      return touched.computeIfAbsent(c, k -> k < base.chunks.length ? new ArrayList<>(Arrays.asList(base.chunks[k].ranges)) : new ArrayList<>());
    }

    RouteSnapshot build(Versionstamp position) {
      IdIndex newIds = ids.build();
      if (touched.isEmpty()) return new RouteSnapshot(base.chunks, base.top, newIds, size, position);
      RouteSnapshot inPlace = buildInPlace(newIds, position);
      if (inPlace != null) return inPlace;
      List<Chunk> out = new ArrayList<>(base.chunks.length + 2);
      List<RangeDescriptor> carry = new ArrayList<>();
      int n = Math.max(base.chunks.length, 1);
      for (int c = 0; c < n; c++) {
        List<RangeDescriptor> t = touched.get(c);
        if (t == null && carry.isEmpty()) {
          if (c < base.chunks.length) out.add(base.chunks[c]);
          continue;
        }
        carry.addAll(t != null ? t : Arrays.asList(base.chunks[c].ranges));
        // A small chunk joins its successor, so merges cannot leave a trail of tiny chunks.
        if (carry.size() < CHUNK_MIN && c < n - 1) continue;
        emit(out, carry);
        carry = new ArrayList<>();
      }
      if (!carry.isEmpty()) emit(out, carry);
      return new RouteSnapshot(out.toArray(new Chunk[0]), newIds, size, position);
    }

    /**
     * The common case: every touched chunk keeps a healthy size and its last end, so chunk
     * boundaries and the top index stay as they are and only the touched chunks are rebuilt.
     */
    private @Nullable RouteSnapshot buildInPlace(IdIndex newIds, Versionstamp position) {
      Chunk[] out = base.chunks.clone();
      for (Map.Entry<Integer, List<RangeDescriptor>> e : touched.entrySet()) {
        int c = e.getKey();
        List<RangeDescriptor> t = e.getValue();
        if (c >= out.length || t.size() < CHUNK_MIN || t.size() > CHUNK_MAX) return null;
        if (!Arrays.equals(t.get(t.size() - 1).rawEndKey(), base.chunks[c].lastEnd())) return null;
        out[c] = new Chunk(t);
      }
      return new RouteSnapshot(out, base.top, newIds, size, position);
    }

    private static void emit(List<Chunk> out, List<RangeDescriptor> ranges) {
      if (ranges.isEmpty()) return;
      if (ranges.size() <= CHUNK_MAX) {
        out.add(new Chunk(ranges));
        return;
      }
      int pieces = (ranges.size() + CHUNK_TARGET - 1) / CHUNK_TARGET;
      for (int p = 0; p < pieces; p++) {
        out.add(new Chunk(ranges.subList(p * ranges.size() / pieces, (p + 1) * ranges.size() / pieces)));
      }
    }
  }
}
