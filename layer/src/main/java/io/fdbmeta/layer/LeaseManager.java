package io.fdbmeta.layer;

import com.apple.foundationdb.ReadTransactionContext;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.TransactionContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/*
 * Range leases (lease/<rangeId>) and the controller lease (controller), one set of rules
 * (LeaseRules) for both.
 *
 * Who may hold what: a range lease only goes to a LIVE replica of the range; the controller lease
 * to any holder id. A new holder is granted only once the old lease is free for others, or at once
 * when the holder hands it over (transfer) or gives it up (release): in those two cases the old
 * holder stopped serving before asking.
 *
 * Range leases ride on the holder's liveness (Lease.RIDES_ON_LIVENESS): free for others only once
 * the holder's node record is DEAD, DECOMMISSIONED, gone or at another incarnation, so each rule
 * that needs it reads the holder's node record in the same transaction. Upkeep is the node's
 * heartbeat alone: renewing a liveness lease writes nothing. Renewing (or re-acquiring) a range
 * lease an older binary wrote with its own expiry converts it to a liveness lease at the same
 * epoch, so an old store is converted online within one renewal interval of each holder, without
 * stopping service. The controller lease stays expiration-based.
 *
 * What changes where: a change of holder or epoch is a routing change, so it rewrites the range
 * descriptor (leaseholder, leaseEpoch, range_by_node roles) through RouteWriter in the same commit,
 * which bumps meta_version and appends to the changelog. A renewal changes at most the lease
 * record's format (conversion), which routers do not need, so it writes the lease record alone.
 *
 * Retries after commit_unknown_result: a retried grant finds the caller already holding the lease
 * and only extends it (epoch counted once); a retried transfer finds the target holding it at
 * fromEpoch + 1 and returns that; a retried release finds the lease no longer held by the caller
 * and does nothing.
 */
public final class LeaseManager {
  private final RangeCatalog catalog;
  private final Keyspace ks;
  private final LayerConfig config;
  private final LeaseRules rules;
  private final LeaseRules controllerRules;

  public LeaseManager(RangeCatalog catalog) {
    this.catalog = Objects.requireNonNull(catalog, "catalog");
    this.ks = catalog.keyspace();
    this.config = catalog.config();
    this.rules = LeaseRules.forRanges(config);
    this.controllerRules = LeaseRules.forController(config);
  }

  // ---------------------------------------------------------------- range leases

  /**
   * Grants the range's lease to {@code nodeId} as a liveness lease, or keeps it if the node already
   * holds it (same epoch; an older expiring lease is converted, otherwise nothing is written). A
   * grant to a new holder takes the next epoch and updates the descriptor.
   *
   * @throws MetaException (through the future) UNKNOWN_RANGE; UNKNOWN_NODE; NOT_ALLOWED if the node
   *     is not a replica of the range, not LIVE, or its liveness expired; LEASE_CONFLICT if another
   *     holder's lease is not yet free for others
   */
  public CompletableFuture<Lease> acquireAsync(TransactionContext db, long rangeId, String nodeId) {
    return db.runAsync(
        tr -> readState(tr, rangeId, nodeId).thenApply(s -> grant(tr, s, nodeId, config.now())));
  }

  /**
   * {@link #acquireAsync} for several ranges in one transaction: a node taking many vacant leases
   * (a catalog just imported, a failed node's ranges) pays one commit per batch, not per range. A
   * range the node may not take (any refusal {@code acquireAsync} fails with) is left out of the
   * result and does not hold up the others. Keep batches to a few hundred ranges: each is a few
   * reads and a descriptor rewrite.
   *
   * @return the leases granted (or kept), by range id
   */
  public CompletableFuture<Map<Long, Lease>> acquireEachAsync(
      TransactionContext db, Collection<Long> rangeIds, String nodeId) {
    return db.runAsync(
        tr -> {
          List<CompletableFuture<@Nullable State>> reads = new ArrayList<>();
          for (long id : rangeIds) reads.add(readState(tr, id, nodeId).exceptionally(refused()));
          return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
              .thenApply(
                  x -> {
                    long now = config.now();
                    Map<Long, Lease> granted = new LinkedHashMap<>();
                    for (CompletableFuture<@Nullable State> read : reads) {
                      State s = read.join();
                      if (s == null) continue;
                      try {
                        granted.put(s.range.rangeId(), grant(tr, s, nodeId, now));
                      } catch (MetaException refusedHere) {
                        // another holder, or not a live replica: the other ranges go on
                      }
                    }
                    return granted;
                  });
        });
  }

