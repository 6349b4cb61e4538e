package io.fdbmeta.layer;

import com.apple.foundationdb.MutationType;
import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.Tuple;
import com.apple.foundationdb.tuple.Versionstamp;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * Versionstamped keys and values without Tuple's own versionstamp packing, which loads the native
 * client. A key is the subspace prefix followed by one tuple-encoded incomplete versionstamp (type
 * code 0x33, 10 placeholder bytes, 2-byte user version), so completed keys unpack with the ordinary
 * tuple code.
 */
public final class Versionstamps {
  private static final byte VERSIONSTAMP_CODE = 0x33;
  private static final int POSITION_FORMAT = 1;

  /** The changelog position before any entry. */
  public static final Versionstamp ORIGIN = Versionstamp.complete(new byte[10], 0);

  private Versionstamps() {}

  /** Sets subspace + (versionstamp of this commit, userVersion) to {@code value}. */
  static void setVersionstampedKey(
      Transaction tr, Subspace subspace, int userVersion, byte[] value) {
    tr.mutate(
        MutationType.SET_VERSIONSTAMPED_KEY, incomplete(subspace.getKey(), userVersion), value);
  }

  /**
   * {@code prefix}, then one tuple-encoded incomplete versionstamp with {@code userVersion}, then
   * the 4-byte little-endian offset of its 10 placeholder bytes that the versionstamped mutations
   * take as their last bytes.
   */
  private static byte[] incomplete(byte[] prefix, int userVersion) {
    ByteBuffer b = ByteBuffer.allocate(prefix.length + 1 + Versionstamp.LENGTH + 4);
    b.put(prefix).put(VERSIONSTAMP_CODE);
    b.put(new byte[10]).putShort((short) userVersion);
    b.order(ByteOrder.LITTLE_ENDIAN).putInt(prefix.length + 1);
    return b.array();
  }

  /** Sets {@code key} to the 10-byte versionstamp of this commit. */
  static void setVersionstampValue(Transaction tr, byte[] key) {
    ByteBuffer b = ByteBuffer.allocate(10 + 4).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[10]).putInt(0);
    tr.mutate(MutationType.SET_VERSIONSTAMPED_VALUE, key, b.array());
  }

  /**
   * Sets {@code key} to the stored position ({@link #encodePosition}) after every changelog entry
   * this commit may write: its versionstamp with the largest user version.
   */
  static void setPositionOfCommit(Transaction tr, byte[] key) {
    tr.mutate(
        MutationType.SET_VERSIONSTAMPED_VALUE,
        key,
        incomplete(Tuple.from(POSITION_FORMAT).pack(), 0xffff));
  }

  /** The changelog key for a completed position: subspace + (versionstamp,). */
  public static byte[] key(Subspace subspace, Versionstamp position) {
    return subspace.pack(Tuple.from(position));
  }

  /** The position of a changelog key. */
  public static Versionstamp position(Subspace subspace, byte[] key) {
    return subspace.unpack(key).getVersionstamp(0);
  }

  /** A stored changelog position (the {@code changelog_floor} value): (format, versionstamp). */
  public static byte[] encodePosition(Versionstamp position) {
    return Tuple.from(POSITION_FORMAT, position).pack();
  }

  /**
   * Decodes {@link #encodePosition}; null bytes (no floor yet) decode to the origin.
   *
   * @throws MetaException CORRUPT_RECORD if the bytes are not a stored position
   */
  public static Versionstamp decodePosition(byte @Nullable [] value) {
    if (value == null) return ORIGIN;
    return Records.field(
        Records.unpack(value, "changelog position", POSITION_FORMAT),
        1,
        Versionstamp.class,
        "changelog position");
  }

  /**
   * The changelog position every later change comes after: the newer of the newest entry and the
   * floor (a bulk load moves the floor past entries it does not write; a trim can leave none).
   */
  public static CompletableFuture<Versionstamp> headAsync(ReadTransaction tr, Keyspace ks) {
    return tr.getRange(ks.changelogRange(), 1, true)
        .asList()
        .thenCombine(
            tr.get(ks.changelogFloorKey()),
            (last, floorValue) -> {
              Versionstamp floor = decodePosition(floorValue);
              if (last.isEmpty()) return floor;
              Versionstamp newest = position(ks.changelogSubspace(), last.get(0).getKey());
              return newest.compareTo(floor) > 0 ? newest : floor;
            });
  }

  /** True if both positions are entries of one commit (same commit version, any batch order). */
  public static boolean sameCommit(Versionstamp a, Versionstamp b) {
    return Arrays.equals(a.getTransactionVersion(), b.getTransactionVersion());
  }

  /**
   * True if the 10-byte commit version {@code metaVersion} is after the commit of {@code position}.
   */
  public static boolean isAfter(byte[] metaVersion, Versionstamp position) {
    return Arrays.compareUnsigned(metaVersion, position.getTransactionVersion()) > 0;
  }
}
