package io.fdbmeta.layer;

import com.apple.foundationdb.KeySelector;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.ReadTransactionContext;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.TransactionContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/*
 * The node registry: which storage nodes exist, which process (incarnation) of each is current,
 * and which are alive.
 *
 * Two structures must always agree: node/<id> holds the NodeRecord, and liveness/<status>/
 * <expiresAt>/<id> holds exactly one entry per node, matching the record's status and liveness
 * expiry. Every write goes through store(), which moves the entry in the same transaction as the
 * record, so the failure detector can find expired nodes by scanning only the expired prefix of
 * liveness/LIVE/ instead of reading every node.
 *
 * A heartbeat reads only its own node key and writes only that node's keys, so heartbeats of
 * different nodes never conflict and can share a transaction (HeartbeatBatcher).
 *
 * Incarnations: each process start registers with a fresh process token (chosen outside any retry
 * loop). A register that finds its own token already recorded is a retry of a commit that
 * succeeded (1021) and returns the record unchanged; a different token is a new process, so the
 * incarnation goes up by one and heartbeats of the old process are rejected from then on.
 *
 * A node marked DEAD stays dead: its leases are being moved away, so its process must register
 * again (new token, new incarnation) before it takes part again. DECOMMISSIONED is final.
 */
public final class NodeRegistry {
  private final Keyspace ks;
  private final LayerConfig config;

  public NodeRegistry(Keyspace ks, LayerConfig config) {
    this.ks = Objects.requireNonNull(ks, "ks");
    this.config = Objects.requireNonNull(config, "config");
  }

  /** What a node says about itself when its process starts. */
  public record Registration(
      String nodeId, String address, NodeRecord.Locality locality, NodeRecord.Capacity capacity) {
    public Registration {
      Validation.nodeId(nodeId);
      Objects.requireNonNull(address, "address");
      Objects.requireNonNull(locality, "locality");
      Objects.requireNonNull(capacity, "capacity");
    }
  }

  /** A liveness renewal from one incarnation of a node, with its current load and capacity. */
  public record Heartbeat(
      String nodeId, long incarnation, NodeRecord.Load load, NodeRecord.Capacity capacity) {
    public Heartbeat {
      Objects.requireNonNull(nodeId, "nodeId");
      Objects.requireNonNull(load, "load");
      Objects.requireNonNull(capacity, "capacity");
    }
  }

  // ---------------------------------------------------------------- register and heartbeat

  /**
   * Registers a node's process. A new node starts LIVE at incarnation 1. A known node with a
   * different {@code processToken} gets incarnation + 1, the new address, locality and capacity,
   * load reset, and fresh liveness; it becomes LIVE again unless it was DRAINING, which it stays.
   * The same token again returns the stored record unchanged, so a retried register (after
   * commit_unknown_result) counts once. Choose the token once per process start, outside any retry
   * loop (e.g. a random UUID), and a fresh one to rejoin after being marked DEAD.
   *
   * @throws IllegalArgumentException if the token is empty or longer than 128 characters
   * @throws MetaException (through the future) NOT_ALLOWED if the node was decommissioned
   */
  public CompletableFuture<NodeRecord> registerAsync(
      TransactionContext db, Registration reg, String processToken) {
    if (processToken.isEmpty() || processToken.length() > 128) {
      throw new IllegalArgumentException(
          "process token must be 1-128 characters, got '" + processToken + "'");
    }
    return db.runAsync(
        tr ->
            tr.get(ks.nodeKey(reg.nodeId()))
                .thenApply(
                    value -> {
                      long expiresAt = config.now() + config.livenessMillis();
                      if (value == null) {
                        NodeRecord created =
                            new NodeRecord(
                                reg.nodeId(),
                                reg.address(),
                                reg.locality(),
                                reg.capacity(),
                                NodeRecord.Load.NONE,
                                NodeStatus.LIVE,
                                1,
                                expiresAt,
                                processToken);
                        store(tr, null, created);
                        return created;
                      }
                      NodeRecord current = NodeRecord.decode(value);
                      if (current.status() == NodeStatus.DECOMMISSIONED) {
                        throw MetaException.forNode(
                            MetaException.Code.NOT_ALLOWED,
                            reg.nodeId(),
                            "node was decommissioned; its id cannot register again");
                      }
                      if (current.processToken().equals(processToken)) return current;
                      NodeStatus status =
                          current.status() == NodeStatus.DRAINING
                              ? NodeStatus.DRAINING
                              : NodeStatus.LIVE;
                      NodeRecord next =
                          new NodeRecord(
                              reg.nodeId(),
                              reg.address(),
                              reg.locality(),
                              reg.capacity(),
                              NodeRecord.Load.NONE,
                              status,
                              current.incarnation() + 1,
                              Math.max(expiresAt, current.livenessExpiresAt()),
                              processToken,
                              // the replaced process may serve its liveness leases until then
                              current.status() == NodeStatus.DEAD
                                  ? 0
                                  : Math.max(
                                      current.livenessExpiresAt(), current.priorLivenessEnd()));
                      store(tr, current, next);
                      return next;
                    }));
  }

