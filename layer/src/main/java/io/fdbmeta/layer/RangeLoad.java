package io.fdbmeta.layer;

import com.apple.foundationdb.tuple.Tuple;
import org.jspecify.annotations.Nullable;

/**
 * Load of one range as its leaseholder measures it, reported only while the range is outside the
 * normal band: hot (request rate or bytes at or above the split thresholds, since {@code
 * hotSince}), heavy (a large share of its node's load, hotSince 0: the rebalancer moves such
 * replicas first), or small and cold (a merge candidate). {@code splitKey} is where the leaseholder
 * would split it (the load's median key), null if it has none. Stored at {@code
 * range_load/<rangeId>}.
 */
public record RangeLoad(
    long rangeId,
    double requestsPerSecond,
    long bytes,
    long hotSince,
    byte @Nullable [] splitKey,
    long reportedAt) {
  static final int FORMAT = 1;

  /** True if the report says the range is hot (it has a hotSince time). */
  public boolean hot() {
    return hotSince > 0;
  }

  public byte[] encode() {
    return Tuple.from(FORMAT, rangeId, requestsPerSecond, bytes, hotSince, splitKey, reportedAt)
        .pack();
  }

  public static RangeLoad decode(byte[] value) {
    String what = "range load";
    Tuple t = Records.unpack(value, what, FORMAT);
    try {
      return new RangeLoad(
          t.getLong(1),
          t.getDouble(2),
          t.getLong(3),
          t.getLong(4),
          (byte[]) t.get(5),
          t.getLong(6));
    } catch (RuntimeException e) {
      throw MetaException.of(MetaException.Code.CORRUPT_RECORD, "cannot decode " + what + ": " + e);
    }
  }
}
