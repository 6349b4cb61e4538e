package io.fdbmeta.layer.route;

import static io.fdbmeta.layer.route.ChunkedEndIndex.CHUNK_TARGET;

import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.tuple.Versionstamp;
import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.MetaException;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.Versionstamps;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.jspecify.annotations.Nullable;

/*
 * One immutable version of a route table. Readers get every answer from a single snapshot, so they
 * never see half of a commit's events.
 *
 * Layout: ranges sorted by end key, cut into RouteChunks of at most CHUNK_MAX (the sizes and the
 * copy-on-write editor are ChunkedEndIndex's, shared with a router's route cache). Each chunk has an
 * EndKeyIndex over its ends; a top EndKeyIndex holds each chunk's last end. A lookup is two binary
 * searches over contiguous long[]s (the top one small enough to stay in cache) and no allocation.
 *
 * A loaded table is lazy, so that a cold load costs little more than the scan that reads it:
 *  - Chunks are indexed on first use: until then a chunk is an UnindexedChunk, a run of the rows the
 *    scan read, and its slot in `chunks` is null. The first reader to need it indexes it and stores
 *    the result in the slot, a benign race like RouteChunk's decode cache (RouteChunk is immutable,
 *    with final fields only; two racing readers store equal chunks, UnindexedChunk builds one).
 *  - Ranges stay encoded until first asked for (RouteChunk says why and how the decode is cached).
 *    The id index caches a decoded descriptor too; each of lookup() and byId() takes the other's
 *    if it has one (an id index built later takes the chunks' routes), so both return the same
 *    instance of a range, except that two threads decoding it at the same moment may each get
 *    their own, equal one.
 *  - The id index is built on first use (byId, or the first change applied), from the chunks: a
 *    million random ids cannot be indexed without scattering writes over tens of megabytes, which
 *    costs more than the whole scan (IdIndex). A loaded table has one version per id without it:
 *    RouteLoader resolves duplicates (withUniqueIds) whenever the catalog changed during the load,
 *    and when it did not, every page read the same catalog.
 *
 * Applying a commit copies only what it touches: the chunk array (one reference per ~256 ranges),
 * the chunks holding changed ranges, the top index and the id index's directory. At 1,000,000
 * ranges that is tens of kilobytes per commit instead of the whole table, which an immutable sorted
 * array would need, while lookups stay close to a binary search over a flat array. A
 * ConcurrentSkipListMap would need no copying at all, but its lookups chase ~20 pointers at that
 * size and it cannot apply several events atomically, which a split (remove parent, add children)
 * needs so that no reader sees a gap.
 */
/**
 * An immutable, consistent version of the route table: the ranges as of {@link #cursor()}. Obtain
 * one from {@link RouteTable#snapshot()} to make several reads that must agree with each other.
 * Reads are thread-safe, take no lock and, once a range has been decoded, allocate nothing.
 */
public final class RouteSnapshot {
  public static final RouteSnapshot EMPTY =
      new RouteSnapshot(new RouteChunk[0], null, IdIndex.EMPTY, 0, Versionstamps.ORIGIN);

  /** The chunks in end order; a null slot is indexed from {@code unindexed} on first use. */
  private final RouteChunk[] chunks;

  /**
   * A loaded table's runs of rows, in the same slots as {@code chunks}; null if every chunk was
   * built indexed.
   */
  private final UnindexedChunk @Nullable [] unindexed;

  private final EndKeyIndex top;
  private final LazyIds ids;
  private final int size;
  private final Versionstamp cursor;

  private RouteSnapshot(
      RouteChunk[] chunks,
      UnindexedChunk @Nullable [] unindexed,
      @Nullable IdIndex ids,
      int size,
      Versionstamp cursor) {
    this(chunks, unindexed, topIndex(chunks, unindexed), ids, size, cursor);
  }

  /**
   * @param ids null to build it from the chunks on first use
   */
  private RouteSnapshot(
      RouteChunk[] chunks,
      UnindexedChunk @Nullable [] unindexed,
      EndKeyIndex top,
      @Nullable IdIndex ids,
      int size,
      Versionstamp cursor) {
    this.chunks = chunks;
    this.unindexed = unindexed;
    this.top = top;
    this.ids = new LazyIds(ids);
    this.size = size;
    this.cursor = cursor;
    if (ids != null && ids.size() != size) {
      throw new IllegalArgumentException(
          "range ids are not unique: " + size + " ranges, " + ids.size() + " ids");
    }
  }

