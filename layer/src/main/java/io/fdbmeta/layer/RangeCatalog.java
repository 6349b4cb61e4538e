package io.fdbmeta.layer;

import com.apple.foundationdb.KeySelector;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.ReadTransactionContext;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.TransactionContext;
import com.apple.foundationdb.async.AsyncUtil;
import com.apple.foundationdb.tuple.ByteArrayUtil;
import com.apple.foundationdb.tuple.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/*
 * The range catalog: which key range exists, where its replicas are, who holds its lease.
 *
 * Ranges tile the user keyspace from the empty key to "no end". They are stored by END key, so the
 * range holding key k is the first entry whose end is greater than k: one range read of one row.
 *
 * Splits take two phases so that no request fails because of one. Phase 1 (prepareSplit) records
 * an op with the parent's generation and the children's ids; the leaseholder then prepares both
 * halves while it keeps serving the parent. Phase 2 (commitSplit) replaces the parent with the two
 * children (generation + 1, same replicas, the parent's lease) in one transaction that also bumps
 * meta_version and appends to the changelog. Routers then learn the new layout through the feed or
 * from the node's redirect.
 *
 * Every mutating call is safe under FoundationDB's retry of a commit whose result was unknown:
 * ids come from outside the retry loop, splits and merges are keyed by an op record whose phase
 * makes a second run return the first run's result, and replica changes check the state they are
 * about to create.
 */
public final class RangeCatalog {
  private final Keyspace ks;
  private final LayerConfig config;
  private final RouteWriter writer;
  private final OpLog ops;

  public RangeCatalog(Keyspace ks, LayerConfig config) {
    this.ks = ks;
    this.config = config;
    this.writer = new RouteWriter(ks);
    this.ops = new OpLog(ks);
  }

  /** The op records of this cluster: splits, merges and replica moves. */
  public OpLog ops() {
    return ops;
  }

  RouteWriter writer() {
    return writer;
  }

  public LayerConfig config() {
    return config;
  }

  public Keyspace keyspace() {
    return ks;
  }

  // ---------------------------------------------------------------- bootstrap and reads

  /**
   * Creates the root range covering the whole keyspace if the catalog is empty; otherwise returns
   * the range that holds the empty key. Safe to call any number of times.
   */
  public CompletableFuture<RangeDescriptor> bootstrapAsync(TransactionContext db) {
    return initAsync(db).thenApply(Bootstrap::first);
  }

  /**
   * What {@link #initAsync} found: the range holding the empty key, and whether this call created
   * it. {@code created} is false when the catalog already had ranges, including when a commit of
   * this same call was retried after commit_unknown_result and found its own first attempt.
   */
  public record Bootstrap(RangeDescriptor first, boolean created) {}

  /** {@link #bootstrapAsync}, also saying whether the root range was created or found. */
  public CompletableFuture<Bootstrap> initAsync(TransactionContext db) {
    return db.runAsync(
        tr ->
            tr.getRange(ks.rangeIndex(), 1)
                .asList()
                .thenApply(
                    rows -> {
                      if (!rows.isEmpty())
                        return new Bootstrap(RangeDescriptor.decode(rows.get(0).getValue()), false);
                      RangeDescriptor root =
                          new RangeDescriptor(
                              Ids.ROOT_RANGE_ID, new byte[0], null, 1, List.of(), null, 0);
                      try (RouteWriter.Changes changes = writer.changes(tr)) {
                        changes.put(null, root);
                      }
                      SchemaVersion.write(tr, ks, SchemaVersion.LATEST);
                      return new Bootstrap(root, true);
                    }));
  }

  public Bootstrap init(TransactionContext db) {
    return FdbErrors.join(initAsync(db));
  }

  /**
   * The range holding {@code key}, in one read.
   *
   * @throws MetaException NOT_BOOTSTRAPPED (through the future) if the catalog has no ranges
   */
  public CompletableFuture<RangeDescriptor> lookupAsync(ReadTransactionContext db, byte[] key) {
    return db.readAsync(
        tr ->
            tr.getRange(
                    KeySelector.firstGreaterThan(ks.rangeKey(key)),
                    KeySelector.firstGreaterOrEqual(ks.rangeIndex().end),
                    1)
                .asList()
                .thenApply(
                    rows -> {
                      if (rows.isEmpty()) throw notBootstrapped();
                      return RangeDescriptor.decode(rows.get(0).getValue());
                    }));
  }