  public NodeRecord register(TransactionContext db, Registration reg, String processToken) {
    return FdbErrors.join(registerAsync(db, reg, processToken));
  }

  /**
   * Adds a node that must not exist yet (an operator's "nodes add"), in one transaction, so two
   * concurrent adds of one id cannot both succeed. A retry with the same token returns the record.
   *
   * @throws MetaException (through the future) CONFLICTING_OPERATION if the id is already taken
   */
  public CompletableFuture<NodeRecord> addAsync(
      TransactionContext db, Registration reg, String processToken) {
    return db.runAsync(
        tr ->
            tr.get(ks.nodeKey(reg.nodeId()))
                .thenCompose(
                    value -> {
                      if (value != null) {
                        NodeRecord current = NodeRecord.decode(value);
                        if (!current.processToken().equals(processToken)) {
                          throw MetaException.forNode(
                              MetaException.Code.CONFLICTING_OPERATION,
                              reg.nodeId(),
                              "node already exists ("
                                  + current.address()
                                  + ", "
                                  + current.status()
                                  + ", incarnation "
                                  + current.incarnation()
                                  + ")");
                        }
                      }
                      return registerAsync(tr, reg, processToken);
                    }));
  }

  public NodeRecord add(TransactionContext db, Registration reg, String processToken) {
    return FdbErrors.join(addAsync(db, reg, processToken));
  }

  /**
   * Renews a node's liveness to now + livenessDuration (never shortening it) and records its load
   * and capacity. Reads only the node's own key, so heartbeats of different nodes never conflict.
   * Safe to retry.
   *
   * @throws MetaException (through the future) UNKNOWN_NODE; STALE_GENERATION if the heartbeat's
   *     incarnation is not the registered one (the process was replaced: stop and re-register);
   *     NOT_ALLOWED if the node is DEAD (re-register) or DECOMMISSIONED
   */
  public CompletableFuture<NodeRecord> heartbeatAsync(TransactionContext db, Heartbeat hb) {
    return db.runAsync(tr -> heartbeatIn(tr, hb));
  }

  public NodeRecord heartbeat(TransactionContext db, Heartbeat hb) {
    return FdbErrors.join(heartbeatAsync(db, hb));
  }

