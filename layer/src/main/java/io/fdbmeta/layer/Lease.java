package io.fdbmeta.layer;

import com.apple.foundationdb.tuple.Tuple;
import org.jspecify.annotations.Nullable;

/**
 * A grant to one holder: of a range (lease/&lt;rangeId&gt;) or of the controller role. {@code
 * epoch} increases on every grant to a new holder and fences stale actions. {@code
 * holderIncarnation} is the holder node's incarnation at the grant: a restarted node is a new
 * holder, so its old process cannot keep serving beside it under the same epoch.
 *
 * <p>Two kinds, told apart by {@code expiresAt}:
 *
 * <ul>
 *   <li><b>Liveness leases</b> (every range lease granted now): {@code expiresAt ==} {@link
 *       #RIDES_ON_LIVENESS}. The lease has no expiry of its own; it lives as long as the holder's
 *       node record keeps the incarnation it was granted under. Valid for the holder while that
 *       record has the lease's incarnation, is LIVE or DRAINING and {@code now < livenessExpiresAt
 *       - maxClockOffset}; free for others only once the record is DEAD or DECOMMISSIONED, is gone,
 *       or has another incarnation whose predecessor's liveness ran out. Never on time alone: a
 *       node whose liveness lapsed may heartbeat again and serve, so only marking it DEAD (which
 *       the failure detector does after {@code livenessExpiresAt + maxClockOffset}) frees its
 *       leases. One heartbeat extends all of a node's leases.
 *   <li><b>Expiring leases</b> (the controller lease, and range leases written by older binaries):
 *       the holder may act only while {@code now < expiresAt - maxClockOffset}; a new holder is
 *       granted only once {@code now > expiresAt + maxClockOffset}.
 * </ul>
 *
 * With clocks within the offset two holders never overlap under either kind.
 */
public record Lease(String holder, long epoch, long expiresAt, long holderIncarnation) {
  static final int FORMAT = 1;

  /**
   * The {@code expiresAt} of a lease that rides on its holder's liveness. Not {@code
   * Long.MAX_VALUE}: an older binary computes {@code expiresAt + maxClockOffset}, which must not
   * overflow, so it sees such a lease as held far into the future (never free, the safe side).
   */
  public static final long RIDES_ON_LIVENESS = Long.MAX_VALUE / 2;

  /** A lease whose holder is not a registered node process (the controller role). */
  public Lease(String holder, long epoch, long expiresAt) {
    this(holder, epoch, expiresAt, 0);
  }

  /** A range lease for {@code holder}'s incarnation that rides on that node's liveness. */
  public static Lease onLiveness(String holder, long epoch, long holderIncarnation) {
    return new Lease(holder, epoch, RIDES_ON_LIVENESS, holderIncarnation);
  }

  /** True if this lease has no expiry of its own and lives as long as its holder's liveness. */
  public boolean ridesOnLiveness() {
    return expiresAt == RIDES_ON_LIVENESS;
  }

  /**
   * True if the holder may still act at {@code now} (millis) given the max clock offset. For a
   * liveness lease this needs the holder's node record: use {@link #isValidForHolder(long, long,
   * NodeRecord)}; this form answers false for one.
   */
  public boolean isValidForHolder(long now, long maxClockOffsetMillis) {
    return !ridesOnLiveness() && now < expiresAt - maxClockOffsetMillis;
  }

  /**
   * True if another node may be granted this lease at {@code now}. For a liveness lease this needs
   * the holder's node record: use {@link #isFreeForOthers(long, long, NodeRecord)}; this form
   * answers false for one (the safe side).
   */
  public boolean isFreeForOthers(long now, long maxClockOffsetMillis) {
    return !ridesOnLiveness() && now > expiresAt + maxClockOffsetMillis;
  }

  /**
   * True if the holder may still act at {@code now}, {@code holderNode} being the holder's current
   * node record (null if there is none). An expiring lease ignores the record.
   */
  public boolean isValidForHolder(
      long now, long maxClockOffsetMillis, @Nullable NodeRecord holderNode) {
    if (!ridesOnLiveness()) return isValidForHolder(now, maxClockOffsetMillis);
    return holderNode != null
        && holderNode.nodeId().equals(holder)
        && holderNode.incarnation() == holderIncarnation
        && (holderNode.status() == NodeStatus.LIVE || holderNode.status() == NodeStatus.DRAINING)
        && now < holderNode.livenessExpiresAt() - maxClockOffsetMillis;
  }

  /**
   * True if another node may be granted this lease at {@code now}, {@code holderNode} being the
   * holder's current node record (null if there is none). A liveness lease is free once that record
   * is gone, is DEAD or DECOMMISSIONED (marking DEAD waits for the liveness to expire), or has
   * another incarnation and the one it replaced can no longer serve ({@code now > priorLivenessEnd
   * + maxClockOffset}: a restarted node never serves beside its old process); an expiring lease
   * once {@code now > expiresAt + maxClockOffset}.
   */
  public boolean isFreeForOthers(
      long now, long maxClockOffsetMillis, @Nullable NodeRecord holderNode) {
    if (!ridesOnLiveness()) return isFreeForOthers(now, maxClockOffsetMillis);
    if (holderNode == null || !holderNode.nodeId().equals(holder)) return true;
    if (holderNode.incarnation() != holderIncarnation)
      return now > holderNode.priorLivenessEnd() + maxClockOffsetMillis;
    return holderNode.status() == NodeStatus.DEAD
        || holderNode.status() == NodeStatus.DECOMMISSIONED;
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
