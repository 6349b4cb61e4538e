package io.fdbmeta.layer;

import com.apple.foundationdb.MutationType;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.Versionstamp;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Versionstamped keys and values without {@code Tuple.packWithVersionstamp}, which loads the native
 * client. A key is the subspace prefix followed by one tuple-encoded incomplete versionstamp
 * (type code 0x33, 10 placeholder bytes, 2-byte user version), so completed keys unpack with the
 * ordinary tuple code.
 */
final class Versionstamps {
  private static final byte VERSIONSTAMP_CODE = 0x33;

  private Versionstamps() {}

  /** Sets subspace + (versionstamp of this commit, userVersion) to {@code value}. */
  static void setVersionstampedKey(Transaction tr, Subspace subspace, int userVersion, byte[] value) {
    byte[] prefix = subspace.getKey();
    ByteBuffer b = ByteBuffer.allocate(prefix.length + 1 + Versionstamp.LENGTH + 4);
    b.put(prefix).put(VERSIONSTAMP_CODE);
    b.put(new byte[10]).putShort((short) userVersion);
    b.order(ByteOrder.LITTLE_ENDIAN).putInt(prefix.length + 1);
    tr.mutate(MutationType.SET_VERSIONSTAMPED_KEY, b.array(), value);
  }

  /** Sets {@code key} to the 10-byte versionstamp of this commit. */
  static void setVersionstampValue(Transaction tr, byte[] key) {
    ByteBuffer b = ByteBuffer.allocate(10 + 4).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[10]).putInt(0);
    tr.mutate(MutationType.SET_VERSIONSTAMPED_VALUE, key, b.array());
  }

  /** The changelog key for a completed position: subspace + (versionstamp,). */
  static byte[] key(Subspace subspace, Versionstamp position) {
    return subspace.pack(com.apple.foundationdb.tuple.Tuple.from(position));
  }
}
