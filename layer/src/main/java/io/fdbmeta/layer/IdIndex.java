package io.fdbmeta.layer;

import java.util.Arrays;
import java.util.Collection;
import org.jspecify.annotations.Nullable;

/**
 * An immutable map from range id to descriptor, edited copy-on-write: an edit copies the bucket
 * array (one reference per ~32 ranges) and the buckets it touches, never the whole map, so a
 * route table can publish a new version per applied commit cheaply.
 */
final class IdIndex {
  private static final int MIN_BUCKETS = 16;
  private static final int TARGET_LOAD = 32;

  static final IdIndex EMPTY = new IdIndex(new Bucket[MIN_BUCKETS], 0);

  /** The ranges whose ids hash to one slot; immutable. */
  private record Bucket(long[] ids, RangeDescriptor[] values) {}

  private final @Nullable Bucket[] buckets;
  private final int size;

  private IdIndex(@Nullable Bucket[] buckets, int size) {
    this.buckets = buckets;
    this.size = size;
  }

  /**
   * An index of {@code ranges}, built in one pass (no per-entry copying).
   *
   * @throws IllegalArgumentException if two ranges share an id
   */
  static IdIndex of(Collection<RangeDescriptor> ranges) {
    int n = bucketsFor(ranges.size());
    int[] counts = new int[n];
    for (RangeDescriptor d : ranges) counts[slot(d.rangeId(), n)]++;
    Bucket[] buckets = new Bucket[n];
    for (int i = 0; i < n; i++) {
      if (counts[i] > 0) buckets[i] = new Bucket(new long[counts[i]], new RangeDescriptor[counts[i]]);
      counts[i] = 0;
    }
    for (RangeDescriptor d : ranges) {
      int s = slot(d.rangeId(), n);
      Bucket b = buckets[s];
      for (int j = 0; j < counts[s]; j++) {
        if (b.ids[j] == d.rangeId()) throw new IllegalArgumentException("range id " + d.rangeId() + " appears twice");
      }
      b.ids[counts[s]] = d.rangeId();
      b.values[counts[s]++] = d;
    }
    return new IdIndex(buckets, ranges.size());
  }

  int size() {
    return size;
  }

  @Nullable RangeDescriptor get(long rangeId) {
    return find(buckets, rangeId);
  }

  private static @Nullable RangeDescriptor find(@Nullable Bucket[] buckets, long rangeId) {
    Bucket b = buckets[slot(rangeId, buckets.length)];
    if (b == null) return null;
    long[] ids = b.ids;
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] == rangeId) return b.values[i];
    }
    return null;
  }

  Editor edit() {
    return new Editor(this);
  }

  private static int slot(long id, int buckets) {
    long h = id * 0x9E3779B97F4A7C15L; // Fibonacci hashing spreads sequential and random ids alike
    return (int) (h >>> 40) & (buckets - 1);
  }

  private static int bucketsFor(int entries) {
    int n = MIN_BUCKETS;
    while (n * TARGET_LOAD < entries) n <<= 1;
    return n;
  }

  /** A batch of changes; single-threaded; the base index is never modified. */
  static final class Editor {
    private @Nullable Bucket[] buckets;
    private int size;
    private boolean copied;

    private Editor(IdIndex base) {
      this.buckets = base.buckets;
      this.size = base.size;
    }

    @Nullable RangeDescriptor get(long rangeId) {
      return find(buckets, rangeId);
    }

    void put(RangeDescriptor d) {
      long id = d.rangeId();
      int s = slot(id, buckets.length);
      Bucket b = buckets[s];
      if (b == null) {
        set(s, new Bucket(new long[] {id}, new RangeDescriptor[] {d}));
        size++;
        return;
      }
      for (int i = 0; i < b.ids.length; i++) {
        if (b.ids[i] == id) {
          RangeDescriptor[] values = b.values.clone();
          values[i] = d;
          set(s, new Bucket(b.ids, values));
          return;
        }
      }
      long[] ids = Arrays.copyOf(b.ids, b.ids.length + 1);
      RangeDescriptor[] values = Arrays.copyOf(b.values, b.values.length + 1);
      ids[b.ids.length] = id;
      values[b.values.length] = d;
      set(s, new Bucket(ids, values));
      size++;
    }

    void remove(long rangeId) {
      int s = slot(rangeId, buckets.length);
      Bucket b = buckets[s];
      if (b == null) return;
      for (int i = 0; i < b.ids.length; i++) {
        if (b.ids[i] != rangeId) continue;
        int last = b.ids.length - 1;
        if (last == 0) {
          set(s, null);
        } else {
          long[] ids = new long[last];
          RangeDescriptor[] values = new RangeDescriptor[last];
          System.arraycopy(b.ids, 0, ids, 0, i);
          System.arraycopy(b.ids, i + 1, ids, i, last - i);
          System.arraycopy(b.values, 0, values, 0, i);
          System.arraycopy(b.values, i + 1, values, i, last - i);
          set(s, new Bucket(ids, values));
        }
        size--;
        return;
      }
    }

    IdIndex build() {
      int want = bucketsFor(size);
      // Resize only on a 4x drift, so a table hovering around a boundary does not rehash per commit.
      if (want > buckets.length || want * 4 < buckets.length) return rehash(want);
      return new IdIndex(buckets, size);
    }

    private IdIndex rehash(int bucketCount) {
      Editor e = new Editor(new IdIndex(new Bucket[bucketCount], 0));
      for (Bucket b : buckets) {
        if (b == null) continue;
        for (RangeDescriptor d : b.values) e.put(d);
      }
      return new IdIndex(e.buckets, e.size);
    }

    private void set(int slot, @Nullable Bucket b) {
      if (!copied) {
        buckets = buckets.clone();
        copied = true;
      }
      buckets[slot] = b;
    }
  }
}
