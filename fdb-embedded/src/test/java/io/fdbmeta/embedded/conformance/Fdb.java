package io.fdbmeta.embedded.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.FDBException;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.Range;
import com.apple.foundationdb.ReadTransaction;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/**
 * Small helpers shared by the conformance tests: byte strings, error codes, versionstamp params.
 * None of them touches {@code com.apple.foundationdb.FDB}.
 */
final class Fdb {
  private Fdb() {}

  // Error codes from FoundationDB's api-error-codes.rst.
  static final int TRANSACTION_TOO_OLD = 1007;
  static final int NOT_COMMITTED = 1020;
  static final int COMMIT_UNKNOWN_RESULT = 1021;
  static final int TRANSACTION_CANCELLED = 1025;
  static final int TRANSACTION_TIMED_OUT = 1031;
  static final int TOO_MANY_WATCHES = 1032;
  static final int WATCHES_DISABLED = 1034;
  static final int ACCESSED_UNREADABLE = 1036;
  static final int CLIENT_INVALID_OPERATION = 2000;
  static final int KEY_OUTSIDE_LEGAL_RANGE = 2004;
  static final int INVERTED_RANGE = 2005;
  static final int USED_DURING_COMMIT = 2017;
  static final int TRANSACTION_TOO_LARGE = 2101;
  static final int KEY_TOO_LARGE = 2102;
  static final int VALUE_TOO_LARGE = 2103;
  static final int EXACT_MODE_WITHOUT_LIMITS = 2210;

  /** The committed value of {@code key}, read in a transaction of its own. */
  static byte[] get(Database db, byte[] key) {
    return db.read((ReadTransaction tr) -> tr.get(key).join());
  }

  /** The committed key-values between {@code begin} and {@code end}. */
  static List<KeyValue> range(Database db, byte[] begin, byte[] end) {
    return db.read((ReadTransaction tr) -> tr.getRange(begin, end).asList().join());
  }

  static List<KeyValue> range(Database db, Range range) {
    return db.read((ReadTransaction tr) -> tr.getRange(range).asList().join());
  }

  /** Latin-1 bytes, so "\u00ff" is the byte 0xff. */
  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  static String s(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.ISO_8859_1);
  }

  static byte[] hex(String hex) {
    return HexFormat.of().parseHex(hex.replace(" ", ""));
  }

  static String hex(byte[] bytes) {
    return bytes == null ? null : HexFormat.of().formatHex(bytes);
  }

  static byte[] le64(long v) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
  }

  static long le64(byte[] v) {
    return ByteBuffer.wrap(Arrays.copyOf(v, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  static byte[] le32(int v) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) n += p.length;
    ByteBuffer out = ByteBuffer.allocate(n);
    for (byte[] p : parts) out.put(p);
    return out.array();
  }

  static byte[] filled(int size, char c) {
    byte[] out = new byte[size];
    Arrays.fill(out, (byte) c);
    return out;
  }

  /**
   * The param of a SET_VERSIONSTAMPED_KEY/VALUE at API 730: {@code before}, 10 placeholder bytes,
   * {@code after}, then the placeholder's offset as 4 little-endian bytes. Written by hand because
   * Tuple's own versionstamp packing loads the native client.
   */
  static byte[] versionstampParam(byte[] before, byte[] after) {
    return concat(before, new byte[10], after, le32(before.length));
  }

  /** The FoundationDB error code in {@code t}'s cause chain, or -1 if there is none. */
  static int code(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof FDBException e) return e.getCode();
    }
    return -1;
  }

  /** Asserts that {@code call} fails with FoundationDB error {@code code}, however wrapped. */
  static void assertFdbError(int code, ThrowingCallable call) {
    assertThatThrownBy(call)
        .satisfies(t -> assertThat(code(t)).as("FoundationDB error code of %s", t).isEqualTo(code));
  }

  /**
   * Asserts that {@code call} fails with {@code type} itself or wrapped (FoundationDB's {@code run}
   * hands a body's exception back inside a {@code CompletionException}; both are accepted).
   */
  static void assertFailsWith(Class<? extends Throwable> type, ThrowingCallable call) {
    assertThatThrownBy(call)
        .satisfies(
            t -> {
              for (Throwable c = t; c != null; c = c.getCause()) {
                if (type.isInstance(c)) return;
              }
              fail("expected %s in the cause chain of %s", type.getName(), t);
            });
  }

  /** Waits (bounded) for {@code f}; a hang is a test failure, not a stuck build. */
  static <T> T await(CompletableFuture<T> f) {
    return await(f, 15);
  }

  static <T> T await(CompletableFuture<T> f, int seconds) {
    try {
      return f.get(seconds, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      return fail("future did not complete within " + seconds + " s");
    } catch (java.util.concurrent.ExecutionException e) {
      throw new java.util.concurrent.CompletionException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
