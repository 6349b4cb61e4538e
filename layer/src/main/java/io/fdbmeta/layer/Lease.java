package io.fdbmeta.layer;

import com.apple.foundationdb.tuple.Tuple;

/**
 * A time-bounded grant to one holder: of a range (lease/&lt;rangeId&gt;) or of the controller role.
 * The holder may act only while {@code now < expiresAt - maxClockOffset}; a new holder is granted
 * only once {@code now > expiresAt + maxClockOffset}, so with clocks within the offset two holders
 * never overlap. {@code epoch} increases on every grant to a new holder and fences stale actions.
 * {@code holderIncarnation} is the holder node's incarnation at the grant: a restarted node is a
 * new holder, so its old process cannot keep serving beside it under the same epoch.
 */
public record Lease(String holder, long epoch, long expiresAt, long holderIncarnation) {
  static final int FORMAT = 1;

  /** A lease whose holder is not a registered node process (the controller role). */
  public Lease(String holder, long epoch, long expiresAt) {
    this(holder, epoch, expiresAt, 0);
  }

  /** True if the holder may still act at {@code now} (millis) given the max clock offset. */
  public boolean isValidForHolder(long now, long maxClockOffsetMillis) {
    return now < expiresAt - maxClockOffsetMillis;
  }

  /** True if another node may be granted this lease at {@code now}. */
  public boolean isFreeForOthers(long now, long maxClockOffsetMillis) {
    return now > expiresAt + maxClockOffsetMillis;
  }

  public byte[] encode() {
    return Tuple.from(FORMAT, holder, epoch, expiresAt, holderIncarnation).pack();
  }

  public static Lease decode(byte[] value) {
    String what = "lease";
    Tuple t = Records.unpack(value, what, FORMAT);
    long incarnation =
        t.size() > 4 ? Records.field(t, 4, Long.class, what) : 0; // added without a format change
    return new Lease(
        Records.field(t, 1, String.class, what),
        Records.field(t, 2, Long.class, what),
        Records.field(t, 3, Long.class, what),
        incarnation);
  }
}