  public RangeDescriptor lookup(ReadTransactionContext db, byte[] key) {
    return FdbErrors.join(lookupAsync(db, key));
  }

  public CompletableFuture<Optional<RangeDescriptor>> getAsync(
      ReadTransactionContext db, long rangeId) {
    return db.readAsync(tr -> writer.read(tr, rangeId).thenApply(Optional::ofNullable));
  }

  public Optional<RangeDescriptor> get(ReadTransactionContext db, long rangeId) {
    return FdbErrors.join(getAsync(db, rangeId));
  }

  /**
   * One page of ranges in key order, starting after {@code cursor} (null for the first page). Each
   * page is one transaction, so any page size that reads well under 5 s is fine.
   */
  public CompletableFuture<Page<RangeDescriptor>> listAsync(
      ReadTransactionContext db, byte @Nullable [] cursor, int limit) {
    if (limit < 1) throw new IllegalArgumentException("page size must be >= 1, got " + limit);
    KeySelector begin =
        cursor == null
            ? KeySelector.firstGreaterOrEqual(ks.rangeIndex().begin)
            : KeySelector.firstGreaterThan(cursor);
    return db.readAsync(
        tr ->
            tr.getRange(begin, KeySelector.firstGreaterOrEqual(ks.rangeIndex().end), limit + 1)
                .asList()
                .thenApply(
                    rows -> {
                      List<RangeDescriptor> items = new ArrayList<>(Math.min(rows.size(), limit));
                      for (int i = 0; i < Math.min(rows.size(), limit); i++)
                        items.add(RangeDescriptor.decode(rows.get(i).getValue()));
                      byte[] next = rows.size() > limit ? rows.get(limit - 1).getKey() : null;
                      return new Page<>(items, next);
                    }));
  }

  public Page<RangeDescriptor> list(
      ReadTransactionContext db, byte @Nullable [] cursor, int limit) {
    return FdbErrors.join(listAsync(db, cursor, limit));
  }

  /**
   * Reads every row of the range index without decoding it, in pages of {@code pageSize} rows, one
   * read transaction per page, exactly as the route follower's load reads them: the raw cost a load
   * is measured against ({@code fdbmeta bench layer}), and a cheap count of the ranges. Pages read
   * at different versions, so concurrent splits and merges can make the count differ from any one
   * moment's.
   *
   * @return the number of rows read; fails with the store's error
   * @throws IllegalArgumentException if {@code pageSize} is not in [1, 100000]
   */
  public CompletableFuture<Long> scanIndexAsync(
      ReadTransactionContext db, int pageSize, Executor executor) {
    if (pageSize < 1 || pageSize > 100_000)
      throw new IllegalArgumentException("page size must be in [1, 100000], got " + pageSize);
    return scanIndexPagesAsync(
        db, ks, pageSize, executor, rows -> CompletableFuture.completedFuture(null));
  }

  /** True if {@code nodeId} holds a replica of any range (one key read, however many it holds). */
  public CompletableFuture<Boolean> holdsReplicasAsync(ReadTransactionContext db, String nodeId) {
    return db.readAsync(
        tr -> tr.getRange(ks.rangesOfNode(nodeId), 1).asList().thenApply(rows -> !rows.isEmpty()));
  }

  /**
   * The lease record of a range as stored, or null if it has none; unlike {@link
   * LeaseManager#getAsync} a released (vacant) lease is returned too.
   */
  public CompletableFuture<@Nullable Lease> leaseRecordAsync(ReadTransaction tr, long rangeId) {
    return tr.get(ks.leaseKey(rangeId)).thenApply(v -> v == null ? null : Lease.decode(v));
  }

  /** A replica a node holds and its role there. */
  public record Assignment(long rangeId, boolean leaseholder) {}

