package io.fdbmeta.layer.route;

import io.fdbmeta.layer.RangeDescriptor;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/*
 * Range id -> route (a RangeDescriptor, or its encoded bytes until decoded; see RouteChunk),
 * immutable, edited copy-on-write.
 *
 * Layout: a directory of segments picked by the top bits of the id's hash; each segment is a small
 * open-addressing table (linear probing, filled to at most 80%) over the low bits. A get is a
 * hash, three loads and a probe or two. An edit copies the directory (one reference per ~64-128
 * ids) and the segments it touches, never the whole map, so a route table can publish a version
 * per commit cheaply. When the average segment passes PER_SEGMENT ids the directory doubles, each
 * segment splitting in two by the next hash bit.
 *
 * The index of a loaded table (a million ids, see RouteSnapshot) is not built by inserting them one
 * by one: on a table that size every insert misses the cache (~150 ns each on a small VM, as much
 * as HashMap.put). Bulk instead appends each id to one of 256 partitions by the top bits of its
 * hash (256 append points stay in cache), then builds the directory partition by partition, each
 * partition's segments in cache. A duplicate id (two versions of one range, read by pages at
 * different versions) shows up while building.
 *
 * Like RouteChunk, a published index changes in one way only: cache() replaces a route's bytes by
 * the descriptor decoded from them, a benign race for the same reasons.
 */
/** An immutable map from range id to route, edited copy-on-write through an {@link Editor}. */
final class IdIndex {
  private static final int PER_SEGMENT = 128;

  static final IdIndex EMPTY = new IdIndex(new Segment[1], 0);

  /**
   * An open-addressing table; mutable only by the editor whose token it carries, until published.
   */
  private static final class Segment {
    final Object owner;
    final long[] ids;
    final @Nullable Object[] routes;
    int size;

    /** A segment with room for {@code entries} ids at 80% load. */
    Segment(Object owner, int entries) {
      int slots = entries + entries / 4 + 2;
      this.owner = owner;
      this.ids = new long[slots];
      this.routes = new Object[slots];
    }

    /** The first slot to probe: the low 32 bits of the hash scaled to the table (no modulo). */
    int home(long hash) {
      return (int) (((hash & 0xffffffffL) * ids.length) >>> 32);
    }

    /** The slot holding {@code id}, or {@code -(free slot) - 1}. */
    int find(long id, long hash) {
      int j = home(hash);
      while (routes[j] != null) {
        if (ids[j] == id) return j;
        if (++j == ids.length) j = 0;
      }
      return -j - 1;
    }

    @Nullable Object get(long id, long hash) {
      int j = home(hash);
      for (Object r; (r = routes[j]) != null; ) {
        if (ids[j] == id) return r;
        if (++j == ids.length) j = 0;
      }
      return null;
    }

    boolean full() {
      return (size + 1) * 5 > ids.length * 4;
    }

    void add(long id, Object route) {
      insertAt(-find(id, mix(id)) - 1, id, route);
    }

    void insertAt(int j, long id, Object route) {
      ids[j] = id;
      routes[j] = route;
      size++;
    }

    /**
     * Deletes slot {@code j}, shifting later entries of its probe run back so no search stops
     * early.
     */
    void removeAt(int j) {
      int n = ids.length;
      int hole = j;
      for (int k = j + 1 == n ? 0 : j + 1; routes[k] != null; k = k + 1 == n ? 0 : k + 1) {
        int home = home(mix(ids[k]));
        // The entry at k may move to the hole if the hole lies cyclically in [home, k].
        if (Math.floorMod(k - home, n) >= Math.floorMod(k - hole, n)) {
          ids[hole] = ids[k];
          routes[hole] = routes[k];
          hole = k;
        }
      }
      routes[hole] = null;
      size--;
    }

    /** A copy owned by {@code owner}, with room for {@code entries} ids. */
    Segment copy(Object owner, int entries) {
      Segment s = new Segment(owner, entries);
      for (int j = 0; j < ids.length; j++) {
        if (routes[j] != null) s.add(ids[j], routes[j]);
      }
      return s;
    }
  }

  private final @Nullable Segment[] segments;
  private final int size;

  private IdIndex(@Nullable Segment[] segments, int size) {
    this.segments = segments;
    this.size = size;
  }