  private static EndKeyIndex topIndex(RouteChunk[] chunks, UnindexedChunk @Nullable [] unindexed) {
    byte[][] lastEnds = new byte[chunks.length][];
    int[] froms = new int[chunks.length];
    for (int c = 0; c < chunks.length; c++) {
      RouteChunk built = chunks[c];
      lastEnds[c] = built != null ? built.lastEndArray() : unindexed[c].lastEndArray();
      froms[c] = built != null ? built.lastEndFrom() : unindexed[c].lastEndFrom();
    }
    return new EndKeyIndex(lastEnds, froms);
  }

  /** Chunk {@code c}, indexed now if it was not yet. */
  private RouteChunk chunk(int c) {
    RouteChunk built = chunks[c];
    return built != null ? built : index(c);
  }

  /**
   * Indexes chunk {@code c} and stores it in its slot (benign race, see the top of this file).
   *
   * @throws MetaException CORRUPT_RECORD if one of its keys holds no end key
   */
  private RouteChunk index(int c) {
    RouteChunk built = unindexed[c].index();
    chunks[c] = built;
    return built;
  }

  /** Every chunk, each indexed now if it was not yet. */
  private RouteChunk[] indexedChunks() {
    for (int c = 0; c < chunks.length; c++) chunk(c);
    return chunks;
  }

  /**
   * A snapshot of exactly {@code ranges} at {@code cursor}.
   *
   * @throws IllegalArgumentException if two ranges share an end key or an id
   */
  static RouteSnapshot of(Collection<RangeDescriptor> ranges, Versionstamp cursor) {
    List<RangeDescriptor> sorted = new ArrayList<>(ranges);
    sorted.sort((a, b) -> EndKeyIndex.compare(a.rawEndKey(), 0, b.rawEndKey(), 0));
    Loader loader = new Loader();
    for (int i = 0; i < sorted.size(); i++) {
      RangeDescriptor d = sorted.get(i);
      if (i > 0 && EndKeyIndex.compare(sorted.get(i - 1).rawEndKey(), 0, d.rawEndKey(), 0) == 0) {
        throw new IllegalArgumentException(
            "ranges " + sorted.get(i - 1).rangeId() + " and " + d.rangeId() + " share an end key");
      }
      loader.add(d);
    }
    RouteChunk[] chunks = loader.chunks();
    IdIndex ids =
        IdIndex.of(
            chunks,
            (id, earlier, later) -> {
              throw new IllegalArgumentException("range id " + id + " appears twice");
            });
    return new RouteSnapshot(chunks, null, ids, sorted.size(), cursor);
  }

  /**
   * The range holding {@code key}: the one with the smallest end key greater than {@code key} (a
   * range without end is greater than every key), or null if the table has none.
   *
   * @throws MetaException CORRUPT_RECORD if that range's stored descriptor does not decode, or a
   *     key of its chunk in the range index holds no end key
   */
  public @Nullable RangeDescriptor lookup(byte[] key) {
    int c = top.upperBound(key);
    if (c == chunks.length) return null;
    RouteChunk chunk = chunk(c);
    int i = chunk.upperBound(key);
    Object r = chunk.route(i);
    return r instanceof RangeDescriptor ? (RangeDescriptor) r : decode(chunk, i, r);
  }

  /**
   * The descriptor at {@code i} of {@code chunk}, still {@code encoded} there: the id index's if it
   * has one decoded, else decoded now.
   */
  private RangeDescriptor decode(RouteChunk chunk, int i, Object encoded) {
    IdIndex index = ids.ifBuilt();
    Object known = index == null ? null : index.get(RouteChunk.idOf(encoded));
    if (known instanceof RangeDescriptor) return chunk.cache(i, (RangeDescriptor) known);
    RangeDescriptor d = chunk.descriptor(i);
    if (index != null) index.cache(d.rangeId(), encoded, d);
    return d;
  }

  /**
   * The range with this id, or null. The first call on a freshly loaded table indexes every chunk
   * not yet indexed and builds the id index (more than the load itself costs); later calls are hash
   * lookups.
   *
   * @throws MetaException CORRUPT_RECORD if its stored descriptor does not decode
   */
  public @Nullable RangeDescriptor byId(long rangeId) {
    IdIndex index = ids();
    Object r = index.get(rangeId);
    if (r == null || r instanceof RangeDescriptor) return (RangeDescriptor) r;
    RangeDescriptor d = RouteChunk.decode(r, rangeId, null);
    index.cache(rangeId, r, d);
    return d;
  }

  public int size() {
    return size;
  }

  /** The changelog position this snapshot reflects: every change at or before it is applied. */
  public Versionstamp cursor() {
    return cursor;
  }

