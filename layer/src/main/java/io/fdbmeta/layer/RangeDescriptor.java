package io.fdbmeta.layer;

import com.apple.foundationdb.tuple.ByteArrayUtil;
import com.apple.foundationdb.tuple.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One range of the user keyspace: [startKey, endKey), where a null endKey means "to the end".
 * {@code generation} increases on every split, merge and replica change; {@code leaseEpoch} on
 * every lease grant. Storage nodes and routers compare both to fence stale requests.
 */
public final class RangeDescriptor {
  /** The format version an encoded descriptor starts with (the route index reads ids by hand). */
  public static final int FORMAT = 1;

  private final long rangeId;
  private final byte[] startKey;
  private final byte @Nullable [] endKey;
  private final long generation;
  private final List<String> replicas;
  private final @Nullable String leaseholder;
  private final long leaseEpoch;

  public RangeDescriptor(
      long rangeId,
      byte[] startKey,
      byte @Nullable [] endKey,
      long generation,
      List<String> replicas,
      @Nullable String leaseholder,
      long leaseEpoch) {
    if (endKey != null && ByteArrayUtil.compareUnsigned(startKey, endKey) >= 0) {
      throw new IllegalArgumentException(
          "range "
              + rangeId
              + " is empty or inverted: ["
              + ByteArrayUtil.printable(startKey)
              + ", "
              + ByteArrayUtil.printable(endKey)
              + ")");
    }
    this.rangeId = rangeId;
    this.startKey = startKey.clone();
    this.endKey = endKey == null ? null : endKey.clone();
    this.generation = generation;
    this.replicas = List.copyOf(replicas);
    this.leaseholder = leaseholder;
    this.leaseEpoch = leaseEpoch;
  }

  public long rangeId() {
    return rangeId;
  }

  public byte[] startKey() {
    return startKey.clone();
  }

  /** The exclusive end, or null for the last range. */
  public byte @Nullable [] endKey() {
    return endKey == null ? null : endKey.clone();
  }

  /** The end key without a defensive copy, for the route indexes; never modify it. */
  public byte @Nullable [] rawEndKey() {
    return endKey;
  }

  public long generation() {
    return generation;
  }

  public List<String> replicas() {
    return replicas;
  }

  public @Nullable String leaseholder() {
    return leaseholder;
  }

  public long leaseEpoch() {
    return leaseEpoch;
  }

  public boolean contains(byte[] key) {
    return ByteArrayUtil.compareUnsigned(startKey, key) <= 0
        && (endKey == null || ByteArrayUtil.compareUnsigned(key, endKey) < 0);
  }

  /** True if {@code key} lies strictly inside, so splitting there leaves two non-empty ranges. */
  public boolean isInterior(byte[] key) {
    return ByteArrayUtil.compareUnsigned(startKey, key) < 0
        && (endKey == null || ByteArrayUtil.compareUnsigned(key, endKey) < 0);
  }

  /**
   * The child of this range covering [start, end) after a split: the parent's replicas, leaseholder
   * and lease epoch, generation + 1. The one rule for split children, for the catalog's commit and
   * the leaseholder that prepares the children while serving.
   */
  public RangeDescriptor splitChild(long childId, byte[] start, byte @Nullable [] end) {
    return withBounds(childId, start, end, generation + 1);
  }

  public RangeDescriptor withBounds(
      long newId, byte[] start, byte @Nullable [] end, long newGeneration) {
    return new RangeDescriptor(newId, start, end, newGeneration, replicas, leaseholder, leaseEpoch);
  }

  public RangeDescriptor withReplicas(List<String> newReplicas, long newGeneration) {
    return new RangeDescriptor(
        rangeId, startKey, endKey, newGeneration, newReplicas, leaseholder, leaseEpoch);
  }

  public RangeDescriptor withLease(@Nullable String holder, long epoch) {
    return new RangeDescriptor(rangeId, startKey, endKey, generation, replicas, holder, epoch);
  }

  public byte[] encode() {
    return Tuple.from(
            FORMAT,
            rangeId,
            startKey,
            Keyspace.endElement(endKey),
            generation,
            Tuple.fromList(new ArrayList<Object>(replicas)),
            leaseholder,
            leaseEpoch)
        .pack();
  }

  /**
   * The range id of an encoded descriptor, without decoding the rest.
   *
   * @throws MetaException CORRUPT_RECORD if the value has no readable id
   */
  public static long decodeId(byte[] value) {
    String what = "range descriptor";
    return Records.field(Records.unpack(value, what, FORMAT), 1, Long.class, what);
  }

  public static RangeDescriptor decode(byte[] value) {
    String what = "range descriptor";
    Tuple t = Records.unpack(value, what, FORMAT);
    try {
      List<String> replicas = new ArrayList<>();
      for (Object o : t.getNestedList(5)) replicas.add((String) o);
      return new RangeDescriptor(
          t.getLong(1),
          t.getBytes(2),
          Keyspace.endKeyOf(t.get(3)),
          t.getLong(4),
          replicas,
          t.getString(6),
          t.getLong(7));
    } catch (RuntimeException e) {
      throw MetaException.of(MetaException.Code.CORRUPT_RECORD, "cannot decode " + what + ": " + e);
    }
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) return true;
    if (!(o instanceof RangeDescriptor)) return false;
    RangeDescriptor d = (RangeDescriptor) o;
    return rangeId == d.rangeId
        && generation == d.generation
        && leaseEpoch == d.leaseEpoch
        && Arrays.equals(startKey, d.startKey)
        && Arrays.equals(endKey, d.endKey)
        && replicas.equals(d.replicas)
        && Objects.equals(leaseholder, d.leaseholder);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        rangeId,
        generation,
        leaseEpoch,
        Arrays.hashCode(startKey),
        Arrays.hashCode(endKey),
        replicas,
        leaseholder);
  }

  @Override
  public String toString() {
    return "Range{"
        + rangeId
        + " ["
        + ByteArrayUtil.printable(startKey)
        + ", "
        + (endKey == null ? "∞" : ByteArrayUtil.printable(endKey))
        + ") gen="
        + generation
        + " replicas="
        + replicas
        + " leaseholder="
        + leaseholder
        + " epoch="
        + leaseEpoch
        + "}";
  }
}