  /** Null for a refusal (a MetaException); a store error is rethrown for the retry loop. */
  private static <T> Function<Throwable, @Nullable T> refused() {
    return e -> {
      Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      if (c instanceof MetaException) return null;
      throw c instanceof RuntimeException ? (RuntimeException) c : new CompletionException(c);
    };
  }

  /** Grants (or keeps) the lease read in {@code s} to {@code nodeId}, or throws the refusal. */
  private Lease grant(Transaction tr, State s, String nodeId, long now) {
    requireLiveReplica(s, nodeId, now);
    Lease next =
        rules.grant(
            s.lease,
            s.holderNode,
            s.range.leaseEpoch(),
            nodeId,
            s.node.incarnation(),
            now,
            conflict(s.range.rangeId()));
    write(tr, s.range, s.lease, next);
    return next;
  }

  public Lease acquire(TransactionContext db, long rangeId, String nodeId) {
    return FdbErrors.join(acquireAsync(db, rangeId, nodeId));
  }

  /**
   * Confirms the holder's lease. A liveness lease is returned unchanged and nothing is written (the
   * holder's heartbeats keep it alive); an older expiring lease is converted to a liveness lease at
   * the same epoch, writing only the lease record.
   *
   * @throws MetaException (through the future) UNKNOWN_RANGE; LEASE_CONFLICT if {@code nodeId} does
   *     not hold the lease at {@code epoch}, the lease is no longer valid for it (acquire it
   *     again), or the node is DEAD or DECOMMISSIONED
   */
  public CompletableFuture<Lease> renewAsync(
      TransactionContext db, long rangeId, String nodeId, long epoch) {
    return db.runAsync(
        tr ->
            tr.get(ks.leaseKey(rangeId))
                .thenCombine(
                    tr.get(ks.nodeKey(nodeId)),
                    (leaseValue, nodeValue) -> {
                      Lease current = leaseValue == null ? null : Lease.decode(leaseValue);
                      // a node marked dead must not keep its leases alive, or failover would wait
                      // forever
                      NodeRecord node = nodeValue == null ? null : NodeRecord.decode(nodeValue);
                      NodeStatus status = node == null ? null : node.status();
                      if (current != null
                          && (status == NodeStatus.DEAD || status == NodeStatus.DECOMMISSIONED)) {
                        throw conflict(rangeId)
                            .apply("node " + nodeId + " is " + status + " and cannot renew");
                      }
                      if (current != null && node != null && current.holder().equals(nodeId)) {
                        LeaseRules.requireSameProcess(
                            current, node.incarnation(), conflict(rangeId));
                      }
                      return new Held(current, node);
                    })
                .thenCompose(
                    held -> {
                      Lease current = held.lease;
                      if (current == null) {
                        return catalog
                            .requireRange(tr, rangeId)
                            .<Lease>thenApply(
                                d -> {
                                  throw conflict(rangeId).apply("range has no lease; acquire it");
                                });
                      }
                      Lease next =
                          rules.renew(
                              current,
                              current.holder().equals(nodeId) ? held.node : null,
                              nodeId,
                              epoch,
                              config.now(),
                              conflict(rangeId));
                      if (!next.equals(current)) tr.set(ks.leaseKey(rangeId), next.encode());
                      return CompletableFuture.completedFuture(next);
                    }));
  }