  int size() {
    return size;
  }

  /** The route of {@code rangeId}, or null. */
  @Nullable Object get(long rangeId) {
    long h = mix(rangeId);
    Segment s = segments[dir(h, segments.length)];
    return s == null ? null : s.get(rangeId, h);
  }

  /**
   * Replaces the route {@code encoded} of {@code rangeId} by its decoded form, if it is still
   * there.
   */
  void cache(long rangeId, Object encoded, RangeDescriptor decoded) {
    long h = mix(rangeId);
    Segment s = segments[dir(h, segments.length)];
    if (s == null) return;
    int j = s.find(rangeId, h);
    if (j >= 0 && s.routes[j] == encoded)
      s.routes[j] = decoded; // benign race, see the top of this file
  }

  /** The index of every range in {@code chunks}, each id read from its route (RouteChunk.idOf). */
  static IdIndex of(RouteChunk[] chunks, Duplicates duplicates) {
    Bulk b = new Bulk();
    for (RouteChunk c : chunks) {
      for (int i = 0; i < c.size(); i++) {
        Object r = c.route(i);
        b.add(RouteChunk.idOf(r), r);
      }
    }
    return b.build(duplicates);
  }

  Editor edit() {
    return new Editor(this);
  }

  /** murmur3's 64-bit finalizer: random and sequential ids alike spread over all bits. */
  static long mix(long id) {
    long h = id;
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }

  /** The directory slot of a hash: its top bits ({@code length} is a power of two). */
  private static int dir(long hash, int length) {
    return length == 1 ? 0 : (int) (hash >>> (64 - Integer.numberOfTrailingZeros(length)));
  }

  private static int directoryFor(int entries) {
    int n = 1;
    while (n * PER_SEGMENT < entries) n <<= 1;
    return n;
  }

  /** A batch of changes; single-threaded; the base index is never modified. */
  static final class Editor {
    private @Nullable Segment[] segments;
    private int size;

    /** Marks the segments this editor created and may change in place; replaced on build(). */
    private Object token = new Object();

    private boolean ownDirectory;

    private Editor(IdIndex base) {
      this.segments = base.segments;
      this.size = base.size;
    }

    @Nullable Object get(long rangeId) {
      long h = mix(rangeId);
      Segment s = segments[dir(h, segments.length)];
      return s == null ? null : s.get(rangeId, h);
    }

    /** Maps {@code rangeId} to {@code route}; returns the route it replaced, or null. */
    @Nullable Object put(long rangeId, Object route) {
      if (size >= segments.length * PER_SEGMENT) doubleDirectory();
      long h = mix(rangeId);
      int d = dir(h, segments.length);
      Segment s = writable(d, true);
      int j = s.find(rangeId, h);
      if (j >= 0) {
        Object old = s.routes[j];
        s.routes[j] = route;
        return old;
      }
      s.insertAt(-j - 1, rangeId, route);
      size++;
      return null;
    }

    /** Removes {@code rangeId}; returns its route, or null if absent. */
    @Nullable Object remove(long rangeId) {
      long h = mix(rangeId);
      int d = dir(h, segments.length);
      Segment s = segments[d];
      if (s == null || s.find(rangeId, h) < 0) return null;
      s = writable(d, false);
      int j = s.find(rangeId, h);
      Object old = s.routes[j];
      s.removeAt(j);
      size--;
      return old;
    }

    /** The edited index; later edits through this editor copy again. */
    IdIndex build() {
      int want = directoryFor(size);
      token = new Object();
      ownDirectory = false;
      // Shrink only on a 4x drift, so a table hovering around a boundary does not rehash per
      // commit.
      if (want * 4 >= segments.length) return new IdIndex(segments, size);
      Editor e = new Editor(new IdIndex(new Segment[want], 0));
      for (Segment s : segments) {
        if (s == null) continue;
        for (int j = 0; j < s.ids.length; j++) {
          if (s.routes[j] != null) e.put(s.ids[j], s.routes[j]);
        }
      }
      return new IdIndex(e.segments, e.size);
    }

    /** Segment {@code d}, owned by this editor, with room for one more id if {@code adding}. */
    private Segment writable(int d, boolean adding) {
      if (!ownDirectory) {
        segments = segments.clone();
        ownDirectory = true;
      }
      Segment s = segments[d];
      if (s == null) {
        s = new Segment(token, 8);
      } else if (s.owner != token || (adding && s.full())) {
        s = s.copy(token, Math.max(8, s.size * 2));
      } else {
        return s;
      }
      segments[d] = s;
      return s;
    }