  /** The ranges a node holds, from the node-centric index: one scan, however many ranges exist. */
  public CompletableFuture<List<Assignment>> rangesOfNodeAsync(
      ReadTransactionContext db, String nodeId) {
    return db.readAsync(
        tr ->
            tr.getRange(ks.rangesOfNode(nodeId))
                .asList()
                .thenApply(
                    rows -> {
                      List<Assignment> out = new ArrayList<>(rows.size());
                      for (KeyValue kv : rows) {
                        long rangeId = ks.rangeByNodeSubspace().unpack(kv.getKey()).getLong(1);
                        out.add(
                            new Assignment(
                                rangeId,
                                RouteWriter.ROLE_LEASEHOLDER.equals(
                                    Tuple.fromBytes(kv.getValue()).getString(0))));
                      }
                      return out;
                    }));
  }

  public List<Assignment> rangesOfNode(ReadTransactionContext db, String nodeId) {
    return FdbErrors.join(rangesOfNodeAsync(db, nodeId));
  }

  // ---------------------------------------------------------------- splits

  /** Phase 1's outcome: what the leaseholder prepares before phase 2 commits. */
  public record SplitPlan(
      String opId, RangeDescriptor parent, byte[] splitKey, long leftId, long rightId) {}

  /**
   * Phase 1 of a split: validates the split key and records the op. The parent keeps serving; its
   * leaseholder prepares [start, splitKey) as {@code leftId} and [splitKey, end) as {@code
   * rightId}.
   *
   * @throws MetaException (through the future) UNKNOWN_RANGE, INVALID_ARGUMENT if the key is not
   *     strictly inside the range, STALE_GENERATION if the range changed since {@code
   *     expectedGeneration} (pass -1 to accept the current one)
   */
  public CompletableFuture<SplitPlan> prepareSplitAsync(
      TransactionContext db,
      String opId,
      long rangeId,
      byte[] splitKey,
      long expectedGeneration,
      long leftId,
      long rightId) {
    Validation.key(splitKey);
    return db.runAsync(
        tr ->
            ops.getAsync(tr, opId)
                .thenCompose(
                    existing -> {
                      if (existing != null) {
                        return writer
                            .read(tr, rangeId)
                            .thenApply(parent -> planOf(existing, parent));
                      }
                      return requireRange(tr, rangeId)
                          .thenApply(
                              parent -> {
                                checkGeneration(parent, expectedGeneration);
                                if (!parent.isInterior(splitKey)) {
                                  throw MetaException.forKey(
                                      MetaException.Code.INVALID_ARGUMENT,
                                      splitKey,
                                      rangeId,
                                      "split key must lie strictly inside " + parent);
                                }
                                long now = config.now();
                                OpRecord op =
                                    new OpRecord(
                                        opId,
                                        OpRecord.Kind.SPLIT,
                                        OpRecord.Phase.PREPARED,
                                        List.of(rangeId),
                                        List.of(parent.generation()),
                                        splitKey,
                                        List.of(leftId, rightId),
                                        now,
                                        now,
                                        "prepared");
                                ops.put(tr, op);
                                return new SplitPlan(opId, parent, splitKey, leftId, rightId);
                              });
                    }));
  }

  private SplitPlan planOf(OpRecord op, @Nullable RangeDescriptor parent) {
    if (op.kind() != OpRecord.Kind.SPLIT) {
      throw MetaException.of(
          MetaException.Code.CONFLICTING_OPERATION,
          "op " + op.opId() + " is a " + op.kind() + ", not a split");
    }
    long parentId = op.rangeIds().get(0);
    if (parent == null) {
      throw MetaException.forRange(
          MetaException.Code.CONFLICTING_OPERATION,
          parentId,
          "split " + op.opId() + " is " + op.phase() + " and its parent no longer exists");
    }
    return new SplitPlan(op.opId(), parent, op.key(), op.resultIds().get(0), op.resultIds().get(1));
  }

  /** The two halves a split produced. */
  public record SplitResult(RangeDescriptor left, RangeDescriptor right) {}