  /**
   * One heartbeat inside {@code tr}: the body {@link HeartbeatBatcher} runs for each member of a
   * batch.
   */
  CompletableFuture<NodeRecord> heartbeatIn(Transaction tr, Heartbeat hb) {
    return tr.get(ks.nodeKey(hb.nodeId()))
        .thenApply(
            value -> {
              NodeRecord current = requireNode(hb.nodeId(), value);
              if (hb.incarnation() != current.incarnation()) {
                throw MetaException.forNode(
                    MetaException.Code.STALE_GENERATION,
                    hb.nodeId(),
                    "heartbeat from incarnation "
                        + hb.incarnation()
                        + " but incarnation "
                        + current.incarnation()
                        + " is registered"
                        + (hb.incarnation() < current.incarnation()
                            ? "; this process was replaced and must stop"
                            : ""));
              }
              if (current.status() == NodeStatus.DEAD
                  || current.status() == NodeStatus.DECOMMISSIONED) {
                throw MetaException.forNode(
                    MetaException.Code.NOT_ALLOWED,
                    hb.nodeId(),
                    "node is "
                        + current.status()
                        + " and cannot heartbeat"
                        + (current.status() == NodeStatus.DEAD
                            ? "; register again with a new process token"
                            : ""));
              }
              long expiresAt =
                  Math.max(current.livenessExpiresAt(), config.now() + config.livenessMillis());
              NodeRecord next = current.withHeartbeat(expiresAt, hb.load(), hb.capacity());
              store(tr, current, next);
              return next;
            });
  }

  // ---------------------------------------------------------------- operator actions

  /**
   * Starts draining a LIVE node: it keeps serving and heartbeating but receives nothing new.
   * Idempotent for a DRAINING node.
   *
   * @throws MetaException (through the future) UNKNOWN_NODE; NOT_ALLOWED if the node is DEAD or
   *     DECOMMISSIONED
   */
  public CompletableFuture<NodeRecord> drainAsync(TransactionContext db, String nodeId) {
    return db.runAsync(
        tr ->
            tr.get(ks.nodeKey(nodeId))
                .thenApply(
                    value -> {
                      NodeRecord current = requireNode(nodeId, value);
                      if (current.status() == NodeStatus.DRAINING) return current;
                      if (current.status() != NodeStatus.LIVE) {
                        throw MetaException.forNode(
                            MetaException.Code.NOT_ALLOWED,
                            nodeId,
                            "only a LIVE node can drain; node is " + current.status());
                      }
                      NodeRecord next = current.withStatus(NodeStatus.DRAINING);
                      store(tr, current, next);
                      return next;
                    }));
  }

  public NodeRecord drain(TransactionContext db, String nodeId) {
    return FdbErrors.join(drainAsync(db, nodeId));
  }

  /**
   * Removes a node from the cluster for good. The node must hold no replicas (move them first), so
   * no descriptor is left pointing at it. Idempotent.
   *
   * @throws MetaException (through the future) UNKNOWN_NODE; NOT_ALLOWED if it still holds replicas
   */
  public CompletableFuture<NodeRecord> decommissionAsync(TransactionContext db, String nodeId) {
    return db.runAsync(
        tr ->
            tr.get(ks.nodeKey(nodeId))
                .thenCombine(
                    tr.getRange(ks.rangesOfNode(nodeId), 1).asList(),
                    (value, held) -> {
                      NodeRecord current = requireNode(nodeId, value);
                      if (current.status() == NodeStatus.DECOMMISSIONED) return current;
                      if (!held.isEmpty()) {
                        long rangeId =
                            ks.rangeByNodeSubspace().unpack(held.get(0).getKey()).getLong(1);
                        throw MetaException.forNode(
                            MetaException.Code.NOT_ALLOWED,
                            nodeId,
                            "node still holds replicas (e.g. range "
                                + rangeId
                                + "); move them before decommissioning");
                      }
                      NodeRecord next = current.withStatus(NodeStatus.DECOMMISSIONED);
                      store(tr, current, next);
                      return next;
                    }));
  }

  public NodeRecord decommission(TransactionContext db, String nodeId) {
    return FdbErrors.join(decommissionAsync(db, nodeId));
  }

  // ---------------------------------------------------------------- reads

  public CompletableFuture<Optional<NodeRecord>> getAsync(
      ReadTransactionContext db, String nodeId) {
    return db.readAsync(
        tr ->
            tr.get(ks.nodeKey(nodeId))
                .thenApply(v -> Optional.ofNullable(v).map(NodeRecord::decode)));
  }

