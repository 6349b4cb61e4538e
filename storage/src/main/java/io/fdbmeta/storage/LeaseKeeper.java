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
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

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
 *    DEAD). The replicas take turns rather than race: the range id picks the first of the
 *    candidates (the replicas but the holder that stopped), and the k-th after it waits k renewal
 *    intervals first. So leases up for grabs spread over the replicas (evenly while each node gets
 *    through its queue within a renewal interval; one that falls behind leaves its turns to the
 *    next candidate: 27,000 to 46,000 each of 100,000 on three nodes here), and a node rarely
 *    finds another taking the same range in the same moment (each such race costs the loser a
 *    conflict and a retry, which at a hundred thousand vacant ranges kept the nodes too busy to
 *    heartbeat). If two still try, the transaction admits one winner, the others
 *    are refused and see the winner through the change feed. A released lease reaches the
 *    replicas through the change feed; for the others a tick reads each distinct holder's node
 *    record once, and a range's lease only if its holder is not LIVE or DRAINING: so while the
 *    fleet is healthy a tick costs a walk of the replicas in memory (what each needs is decided
 *    there, Need) and a read per holder node, nothing per range.
 *  - Acquisitions are queued and go to the store in batches (LeaseManager.acquireEachAsync), one
 *    batch in flight: a catalog imported with no leaseholders, or a failed node's ranges, cost a
 *    commit per batch, and the node's timer stays free for its heartbeats.
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

  /**
   * Ranges per acquisition transaction: each is a few reads and a descriptor rewrite, so a batch
   * stays far below 5 s and 10 MB.
   */
  static final int ACQUIRE_BATCH = 200;

  private final String me;
  private final Database db;
  private final LeaseManager leases;
  private final ReplicaSet replicas;
  private final NodeLiveness liveness;
  private final NodeRegistry registry;
  private final LayerConfig config;
  private final ScheduledExecutorService timer;
  private volatile boolean active = true;
  private volatile long turnMillis;

  /** Acquisitions waiting for the next batch, each with what completes when its batch is done. */
  private final Map<Replica, CompletableFuture<Void>> wanted = new LinkedHashMap<>();

  private boolean acquiring; // a batch is in flight; guarded by this, as is wanted

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
    turnMillis = intervalMillis;
    timer.scheduleWithFixedDelay(this::tick, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
  }

  /** No more renewals or acquisitions (close() is releasing the leases). */
  void stop() {
    active = false;
    List<CompletableFuture<Void>> dropped;
    synchronized (this) {
      dropped = List.copyOf(wanted.values());
      wanted.clear();
    }
    dropped.forEach(f -> f.complete(null));
  }

  /** True while a renewal or acquisition is in flight for some replica. */
  boolean busy() {
    for (Replica r : replicas.all()) {
      if (r.leaseWork.get()) return true;
    }
    return false;
  }

  void tick() {
    look(replicas.all());
  }

  /** Looks after one replica's lease now rather than at the next tick. */
  void attend(Replica r) {
    execute(() -> look(List.of(r)));
  }

  /** What a replica's lease needs, decided from what this node knows without reading the store. */
  private enum Need {
    NOTHING,
    /** An older expiring lease of this node: renewing converts it. */
    RENEW,
    /** This node's writes of the range have failed to replicate for longer than a lease. */
    GIVE_UP,
    /** The catalog names this node, at an epoch this process does not hold. */
    ACQUIRE,
    /** Vacant: acquire in this node's turn. */
    ACQUIRE_IN_TURN,
    /** Held by another node: up for grabs only if that node is not running. */
    CHECK_HOLDER,
    /** Held by another node that is not running: acquire in turn if the lease is free. */
    ACQUIRE_IF_FREE
  }

  /**
   * Starts what each replica's lease needs. The replicas other nodes lead wait for one read of each
   * such node's record; while those nodes run, that is all a tick reads.
   */
  private void look(Collection<Replica> rs) {
    Map<String, List<Replica>> byHolder = new HashMap<>();
    for (Replica r : rs) {
      Need need = need(r);
      if (need == Need.CHECK_HOLDER)
        byHolder.computeIfAbsent(r.descriptor().leaseholder(), h -> new ArrayList<>()).add(r);
      else start(r, need);
    }
    byHolder.forEach(
        (holder, waiting) ->
            running(holder)
                .whenComplete(
                    (up, e) -> {
                      if (e != null) return; // the next tick asks again
                      if (up) waiting.forEach(r -> r.upForGrabsSince = 0);
                      else
                        execute(
                            () -> {
                              for (Replica r : waiting)
                                if (need(r) == Need.CHECK_HOLDER) start(r, Need.ACQUIRE_IF_FREE);
                            });
                    }));
  }

  private Need need(Replica r) {
    if (!active || r.removed() || !r.synced() || r.leaseWork.get()) return Need.NOTHING;
    if (r.gaveUpAt != 0 && config.now() - r.gaveUpAt < config.leaseMillis())
      return Need.NOTHING; // gave it up: let a replica that can replicate take it
    RangeDescriptor d = r.descriptor();
    if (me.equals(d.leaseholder())) {
      r.upForGrabsSince = 0;
      Lease mine = r.lease();
      if (mine != null && mine.epoch() == d.leaseEpoch()) {
        if (!r.guard.isHolder()) return Need.NOTHING; // revoked: a handover or close is under way
        if (r.replicationFailingFor(config.leaseMillis(), config.now())) return Need.GIVE_UP;
        if (!mine.ridesOnLiveness()) return Need.RENEW;
        if (mine.holderIncarnation() == liveness.incarnation())
          return Need.NOTHING; // its heartbeats keep it
      }
      return Need.ACQUIRE;
    }
    if (r.busy.get()) return Need.NOTHING;
    return d.leaseholder() == null ? Need.ACQUIRE_IN_TURN : Need.CHECK_HOLDER;
  }

  private void start(Replica r, Need need) {
    if (need == Need.NOTHING || !r.leaseWork.compareAndSet(false, true)) return;
    CompletableFuture<Void> work;
    try {
      work = work(r, need);
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

  private CompletableFuture<Void> work(Replica r, Need need) {
    RangeDescriptor d = r.descriptor();
    Lease mine = r.lease();
    return switch (need) {
      case RENEW -> mine == null ? done() : renew(r, mine);
      case GIVE_UP -> mine == null ? done() : giveUp(r, mine);
      case ACQUIRE -> acquire(r);
      case ACQUIRE_IN_TURN -> acquireInTurn(r, d, null);
      case ACQUIRE_IF_FREE ->
          leases
              .isFreeAsync(db, r.rangeId)
              .thenCompose(free -> free ? acquireInTurn(r, d, d.leaseholder()) : done());
      case NOTHING, CHECK_HOLDER -> done();
    };
  }

  /** Whether the node's record is LIVE or DRAINING: its leases are its own while it runs. */
  private CompletableFuture<Boolean> running(String node) {
    return registry
        .getAsync(db, node)
        .thenApply(
            n ->
                n.isPresent()
                    && (n.get().status() == NodeStatus.LIVE
                        || n.get().status() == NodeStatus.DRAINING));
  }

  private void execute(Runnable task) {
    try {
      timer.execute(task);
    } catch (RejectedExecutionException e) {
      // shutting down
    }
  }

  /**
   * Acquires a lease up for grabs once it is this node's turn: at once for the first candidate the
   * range id picks, after k renewal intervals for the k-th after it. {@code stopped}: the holder
   * that stopped, which is no candidate.
   */
  private CompletableFuture<Void> acquireInTurn(
      Replica r, RangeDescriptor d, @Nullable String stopped) {
    long now = config.now();
    if (r.upForGrabsSince == 0) r.upForGrabsSince = now;
    long wait = turn(d, me, stopped) * turnMillis;
    return now - r.upForGrabsSince >= wait ? acquire(r) : done();
  }

  /**
   * {@code node}'s place among the candidates to take the range's lease, counted from the one the
   * range id picks: 0 goes first.
   */
  static int turn(RangeDescriptor d, String node, @Nullable String stopped) {
    List<String> candidates = new ArrayList<>(d.replicas());
    if (stopped != null) candidates.remove(stopped);
    int at = candidates.indexOf(node);
    if (at < 0) return 0;
    int first = Math.floorMod(Long.hashCode(d.rangeId() * 0x9E3779B97F4A7C15L), candidates.size());
    return Math.floorMod(at - first, candidates.size());
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

  /** Queues {@code r} for the next batch; completes when its batch is done. */
  private CompletableFuture<Void> acquire(Replica r) {
    CompletableFuture<Void> queued;
    synchronized (this) {
      if (!active) return done();
      queued = wanted.computeIfAbsent(r, x -> new CompletableFuture<>());
    }
    nextBatch();
    return queued;
  }

  /** Sends the next batch of wanted acquisitions, unless one is in flight. */
  private void nextBatch() {
    Map<Replica, CompletableFuture<Void>> batch = new LinkedHashMap<>();
    synchronized (this) {
      if (acquiring || wanted.isEmpty()) return;
      Iterator<Map.Entry<Replica, CompletableFuture<Void>>> it = wanted.entrySet().iterator();
      while (it.hasNext() && batch.size() < ACQUIRE_BATCH) {
        Map.Entry<Replica, CompletableFuture<Void>> e = it.next();
        batch.put(e.getKey(), e.getValue());
        it.remove();
      }
      acquiring = true;
    }
    List<Long> ids = new ArrayList<>();
    for (Replica r : batch.keySet()) ids.add(r.rangeId);
    CompletableFuture<Map<Long, Lease>> granted;
    try {
      granted = leases.acquireEachAsync(db, ids, me);
    } catch (RuntimeException e) {
      granted = CompletableFuture.failedFuture(e);
    }
    granted.whenComplete(
        (got, e) -> {
          for (Map.Entry<Replica, CompletableFuture<Void>> w : batch.entrySet()) {
            Lease l = got == null ? null : got.get(w.getKey().rangeId);
            if (l != null) w.getKey().leaseChanged(l); // even when stopping: close() releases it
            if (e == null) w.getValue().complete(null);
            else w.getValue().completeExceptionally(e);
          }
          synchronized (this) {
            acquiring = false;
          }
          try {
            timer.execute(this::nextBatch);
          } catch (RejectedExecutionException stopping) {
            stop(); // completes what is still queued, so close() does not wait for it
          }
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