  /**
   * Phase 2 of a split: in one transaction, replaces the parent by its two children with generation
   * + 1, moves the parent's lease and replicas to both, bumps meta_version and logs the change.
   * Running it again after success returns the same children.
   *
   * @throws MetaException (through the future) CONFLICTING_OPERATION if the op is unknown,
   *     STALE_GENERATION (and the op is aborted) if the parent changed since phase 1, and again on
   *     every later call for an aborted op, so a retry after commit_unknown_result sees the same
   */
  public CompletableFuture<SplitResult> commitSplitAsync(TransactionContext db, String opId) {
    return db.runAsync(tr -> readOp(tr, opId).thenCompose(op -> commitSplit(tr, op)))
        .thenApply(
            outcome -> {
              if (outcome.abort != null) throw outcome.abort;
              return outcome.result;
            });
  }

  /**
   * A split's phase 2 result, or the error of an abort: the abort is returned rather than thrown so
   * the op record's ABORTED phase commits before the caller sees the error.
   */
  private record SplitOutcome(@Nullable SplitResult result, @Nullable MetaException abort) {}

  private CompletableFuture<SplitOutcome> commitSplit(Transaction tr, OpRecord op) {
    String opId = op.opId();
    long leftId = op.resultIds().get(0);
    long rightId = op.resultIds().get(1);
    if (op.phase() == OpRecord.Phase.COMMITTED) {
      return writer
          .read(tr, leftId)
          .thenCombine(
              writer.read(tr, rightId),
              (l, r) -> {
                if (l == null || r == null) {
                  throw MetaException.of(
                      MetaException.Code.CONFLICTING_OPERATION,
                      "split " + opId + " committed but its children changed since");
                }
                return new SplitOutcome(new SplitResult(l, r), null);
              });
    }
    if (op.phase() == OpRecord.Phase.ABORTED) {
      // the same error as the run that aborted it: after commit_unknown_result the retried body
      // lands here
      throw MetaException.forRange(
          MetaException.Code.STALE_GENERATION,
          op.rangeIds().get(0),
          "split " + opId + " aborted: " + op.detail());
    }
    long parentId = op.rangeIds().get(0);
    return writer
        .read(tr, parentId)
        .thenCompose(
            parent -> {
              long expected = op.expectedGenerations().get(0);
              if (parent == null || parent.generation() != expected) {
                String why =
                    parent == null
                        ? "parent range is gone"
                        : "parent generation is "
                            + parent.generation()
                            + ", split prepared at "
                            + expected;
                ops.advance(tr, op, OpRecord.Phase.ABORTED, op.resultIds(), config.now(), why);
                MetaException abort =
                    MetaException.forRange(
                        MetaException.Code.STALE_GENERATION,
                        parentId,
                        "split " + opId + " aborted: " + why);
                return CompletableFuture.completedFuture(new SplitOutcome(null, abort));
              }
              RangeDescriptor left = parent.splitChild(leftId, parent.startKey(), op.key());
              RangeDescriptor right = parent.splitChild(rightId, op.key(), parent.endKey());
              return tr.get(ks.leaseKey(parentId))
                  .thenApply(
                      lease -> {
                        try (RouteWriter.Changes changes = writer.changes(tr)) {
                          changes.remove(parent, true).put(null, left).put(null, right);
                        }
                        if (lease != null) {
                          tr.set(ks.leaseKey(leftId), lease);
                          tr.set(ks.leaseKey(rightId), lease);
                        }
                        ops.advance(
                            tr,
                            op,
                            OpRecord.Phase.COMMITTED,
                            op.resultIds(),
                            config.now(),
                            "committed");
                        return new SplitOutcome(new SplitResult(left, right), null);
                      });
            });
  }

  /** Both phases, for callers with nothing to prepare between them (tools, tests). */
  public CompletableFuture<SplitResult> splitAsync(
      TransactionContext db, long rangeId, byte[] splitKey) {
    String opId = Ids.newOpId();
    long leftId = Ids.newRangeId();
    long rightId = Ids.newRangeId();
    return prepareSplitAsync(db, opId, rangeId, splitKey, -1, leftId, rightId)
        .thenCompose(plan -> commitSplitAsync(db, opId));
  }

  public SplitResult split(TransactionContext db, long rangeId, byte[] splitKey) {
    return FdbErrors.join(splitAsync(db, rangeId, splitKey));
  }

  /**
   * Most split keys one {@link #splitManyAsync} call takes: its writes stay far below
   * FoundationDB's limits.
   */
  public static final int MAX_SPLIT_KEYS = 5_000;

