package io.fdbmeta.layer;

import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The lease rules as pure functions of (current lease, caller, time), shared by range leases and
 * the controller lease, so they can be checked without a database.
 *
 * <ul>
 *   <li>A grant succeeds if there is no lease, if the caller already holds it in the same
 *       incarnation (same epoch, later expiry), or if the lease is free for others ({@code now >
 *       expiresAt + maxClockOffset}); a grant to anyone but the recorded holder takes epoch {@code
 *       max(current, floor) + 1}.
 *   <li>A renewal succeeds only for the recorded holder at the recorded epoch while the lease is
 *       still valid for it ({@code now < expiresAt - maxClockOffset}).
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

  LeaseRules(LayerConfig config) {
    this.leaseMillis = config.leaseMillis();
    this.maxOffsetMillis = config.maxClockOffsetMillis();
  }

  /**
   * The lease after {@code caller} asks for it at {@code now}. {@code epochFloor} is the highest
   * epoch known elsewhere (a range descriptor's leaseEpoch), 0 if none.
   *
   * @throws MetaException built by {@code conflict} if another holder's lease is not yet free
   */
  Lease grant(
      @Nullable Lease current,
      long epochFloor,
      String caller,
      long callerIncarnation,
      long now,
      Function<String, MetaException> conflict) {
    if (current != null
        && current.holder().equals(caller)
        && current.holderIncarnation() == callerIncarnation) {
      return new Lease(
          caller,
          current.epoch(),
          Math.max(current.expiresAt(), now + leaseMillis),
          callerIncarnation);
    }
    if (current != null && !current.isFreeForOthers(now, maxOffsetMillis)) {
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
              + " until "
              + current.expiresAt()
              + "; free for others after "
              + (current.expiresAt() + maxOffsetMillis)
              + ", now is "
              + now);
    }
    long epoch = Math.max(current == null ? 0 : current.epoch(), epochFloor) + 1;
    return new Lease(caller, epoch, now + leaseMillis, callerIncarnation);
  }

  /**
   * The lease after its holder renews it at {@code now}: same holder and epoch, later expiry.
   *
   * @throws MetaException built by {@code conflict} if there is no lease, the caller does not hold
   *     it at {@code epoch}, or it is no longer valid for the holder
   */
  Lease renew(
      @Nullable Lease current,
      String caller,
      long epoch,
      long now,
      Function<String, MetaException> conflict) {
    requireHeld(current, caller, epoch, now, conflict);
    return new Lease(
        caller,
        epoch,
        Math.max(current.expiresAt(), now + leaseMillis),
        current.holderIncarnation());
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
              + "); acquire it again once it expires");
    }
  }

  /**
   * Checks that {@code caller} holds {@code current} at {@code epoch} and may still act on it.
   *
   * @throws MetaException built by {@code conflict} otherwise
   */
  void requireHeld(
      @Nullable Lease current,
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
    if (!current.isValidForHolder(now, maxOffsetMillis)) {
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