  public Lease renew(TransactionContext db, long rangeId, String nodeId, long epoch) {
    return FdbErrors.join(renewAsync(db, rangeId, nodeId, epoch));
  }

  /**
   * Hands the lease from its current holder to another LIVE replica at once, with epoch + 1. The
   * caller must have stopped serving the range under {@code fromEpoch} first (see {@link
   * LeaseGuard#revoke()}), since the new holder may serve as soon as this commits.
   *
   * @throws MetaException (through the future) UNKNOWN_RANGE; UNKNOWN_NODE; INVALID_ARGUMENT if
   *     both nodes are the same; LEASE_CONFLICT if {@code fromNode} does not hold a valid lease at
   *     {@code fromEpoch}; NOT_ALLOWED if {@code toNode} is not a LIVE replica with unexpired
   *     liveness
   */
  public CompletableFuture<Lease> transferAsync(
      TransactionContext db, long rangeId, String fromNode, long fromEpoch, String toNode) {
    Transfer t = new Transfer(rangeId, fromEpoch, toNode);
    return db.runAsync(
        tr ->
            readState(tr, rangeId, toNode)
                .thenCombine(
                    tr.get(ks.nodeKey(fromNode)),
                    (s, from) -> handOver(tr, s, decodeNode(from), fromNode, t, config.now())));
  }

  /** One lease to hand over: the range, the epoch its holder holds, and the replica to take it. */
  public record Transfer(long rangeId, long fromEpoch, String toNode) {}

  /**
   * {@link #transferAsync} for several of {@code fromNode}'s leases in one transaction: a node
   * handing over all it leads as it stops pays one commit per batch, not per range. A transfer the
   * rules refuse (any refusal {@code transferAsync} fails with) is left out of the result and does
   * not hold up the others. Keep batches to a few hundred ranges.
   *
   * @return the leases handed over (or found handed over already), by range id
   */
  public CompletableFuture<Map<Long, Lease>> transferEachAsync(
      TransactionContext db, String fromNode, Collection<Transfer> transfers) {
    return db.runAsync(
        tr -> {
          CompletableFuture<byte @Nullable []> fromValue = tr.get(ks.nodeKey(fromNode));
          List<CompletableFuture<@Nullable State>> reads = new ArrayList<>();
          for (Transfer t : transfers)
            reads.add(readState(tr, t.rangeId(), t.toNode()).exceptionally(refused()));
          return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
              .thenCombine(
                  fromValue,
                  (x, value) -> {
                    NodeRecord from = decodeNode(value);
                    long now = config.now();
                    Map<Long, Lease> done = new LinkedHashMap<>();
                    int i = 0;
                    for (Transfer t : transfers) {
                      State s = reads.get(i++).join();
                      if (s == null) continue;
                      try {
                        done.put(t.rangeId(), handOver(tr, s, from, fromNode, t, now));
                      } catch (MetaException refusedHere) {
                        // not held at that epoch, or the target is not another live replica
                      }
                    }
                    return done;
                  });
        });
  }

  /** Hands the lease read in {@code s} to {@code t.toNode()}, or throws the refusal. */
  private Lease handOver(
      Transaction tr, State s, @Nullable NodeRecord from, String fromNode, Transfer t, long now) {
    long rangeId = t.rangeId();
    if (fromNode.equals(t.toNode())) {
      throw MetaException.forRange(
          MetaException.Code.INVALID_ARGUMENT,
          rangeId,
          "cannot transfer a lease from " + fromNode + " to itself");
    }
    if (s.lease != null
        && s.lease.holder().equals(t.toNode())
        && s.lease.epoch() == t.fromEpoch() + 1) return s.lease; // already done
    if (from != null && s.lease != null && s.lease.holder().equals(fromNode))
      LeaseRules.requireSameProcess(s.lease, from.incarnation(), conflict(rangeId));
    rules.requireHeld(s.lease, from, fromNode, t.fromEpoch(), now, conflict(rangeId));
    requireLiveReplica(s, t.toNode(), now);
    Lease next =
        rules.fresh(
            t.toNode(),
            Math.max(t.fromEpoch(), s.range.leaseEpoch()) + 1,
            s.node.incarnation(),
            now);
    write(tr, s.range, s.lease, next);
    return next;
  }

