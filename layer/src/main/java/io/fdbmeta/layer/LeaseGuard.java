package io.fdbmeta.layer;

import java.time.Clock;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/*
 * What a storage node keeps per range to decide, on every request and without asking the
 * database, whether it may serve that request now.
 *
 * A request carries (rangeId, generation, epoch). Lower than what the guard holds means the sender
 * routed with an old view (STALE_REQUEST: send it our descriptor); higher means this node has not
 * yet learned of a change (NODE_BEHIND: it should refresh). Equal values are served only while the
 * node holds the lease and it is valid: for a lease riding on liveness (every lease granted now),
 * while the node's own NodeLiveness has the lease's incarnation and now < livenessExpiresAt -
 * maxClockOffset; for an older expiring lease, while now < expiresAt - maxClockOffset. Either way,
 * with clocks within the offset the node stops before any other node can be granted the lease.
 * A guard without a NodeLiveness serves no liveness lease.
 *
 * The state is one immutable snapshot in a volatile field: check() is a volatile read and a clock
 * read. Updates are rare (renewals, transfers) and synchronized; they never move (generation,
 * epoch) backwards, so a renewal result that arrives after a transfer result cannot resurrect the
 * old lease. revoke() is sticky for the epoch it revokes: only a later epoch serves again.
 */
/**
 * A per-range, in-memory lease check for a storage node's request path. Thread-safe; {@link #check}
 * never blocks and never touches the database.
 */
public final class LeaseGuard {
  /** The answer to one request's routing header. */
  public enum Verdict {
    /** Serve it. */
    SERVE,
    /** The request names another range. */
    WRONG_RANGE,
    /** The request's generation or epoch is older than this node's: the sender must refresh. */
    STALE_REQUEST,
    /** The request's generation or epoch is newer than this node's: this node must refresh. */
    NODE_BEHIND,
    /** This node does not hold the lease at this epoch (another node does, or it was given up). */
    NOT_LEASEHOLDER,
    /**
     * This node holds the lease but it is expired or within maxClockOffset of expiring: renew it.
     */
    LEASE_EXPIRED
  }

  private record State(
      long generation,
      long epoch,
      long expiresAt,
      long incarnation,
      boolean holder,
      long revokedEpoch) {}

  private final String nodeId;
  private final long rangeId;
  private final Clock clock;
  private final long maxClockOffsetMillis;
  private final @Nullable NodeLiveness liveness;
  private volatile State state;

  /** A guard that serves nothing until {@link #update} gives it a lease held by {@code nodeId}. */
  public LeaseGuard(
      String nodeId, long rangeId, long generation, Clock clock, long maxClockOffsetMillis) {
    this(nodeId, rangeId, generation, clock, maxClockOffsetMillis, null);
  }

  /**
   * A guard that serves nothing until {@link #update} gives it a lease held by {@code nodeId};
   * liveness leases are served while {@code liveness} (the node's own view) says so.
   */
  public LeaseGuard(
      String nodeId,
      long rangeId,
      long generation,
      Clock clock,
      long maxClockOffsetMillis,
      @Nullable NodeLiveness liveness) {
    this.liveness = liveness;
    if (maxClockOffsetMillis < 0)
      throw new IllegalArgumentException(
          "maxClockOffsetMillis must be >= 0, got " + maxClockOffsetMillis);
    this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
    this.rangeId = rangeId;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.maxClockOffsetMillis = maxClockOffsetMillis;
    this.state = new State(generation, 0, Long.MIN_VALUE, 0, false, 0);
  }

  /**
   * A guard for {@code nodeId}'s replica of {@code range}, e.g. for each child after a split,
   * holding {@code lease} if that is the node's (null: no lease yet).
   */
  public static LeaseGuard forRange(
      String nodeId, RangeDescriptor range, @Nullable Lease lease, LayerConfig config) {
    return forRange(nodeId, range, lease, config, null);
  }

  /**
   * As {@link #forRange(String, RangeDescriptor, Lease, LayerConfig)}, with the node's liveness.
   */
  public static LeaseGuard forRange(
      String nodeId,
      RangeDescriptor range,
      @Nullable Lease lease,
      LayerConfig config,
      @Nullable NodeLiveness liveness) {
    LeaseGuard g =
        new LeaseGuard(
            nodeId,
            range.rangeId(),
            range.generation(),
            config.clock(),
            config.maxClockOffsetMillis(),
            liveness);
    if (lease != null) g.update(range.generation(), lease);
    return g;
  }