  /**
   * Splits one range at many keys in one transaction, for pre-splitting a new or empty key space
   * (bulk loads, benchmarks). Unlike {@link #splitAsync} there is no prepare phase, so use it
   * before the range carries traffic. The children get generation + 1, the parent's replicas and
   * lease. Retrying with the same {@code opId} returns the first run's children.
   *
   * @param sortedKeys strictly increasing keys, each strictly inside the range, at most {@link
   *     #MAX_SPLIT_KEYS}
   * @param childIds one id per child: {@code sortedKeys.size() + 1}, chosen outside the retry loop
   */
  public CompletableFuture<List<RangeDescriptor>> splitManyAsync(
      TransactionContext db,
      String opId,
      long rangeId,
      List<byte[]> sortedKeys,
      List<Long> childIds) {
    if (sortedKeys.isEmpty() || sortedKeys.size() > MAX_SPLIT_KEYS) {
      throw new IllegalArgumentException(
          "splitMany takes 1 to " + MAX_SPLIT_KEYS + " keys, got " + sortedKeys.size());
    }
    if (childIds.size() != sortedKeys.size() + 1) {
      throw new IllegalArgumentException(
          "splitMany needs " + (sortedKeys.size() + 1) + " child ids, got " + childIds.size());
    }
    for (int i = 0; i < sortedKeys.size(); i++) {
      Validation.key(sortedKeys.get(i));
      if (i > 0 && ByteArrayUtil.compareUnsigned(sortedKeys.get(i - 1), sortedKeys.get(i)) >= 0) {
        throw new IllegalArgumentException(
            "split keys must be strictly increasing; key " + i + " is not");
      }
    }
    return db.runAsync(
        tr ->
            ops.getAsync(tr, opId)
                .thenCompose(
                    op -> {
                      if (op != null) {
                        List<CompletableFuture<RangeDescriptor>> reads = new ArrayList<>();
                        for (long id : op.resultIds()) reads.add(requireRange(tr, id));
                        return CompletableFuture.allOf(reads.toArray(CompletableFuture<?>[]::new))
                            .thenApply(x -> reads.stream().map(CompletableFuture::join).toList());
                      }
                      return requireRange(tr, rangeId)
                          .thenCompose(
                              parent ->
                                  tr.get(ks.leaseKey(rangeId))
                                      .thenApply(
                                          lease -> {
                                            if (!parent.isInterior(sortedKeys.get(0))
                                                || !parent.isInterior(
                                                    sortedKeys.get(sortedKeys.size() - 1))) {
                                              throw MetaException.forRange(
                                                  MetaException.Code.INVALID_ARGUMENT,
                                                  rangeId,
                                                  "every split key must lie strictly inside "
                                                      + parent);
                                            }
                                            List<RangeDescriptor> children =
                                                new ArrayList<>(childIds.size());
                                            try (RouteWriter.Changes changes = writer.changes(tr)) {
                                              changes.remove(parent, true);
                                              byte[] start = parent.startKey();
                                              for (int i = 0; i <= sortedKeys.size(); i++) {
                                                byte[] end =
                                                    i < sortedKeys.size()
                                                        ? sortedKeys.get(i)
                                                        : parent.endKey();
                                                RangeDescriptor child =
                                                    parent.splitChild(childIds.get(i), start, end);
                                                changes.put(null, child);
                                                if (lease != null)
                                                  tr.set(ks.leaseKey(child.rangeId()), lease);
                                                children.add(child);
                                                start = end;
                                              }
                                            }
                                            long now = config.now();
                                            ops.put(
                                                tr,
                                                new OpRecord(
                                                    opId,
                                                    OpRecord.Kind.SPLIT,
                                                    OpRecord.Phase.COMMITTED,
                                                    List.of(rangeId),
                                                    List.of(parent.generation()),
                                                    null,
                                                    childIds,
                                                    now,
                                                    now,
                                                    "split at " + sortedKeys.size() + " keys"));
                                            return children;
                                          }));
                    }));
  }

  // ---------------------------------------------------------------- merges

