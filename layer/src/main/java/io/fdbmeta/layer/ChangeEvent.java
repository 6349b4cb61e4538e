package io.fdbmeta.layer;

import com.apple.foundationdb.tuple.Tuple;
import com.apple.foundationdb.tuple.Versionstamp;
import org.jspecify.annotations.Nullable;

/**
 * One routing delta in the changelog: a range descriptor to insert or replace (keyed by its end
 * key), or a range that no longer exists. Applying a transaction's events in order turns the route
 * table before it into the one after it.
 */
public record ChangeEvent(
    Kind kind,
    @Nullable RangeDescriptor descriptor,
    long removedRangeId,
    byte @Nullable [] removedEndKey) {
  static final int FORMAT = 1;

  public enum Kind {
    UPSERT,
    REMOVE
  }

  public static ChangeEvent upsert(RangeDescriptor d) {
    return new ChangeEvent(Kind.UPSERT, d, 0, null);
  }

  public static ChangeEvent remove(long rangeId, byte @Nullable [] endKey) {
    return new ChangeEvent(Kind.REMOVE, null, rangeId, endKey);
  }

  public byte[] encode() {
    if (kind == Kind.UPSERT) {
      return encodeUpsert(descriptor.encode());
    }
    return Tuple.from(FORMAT, kind.name(), removedRangeId, Keyspace.endElement(removedEndKey))
        .pack();
  }

  /** The encoding of {@code upsert(d)} from {@code d.encode()}, so a writer encodes d once. */
  static byte[] encodeUpsert(byte[] encodedDescriptor) {
    return Tuple.from(FORMAT, Kind.UPSERT.name(), encodedDescriptor).pack();
  }

  public static ChangeEvent decode(byte[] value) {
    String what = "change event";
    Tuple t = Records.unpack(value, what, FORMAT);
    Kind kind;
    try {
      kind = Kind.valueOf(Records.field(t, 1, String.class, what));
    } catch (IllegalArgumentException e) {
      throw MetaException.of(
          MetaException.Code.CORRUPT_RECORD, what + " has unknown kind " + t.get(1));
    }
    if (kind == Kind.UPSERT) {
      return upsert(RangeDescriptor.decode(Records.field(t, 2, byte[].class, what)));
    }
    return remove(Records.field(t, 2, Long.class, what), Keyspace.endKeyOf(t.get(3)));
  }

  /** An event read back from the changelog with the commit versionstamp that orders it. */
  public record At(Versionstamp position, ChangeEvent event) {}
}
