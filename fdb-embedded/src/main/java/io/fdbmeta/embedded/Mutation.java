package io.fdbmeta.embedded;

import com.apple.foundationdb.MutationType;
import org.jspecify.annotations.Nullable;

/**
 * One write of a transaction, kept in issue order and replayed at commit: a set, a clear of [key,
 * param), or an atomic operation (including versionstamped sets) with its operand.
 */
record Mutation(Kind kind, byte[] key, byte[] param, @Nullable MutationType type) {
  enum Kind {
    SET,
    CLEAR_RANGE,
    ATOMIC
  }

  static Mutation set(byte[] key, byte[] value) {
    return new Mutation(Kind.SET, key, value, null);
  }

  static Mutation clearRange(byte[] begin, byte[] end) {
    return new Mutation(Kind.CLEAR_RANGE, begin, end, null);
  }

  static Mutation atomic(MutationType type, byte[] key, byte[] operand) {
    return new Mutation(Kind.ATOMIC, key, operand, type);
  }

  int byteSize() {
    return key.length + param.length;
  }
}
