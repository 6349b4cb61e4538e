package io.fdbmeta.storage;

import com.apple.foundationdb.Database;
import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.Lease;
import io.fdbmeta.layer.LeaseManager;
import io.fdbmeta.layer.MetaException;
import io.fdbmeta.layer.NodeLiveness;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.NodeStatus;
import io.fdbmeta.layer.RangeDescriptor;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/*
 * Lease policy while there is no controller: the catalog decides, nodes only ask.
 *  - Range leases ride on the node's liveness (Lease.onLiveness): the node's heartbeats keep all
 *    of them alive in one write, so a held liveness lease needs nothing here. A held lease an
 *    older binary wrote with its own expiry is renewed once, which converts it to a liveness lease
 *    at the same epoch (the online conversion of an old store: within one tick, while serving).
 *  - If the descriptor names this node but this process holds no lease at that epoch (a transfer
 *    to it, a grant made for it by an operator or LocalCluster), or holds it under an earlier
 *    incarnation (it was marked DEAD and registered again), it acquires: a grant to the recorded
 *    holder process keeps the epoch; one to a later incarnation takes the next.
 *  - Any synced replica acquires a range whose lease is vacant (released) or free for others
 *    (LeaseManager.isFreeAsync: for a liveness lease, its holder is DEAD, gone or restarted; never
 *    on time alone, so without a controller a stopped holder's ranges wait for it to be marked
 *    DEAD). All replicas may try at once; the transaction admits one winner, the others get
 *    LEASE_CONFLICT and see the winner through the change feed. A released lease reaches the
 *    replicas through the change feed; for the others a tick reads each distinct holder's node
 *    record once, and a range's lease only if its holder is not LIVE or DRAINING: so a tick costs
 *    reads per holder node, not per range, while the fleet is healthy.
 *  - The weak spot of leases riding on liveness: a node that still heartbeats but cannot reach its
 *    replicas would keep its leases for ever while no write of those ranges succeeds. So a
 *    leaseholder whose writes of a range have failed to replicate (Replicator times out) for
 *    longer than a lease gives that lease up: it stops serving (revoke) and releases, so another
 *    synced replica acquires it at the next epoch; the node itself does not take a range it gave
 *    up back for a lease. Nothing acknowledged is lost: a write is acknowledged only once every
 *    replica stored it.
 *  - A replica still copying its data never asks, and nothing is asked during a handover or after
 *    close() began.
 */
/** Acquires this node's range leases, and converts older expiring ones. */
final class LeaseKeeper {
  private static final System.Logger LOG = System.getLogger(LeaseKeeper.class.getName());

  private final String me;
  private final Database db;
  private final LeaseManager leases;
  private final ReplicaSet replicas;
  private final NodeLiveness liveness;
  private final NodeRegistry registry;
  private final LayerConfig config;
  private final ScheduledExecutorService timer;
  private volatile boolean active = true;

  LeaseKeeper(
      String me,
      Database db,
      LeaseManager leases,
      ReplicaSet replicas,
      NodeLiveness liveness,
      NodeRegistry registry,
      LayerConfig config,
      ScheduledExecutorService timer) {
    this.liveness = liveness;
    this.registry = registry;
    this.me = me;
    this.db = db;
    this.leases = leases;
    this.replicas = replicas;
    this.config = config;
    this.timer = timer;
  }

