package io.fdbmeta.layer;

import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The lease rules as pure functions of (current lease, the holder's node record, caller, time),
 * shared by range leases and the controller lease, so they can be checked without a database. A
 * range-lease instance ({@link #forRanges}) grants liveness leases ({@link Lease#ridesOnLiveness});
 * a controller instance ({@link #forController}) grants expiring ones.
 *
 * <ul>
 *   <li>A grant succeeds if there is no lease, if the caller already holds it in the same
 *       incarnation (same epoch), or if the lease is free for others ({@link
 *       Lease#isFreeForOthers(long, long, NodeRecord)}); a grant to anyone but the recorded holder
 *       takes epoch {@code max(current, floor) + 1}.
 *   <li>A renewal succeeds only for the recorded holder at the recorded epoch while the lease is
 *       still valid for it. An expiring lease gets a later expiry; a liveness lease is unchanged
 *       (nothing to write: the holder's heartbeats keep it alive). A range-lease renewal or
 *       same-holder grant of an expiring lease (written by an older binary) converts it to a
 *       liveness lease at the same epoch: this is how stores written with per-range expiring leases
 *       are converted online, each lease within one renewal interval of its holder running this
 *       code, without stopping service (the holder stays the same, only the record changes).
 *   <li>A released lease is vacant: holder "" and expiry 0, keeping its epoch so the next grant
 *       still increases it.
 * </ul>
 *
 * Errors are built by the caller's {@code conflict} function so they carry its context.
 */
final class LeaseRules {
  static final String VACANT = "";

  private final long leaseMillis;
  private final long maxOffsetMillis;
  private final boolean liveness;

  private LeaseRules(LayerConfig config, boolean liveness) {
    this.leaseMillis = config.leaseMillis();
    this.maxOffsetMillis = config.maxClockOffsetMillis();
    this.liveness = liveness;
  }

  /** Rules for range leases: grants ride on the holder's liveness. */
  static LeaseRules forRanges(LayerConfig config) {
    return new LeaseRules(config, true);
  }

  /** Rules for the controller lease: expiration-based. */
  static LeaseRules forController(LayerConfig config) {
    return new LeaseRules(config, false);
  }

  /**
   * The lease after {@code caller} asks for it at {@code now}. {@code epochFloor} is the highest
   * epoch known elsewhere (a range descriptor's leaseEpoch), 0 if none; {@code holderNode} is the
   * current holder's node record (null if none, or for the controller lease).
   *
   * @throws MetaException built by {@code conflict} if another holder's lease is not yet free
   */
  Lease grant(
      @Nullable Lease current,
      @Nullable NodeRecord holderNode,
      long epochFloor,
      String caller,
      long callerIncarnation,
      long now,
      Function<String, MetaException> conflict) {
    if (current != null
        && current.holder().equals(caller)
        && current.holderIncarnation() == callerIncarnation) {
      return extended(current, callerIncarnation, now);
    }
    if (current != null && !current.isFreeForOthers(now, maxOffsetMillis, holderNode)) {
      String previous =
          current.holder().equals(caller)
              ? " (a previous process of this node, incarnation "
                  + current.holderIncarnation()
                  + ")"
              : "";
      throw conflict.apply(
          "lease is held by "
              + current.holder()
              + previous
              + " at epoch "
              + current.epoch()
              + (current.ridesOnLiveness()
                  ? " on its liveness (incarnation "
                      + current.holderIncarnation()
                      + "); free for others once that node is marked DEAD or restarts"
                  : " until "
                      + current.expiresAt()
                      + "; free for others after "
                      + (current.expiresAt() + maxOffsetMillis))
              + ", now is "
              + now);
    }
    long epoch = Math.max(current == null ? 0 : current.epoch(), epochFloor) + 1;
    return fresh(caller, epoch, callerIncarnation, now);
  }

  /**
   * The lease after its holder renews it at {@code now}: same holder and epoch; an expiring
   * controller lease gets a later expiry, a range lease rides on liveness (unchanged if it already
   * did, converted if it was an older expiring one).
   *
   * @throws MetaException built by {@code conflict} if there is no lease, the caller does not hold
   *     it at {@code epoch}, or it is no longer valid for the holder
   */
  Lease renew(
      @Nullable Lease current,
      @Nullable NodeRecord holderNode,
      String caller,
      long epoch,
      long now,
      Function<String, MetaException> conflict) {
    requireHeld(current, holderNode, caller, epoch, now, conflict);
    long incarnation =
        current.holderIncarnation() == 0 && holderNode != null
            ? holderNode.incarnation()
            : current.holderIncarnation();
    return extended(current, incarnation, now);
  }

  /** A new grant: a liveness lease for ranges, an expiring one for the controller. */
  Lease fresh(String holder, long epoch, long incarnation, long now) {
    return liveness
        ? Lease.onLiveness(holder, epoch, incarnation)
        : new Lease(holder, epoch, now + leaseMillis, incarnation);
  }

  private Lease extended(Lease current, long incarnation, long now) {
    if (liveness) return Lease.onLiveness(current.holder(), current.epoch(), incarnation);
    return new Lease(
        current.holder(),
        current.epoch(),
        Math.max(current.expiresAt(), now + leaseMillis),
        incarnation);
  }

  /**
   * Checks that the holder's node still runs the process the lease was granted to.
   *
   * @throws MetaException built by {@code conflict} if the node restarted since the grant
   */
  static void requireSameProcess(
      Lease current, long nodeIncarnation, Function<String, MetaException> conflict) {
    if (current.holderIncarnation() != 0 && current.holderIncarnation() != nodeIncarnation) {
      throw conflict.apply(
          "lease was granted to incarnation "
              + current.holderIncarnation()
              + " of "
              + current.holder()
              + ", which has restarted (now incarnation "
              + nodeIncarnation
              + "); acquire it again once it is free");
    }
  }

  /**
   * Checks that {@code caller} holds {@code current} at {@code epoch} and may still act on it,
   * {@code holderNode} being the holder's node record (null if none, or for the controller lease).
   *
   * @throws MetaException built by {@code conflict} otherwise
   */
  void requireHeld(
      @Nullable Lease current,
      @Nullable NodeRecord holderNode,
      String caller,
      long epoch,
      long now,
      Function<String, MetaException> conflict) {
    if (current == null || isVacant(current))
      throw conflict.apply("no one holds the lease; acquire it");
    if (!current.holder().equals(caller) || current.epoch() != epoch) {
      throw conflict.apply(
          caller
              + " at epoch "
              + epoch
              + " does not hold the lease; "
              + current.holder()
              + " holds it at epoch "
              + current.epoch());
    }
    if (!current.isValidForHolder(now, maxOffsetMillis, holderNode)) {
      if (current.ridesOnLiveness()) {
        throw conflict.apply(
            "lease rides on incarnation "
                + current.holderIncarnation()
                + " of "
                + caller
                + ", whose liveness is "
                + (holderNode == null
                    ? "gone"
                    : holderNode.status()
                        + " at incarnation "
                        + holderNode.incarnation()
                        + " until "
                        + holderNode.livenessExpiresAt())
                + ", now is "
                + now
                + "; heartbeat or acquire it again");
      }
      throw conflict.apply(
          "lease expired at "
              + current.expiresAt()
              + " (valid until "
              + (current.expiresAt() - maxOffsetMillis)
              + "), now is "
              + now
              + "; acquire it again");
    }
  }

  /** The lease a holder leaves behind when it releases: nobody holds it, the epoch stays. */
  static Lease vacated(Lease released) {
    return new Lease(VACANT, released.epoch(), 0, 0);
  }

  static boolean isVacant(Lease lease) {
    return lease.holder().equals(VACANT);
  }
}