    /** Splits every segment in two by the next hash bit. */
    private void doubleDirectory() {
      int n = segments.length;
      @Nullable Segment[] doubled = new Segment[n * 2];
      for (Segment s : segments) {
        if (s == null) continue;
        for (int j = 0; j < s.ids.length; j++) {
          Object r = s.routes[j];
          if (r == null) continue;
          int to = dir(mix(s.ids[j]), n * 2);
          Segment t = doubled[to];
          if (t == null) t = doubled[to] = new Segment(token, s.size);
          t.add(s.ids[j], r);
        }
      }
      segments = doubled;
      ownDirectory = true;
    }
  }

  /**
   * Picks the route to keep when a bulk build meets an id twice; {@code earlier} was added first.
   */
  interface Duplicates {
    Object keep(long rangeId, Object earlier, Object later);
  }

  /**
   * Collects ids in hash partitions, then builds the index; see the top of this file.
   * Single-threaded.
   */
  static final class Bulk {
    private static final int PARTITION_BITS = 8;

    private final long[][] ids = new long[1 << PARTITION_BITS][];
    private final Object[][] routes = new Object[1 << PARTITION_BITS][];
    private final int[] counts = new int[1 << PARTITION_BITS];
    private int size;

    /** How many ids were added, duplicates included. */
    int added() {
      return size;
    }

    void add(long rangeId, Object route) {
      int p = (int) (mix(rangeId) >>> (64 - PARTITION_BITS));
      int c = counts[p];
      long[] pIds = ids[p];
      if (pIds == null || c == pIds.length) pIds = grow(p);
      pIds[c] = rangeId;
      routes[p][c] = route;
      counts[p] = c + 1;
      size++;
    }

    private long[] grow(int p) {
      int capacity = ids[p] == null ? 256 : ids[p].length * 2;
      ids[p] = ids[p] == null ? new long[capacity] : Arrays.copyOf(ids[p], capacity);
      routes[p] = routes[p] == null ? new Object[capacity] : Arrays.copyOf(routes[p], capacity);
      return ids[p];
    }

    /**
     * The index of everything added; of two routes under one id, the one {@code duplicates} keeps.
     */
    IdIndex build(Duplicates duplicates) {
      @Nullable Segment[] segments = new Segment[Math.max(directoryFor(size), 1 << PARTITION_BITS)];
      return new IdIndex(segments, build(0, counts.length, segments, duplicates));
    }

    /**
     * Builds the segments of partitions [from, to) into {@code segments}; returns how many distinct
     * ids they hold.
     */
    private int build(int from, int to, @Nullable Segment[] segments, Duplicates duplicates) {
      int length = segments.length;
      int perPartition = length >>> PARTITION_BITS;
      int[] sizes = new int[perPartition];
      long[] hashes = new long[0];
      Object token = new Object();
      int distinct = 0;
      for (int p = from; p < to; p++) {
        int n = counts[p];
        if (n == 0) continue;
        long[] pIds = ids[p];
        Object[] pRoutes = routes[p];
        if (hashes.length < n) hashes = new long[pIds.length];
        int first = p * perPartition;
        Arrays.fill(sizes, 0);
        for (int j = 0; j < n; j++) {
          long h = mix(pIds[j]);
          hashes[j] = h;
          sizes[dir(h, length) - first]++;
        }
        for (int k = 0; k < perPartition; k++) {
          if (sizes[k] > 0) segments[first + k] = new Segment(token, sizes[k]);
        }
        for (int j = 0; j < n; j++) {
          long h = hashes[j];
          Segment s = segments[dir(h, length)];
          int slot = s.find(pIds[j], h);
          if (slot >= 0) {
            s.routes[slot] = duplicates.keep(pIds[j], s.routes[slot], pRoutes[j]);
          } else {
            s.insertAt(-slot - 1, pIds[j], pRoutes[j]);
            distinct++;
          }
        }
        ids[p] = null; // garbage as soon as possible: the load holds the whole table
        routes[p] = null;
      }
      return distinct;
    }
  }
}