  void start(long intervalMillis) {
    timer.scheduleWithFixedDelay(this::tick, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
  }

  /** No more renewals or acquisitions (close() is releasing the leases). */
  void stop() {
    active = false;
  }

  /** True while a renewal or acquisition is in flight for some replica. */
  boolean busy() {
    for (Replica r : replicas.all()) {
      if (r.leaseWork.get()) return true;
    }
    return false;
  }

  void tick() {
    Map<String, CompletableFuture<Boolean>> running = new HashMap<>();
    for (Replica r : replicas.all()) maintain(r, running);
  }

  /** Looks after one replica's lease now rather than at the next tick. */
  void attend(Replica r) {
    try {
      timer.execute(() -> maintain(r, new HashMap<>()));
    } catch (RejectedExecutionException e) {
      // shutting down
    }
  }

  /**
   * {@code running}: per holder node id, whether its record is LIVE or DRAINING, read at most once
   * per tick.
   */
  private void maintain(Replica r, Map<String, CompletableFuture<Boolean>> running) {
    if (!active || r.removed() || !r.synced()) return;
    if (!r.leaseWork.compareAndSet(false, true)) return;
    CompletableFuture<Void> work;
    try {
      work = work(r, running);
    } catch (RuntimeException e) {
      work = CompletableFuture.failedFuture(e);
    }
    work.whenComplete(
        (x, e) -> {
          r.leaseWork.set(false);
          if (e != null)
            LOG.log(
                System.Logger.Level.DEBUG,
                "lease work on range " + r.rangeId + " failed: " + Async.describe(e));
        });
  }

  private CompletableFuture<Void> work(Replica r, Map<String, CompletableFuture<Boolean>> running) {
    RangeDescriptor d = r.descriptor();
    Lease mine = r.lease();
    if (r.gaveUpAt != 0 && config.now() - r.gaveUpAt < config.leaseMillis())
      return done(); // gave it up: let a replica that can replicate take it
    if (me.equals(d.leaseholder())) {
      if (mine != null && mine.epoch() == d.leaseEpoch()) {
        if (!r.guard.isHolder()) return done(); // revoked: a handover or close is under way
        if (r.replicationFailingFor(config.leaseMillis(), config.now())) return giveUp(r, mine);
        if (!mine.ridesOnLiveness()) return renew(r, mine); // converts it
        if (mine.holderIncarnation() == liveness.incarnation()) return done(); // heartbeats keep it
      }
      return acquire(r);
    }
    if (r.busy.get()) return done();
    if (d.leaseholder() == null) return acquire(r);
    return running
        .computeIfAbsent(
            d.leaseholder(),
            h ->
                registry
                    .getAsync(db, h)
                    .thenApply(
                        n ->
                            n.isPresent()
                                && (n.get().status() == NodeStatus.LIVE
                                    || n.get().status() == NodeStatus.DRAINING)))
        .thenCompose(
            up ->
                up
                    ? done() // its leases are its own while it runs; nothing read per range
                    : leases
                        .isFreeAsync(db, r.rangeId)
                        .thenCompose(free -> free ? acquire(r) : done()));
  }

  private CompletableFuture<Void> renew(Replica r, Lease mine) {
    return leases
        .renewAsync(db, r.rangeId, me, mine.epoch())
        .<Void>handle(
            (l, e) -> {
              if (e == null) {
                r.leaseChanged(l);
              } else if (code(e) == MetaException.Code.LEASE_CONFLICT) {
                r.leaseLost(mine);
                LOG.log(
                    System.Logger.Level.INFO,
                    "node "
                        + me
                        + " could not renew range "
                        + r.rangeId
                        + ": "
                        + Async.describe(e));
              }
              return null;
            });
  }

  /** Stops serving {@code r} and releases its lease: its writes cannot be replicated. */
  private CompletableFuture<Void> giveUp(Replica r, Lease mine) {
    LOG.log(
        System.Logger.Level.WARNING,
        "node "
            + me
            + " gives up the lease of range "
            + r.rangeId
            + " at epoch "
            + mine.epoch()
            + ": its writes have not replicated for more than "
            + config.leaseMillis()
            + " ms");
    r.revoke();
    r.gaveUpAt = config.now();
    r.replicated(); // counted afresh if it ever leads again
    return leases
        .releaseAsync(db, r.rangeId, me, mine.epoch())
        .<Void>handle(
            (x, e) -> {
              if (e == null) r.leaseLost(mine);
              return null;
            });
  }

  private CompletableFuture<Void> acquire(Replica r) {
    if (!active) return done();
    return leases
        .acquireAsync(db, r.rangeId, me)
        .<Void>handle(
            (l, e) -> {
              if (e == null)
                r.leaseChanged(l); // even when stopping: close() releases what it knows of
              return null;
            });
  }

  static MetaException.Code code(Throwable e) {
    RuntimeException t = FdbErrors.translate(e);
    return t instanceof MetaException ? ((MetaException) t).code() : MetaException.Code.STORE_ERROR;
  }

  private static CompletableFuture<Void> done() {
    return CompletableFuture.completedFuture(null);
  }
}