  /** Decides whether a request with this routing header may be served now. */
  public Verdict check(long requestRangeId, long generation, long epoch) {
    State s = state;
    if (requestRangeId != rangeId) return Verdict.WRONG_RANGE;
    if (generation != s.generation)
      return generation < s.generation ? Verdict.STALE_REQUEST : Verdict.NODE_BEHIND;
    if (epoch != s.epoch) return epoch < s.epoch ? Verdict.STALE_REQUEST : Verdict.NODE_BEHIND;
    if (!s.holder || s.epoch <= s.revokedEpoch) return Verdict.NOT_LEASEHOLDER;
    return isValid(s) ? Verdict.SERVE : Verdict.LEASE_EXPIRED;
  }

  /**
   * Takes in the outcome of an acquire, renew, transfer or split at the range's {@code generation}.
   * Ignored if (generation, epoch) is older than what the guard has; at the same (generation,
   * epoch) only a later expiry is kept (a lease riding on liveness counts as later than any, so an
   * older expiring lease's conversion is taken in). Returns true if anything changed.
   */
  public synchronized boolean update(long generation, Lease lease) {
    State s = state;
    int order = compare(generation, lease.epoch(), s.generation, s.epoch);
    if (order < 0) return false;
    if (order == 0) {
      if (lease.expiresAt() <= s.expiresAt) return false;
      state =
          new State(
              s.generation,
              s.epoch,
              lease.expiresAt(),
              lease.holderIncarnation(),
              s.holder,
              s.revokedEpoch);
      return true;
    }
    state =
        new State(
            generation,
            lease.epoch(),
            lease.expiresAt(),
            lease.holderIncarnation(),
            lease.holder().equals(nodeId),
            s.revokedEpoch);
    return true;
  }

  /** Same as {@code update(range.generation(), lease)}. */
  public boolean update(RangeDescriptor range, Lease lease) {
    if (range.rangeId() != rangeId)
      throw new IllegalArgumentException(
          "guard of range " + rangeId + " cannot take range " + range.rangeId());
    return update(range.generation(), lease);
  }

  /**
   * Stops serving under the current epoch, before a transfer or release. Sticky: later updates at
   * this epoch do not undo it; only a later epoch (e.g. release then acquire again) serves again.
   */
  public synchronized void revoke() {
    State s = state;
    state =
        new State(
            s.generation,
            s.epoch,
            s.expiresAt,
            s.incarnation,
            s.holder,
            Math.max(s.revokedEpoch, s.epoch));
  }

  public long rangeId() {
    return rangeId;
  }

  public long generation() {
    return state.generation;
  }

  public long epoch() {
    return state.epoch;
  }

  /** The lease's expiry, {@link Lease#RIDES_ON_LIVENESS} for a lease riding on liveness. */
  public long expiresAt() {
    return state.expiresAt;
  }

  /** True if this node holds the lease, has not revoked it, and it is valid now. */
  public boolean isServing() {
    State s = state;
    return s.holder && s.epoch > s.revokedEpoch && isValid(s);
  }

  private boolean isValid(State s) {
    long now = clock.millis();
    if (s.expiresAt == Lease.RIDES_ON_LIVENESS)
      return liveness != null && liveness.isValid(s.incarnation, now, maxClockOffsetMillis);
    return now < s.expiresAt - maxClockOffsetMillis;
  }

  /**
   * True if this node holds the lease at the guard's epoch and has not revoked it (expiry aside).
   */
  public boolean isHolder() {
    State s = state;
    return s.holder && s.epoch > s.revokedEpoch;
  }

  private static int compare(long gen1, long epoch1, long gen2, long epoch2) {
    int c = Long.compare(gen1, gen2);
    return c != 0 ? c : Long.compare(epoch1, epoch2);
  }

  @Override
  public String toString() {
    State s = state;
    return "LeaseGuard{range "
        + rangeId
        + " node "
        + nodeId
        + " gen="
        + s.generation
        + " epoch="
        + s.epoch
        + " expires="
        + s.expiresAt
        + (isHolder() ? "" : " not-holder")
        + "}";
  }
}
