package io.fdbmeta.embedded;

import com.apple.foundationdb.MutationType;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * FoundationDB's atomic operations at byte level (API version 730 semantics).
 *
 * <p>Each function takes the existing value ({@code null} when the key is absent) and the operand
 * and returns the new value, or {@code null} when the key ends up cleared. Integer operations are
 * little-endian and unsigned; the existing value is zero-extended or truncated to the operand's
 * length, so the result always has the operand's length. When the key is absent every operation
 * except COMPARE_AND_CLEAR simply writes the operand.
 */
final class Atomics {
  static final int VALUE_SIZE_LIMIT = 100_000;

  private Atomics() {}

  static byte @Nullable [] apply(MutationType type, byte @Nullable [] existing, byte[] operand) {
    switch (type) {
      case ADD:
        return add(existing, operand);
      case BIT_AND:
      case AND:
        return and(existing, operand);
      case BIT_OR:
      case OR:
        return or(existing, operand);
      case BIT_XOR:
      case XOR:
        return xor(existing, operand);
      case APPEND_IF_FITS:
        return appendIfFits(existing, operand);
      case MAX:
        return max(existing, operand);
      case MIN:
        return min(existing, operand);
      case BYTE_MIN:
        return existing == null || Bytes.compare(existing, operand) > 0 ? operand : existing;
      case BYTE_MAX:
        return existing == null || Bytes.compare(existing, operand) < 0 ? operand : existing;
      case COMPARE_AND_CLEAR:
        return existing != null && Arrays.equals(existing, operand) ? null : existing;
      default:
        throw new IllegalArgumentException("not a value-evaluated mutation: " + type);
    }
  }

  static byte[] add(byte @Nullable [] existing, byte[] operand) {
    if (existing == null || existing.length == 0 || operand.length == 0) return operand;
    byte[] out = new byte[operand.length];
    int carry = 0;
    for (int i = 0; i < operand.length; i++) {
      int a = i < existing.length ? existing[i] & 0xff : 0;
      int sum = a + (operand[i] & 0xff) + carry;
      out[i] = (byte) sum;
      carry = sum >>> 8;
    }
    return out;
  }

  static byte[] and(byte @Nullable [] existing, byte[] operand) {
    if (existing == null) return operand;
    byte[] out = new byte[operand.length];
    for (int i = 0; i < Math.min(existing.length, operand.length); i++) {
      out[i] = (byte) (existing[i] & operand[i]);
    }
    return out;
  }

  static byte[] or(byte @Nullable [] existing, byte[] operand) {
    if (existing == null || existing.length == 0 || operand.length == 0) return operand;
    byte[] out = operand.clone();
    for (int i = 0; i < Math.min(existing.length, operand.length); i++) {
      out[i] = (byte) (existing[i] | operand[i]);
    }
    return out;
  }

  static byte[] xor(byte @Nullable [] existing, byte[] operand) {
    if (existing == null || existing.length == 0 || operand.length == 0) return operand;
    byte[] out = operand.clone();
    for (int i = 0; i < Math.min(existing.length, operand.length); i++) {
      out[i] = (byte) (existing[i] ^ operand[i]);
    }
    return out;
  }

  static byte[] appendIfFits(byte @Nullable [] existing, byte[] operand) {
    if (existing == null || existing.length == 0) return operand;
    if (operand.length == 0) return existing;
    if (existing.length + operand.length > VALUE_SIZE_LIMIT) return existing;
    byte[] out = Arrays.copyOf(existing, existing.length + operand.length);
    System.arraycopy(operand, 0, out, existing.length, operand.length);
    return out;
  }

  /** Little-endian unsigned max; the result has the operand's length. */
  static byte[] max(byte @Nullable [] existing, byte[] operand) {
    if (existing == null || existing.length == 0 || operand.length == 0) return operand;
    return compareLittleEndian(existing, operand) > 0 ? fit(existing, operand.length) : operand;
  }

  /** Little-endian unsigned min; the result has the operand's length. */
  static byte[] min(byte @Nullable [] existing, byte[] operand) {
    if (existing == null || operand.length == 0) return operand;
    return compareLittleEndian(existing, operand) < 0 ? fit(existing, operand.length) : operand;
  }

  /** Compares existing (zero-extended or truncated to the operand's length) with the operand. */
  private static int compareLittleEndian(byte[] existing, byte[] operand) {
    for (int i = operand.length - 1; i >= 0; i--) {
      int a = i < existing.length ? existing[i] & 0xff : 0;
      int b = operand[i] & 0xff;
      if (a != b) return Integer.compare(a, b);
    }
    return 0;
  }

  private static byte[] fit(byte[] value, int length) {
    return value.length == length ? value : Arrays.copyOf(value, length);
  }

  /**
   * Replaces the 10-byte placeholder of a versionstamped key or value. The parameter ends with a
   * 4-byte little-endian offset of the placeholder; the result drops those 4 bytes.
   */
  static byte[] fillVersionstamp(byte[] param, byte[] versionstamp) {
    int offset = versionstampOffset(param);
    byte[] out = Arrays.copyOf(param, param.length - 4);
    System.arraycopy(versionstamp, 0, out, offset, versionstamp.length);
    return out;
  }

  /**
   * The placeholder offset of a versionstamped parameter.
   *
   * @throws com.apple.foundationdb.FDBException 2000 client_invalid_operation if the parameter is
   *     too short or the offset leaves no room for 10 bytes
   */
  static int versionstampOffset(byte[] param) {
    if (param.length < 4) {
      throw Errors.error(
          Errors.CLIENT_INVALID_OPERATION,
          "versionstamped parameter shorter than its 4-byte offset");
    }
    int n = param.length;
    int offset =
        (param[n - 4] & 0xff)
            | (param[n - 3] & 0xff) << 8
            | (param[n - 2] & 0xff) << 16
            | (param[n - 1] & 0xff) << 24;
    if (offset < 0 || offset + 10 > n - 4) {
      throw Errors.error(
          Errors.CLIENT_INVALID_OPERATION,
          "versionstamp offset " + offset + " out of bounds for " + (n - 4) + " bytes");
    }
    return offset;
  }
}
