package io.fdbmeta.layer.route;

import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.tuple.ByteArrayUtil;
import io.fdbmeta.layer.MetaException;
import io.fdbmeta.layer.RangeDescriptor;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/*
 * A run of ranges in end-key order, as parallel arrays: the index over their ends, and each
 * range's route, which is either its RangeDescriptor or, until someone asks for it, the encoded
 * descriptor exactly as the load read it (the value byte[] of its range-index row). A cold load
 * then costs a scan plus reading each row's id and end (RangeRow), not a Tuple decode of every
 * descriptor; a router decodes only the ranges it routes to, each once. Nothing else is kept per
 * range (an id is read back from its route when an edit needs it): at a million ranges every byte
 * per range a load writes costs it about 0.1 ms.
 *
 * Decoding replaces the bytes in `routes` with the descriptor. That write races with readers of
 * the same chunk on purpose: a reader sees either the bytes (and decodes them itself) or the
 * descriptor, and RangeDescriptor is immutable with only final fields, so a descriptor reached
 * through a racy reference is fully built (JLS 17.5). At worst two threads decode the same range
 * once each, and receive equal descriptors. No lock, no volatile read on the lookup path.
 */
/**
 * An immutable run of ranges sorted by end key: the index over their ends (a subclass rather than a
 * field, to spare lookups one dependent load) and their routes; only the decode cache in {@code
 * routes} changes.
 */
final class RouteChunk extends EndKeyIndex {
  private final Object[] routes;

  private RouteChunk(Object[] routes, byte[] @Nullable [] ends, int[] froms) {
    super(ends, froms);
    this.routes = routes;
  }

  private RouteChunk(
      Object[] routes, byte[] @Nullable [] ends, int[] froms, byte[] shared, long[] longs) {
    super(ends, froms, shared, longs);
    this.routes = routes;
  }

  /**
   * A chunk of the range-index rows [from, to) of a page, in key order, values kept encoded. One
   * pass over the keys reads each end and computes its long for the index (EndKeyIndex): the shared
   * prefix those longs skip comes from the first and last rows, read first.
   *
   * @param row reads ends off the common fast path
   * @throws MetaException CORRUPT_RECORD if a key holds no end key, or "no end" is not last
   */
  static RouteChunk ofRows(List<KeyValue> rows, int from, int to, RangeRow row) {
    int m = to - from;
    int finite = m;
    row.readEnd(rows.get(to - 1).getKey());
    if (row.endArray == null) {
      finite--;
      if (m > 1) row.readEnd(rows.get(to - 2).getKey());
    }
    byte[] shared = EndKeyIndex.NO_PREFIX;
    if (finite > 0) {
      byte[] lastArray = row.endArray;
      int lastFrom = row.endFrom;
      row.readEnd(rows.get(from).getKey());
      shared = EndKeyIndex.sharedPrefix(row.endArray, row.endFrom, lastArray, lastFrom);
    }
    Object[] routes = new Object[m];
    byte[][] ends = new byte[m][];
    int[] froms = new int[m];
    long[] longs = new long[EndKeyIndex.longsFor(finite, shared.length)];
    int base = EndKeyIndex.endsStart(finite, shared.length);
    int p = row.prefixLength();
    int skip = shared.length;
    for (int i = 0; i < finite; i++) {
      KeyValue kv = rows.get(from + i);
      byte[] key = kv.getKey();
      routes[i] = kv.getValue();
      if (RangeRow.isPlainEnd(key, p)) { // the end is the key's own bytes: nothing to copy
        ends[i] = key;
        froms[i] = p + 1;
        longs[base + i] = EndKeyIndex.next8(key, p + 1, key.length - 1, skip);
      } else {
        row.readEnd(key);
        byte[] a = row.endArray;
        if (a == null)
          throw MetaException.forKey(
              MetaException.Code.CORRUPT_RECORD,
              key,
              null,
              "a range without end key is not the last in the range index");
        ends[i] = a;
        froms[i] = row.endFrom;
        longs[base + i] = EndKeyIndex.next8(a, row.endFrom, to(a, row.endFrom), skip);
      }
    }
    if (finite < m)
      routes[m - 1] = rows.get(to - 1).getValue(); // the range without end: its end stays null
    return new RouteChunk(routes, ends, froms, shared, longs);
  }

  /** The route at {@code i}: a RangeDescriptor, or its encoded bytes. */
  Object route(int i) {
    return routes[i];
  }

  long id(int i) {
    return idOf(routes[i]);
  }

  /**
   * The descriptor at {@code i}, decoded and cached on first use.
   *
   * @throws MetaException CORRUPT_RECORD if its stored bytes do not decode to a range with the end
   *     key it is indexed under
   */
  RangeDescriptor descriptor(int i) {
    Object r = routes[i];
    if (r instanceof RangeDescriptor) return (RangeDescriptor) r;
    RangeDescriptor d = decode(r, idOf(r), EndKeyIndex.copy(array(i), from(i)));
    routes[i] = d; // benign race, see the top of this file
    return d;
  }

  /**
   * Caches {@code d}, decoded elsewhere from the same bytes, as the descriptor at {@code i};
   * returns it.
   */
  RangeDescriptor cache(int i, RangeDescriptor d) {
    routes[i] = d; // benign race, see the top of this file
    return d;
  }

  /** The last end (see EndKeyIndex); a null array if the last range has no end. */
  byte @Nullable [] lastEndArray() {
    return array(routes.length - 1);
  }

  int lastEndFrom() {
    return from(routes.length - 1);
  }

