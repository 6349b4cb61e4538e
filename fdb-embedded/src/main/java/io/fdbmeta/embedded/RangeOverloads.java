package io.fdbmeta.embedded;

import com.apple.foundationdb.KeyArrayResult;
import com.apple.foundationdb.KeySelector;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.Range;
import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.StreamingMode;
import com.apple.foundationdb.async.AsyncIterable;
import java.util.concurrent.CompletableFuture;

/**
 * The convenience overloads of {@link ReadTransaction}, each reduced to the one general form, so
 * the transaction and its snapshot view implement reads once.
 */
abstract class RangeOverloads implements ReadTransaction {
  @Override
  public final AsyncIterable<KeyValue> getRange(KeySelector begin, KeySelector end) {
    return getRange(begin, end, ROW_LIMIT_UNLIMITED, false, StreamingMode.ITERATOR);
  }

  @Override
  public final AsyncIterable<KeyValue> getRange(KeySelector begin, KeySelector end, int limit) {
    return getRange(begin, end, limit, false, StreamingMode.ITERATOR);
  }

  @Override
  public final AsyncIterable<KeyValue> getRange(
      KeySelector begin, KeySelector end, int limit, boolean reverse) {
    return getRange(begin, end, limit, reverse, StreamingMode.ITERATOR);
  }

  @Override
  public final AsyncIterable<KeyValue> getRange(byte[] begin, byte[] end) {
    return getRange(begin, end, ROW_LIMIT_UNLIMITED, false, StreamingMode.ITERATOR);
  }

  @Override
  public final AsyncIterable<KeyValue> getRange(byte[] begin, byte[] end, int limit) {
    return getRange(begin, end, limit, false, StreamingMode.ITERATOR);
  }

  @Override
  public final AsyncIterable<KeyValue> getRange(
      byte[] begin, byte[] end, int limit, boolean reverse) {
    return getRange(begin, end, limit, reverse, StreamingMode.ITERATOR);
  }

  @Override
  public final AsyncIterable<KeyValue> getRange(
      byte[] begin, byte[] end, int limit, boolean reverse, StreamingMode mode) {
    return getRange(
        KeySelector.firstGreaterOrEqual(begin),
        KeySelector.firstGreaterOrEqual(end),
        limit,
        reverse,
        mode);
  }

  @Override
  public final AsyncIterable<KeyValue> getRange(Range range) {
    return getRange(range.begin, range.end);
  }

  @Override
  public final AsyncIterable<KeyValue> getRange(Range range, int limit) {
    return getRange(range.begin, range.end, limit);
  }

  @Override
  public final AsyncIterable<KeyValue> getRange(Range range, int limit, boolean reverse) {
    return getRange(range.begin, range.end, limit, reverse);
  }

  @Override
  public final AsyncIterable<KeyValue> getRange(
      Range range, int limit, boolean reverse, StreamingMode mode) {
    return getRange(range.begin, range.end, limit, reverse, mode);
  }

  @Override
  public final CompletableFuture<Long> getEstimatedRangeSizeBytes(Range range) {
    return getEstimatedRangeSizeBytes(range.begin, range.end);
  }

  @Override
  public final CompletableFuture<KeyArrayResult> getRangeSplitPoints(Range range, long chunkSize) {
    return getRangeSplitPoints(range.begin, range.end, chunkSize);
  }
}
