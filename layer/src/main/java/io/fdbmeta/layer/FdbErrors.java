package io.fdbmeta.layer;

import com.apple.foundationdb.FDBException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.jspecify.annotations.Nullable;

/**
 * The one place FoundationDB error codes are classified and translated. FDBException's own
 * retryable and maybe-committed predicates call into the native client, which may be absent, so the
 * classification is by code, as FoundationDB documents it.
 */
public final class FdbErrors {
  public static final int TRANSACTION_TOO_OLD = 1007;
  public static final int FUTURE_VERSION = 1009;
  public static final int NOT_COMMITTED = 1020;
  public static final int COMMIT_UNKNOWN_RESULT = 1021;
  public static final int TRANSACTION_CANCELLED = 1025;
  public static final int TRANSACTION_TIMED_OUT = 1031;
  public static final int PROCESS_BEHIND = 1037;
  public static final int DATABASE_LOCKED = 1038;
  public static final int TAG_THROTTLED = 1213;

  private FdbErrors() {}

  /** The failure behind CompletionException and ExecutionException wrappers. */
  public static Throwable cause(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException)
        && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  /** The FDBException behind a (possibly wrapped) failure, or null. */
  public static @Nullable FDBException unwrap(Throwable t) {
    return cause(t) instanceof FDBException e ? e : null;
  }

  /** Errors FoundationDB's retry loop retries. */
  public static boolean isRetryable(int code) {
    switch (code) {
      case TRANSACTION_TOO_OLD:
      case FUTURE_VERSION:
      case NOT_COMMITTED:
      case COMMIT_UNKNOWN_RESULT:
      case PROCESS_BEHIND:
      case DATABASE_LOCKED:
      case TAG_THROTTLED:
      case 1042: // proxy_memory_limit_exceeded
      case 1051: // batch_transaction_throttled
      case 1078: // grv_proxy_memory_limit_exceeded
        return true;
      default:
        return false;
    }
  }

  /** Errors after which the transaction may or may not have committed. */
  public static boolean isMaybeCommitted(int code) {
    return code == COMMIT_UNKNOWN_RESULT
        || code == TRANSACTION_TIMED_OUT
        || code == TRANSACTION_CANCELLED;
  }

  /**
   * Waits for {@code f} and returns its value, throwing what {@link #translate} makes of a failure.
   */
  public static <T> T join(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      throw translate(e);
    }
  }

  /**
   * Translates any failure of a layer call to what callers see: a MetaException stays as it is, a
   * FoundationDB error becomes {@link MetaException.Code#STORE_ERROR} with its code and
   * retryability, anything else is wrapped.
   */
  public static RuntimeException translate(Throwable t) {
    Throwable c = cause(t);
    if (c instanceof MetaException) return (MetaException) c;
    if (c instanceof FDBException) {
      FDBException e = (FDBException) c;
      String kind = isMaybeCommitted(e.getCode()) ? " (may have committed)" : "";
      return new MetaException(
          MetaException.Code.STORE_ERROR,
          "FoundationDB error " + e.getCode() + ": " + e.getMessage() + kind,
          null,
          null,
          null,
          e.getCode(),
          isRetryable(e.getCode()),
          e);
    }
    if (c instanceof IllegalArgumentException) return (IllegalArgumentException) c;
    return c instanceof RuntimeException ? (RuntimeException) c : new CompletionException(c);
  }
}