  public Optional<NodeRecord> get(ReadTransactionContext db, String nodeId) {
    return FdbErrors.join(getAsync(db, nodeId));
  }

  /**
   * One page of nodes in id order, after {@code cursor} (null for the first page); one transaction
   * per page.
   */
  public CompletableFuture<Page<NodeRecord>> listAsync(
      ReadTransactionContext db, byte @Nullable [] cursor, int limit) {
    if (limit < 1) throw new IllegalArgumentException("page size must be >= 1, got " + limit);
    KeySelector begin =
        cursor == null
            ? KeySelector.firstGreaterOrEqual(ks.nodes().begin)
            : KeySelector.firstGreaterThan(cursor);
    return db.readAsync(
        tr ->
            tr.getRange(begin, KeySelector.firstGreaterOrEqual(ks.nodes().end), limit + 1)
                .asList()
                .thenApply(
                    rows -> {
                      int n = Math.min(rows.size(), limit);
                      List<NodeRecord> items = new ArrayList<>(n);
                      for (int i = 0; i < n; i++)
                        items.add(NodeRecord.decode(rows.get(i).getValue()));
                      return new Page<>(
                          items, rows.size() > limit ? rows.get(limit - 1).getKey() : null);
                    }));
  }

  public Page<NodeRecord> list(ReadTransactionContext db, byte @Nullable [] cursor, int limit) {
    return FdbErrors.join(listAsync(db, cursor, limit));
  }

  // ---------------------------------------------------------------- failure detection

  /**
   * Up to {@code limit} LIVE and DRAINING nodes whose liveness expired more than maxClockOffset
   * before {@code now} ({@code expiresAt + maxClockOffset < now}), oldest first, LIVE before
   * DRAINING. Reads only the expired prefix of {@code liveness/LIVE/} and {@code
   * liveness/DRAINING/} (DRAINING nodes can hold leases and die too), then the records of the nodes
   * found; entries of nodes still alive are never read.
   */
  public CompletableFuture<List<NodeRecord>> expiredAsync(
      ReadTransactionContext db, long now, int limit) {
    if (limit < 1) throw new IllegalArgumentException("limit must be >= 1, got " + limit);
    long cutoff = now - config.maxClockOffsetMillis() - 1; // expired means expiresAt <= cutoff
    return db.readAsync(
        tr ->
            tr.getRange(ks.livenessExpiredBy(NodeStatus.LIVE, cutoff), limit)
                .asList()
                .thenCompose(
                    live -> {
                      if (live.size() >= limit) return recordsOf(tr, live);
                      return tr.getRange(
                              ks.livenessExpiredBy(NodeStatus.DRAINING, cutoff),
                              limit - live.size())
                          .asList()
                          .thenCompose(
                              draining -> {
                                List<KeyValue> all = new ArrayList<>(live);
                                all.addAll(draining);
                                return recordsOf(tr, all);
                              });
                    }));
  }

  /** The ids of every node marked DEAD (their liveness entries), in one read. */
  public CompletableFuture<List<String>> deadNodeIdsAsync(ReadTransactionContext db) {
    return db.readAsync(
        tr ->
            tr.getRange(ks.livenessOf(NodeStatus.DEAD))
                .asList()
                .thenApply(
                    rows ->
                        rows.stream()
                            .map(kv -> ks.livenessSubspace().unpack(kv.getKey()).getString(2))
                            .toList()));
  }

  public List<NodeRecord> expired(ReadTransactionContext db, long now, int limit) {
    return FdbErrors.join(expiredAsync(db, now, limit));
  }

