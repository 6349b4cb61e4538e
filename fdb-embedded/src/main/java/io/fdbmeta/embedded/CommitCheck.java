package io.fdbmeta.embedded;

import com.apple.foundationdb.FDBException;
import com.apple.foundationdb.MutationType;
import org.jspecify.annotations.Nullable;

/*
 * The store applies a commit's mutations one by one under its commit lock and trusts them: the
 * in-process transaction has already refused inverted ranges and bad versionstamp offsets. A
 * commit from the network has been checked by nobody, and one that fails halfway through being
 * applied would leave the store with half a commit. So the server checks, before the store sees
 * it, everything that could make applying it throw.
 */
/** Refuses a commit from the network that the store could not apply whole. */
final class CommitCheck {
  private CommitCheck() {}

  /** The error to answer instead of committing, or null if the store can apply {@code r}. */
  static @Nullable FDBException problem(CommitRequest r) {
    for (KeyRange k : r.reads()) {
      if (isInverted(k)) return inverted("read conflict range");
    }
    for (KeyRange k : r.writes()) {
      if (isInverted(k)) return inverted("write conflict range");
    }
    for (Mutation m : r.mutations()) {
      FDBException e = problem(m);
      if (e != null) return e;
    }
    return null;
  }

  private static @Nullable FDBException problem(Mutation m) {
    switch (m.kind()) {
      case SET:
        return null;
      case CLEAR_RANGE:
        return Bytes.compare(m.key(), m.param()) > 0 ? inverted("clear range") : null;
      case ATOMIC:
        try {
          if (m.type() == MutationType.SET_VERSIONSTAMPED_KEY) Atomics.versionstampOffset(m.key());
          if (m.type() == MutationType.SET_VERSIONSTAMPED_VALUE) {
            Atomics.versionstampOffset(m.param());
          }
        } catch (FDBException e) {
          return e;
        }
        return m.type() == null ? Errors.error(Errors.INVALID_MUTATION_TYPE) : null;
      default:
        return Errors.error(Errors.INVALID_MUTATION_TYPE, String.valueOf(m.kind()));
    }
  }

  private static boolean isInverted(KeyRange k) {
    return !k.isSingleKey() && Bytes.compare(k.begin(), k.end()) > 0;
  }

  private static FDBException inverted(String what) {
    return Errors.error(Errors.INVERTED_RANGE, what + " begins after its end");
  }
}
