package io.fdbmeta.router;

import io.fdbmeta.layer.RangeDescriptor;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * One descriptor in the route cache, with what the request path needs without copying: the bounds
 * (the descriptor's accessors copy them), the boxed id the eviction policy is keyed by, and the
 * upstream the leaseholder resolved to (filled in lazily by the request path). Immutable except for
 * {@link #upstream}.
 */
final class CachedRange {
  final RangeDescriptor descriptor;
  final Long key;
  final long rangeId;
  final long generation;
  final long epoch;
  final byte[] start;
  final byte @Nullable [] end;
  final int weight;

  /** The leaseholder's address book entry, resolved on first use; null until then. */
  volatile @Nullable Object upstream;

  CachedRange(RangeDescriptor d) {
    this.descriptor = d;
    this.rangeId = d.rangeId();
    this.key = rangeId;
    this.generation = d.generation();
    this.epoch = d.leaseEpoch();
    this.start = d.startKey();
    this.end = d.endKey();
    this.weight = weigh(d, start, end);
  }

  /**
   * Estimated bytes this entry keeps alive: descriptor, its copies of the bounds, cache and index
   * overhead.
   */
  static int weigh(RangeDescriptor d, byte[] start, byte @Nullable [] end) {
    long w = 200 + 2L * (start.length + (end == null ? 0 : end.length));
    for (String r : d.replicas()) w += 48 + r.length();
    if (d.leaseholder() != null) w += 48 + d.leaseholder().length();
    return (int) Math.min(Integer.MAX_VALUE, w);
  }

  boolean contains(byte[] k) {
    return Arrays.compareUnsigned(start, k) <= 0
        && (end == null || Arrays.compareUnsigned(k, end) < 0);
  }

  /** True if [start, end) and [s, e) share a key. */
  boolean overlaps(byte[] s, byte @Nullable [] e) {
    return (e == null || Arrays.compareUnsigned(start, e) < 0)
        && (end == null || Arrays.compareUnsigned(s, end) < 0);
  }

  /**
   * True if {@code this} is a strictly later version than {@code other}: of the same range, a
   * higher (generation, epoch); of an overlapping other range, a higher generation (splits and
   * merges give their results a generation above every range they replace, so along the history of
   * any key generations only rise).
   */
  boolean newerThan(CachedRange other) {
    if (rangeId == other.rangeId)
      return generation > other.generation
          || (generation == other.generation && epoch > other.epoch);
    return generation > other.generation;
  }

  @Override
  public String toString() {
    return descriptor.toString();
  }
}