  /**
   * Merges two adjacent ranges with the same replicas into the left one (its id and lease stay;
   * generation becomes max + 1). Retrying with the same {@code opId} returns the same result.
   *
   * <p>The right range's keys must not be served by two nodes once the merged range exists, so its
   * lease must be out of the way: vacant (released), free for others ({@code now > expiresAt +
   * maxClockOffset}, so its holder stopped serving), or held by the left range's leaseholder. In
   * that last case the merged range's lease stays with that holder but takes a new epoch and runs
   * until the later of the two expiries: the holder may go on serving the right half under its old
   * lease until then, so nobody else may be granted the merged range before; and a holder that has
   * not yet learned of the merge cannot renew, transfer or release the merged range with the old
   * epoch while its guard of the right half still serves.
   *
   * @throws MetaException (through the future) UNKNOWN_RANGE, INVALID_ARGUMENT if the ranges are
   *     not adjacent, NOT_ALLOWED if their replicas differ, LEASE_CONFLICT if the right range's
   *     lease is held by a node that does not hold the left one's (transfer or release it first, or
   *     wait until it is free for others)
   */
  public CompletableFuture<RangeDescriptor> mergeAsync(
      TransactionContext db, String opId, long leftId, long rightId) {
    return db.runAsync(
        tr ->
            ops.getAsync(tr, opId)
                .thenCompose(
                    op -> {
                      if (op != null) {
                        if (op.kind() != OpRecord.Kind.MERGE
                            || op.phase() != OpRecord.Phase.COMMITTED) {
                          throw MetaException.of(
                              MetaException.Code.CONFLICTING_OPERATION,
                              "op " + opId + " is a " + op.kind() + " in phase " + op.phase());
                        }
                        return requireRange(tr, leftId);
                      }
                      CompletableFuture<byte @Nullable []> leftLease = tr.get(ks.leaseKey(leftId));
                      CompletableFuture<byte @Nullable []> rightLease =
                          tr.get(ks.leaseKey(rightId));
                      CompletableFuture<RangeDescriptor> leftRange = requireRange(tr, leftId);
                      CompletableFuture<RangeDescriptor> rightRange = requireRange(tr, rightId);
                      CompletableFuture<@Nullable NodeRecord> rightHolder =
                          rightLease.thenCompose(v -> holderRecord(tr, decodeLease(v)));
                      return CompletableFuture.allOf(
                              leftRange, rightRange, leftLease, rightLease, rightHolder)
                          .thenApply(
                              ignored -> {
                                RangeDescriptor left = leftRange.join();
                                RangeDescriptor right = rightRange.join();
                                if (!java.util.Arrays.equals(left.endKey(), right.startKey())
                                    || left.endKey() == null) {
                                  throw MetaException.forRange(
                                      MetaException.Code.INVALID_ARGUMENT,
                                      leftId,
                                      "cannot merge: "
                                          + left
                                          + " and "
                                          + right
                                          + " are not adjacent");
                                }
                                if (!new java.util.HashSet<>(left.replicas())
                                    .equals(new java.util.HashSet<>(right.replicas()))) {
                                  throw MetaException.forRange(
                                      MetaException.Code.NOT_ALLOWED,
                                      leftId,
                                      "cannot merge: replicas differ ("
                                          + left.replicas()
                                          + " vs "
                                          + right.replicas()
                                          + "); move replicas first");
                                }
                                long now = config.now();
                                Lease mergedLease =
                                    mergedLease(
                                        leftId,
                                        rightId,
                                        decodeLease(leftLease.join()),
                                        decodeLease(rightLease.join()),
                                        rightHolder.join(),
                                        now);
                                RangeDescriptor merged =
                                    left.withBounds(
                                        leftId,
                                        left.startKey(),
                                        right.endKey(),
                                        Math.max(left.generation(), right.generation()) + 1);
                                if (mergedLease != null)
                                  merged =
                                      merged.withLease(mergedLease.holder(), mergedLease.epoch());
                                try (RouteWriter.Changes changes = writer.changes(tr)) {
                                  changes.remove(right, true).put(left, merged);
                                }
                                if (mergedLease != null)
                                  tr.set(ks.leaseKey(leftId), mergedLease.encode());
                                ops.put(
                                    tr,
                                    new OpRecord(
                                        opId,
                                        OpRecord.Kind.MERGE,
                                        OpRecord.Phase.COMMITTED,
                                        List.of(leftId, rightId),
                                        List.of(left.generation(), right.generation()),
                                        null,
                                        List.of(leftId),
                                        now,
                                        now,
                                        "committed"));
                                return merged;
                              });
                    }));
  }