  /**
   * All ranges in key order; O(n) and decodes every range, for tools and tests rather than the
   * request path.
   *
   * @throws MetaException CORRUPT_RECORD if a stored descriptor does not decode
   */
  public List<RangeDescriptor> ranges() {
    List<RangeDescriptor> out = new ArrayList<>(size);
    for (RouteChunk c : indexedChunks()) {
      for (int i = 0; i < c.size(); i++) {
        Object r = c.route(i);
        out.add(r instanceof RangeDescriptor ? (RangeDescriptor) r : decode(c, i, r));
      }
    }
    return out;
  }

  /**
   * This snapshot with one commit's events applied, at {@code position}. An UPSERT replaces the
   * range with the same id unless that one is strictly newer (higher generation, or the same
   * generation and a higher lease epoch), and displaces any other range at the same end key; a
   * REMOVE deletes the range with that id if present.
   */
  public RouteSnapshot apply(List<ChangeEvent> events, Versionstamp position) {
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
    return a.generation() > b.generation()
        || (a.generation() == b.generation() && a.leaseEpoch() > b.leaseEpoch());
  }

  private IdIndex ids() {
    return ids.get(this);
  }

  /**
   * The id index of a snapshot: given, or built from the chunks on first use. The build runs under
   * this holder's lock, so concurrent first callers wait for one build instead of each doing it.
   */
  private static final class LazyIds {
    private volatile @Nullable IdIndex index;

    LazyIds(@Nullable IdIndex index) {
      this.index = index;
    }

    @Nullable IdIndex ifBuilt() {
      return index;
    }

    IdIndex get(RouteSnapshot s) {
      IdIndex i = index;
      return i != null ? i : build(s);
    }

    private synchronized IdIndex build(RouteSnapshot s) {
      IdIndex i = index;
      if (i == null) {
        i =
            IdIndex.of(
                s.indexedChunks(),
                (id, earlier, later) -> {
                  // A load resolves duplicates whenever the catalog changed while it read
                  // (withUniqueIds).
                  throw MetaException.forRange(
                      MetaException.Code.CORRUPT_RECORD,
                      id,
                      "range id appears twice in the range index");
                });
        index = i;
      }
      return i;
    }
  }

  /**
   * This snapshot with one version per range id: of two versions of one id (pages of a load read at
   * different versions) the first unless the second is strictly newer, compared decoded. The id
   * index is built here, eagerly.
   *
   * @throws MetaException CORRUPT_RECORD if two versions of one id must be compared and one does
   *     not decode
   */
  RouteSnapshot withUniqueIds() {
    IdIndex index =
        IdIndex.of(
            indexedChunks(),
            (id, earlier, later) -> {
              if (earlier instanceof RangeDescriptor && later instanceof RangeDescriptor) {
                throw new IllegalArgumentException("range id " + id + " appears twice");
              }
              return newer(RouteChunk.decode(later, id, null), RouteChunk.decode(earlier, id, null))
                  ? later
                  : earlier;
            });
    if (index.size() == size) return new RouteSnapshot(chunks, null, top, index, size, cursor);
    Loader kept = new Loader();
    for (RouteChunk c : chunks) {
      for (int i = 0; i < c.size(); i++) {
        if (index.get(c.id(i)) == c.route(i)) kept.add(c, i);
      }
    }
    return new RouteSnapshot(kept.chunks(), null, index, index.size(), cursor);
  }

  /**
   * One page of range-index rows (in key order) as runs of CHUNK_TARGET to 2 * CHUNK_TARGET - 1
   * rows, fewer only if the page has fewer, each indexed on first use; values stay encoded. Only
   * each run's last key is read here.
   *
   * @param row reads the ends; used by this call only
   * @throws MetaException CORRUPT_RECORD if a run's last key holds no end key
   */
  static UnindexedChunk[] chunksOf(List<KeyValue> rows, RangeRow row) {
    int n = rows.size();
    if (n == 0) return new UnindexedChunk[0];
    int pieces = Math.max(1, n / CHUNK_TARGET);
    UnindexedChunk[] out = new UnindexedChunk[pieces];
    for (int p = 0; p < pieces; p++) {
      int from = (int) ((long) p * n / pieces);
      int to = (int) ((long) (p + 1) * n / pieces);
      row.readEnd(rows.get(to - 1).getKey());
      out[p] = new UnindexedChunk(rows, from, to, row);
    }
    return out;
  }

