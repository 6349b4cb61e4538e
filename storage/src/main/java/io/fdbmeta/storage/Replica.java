package io.fdbmeta.storage;

import io.fdbmeta.layer.Lease;
import io.fdbmeta.layer.LeaseGuard;
import io.fdbmeta.layer.RangeDescriptor;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.jspecify.annotations.Nullable;

/*
 * This node's replica of one range: the descriptor it knows, the lease guard every request is
 * checked against, the lease it holds (if any), and the flags of the range-level operations.
 *
 * The view lock orders requests against changes of the view. A request that passes the header
 * check and touches data (a leaseholder's write, a follower's REPLICATE) holds the read lock from
 * the check to the last store; a change of descriptor or lease takes the write lock. So:
 *  - a write whose replication targets were taken from the old descriptor is in the map before
 *    the node acts on the new one; a replica added by the new descriptor then gets it through FETCH,
 *    which the node serves only at the new generation;
 *  - a follower never stores an old epoch's REPLICATE after it has accepted the new epoch's;
 *  - a handover that blocks writes and sees no write in flight knows none can start.
 */
/** One range as this node replicates it. Thread-safe. */
final class Replica {
  final long rangeId;
  final LeaseGuard guard;
  private final String me;
  private final ReentrantReadWriteLock viewLock = new ReentrantReadWriteLock();
  private volatile RangeDescriptor descriptor;
  private volatile @Nullable Lease lease;
  private volatile boolean synced;
  private volatile boolean removed;
  private volatile boolean writesBlocked;

  /**
   * Since when (layer clock millis) this leaseholder's writes of the range have failed to
   * replicate, 0 while they succeed (see LeaseKeeper: past a lease, it gives the lease up).
   */
  private volatile long replicationFailingSince;

  /** When a write of the range last failed to replicate (0: never). */
  private volatile long replicationLastFailure;

  /** When this node last gave the lease up for failing to replicate (0: never). */
  volatile long gaveUpAt;

  /**
   * Since when (layer clock millis) LeaseKeeper has seen this range's lease up for grabs (vacant,
   * or its holder not running), 0 while it is not: a replica waits its turn before taking it.
   */
  volatile long upForGrabsSince;

  /**
   * The process incarnation and descriptor generation SyncReporter last recorded this replica as
   * synced at (0: never); guarded by the SyncReporter.
   */
  private long markedIncarnation;

  private long markedGeneration;

  /** A split or lease handover of this range is running (one at a time). */
  final AtomicBoolean busy = new AtomicBoolean();

  /** A lease acquire or renewal for this range is in flight. */
  final AtomicBoolean leaseWork = new AtomicBoolean();

  /** FETCH of this range's data is running. */
  final AtomicBoolean fetching = new AtomicBoolean();

  private final AtomicInteger writesInFlight = new AtomicInteger();

  Replica(String me, RangeDescriptor descriptor, LeaseGuard guard, boolean synced) {
    if (guard.rangeId() != descriptor.rangeId())
      throw new IllegalArgumentException(
          "guard of range " + guard.rangeId() + " for range " + descriptor.rangeId());
    this.me = me;
    this.rangeId = descriptor.rangeId();
    this.descriptor = descriptor;
    this.guard = guard;
    this.synced = synced;
  }

  RangeDescriptor descriptor() {
    return descriptor;
  }

  @Nullable Lease lease() {
    return lease;
  }

  /** SyncReporter: the store records this replica as synced at {@code generation}. */
  void marked(long incarnation, long generation) {
    markedIncarnation = incarnation;
    markedGeneration = generation;
  }

  /** SyncReporter: true if the store records this replica as synced at {@code generation}. */
  boolean isMarked(long incarnation, long generation) {
    return markedIncarnation == incarnation && markedGeneration == generation;
  }

  boolean synced() {
    return synced;
  }

  void markSynced() {
    synced = true;
  }

  /**
   * The replica's range grew over data this node does not have: it must FETCH before serving again.
   */
  void markUnsynced() {
    synced = false;
  }

  boolean removed() {
    return removed;
  }

  boolean writesBlocked() {
    return writesBlocked;
  }

  /** Held by requests from the header check to their last store; see the class comment. */
  Lock readLock() {
    return viewLock.readLock();
  }

  // ---------------------------------------------------------------- view changes (write lock)