  public RangeDescriptor merge(TransactionContext db, long leftId, long rightId) {
    return FdbErrors.join(mergeAsync(db, Ids.newOpId(), leftId, rightId));
  }

  // ---------------------------------------------------------------- replicas

  /**
   * Adds {@code nodeId} as a replica of the range (generation + 1). Idempotent: if the node is
   * already a replica the descriptor is returned unchanged.
   *
   * @throws MetaException (through the future) UNKNOWN_RANGE, UNKNOWN_NODE, NOT_ALLOWED if the node
   *     is not live, STALE_GENERATION if the range changed since {@code expectedGeneration} (-1:
   *     accept the current)
   */
  public CompletableFuture<RangeDescriptor> addReplicaAsync(
      TransactionContext db, long rangeId, String nodeId, long expectedGeneration) {
    return db.runAsync(
        tr ->
            requireRange(tr, rangeId)
                .thenCombine(
                    tr.get(ks.nodeKey(nodeId)),
                    (d, nodeValue) -> {
                      if (d.replicas().contains(nodeId)) return d;
                      checkGeneration(d, expectedGeneration);
                      if (nodeValue == null)
                        throw MetaException.forNode(
                            MetaException.Code.UNKNOWN_NODE, nodeId, "no such node");
                      NodeRecord node = NodeRecord.decode(nodeValue);
                      if (node.status() != NodeStatus.LIVE) {
                        throw MetaException.forNode(
                            MetaException.Code.NOT_ALLOWED,
                            nodeId,
                            "node is " + node.status() + "; only LIVE nodes receive replicas");
                      }
                      List<String> replicas = new ArrayList<>(d.replicas());
                      replicas.add(nodeId);
                      RangeDescriptor next = d.withReplicas(replicas, d.generation() + 1);
                      try (RouteWriter.Changes changes = writer.changes(tr)) {
                        changes.put(d, next);
                      }
                      return next;
                    }));
  }

  /**
   * Removes a replica (generation + 1). Idempotent: removing a non-replica returns the descriptor
   * unchanged.
   *
   * @throws MetaException (through the future) NOT_ALLOWED if the node holds the lease (transfer it
   *     first), STALE_GENERATION as for add
   */
  public CompletableFuture<RangeDescriptor> removeReplicaAsync(
      TransactionContext db, long rangeId, String nodeId, long expectedGeneration) {
    return db.runAsync(
        tr ->
            requireRange(tr, rangeId)
                .thenApply(
                    d -> {
                      if (!d.replicas().contains(nodeId)) return d;
                      checkGeneration(d, expectedGeneration);
                      if (nodeId.equals(d.leaseholder())) {
                        throw MetaException.forRange(
                            MetaException.Code.NOT_ALLOWED,
                            rangeId,
                            "node "
                                + nodeId
                                + " holds the lease; transfer it before removing the replica");
                      }
                      List<String> replicas = new ArrayList<>(d.replicas());
                      replicas.remove(nodeId);
                      RangeDescriptor next = d.withReplicas(replicas, d.generation() + 1);
                      try (RouteWriter.Changes changes = writer.changes(tr)) {
                        changes.put(d, next);
                      }
                      return next;
                    }));
  }

  /**
   * The lease the merged range needs written, or null to keep the left one's as it is (nobody may
   * still serve the right range's keys).
   *
   * @throws MetaException LEASE_CONFLICT if another node may still serve the right range's keys
   */
  private @Nullable Lease mergedLease(
      long leftId,
      long rightId,
      @Nullable Lease left,
      @Nullable Lease right,
      @Nullable NodeRecord rightHolder,
      long now) {
    long offset = config.maxClockOffsetMillis();
    if (right == null
        || LeaseRules.isVacant(right)
        || right.isFreeForOthers(now, offset, rightHolder)) return null;
    boolean sameHolder =
        left != null
            && !LeaseRules.isVacant(left)
            && left.holder().equals(right.holder())
            && left.holderIncarnation() == right.holderIncarnation();
    if (!sameHolder) {
      throw MetaException.forRange(
          MetaException.Code.LEASE_CONFLICT,
          leftId,
          "cannot merge: range "
              + rightId
              + " is leased to "
              + right.holder()
              + (right.ridesOnLiveness() ? " on its liveness" : " until " + right.expiresAt())
              + " and its keys would be served by "
              + (left == null || LeaseRules.isVacant(left) ? "a new holder" : left.holder())
              + " too; transfer that lease to the left range's leaseholder or release it first");
    }
    return new Lease(
        left.holder(),
        Math.max(left.epoch(), right.epoch()) + 1,
        Math.max(left.expiresAt(), right.expiresAt()),
        left.holderIncarnation());
  }