  private static @Nullable NodeRecord decodeNode(byte @Nullable [] value) {
    return value == null ? null : NodeRecord.decode(value);
  }

  public Lease transfer(
      TransactionContext db, long rangeId, String fromNode, long fromEpoch, String toNode) {
    return FdbErrors.join(transferAsync(db, rangeId, fromNode, fromEpoch, toNode));
  }

  /**
   * Gives up the lease so another replica can be granted it at once (epoch + 1); the descriptor's
   * leaseholder becomes null. The caller must have stopped serving first. Does nothing if {@code
   * nodeId} does not hold the lease at {@code epoch}, so a retry is harmless.
   *
   * @throws MetaException (through the future) UNKNOWN_RANGE
   */
  public CompletableFuture<Void> releaseAsync(
      TransactionContext db, long rangeId, String nodeId, long epoch) {
    return db.runAsync(tr -> releaseIn(tr, rangeId, nodeId, epoch));
  }

  /**
   * {@link #releaseAsync} for several of {@code nodeId}'s leases in one transaction (a node
   * stopping); a range that is gone is skipped. Keep batches to a few hundred ranges.
   *
   * @param epochs the epoch held, by range id
   */
  public CompletableFuture<Void> releaseEachAsync(
      TransactionContext db, String nodeId, Map<Long, Long> epochs) {
    return db.runAsync(
        tr -> {
          List<CompletableFuture<@Nullable Void>> each = new ArrayList<>();
          epochs.forEach(
              (rangeId, epoch) ->
                  each.add(releaseIn(tr, rangeId, nodeId, epoch).exceptionally(refused())));
          return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new));
        });
  }

  private CompletableFuture<Void> releaseIn(
      Transaction tr, long rangeId, String nodeId, long epoch) {
    return catalog
        .requireRange(tr, rangeId)
        .thenCombine(
            tr.get(ks.leaseKey(rangeId)),
            (d, leaseValue) -> {
              Lease current = leaseValue == null ? null : Lease.decode(leaseValue);
              if (current == null || !current.holder().equals(nodeId) || current.epoch() != epoch)
                return null;
              write(tr, d, current, LeaseRules.vacated(current));
              return null;
            });
  }

  public void release(TransactionContext db, long rangeId, String nodeId, long epoch) {
    FdbErrors.join(releaseAsync(db, rangeId, nodeId, epoch));
  }

  /** The range's lease record, if any (a released lease has holder "" and no longer counts). */
  public CompletableFuture<Optional<Lease>> getAsync(ReadTransactionContext db, long rangeId) {
    return db.readAsync(
        tr ->
            tr.get(ks.leaseKey(rangeId))
                .thenApply(
                    v ->
                        Optional.ofNullable(v)
                            .map(Lease::decode)
                            .filter(l -> !LeaseRules.isVacant(l))));
  }

  public Optional<Lease> get(ReadTransactionContext db, long rangeId) {
    return FdbErrors.join(getAsync(db, rangeId));
  }

  /**
   * True if another node may be granted the range's lease now: there is none, it was released, or
   * it is free for others ({@link Lease#isFreeForOthers(long, long, NodeRecord)}, reading the
   * holder's node record for a liveness lease).
   */
  public CompletableFuture<Boolean> isFreeAsync(ReadTransactionContext db, long rangeId) {
    return db.readAsync(
        tr ->
            tr.get(ks.leaseKey(rangeId))
                .thenCompose(
                    v -> {
                      Lease l = v == null ? null : Lease.decode(v);
                      if (l == null || LeaseRules.isVacant(l))
                        return CompletableFuture.completedFuture(true);
                      if (!l.ridesOnLiveness())
                        return CompletableFuture.completedFuture(
                            l.isFreeForOthers(config.now(), config.maxClockOffsetMillis()));
                      return tr.get(ks.nodeKey(l.holder()))
                          .thenApply(
                              n ->
                                  l.isFreeForOthers(
                                      config.now(),
                                      config.maxClockOffsetMillis(),
                                      n == null ? null : NodeRecord.decode(n)));
                    }));
  }

  // ---------------------------------------------------------------- controller lease

  /**
   * Makes {@code holderId} the active controller, or extends its term if it already is (same
   * epoch). A new controller takes the next epoch; act on controller decisions only with it.
   *
   * @throws MetaException (through the future) LEASE_CONFLICT if another controller's lease is not
   *     yet free for others
   */
  public CompletableFuture<Lease> acquireControllerAsync(TransactionContext db, String holderId) {
    requireHolderId(holderId);
    return db.runAsync(
        tr ->
            readController(tr)
                .thenApply(
                    current -> {
                      Lease next =
                          controllerRules.grant(
                              current, null, 0, holderId, 0, config.now(), CONTROLLER_CONFLICT);
                      tr.set(ks.controllerKey(), next.encode());
                      return next;
                    }));
  }

  public Lease acquireController(TransactionContext db, String holderId) {
    return FdbErrors.join(acquireControllerAsync(db, holderId));
  }

  /**
   * Extends the controller's term.
   *
   * @throws MetaException (through the future) LEASE_CONFLICT if {@code holderId} is not the
   *     controller at {@code epoch} or its lease is no longer valid
   */
  public CompletableFuture<Lease> renewControllerAsync(
      TransactionContext db, String holderId, long epoch) {
    return db.runAsync(
        tr ->
            readController(tr)
                .thenApply(
                    current -> {
                      Lease next =
                          controllerRules.renew(
                              current, null, holderId, epoch, config.now(), CONTROLLER_CONFLICT);
                      tr.set(ks.controllerKey(), next.encode());
                      return next;
                    }));
  }

  public Lease renewController(TransactionContext db, String holderId, long epoch) {
    return FdbErrors.join(renewControllerAsync(db, holderId, epoch));
  }

  /**
   * Steps down so another controller can take over at once. Does nothing unless {@code holderId} is
   * the controller at {@code epoch}.
   */
  public CompletableFuture<Void> resignControllerAsync(
      TransactionContext db, String holderId, long epoch) {
    return db.runAsync(
        tr ->
            readController(tr)
                .thenApply(
                    current -> {
                      if (current != null
                          && current.holder().equals(holderId)
                          && current.epoch() == epoch) {
                        tr.set(ks.controllerKey(), LeaseRules.vacated(current).encode());
                      }
                      return null;
                    }));
  }

  public void resignController(TransactionContext db, String holderId, long epoch) {
    FdbErrors.join(resignControllerAsync(db, holderId, epoch));
  }

  /** The controller lease, if someone holds or held it and has not resigned (check its expiry). */
  public CompletableFuture<Optional<Lease>> controllerAsync(ReadTransactionContext db) {
    return db.readAsync(
        tr ->
            tr.get(ks.controllerKey())
                .thenApply(
                    v ->
                        Optional.ofNullable(v)
                            .map(Lease::decode)
                            .filter(l -> !LeaseRules.isVacant(l))));
  }

  public Optional<Lease> controller(ReadTransactionContext db) {
    return FdbErrors.join(controllerAsync(db));
  }

  // ---------------------------------------------------------------- helpers

  private static final Function<String, MetaException> CONTROLLER_CONFLICT =
      msg -> MetaException.of(MetaException.Code.LEASE_CONFLICT, "controller: " + msg);

  private static Function<String, MetaException> conflict(long rangeId) {
    return msg -> MetaException.forRange(MetaException.Code.LEASE_CONFLICT, rangeId, msg);
  }

  private static void requireHolderId(String holderId) {
    if (holderId.isEmpty() || holderId.length() > 128) {
      throw new IllegalArgumentException(
          "controller holder id must be 1-128 characters, got '" + holderId + "'");
    }
  }

  /** A lease record with its holder's node record. */
  private record Held(@Nullable Lease lease, @Nullable NodeRecord node) {}

  /**
   * What a range lease decision needs: the descriptor, its lease record, one node's record and the
   * current holder's record (null if none).
   */
  private record State(
      RangeDescriptor range,
      @Nullable Lease lease,
      @Nullable NodeRecord node,
      @Nullable NodeRecord holderNode) {}

  private CompletableFuture<State> readState(Transaction tr, long rangeId, String nodeId) {
    CompletableFuture<byte @Nullable []> lease = tr.get(ks.leaseKey(rangeId));
    CompletableFuture<byte @Nullable []> node = tr.get(ks.nodeKey(nodeId));
    return catalog
        .requireRange(tr, rangeId)
        .thenCompose(
            d ->
                lease.thenCombine(
                    node,
                    (l, n) ->
                        new State(
                            d,
                            l == null ? null : Lease.decode(l),
                            n == null ? null : NodeRecord.decode(n),
                            null)))
        .thenCompose(
            s -> {
              if (s.lease == null
                  || LeaseRules.isVacant(s.lease)
                  || !s.lease.ridesOnLiveness()
                  || s.lease.holder().equals(nodeId))
                return CompletableFuture.completedFuture(
                    new State(
                        s.range,
                        s.lease,
                        s.node,
                        s.lease != null && s.lease.holder().equals(nodeId) ? s.node : null));
              return tr.get(ks.nodeKey(s.lease.holder()))
                  .thenApply(
                      h ->
                          new State(
                              s.range, s.lease, s.node, h == null ? null : NodeRecord.decode(h)));
            });
  }

  private void requireLiveReplica(State s, String nodeId, long now) {
    long rangeId = s.range.rangeId();
    if (s.node == null)
      throw MetaException.forNode(
          MetaException.Code.UNKNOWN_NODE, nodeId, "no such node; register it first");
    if (!s.range.replicas().contains(nodeId)) {
      throw new MetaException(
          MetaException.Code.NOT_ALLOWED,
          "node is not a replica of the range (replicas " + s.range.replicas() + ")",
          rangeId,
          nodeId,
          null,
          0,
          false,
          null);
    }
    if (s.node.status() != NodeStatus.LIVE) {
      throw new MetaException(
          MetaException.Code.NOT_ALLOWED,
          "node is " + s.node.status() + "; only LIVE nodes take leases",
          rangeId,
          nodeId,
          null,
          0,
          false,
          null);
    }
    // not yet marked DEAD, but the failure detector may do so any moment: a lease would be wasted
    if (now > s.node.livenessExpiresAt() + config.maxClockOffsetMillis()) {
      throw new MetaException(
          MetaException.Code.NOT_ALLOWED,
          "node's liveness expired at "
              + Instant.ofEpochMilli(s.node.livenessExpiresAt())
              + "; it must heartbeat first",
          rangeId,
          nodeId,
          null,
          0,
          false,
          null);
    }
  }

  /**
   * Stores {@code next} unless it equals {@code current}; if the holder or epoch changed, rewrites
   * the descriptor through RouteWriter.
   */
  private void write(Transaction tr, RangeDescriptor range, @Nullable Lease current, Lease next) {
    if (!next.equals(current)) tr.set(ks.leaseKey(range.rangeId()), next.encode());
    String holder = LeaseRules.isVacant(next) ? null : next.holder();
    if (!Objects.equals(holder, range.leaseholder()) || next.epoch() != range.leaseEpoch()) {
      try (RouteWriter.Changes changes = catalog.writer().changes(tr)) {
        changes.put(range, range.withLease(holder, next.epoch()));
      }
    }
  }

  private CompletableFuture<@Nullable Lease> readController(Transaction tr) {
    return tr.get(ks.controllerKey()).thenApply(v -> v == null ? null : Lease.decode(v));
  }
}