  /**
   * Takes in a descriptor of this range learned from the catalog. Ignored if older than the one
   * held (lower generation, or same generation and lower epoch).
   *
   * @return true if the lease needs this node's attention: the descriptor names this node
   *     leaseholder at an epoch whose lease this process does not know yet (a transfer to it, or a
   *     grant made for it; acquire it to serve), or names no leaseholder (released: any replica may
   *     acquire it now)
   */
  boolean learn(RangeDescriptor d) {
    viewLock.writeLock().lock();
    try {
      RangeDescriptor cur = descriptor;
      if (d.generation() < cur.generation()
          || (d.generation() == cur.generation() && d.leaseEpoch() < cur.leaseEpoch()))
        return false;
      descriptor = d;
      Lease mine = lease;
      if (me.equals(d.leaseholder())) {
        if (mine != null && mine.epoch() == d.leaseEpoch()) {
          guard.update(d.generation(), mine);
          return false;
        }
        guard.update(
            d.generation(),
            new Lease(
                me, d.leaseEpoch(), 0, 0)); // held, expiry unknown: serves nothing until acquired
        return true;
      }
      lease = null;
      guard.update(
          d.generation(),
          new Lease(Objects.requireNonNullElse(d.leaseholder(), ""), d.leaseEpoch(), 0, 0));
      return d.leaseholder() == null;
    } finally {
      viewLock.writeLock().unlock();
    }
  }

  /**
   * Takes in the outcome of this node's acquire, renewal or transfer of the lease. Ignored if an
   * epoch older than the descriptor's. The descriptor follows (leaseholder, epoch) at once, so
   * redirects name the new holder before the change feed brings the same descriptor.
   */
  void leaseChanged(Lease l) {
    viewLock.writeLock().lock();
    try {
      RangeDescriptor d = descriptor;
      if (l.epoch() < d.leaseEpoch()) return;
      boolean mine = l.holder().equals(me);
      lease = mine ? l : null;
      guard.update(guard.generation(), l);
      if (!l.holder().equals(d.leaseholder()) || l.epoch() != d.leaseEpoch()) {
        descriptor =
            new RangeDescriptor(
                d.rangeId(),
                d.startKey(),
                d.endKey(),
                d.generation(),
                d.replicas(),
                l.holder(),
                l.epoch());
      }
    } finally {
      viewLock.writeLock().unlock();
    }
  }

  /** A write of this range reached every replica. */
  void replicated() {
    if (replicationFailingSince != 0) replicationFailingSince = 0;
  }

  /** A write of this range could not be replicated within the budget at {@code now}. */
  synchronized void replicationFailed(long now) {
    if (replicationFailingSince == 0) replicationFailingSince = now;
    replicationLastFailure = now;
  }

  /**
   * True if writes of this range have failed to replicate, with no success between, for more than
   * {@code millis} up to a failure within the last {@code millis} (so an old failure followed by
   * silence, e.g. from an earlier term as leaseholder, does not count).
   */
  boolean replicationFailingFor(long millis, long now) {
    long since = replicationFailingSince;
    return since != 0 && now - since > millis && now - replicationLastFailure < millis;
  }

  /** The lease is no longer this node's (a renewal was refused). */
  void leaseLost(Lease l) {
    viewLock.writeLock().lock();
    try {
      if (lease != null && lease.epoch() == l.epoch()) lease = null;
    } finally {
      viewLock.writeLock().unlock();
    }
  }

  /**
   * Stops serving under the current epoch (before a transfer or release); see {@link
   * LeaseGuard#revoke()}.
   */
  void revoke() {
    viewLock.writeLock().lock();
    try {
      guard.revoke();
    } finally {
      viewLock.writeLock().unlock();
    }
  }

  /** After this, requests naming the range are treated as naming an unknown range. */
  void markRemoved() {
    viewLock.writeLock().lock();
    try {
      removed = true;
    } finally {
      viewLock.writeLock().unlock();
    }
  }

  void blockWrites(boolean blocked) {
    viewLock.writeLock().lock();
    try {
      writesBlocked = blocked;
    } finally {
      viewLock.writeLock().unlock();
    }
  }

  // ---------------------------------------------------------------- writes in flight

  /**
   * Counts a leaseholder write from its local store until its replication ends; call under the read
   * lock.
   */
  void writeStarted() {
    writesInFlight.incrementAndGet();
  }

  void writeEnded() {
    writesInFlight.decrementAndGet();
  }

  int writesInFlight() {
    return writesInFlight.get();
  }

  /** True if this node may serve clients for this range now. */
  boolean isServing() {
    return synced
        && !removed
        && guard.check(rangeId, guard.generation(), guard.epoch()) == LeaseGuard.Verdict.SERVE;
  }

  @Override
  public String toString() {
    return "Replica{"
        + descriptor
        + (synced ? "" : " syncing")
        + (removed ? " removed" : "")
        + " "
        + guard
        + "}";
  }
}