  /** The node record of a liveness lease's holder; null if none or not needed. */
  private CompletableFuture<@Nullable NodeRecord> holderRecord(
      Transaction tr, @Nullable Lease lease) {
    if (lease == null || LeaseRules.isVacant(lease) || !lease.ridesOnLiveness())
      return CompletableFuture.completedFuture(null);
    return tr.get(ks.nodeKey(lease.holder()))
        .thenApply(v -> v == null ? null : NodeRecord.decode(v));
  }

  private static @Nullable Lease decodeLease(byte @Nullable [] value) {
    return value == null ? null : Lease.decode(value);
  }

  // ---------------------------------------------------------------- helpers

  CompletableFuture<RangeDescriptor> requireRange(Transaction tr, long rangeId) {
    return writer
        .read(tr, rangeId)
        .thenApply(
            d -> {
              if (d == null)
                throw MetaException.forRange(
                    MetaException.Code.UNKNOWN_RANGE, rangeId, "no such range");
              return d;
            });
  }

  private CompletableFuture<OpRecord> readOp(Transaction tr, String opId) {
    return ops.getAsync(tr, opId)
        .thenApply(
            op -> {
              if (op == null)
                throw MetaException.of(
                    MetaException.Code.CONFLICTING_OPERATION,
                    "no such op " + opId + "; run prepareSplit first");
              return op;
            });
  }

  private static void checkGeneration(RangeDescriptor d, long expected) {
    if (expected >= 0 && d.generation() != expected) {
      throw MetaException.forRange(
          MetaException.Code.STALE_GENERATION,
          d.rangeId(),
          "expected generation " + expected + ", range is at " + d.generation());
    }
  }

  private MetaException notBootstrapped() {
    return MetaException.of(
        MetaException.Code.NOT_BOOTSTRAPPED,
        "cluster '" + ks.cluster() + "' has no ranges; run init first");
  }

  /**
   * Reads the whole range index in pages of {@code pageSize} rows, each page its own read
   * transaction starting after the last key of the one before, and hands each page to {@code sink}
   * (one page at a time, in key order); the next page is read once the future the sink returned
   * completes. The route load reads this way; {@link #scanIndexAsync} exposes it without decoding,
   * as the load's baseline.
   *
   * @return the number of rows read; fails with the store's error (or what {@code sink} threw or
   *     its future failed with)
   */
  public static CompletableFuture<Long> scanIndexPagesAsync(
      ReadTransactionContext db,
      Keyspace ks,
      int pageSize,
      Executor executor,
      Function<List<KeyValue>, CompletableFuture<?>> sink) {
    var state =
        new Object() {
          byte @Nullable [] after;
          long rows;
        };
    KeySelector end = KeySelector.firstGreaterOrEqual(ks.rangeIndex().end);
    return AsyncUtil.whileTrue(
            () -> {
              KeySelector begin =
                  state.after == null
                      ? KeySelector.firstGreaterOrEqual(ks.rangeIndex().begin)
                      : KeySelector.firstGreaterThan(state.after);
              return db.readAsync(tr -> tr.getRange(begin, end, pageSize).asList())
                  .thenCompose(
                      rows -> {
                        state.rows += rows.size();
                        boolean more = rows.size() == pageSize;
                        if (more) state.after = rows.get(rows.size() - 1).getKey();
                        return sink.apply(rows).thenApply(v -> more);
                      });
            },
            executor)
        .thenApply(v -> state.rows);
  }
}