  /**
   * A snapshot of a load's runs of rows (their ends strictly increasing across them) at {@code
   * cursor}; its chunks are indexed and its id index built on first use, which assumes one row per
   * id (see the top of this file).
   *
   * @throws MetaException CORRUPT_RECORD if a run other than the last ends with a range without end
   */
  static RouteSnapshot loaded(List<UnindexedChunk> runs, Versionstamp cursor) {
    int n = runs.size();
    int size = 0;
    for (int c = 0; c < n; c++) {
      UnindexedChunk run = runs.get(c);
      if (run.lastEndArray() == null && c < n - 1) {
        throw MetaException.of(
            MetaException.Code.CORRUPT_RECORD,
            "a range without end key is not the last in the range index",
            false,
            null);
      }
      size += run.size();
    }
    return new RouteSnapshot(
        new RouteChunk[n], runs.toArray(new UnindexedChunk[0]), null, size, cursor);
  }

  /**
   * A snapshot built from ranges in strictly increasing end-key order: descriptors, or ranges of
   * other chunks. The order is the caller's to keep; it is not checked range by range. (A load's
   * rows become runs through {@link #chunksOf} instead.)
   */
  static final class Loader {
    private final RouteChunk.Builder current = new RouteChunk.Builder(CHUNK_TARGET);
    private final List<RouteChunk> chunks = new ArrayList<>();
    private int size;

    void add(RangeDescriptor d) {
      add(d, d.rawEndKey(), 0);
    }

    void add(RouteChunk c, int i) {
      add(c.route(i), c.array(i), c.from(i));
    }

    private void add(Object route, byte @Nullable [] endArray, int endFrom) {
      current.add(route, endArray, endFrom);
      size++;
      if (current.size() == CHUNK_TARGET) chunks.add(current.take());
    }

    RouteChunk[] chunks() {
      if (current.size() > 0) chunks.add(current.take());
      return chunks.toArray(new RouteChunk[0]);
    }
  }

  /**
   * Edits of one batch, placed and laid out by {@link ChunkedEndIndex.Editor}; the id index is
   * edited alongside.
   */
  private static final class Editor extends ChunkedEndIndex.Editor<RouteChunk, RouteChunk.Builder> {
    private final RouteSnapshot base;
    private final IdIndex.Editor ids;
    private int size;

    Editor(RouteSnapshot base) {
      super(base.chunks, base.top);
      this.base = base;
      this.ids = base.ids().edit();
      this.size = base.size;
    }

    void upsert(RangeDescriptor d) {
      Object old = ids.get(d.rangeId());
      if (old != null) {
        RangeDescriptor previous = RouteChunk.decode(old, d.rangeId(), null);
        if (newer(previous, d)) return;
        removeFromChunk(previous);
      }
      byte[] end = d.rawEndKey();
      RouteChunk.Builder chunk = runFor(end);
      int i = chunk.find(end, 0);
      if (i >= 0) {
        ids.remove(chunk.id(i));
        chunk.set(i, d, end, 0);
      } else {
        chunk.insert(-i - 1, d, end, 0);
        size++;
      }
      ids.put(d.rangeId(), d);
    }

    void remove(long rangeId) {
      Object old = ids.get(rangeId);
      if (old == null) return;
      removeFromChunk(RouteChunk.decode(old, rangeId, null));
      ids.remove(rangeId);
    }

    private void removeFromChunk(RangeDescriptor old) {
      RouteChunk.Builder chunk = runFor(old.rawEndKey());
      int i = chunk.find(old.rawEndKey(), 0);
      if (i < 0 || chunk.id(i) != old.rangeId()) {
        throw new IllegalStateException(
            "route table index out of step: range " + old.rangeId() + " not at its end key");
      }
      chunk.remove(i);
      size--;
    }

    @Override
    protected RouteChunk.Builder copy(int c) {
      return RouteChunk.Builder.copyOf(base.chunk(c));
    }

    @Override
    protected RouteChunk.Builder emptyRun() {
      return new RouteChunk.Builder(CHUNK_TARGET);
    }

    RouteSnapshot build(Versionstamp position) {
      IdIndex newIds = ids.build();
      ChunkedEndIndex.Layout<RouteChunk> edited = layout();
      if (edited == null)
        return new RouteSnapshot(base.chunks, base.unindexed, base.top, newIds, size, position);
      RouteChunk[] chunks = edited.chunks();
      // In place the slots stay: an unindexed one is still null, a rebuilt one no longer.
      if (edited.inPlace())
        return new RouteSnapshot(chunks, base.unindexed, base.top, newIds, size, position);
      UnindexedChunk[] unindexed = null;
      if (base.unindexed != null) {
        unindexed = new UnindexedChunk[chunks.length];
        for (int j = 0; j < chunks.length; j++) {
          int k = edited.keptFrom(j);
          if (k >= 0) unindexed[j] = base.unindexed[k]; // still unindexed if it was
        }
      }
      return new RouteSnapshot(chunks, unindexed, newIds, size, position);
    }
  }
}
