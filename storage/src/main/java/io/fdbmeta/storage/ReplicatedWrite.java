package io.fdbmeta.storage;

import org.jspecify.annotations.Nullable;

/**
 * A write the leaseholder stored and must replicate: its sequence number (the REPLICATE request id)
 * and its keys with their values, null for a delete, and their absolute expiry times (epoch
 * milliseconds, 0 for none; null: none has one). A command such as INCR or EXPIRE is replicated as
 * the value and expiry it produced, never as the command, so replicas cannot diverge.
 */
record ReplicatedWrite(
    long seq, byte[][] keys, byte[] @Nullable [] values, long @Nullable [] expiries) {
  ReplicatedWrite(long seq, byte[][] keys, byte[] @Nullable [] values) {
    this(seq, keys, values, null);
  }

  /** A value as REPLICATE with limit 1 carries it: 8 bytes of expiry (big-endian), the value. */
  static byte[] withExpiry(byte[] value, long expiresAt) {
    byte[] b = new byte[8 + value.length];
    java.nio.ByteBuffer.wrap(b).putLong(expiresAt);
    System.arraycopy(value, 0, b, 8, value.length);
    return b;
  }

  static byte[] expiryBytes(long expiresAt) {
    return java.nio.ByteBuffer.allocate(8).putLong(expiresAt).array();
  }

  /** The expiry of a value {@link #withExpiry} made (or of 8 expiry bytes); 0: none. */
  static long expiryOf(byte[] b) {
    return java.nio.ByteBuffer.wrap(b, 0, 8).getLong();
  }

  static byte[] valueOf(byte[] withExpiry) {
    return java.util.Arrays.copyOfRange(withExpiry, 8, withExpiry.length);
  }
}
