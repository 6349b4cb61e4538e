package io.fdbmeta.embedded;

import com.apple.foundationdb.FDBException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * FoundationDB error codes used by the embedded store, and the retry classification of
 * FoundationDB's client ({@code Transaction::onError}). FDBException's own retry predicate cannot
 * be used here: it calls into the native client.
 */
final class Errors {
  static final int OPERATION_FAILED = 1000;
  static final int TRANSACTION_TOO_OLD = 1007;
  static final int FUTURE_VERSION = 1009;
  static final int NOT_COMMITTED = 1020;
  static final int COMMIT_UNKNOWN_RESULT = 1021;
  static final int TRANSACTION_CANCELLED = 1025;
  static final int TRANSACTION_TIMED_OUT = 1031;
  static final int TOO_MANY_WATCHES = 1032;
  static final int WATCHES_DISABLED = 1034;
  static final int ACCESSED_UNREADABLE = 1036;
  static final int PROCESS_BEHIND = 1037;
  static final int DATABASE_LOCKED = 1038;
  static final int PROXY_MEMORY_LIMIT_EXCEEDED = 1042;
  static final int BATCH_TRANSACTION_THROTTLED = 1051;
  static final int GRV_PROXY_MEMORY_LIMIT_EXCEEDED = 1078;
  static final int TAG_THROTTLED = 1213;
  static final int OPERATION_CANCELLED = 1101;
  static final int CLIENT_INVALID_OPERATION = 2000;
  static final int INVERTED_RANGE = 2005;
  static final int KEY_OUTSIDE_LEGAL_RANGE = 2004;
  static final int INVALID_OPTION_VALUE = 2006;
  static final int INVALID_MUTATION_TYPE = 2010;
  static final int TRANSACTION_TOO_LARGE = 2101;
  static final int KEY_TOO_LARGE = 2102;
  static final int VALUE_TOO_LARGE = 2103;
  static final int USED_DURING_COMMIT = 2017;
  static final int UNSUPPORTED_OPERATION = 2108;

  private Errors() {}

  static FDBException error(int code) {
    return new FDBException(describe(code), code);
  }

  static FDBException error(int code, String detail) {
    return new FDBException(describe(code) + ": " + detail, code);
  }

  static <T> CompletableFuture<T> failed(int code) {
    return CompletableFuture.failedFuture(error(code));
  }

  /** Errors after which {@code onError} resets the transaction and retries (after a backoff). */
  static boolean isRetryable(int code) {
    switch (code) {
      case NOT_COMMITTED:
      case COMMIT_UNKNOWN_RESULT:
      case TRANSACTION_TOO_OLD:
      case FUTURE_VERSION:
      case PROCESS_BEHIND:
      case DATABASE_LOCKED:
      case PROXY_MEMORY_LIMIT_EXCEEDED:
      case BATCH_TRANSACTION_THROTTLED:
      case GRV_PROXY_MEMORY_LIMIT_EXCEEDED:
      case TAG_THROTTLED:
        return true;
      default:
        return false;
    }
  }

  /** Retryable errors that use the short fixed delay instead of exponential backoff. */
  static boolean isVersionError(int code) {
    return code == TRANSACTION_TOO_OLD || code == FUTURE_VERSION;
  }

  /** The FDBException inside a future's failure, or null if the failure is something else. */
  static FDBException unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t instanceof FDBException ? (FDBException) t : null;
  }

  static String describe(int code) {
    switch (code) {
      case OPERATION_FAILED:
        return "Operation failed";
      case TRANSACTION_TOO_OLD:
        return "Transaction is too old to perform reads or be committed";
      case FUTURE_VERSION:
        return "Request for future version";
      case NOT_COMMITTED:
        return "Transaction not committed due to conflict with another transaction";
      case COMMIT_UNKNOWN_RESULT:
        return "Transaction may or may not have committed";
      case TRANSACTION_CANCELLED:
        return "Operation aborted because the transaction was cancelled";
      case TRANSACTION_TIMED_OUT:
        return "Operation aborted because the transaction timed out";
      case TOO_MANY_WATCHES:
        return "Too many watches currently set";
      case WATCHES_DISABLED:
        return "Watches cannot be set if read your writes is disabled";
      case ACCESSED_UNREADABLE:
        return "Read or wrote an unreadable key";
      case OPERATION_CANCELLED:
        return "Asynchronous operation cancelled";
      case CLIENT_INVALID_OPERATION:
        return "Invalid API call";
      case KEY_OUTSIDE_LEGAL_RANGE:
        return "Key outside legal range";
      case INVERTED_RANGE:
        return "Range begin key larger than end key";
      case INVALID_OPTION_VALUE:
        return "Option set with an invalid value";
      case INVALID_MUTATION_TYPE:
        return "Invalid mutation type";
      case USED_DURING_COMMIT:
        return "Operation issued while a commit was outstanding";
      case TRANSACTION_TOO_LARGE:
        return "Transaction exceeds byte limit";
      case KEY_TOO_LARGE:
        return "Key length exceeds limit";
      case VALUE_TOO_LARGE:
        return "Value length exceeds limit";
      case UNSUPPORTED_OPERATION:
        return "Operation is not supported";
      default:
        return "Error " + code;
    }
  }
}