  /** The range id of a route: read from its bytes without decoding them (RangeRow). */
  static long idOf(Object route) {
    return route instanceof RangeDescriptor
        ? ((RangeDescriptor) route).rangeId()
        : RangeRow.rangeId((byte[]) route);
  }

  /**
   * A route as a descriptor: itself, or decoded from its bytes and checked against the id and, if
   * {@code end} is given, the end key it is indexed under.
   *
   * @throws MetaException CORRUPT_RECORD naming the range id and end key
   */
  static RangeDescriptor decode(Object route, long rangeId, byte @Nullable [] end) {
    if (route instanceof RangeDescriptor) return (RangeDescriptor) route;
    RangeDescriptor d;
    try {
      d = RangeDescriptor.decode((byte[]) route);
    } catch (MetaException e) {
      throw corrupt(rangeId, end, e.getMessage(), e);
    }
    if (d.rangeId() != rangeId)
      throw corrupt(rangeId, end, "stored descriptor has range id " + d.rangeId(), null);
    if (end != null && !Arrays.equals(d.rawEndKey(), end)) {
      throw corrupt(
          rangeId,
          end,
          "stored descriptor ends at "
              + (d.rawEndKey() == null ? "∞" : ByteArrayUtil.printable(d.rawEndKey())),
          null);
    }
    return d;
  }

  private static MetaException corrupt(
      long rangeId, byte @Nullable [] end, String message, @Nullable Throwable cause) {
    String where = end == null ? "" : " at range index key " + ByteArrayUtil.printable(end);
    return MetaException.corrupt(
        rangeId,
        end,
        "cannot decode the descriptor of range " + rangeId + where + ": " + message,
        cause);
  }

  /**
   * Mutable parallel arrays that become a chunk: appended to in end order by a load, edited by
   * position by a batch of changes. Single-threaded.
   */
  static final class Builder implements ChunkedEndIndex.Run<RouteChunk, Builder> {
    private Object[] routes;
    private byte[] @Nullable [] ends;
    private int[] froms;
    private int size;

    Builder(int capacity) {
      allocate(Math.max(capacity, 4));
    }

    /** A builder holding a copy of {@code chunk}'s ranges, with room for a few more. */
    static Builder copyOf(RouteChunk chunk) {
      Builder b = new Builder(chunk.size() + 8);
      b.addAll(chunk, 0, chunk.size());
      return b;
    }

    private void allocate(int capacity) {
      routes = new Object[capacity];
      ends = new byte[capacity][];
      froms = new int[capacity];
    }

    @Override
    public int size() {
      return size;
    }

    long id(int i) {
      return idOf(routes[i]);
    }

    void add(Object route, byte @Nullable [] endArray, int endFrom) {
      if (size == routes.length) grow();
      set(size++, route, endArray, endFrom);
    }

    void addAll(RouteChunk c, int from, int to) {
      for (int i = from; i < to; i++) add(c.routes[i], c.array(i), c.from(i));
    }

    @Override
    public void append(Builder next) {
      for (int i = 0; i < next.size; i++) add(next.routes[i], next.ends[i], next.froms[i]);
    }

    void insert(int i, Object route, byte @Nullable [] endArray, int endFrom) {
      if (size == routes.length) grow();
      int tail = size - i;
      System.arraycopy(routes, i, routes, i + 1, tail);
      System.arraycopy(ends, i, ends, i + 1, tail);
      System.arraycopy(froms, i, froms, i + 1, tail);
      set(i, route, endArray, endFrom);
      size++;
    }

    void set(int i, Object route, byte @Nullable [] endArray, int endFrom) {
      routes[i] = route;
      ends[i] = endArray;
      froms[i] = endFrom;
    }

    void remove(int i) {
      int tail = size - i - 1;
      System.arraycopy(routes, i + 1, routes, i, tail);
      System.arraycopy(ends, i + 1, ends, i, tail);
      System.arraycopy(froms, i + 1, froms, i, tail);
      size--;
      routes[size] = null;
      ends[size] = null;
    }

    /** The position of the range ending at the given end, or {@code -(insertion point) - 1}. */
    int find(byte @Nullable [] endArray, int endFrom) {
      int lo = 0;
      int hi = size - 1;
      while (lo <= hi) {
        int mid = (lo + hi) >>> 1;
        int c = EndKeyIndex.compare(ends[mid], froms[mid], endArray, endFrom);
        if (c < 0) lo = mid + 1;
        else if (c > 0) hi = mid - 1;
        else return mid;
      }
      return -lo - 1;
    }

    @Override
    public byte @Nullable [] lastEndArray() {
      return ends[size - 1];
    }

    @Override
    public int lastEndFrom() {
      return froms[size - 1];
    }

    /** A chunk of the ranges at [from, to), which must be strictly increasing by end. */
    @Override
    public RouteChunk build(int from, int to) {
      return new RouteChunk(
          Arrays.copyOfRange(routes, from, to),
          Arrays.copyOfRange(ends, from, to),
          Arrays.copyOfRange(froms, from, to));
    }

    /**
     * A chunk of every range held, after which this builder is empty; full builders hand their
     * arrays over uncopied.
     */
    RouteChunk take() {
      RouteChunk c = size == routes.length ? new RouteChunk(routes, ends, froms) : build(0, size);
      allocate(routes.length);
      size = 0;
      return c;
    }

    private void grow() {
      int capacity = routes.length * 2;
      routes = Arrays.copyOf(routes, capacity);
      ends = Arrays.copyOf(ends, capacity);
      froms = Arrays.copyOf(froms, capacity);
    }
  }
}
