package io.fdbmeta.layer;

import com.apple.foundationdb.tuple.ByteArrayUtil;
import org.jspecify.annotations.Nullable;

/**
 * The one unchecked exception of the layer. It carries a {@link Code} callers can switch on and the
 * context it happened in (range id, node id, key); {@link #retryable()} says whether the same call
 * may simply be tried again.
 */
public class MetaException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong. */
  public enum Code {
    /** The cluster's keyspace has no ranges yet; run {@code init}. */
    NOT_BOOTSTRAPPED,
    UNKNOWN_RANGE,
    UNKNOWN_NODE,
    /**
     * A key or argument is outside what the operation accepts (split key outside the range,
     * oversized key).
     */
    INVALID_ARGUMENT,
    /**
     * The caller's view is older than the catalog (expected generation or epoch lower than
     * current).
     */
    STALE_GENERATION,
    /** Someone else holds the lease, or the caller's lease is gone. */
    LEASE_CONFLICT,
    /**
     * Another operation on the same range is in progress, or the requested change contradicts the
     * current state.
     */
    CONFLICTING_OPERATION,
    /** Placement or state rules forbid the change (e.g. removing the leaseholder replica). */
    NOT_ALLOWED,
    /** A stored record could not be decoded. */
    CORRUPT_RECORD,
    /** FoundationDB failed; see {@link #fdbCode()}. */
    STORE_ERROR
  }

  private final Code code;
  private final @Nullable Long rangeId;
  private final @Nullable String nodeId;
  private final byte @Nullable [] key;
  private final int fdbCode;
  private final boolean retryable;

  MetaException(
      Code code,
      String message,
      @Nullable Long rangeId,
      @Nullable String nodeId,
      byte @Nullable [] key,
      int fdbCode,
      boolean retryable,
      @Nullable Throwable cause) {
    super(message + context(rangeId, nodeId, key), cause);
    this.code = code;
    this.rangeId = rangeId;
    this.nodeId = nodeId;
    this.key = key;
    this.fdbCode = fdbCode;
    this.retryable = retryable;
  }

  public static MetaException of(Code code, String message) {
    return new MetaException(code, message, null, null, null, 0, false, null);
  }

  public static MetaException forRange(Code code, long rangeId, String message) {
    return new MetaException(
        code,
        message,
        rangeId,
        null,
        null,
        0,
        code == Code.STALE_GENERATION || code == Code.CONFLICTING_OPERATION,
        null);
  }

  public static MetaException forNode(Code code, String nodeId, String message) {
    return new MetaException(code, message, null, nodeId, null, 0, false, null);
  }

  public static MetaException forKey(
      Code code, byte[] key, @Nullable Long rangeId, String message) {
    return new MetaException(code, message, rangeId, null, key, 0, false, null);
  }

  /**
   * An error that names no range, node or key; {@code retryable}: the same call may succeed later.
   */
  public static MetaException of(
      Code code, String message, boolean retryable, @Nullable Throwable cause) {
    return new MetaException(code, message, null, null, null, 0, retryable, cause);
  }

  /** A stored record that cannot be decoded, with the range and key it was read for. */
  public static MetaException corrupt(
      @Nullable Long rangeId, byte @Nullable [] key, String message, @Nullable Throwable cause) {
    return new MetaException(Code.CORRUPT_RECORD, message, rangeId, null, key, 0, false, cause);
  }

  private static String context(
      @Nullable Long rangeId, @Nullable String nodeId, byte @Nullable [] key) {
    StringBuilder sb = new StringBuilder();
    if (rangeId != null) sb.append(" [range ").append(rangeId).append(']');
    if (nodeId != null) sb.append(" [node ").append(nodeId).append(']');
    if (key != null) sb.append(" [key ").append(ByteArrayUtil.printable(key)).append(']');
    return sb.toString();
  }

  public Code code() {
    return code;
  }

  public @Nullable Long rangeId() {
    return rangeId;
  }

  public @Nullable String nodeId() {
    return nodeId;
  }

  public byte @Nullable [] key() {
    return key == null ? null : key.clone();
  }

  /** The FoundationDB error code for {@link Code#STORE_ERROR}, else 0. */
  public int fdbCode() {
    return fdbCode;
  }

  /** True if calling again may succeed without changing anything. */
  public boolean retryable() {
    return retryable;
  }
}