  private CompletableFuture<List<NodeRecord>> recordsOf(
      ReadTransaction tr, List<KeyValue> entries) {
    List<CompletableFuture<byte @Nullable []>> reads = new ArrayList<>(entries.size());
    List<String> ids = new ArrayList<>(entries.size());
    for (KeyValue kv : entries) {
      String nodeId = ks.livenessSubspace().unpack(kv.getKey()).getString(2);
      ids.add(nodeId);
      reads.add(tr.get(ks.nodeKey(nodeId)));
    }
    return CompletableFuture.allOf(reads.toArray(new CompletableFuture<?>[0]))
        .thenApply(
            ignored -> {
              List<NodeRecord> out = new ArrayList<>(reads.size());
              for (int i = 0; i < reads.size(); i++) {
                byte[] v = reads.get(i).join();
                if (v == null)
                  throw MetaException.forNode(
                      MetaException.Code.CORRUPT_RECORD,
                      ids.get(i),
                      "liveness entry without a node record");
                out.add(NodeRecord.decode(v));
              }
              return out;
            });
  }

  /**
   * Marks a node DEAD, moving its liveness entry to {@code liveness/DEAD/}. Only the incarnation
   * the caller saw expire is marked, and only if its liveness is still expired now (a heartbeat
   * that raced the failure detector wins). Idempotent: a node already DEAD at that incarnation is
   * returned unchanged.
   *
   * @throws MetaException (through the future) UNKNOWN_NODE; STALE_GENERATION if the node
   *     re-registered since (another incarnation); CONFLICTING_OPERATION if its liveness has not
   *     expired; NOT_ALLOWED if it is DECOMMISSIONED
   */
  public CompletableFuture<NodeRecord> markDeadAsync(
      TransactionContext db, String nodeId, long expectedIncarnation) {
    return db.runAsync(
        tr ->
            tr.get(ks.nodeKey(nodeId))
                .thenApply(
                    value -> {
                      NodeRecord current = requireNode(nodeId, value);
                      if (current.incarnation() != expectedIncarnation) {
                        throw MetaException.forNode(
                            MetaException.Code.STALE_GENERATION,
                            nodeId,
                            "expected incarnation "
                                + expectedIncarnation
                                + ", node is at incarnation "
                                + current.incarnation());
                      }
                      switch (current.status()) {
                        case DEAD:
                          return current;
                        case DECOMMISSIONED:
                          throw MetaException.forNode(
                              MetaException.Code.NOT_ALLOWED, nodeId, "node is DECOMMISSIONED");
                        default:
                          break;
                      }
                      long now = config.now();
                      if (now <= current.livenessExpiresAt() + config.maxClockOffsetMillis()) {
                        throw MetaException.forNode(
                            MetaException.Code.CONFLICTING_OPERATION,
                            nodeId,
                            "liveness runs until "
                                + current.livenessExpiresAt()
                                + " (+"
                                + config.maxClockOffsetMillis()
                                + " ms offset), now is "
                                + now);
                      }
                      NodeRecord next = current.withStatus(NodeStatus.DEAD);
                      store(tr, current, next);
                      return next;
                    }));
  }

  public NodeRecord markDead(TransactionContext db, String nodeId, long expectedIncarnation) {
    return FdbErrors.join(markDeadAsync(db, nodeId, expectedIncarnation));
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Writes a node record exactly as another cluster held it, with its liveness entry (an import of
   * an export, {@link CatalogRestore}); replaces a record this same import wrote before.
   */
  void restore(Transaction tr, NodeRecord node, @Nullable NodeRecord previous) {
    store(tr, previous, node);
  }

  /** Writes {@code next} and moves its liveness entry, so record and index change in one commit. */
  private void store(Transaction tr, @Nullable NodeRecord previous, NodeRecord next) {
    if (previous != null)
      tr.clear(ks.livenessKey(previous.status(), previous.livenessExpiresAt(), previous.nodeId()));
    tr.set(ks.livenessKey(next.status(), next.livenessExpiresAt(), next.nodeId()), new byte[0]);
    tr.set(ks.nodeKey(next.nodeId()), next.encode());
  }

  static NodeRecord requireNode(String nodeId, byte @Nullable [] value) {
    if (value == null)
      throw MetaException.forNode(
          MetaException.Code.UNKNOWN_NODE, nodeId, "no such node; register it first");
    return NodeRecord.decode(value);
  }
}
