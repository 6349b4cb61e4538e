package io.fdbmeta.layer;

import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.ReadTransactionContext;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.TransactionContext;
import com.apple.foundationdb.tuple.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * Persisted replica readiness: a storage node records that its copy of a range is complete, and the
 * controller commits a replica move only when every replica of the range on a live node has such a
 * mark. Both sides only need the store, so the controller may run in any process.
 *
 * <p>A mark is keyed by range and node and holds the node's incarnation and the descriptor
 * generation it vouches for. It counts only while both are current: a restarted node (new
 * incarnation) lost its copy, and any replica change, split or merge (new generation) may have
 * changed what a complete copy is, so a node marks again once it has caught up. Generation and
 * membership are checked in the marking transaction, so a late mark can never vouch for a replica
 * the node no longer has, or has again but has not copied yet. {@link RouteWriter} clears the marks
 * of replicas a change removes.
 */
public final class ReplicaSyncMarks {
  static final int FORMAT = 1;

  /** A replica a node vouches for: it holds all of the range's data as of {@code generation}. */
  public record Mark(long rangeId, long generation) {}

  private final Keyspace ks;
  private final RouteWriter routes;

  public ReplicaSyncMarks(Keyspace ks) {
    this.ks = Objects.requireNonNull(ks, "ks");
    this.routes = new RouteWriter(ks);
  }

  /**
   * Records {@code marks} for {@code nodeId}'s process {@code incarnation} in one transaction, each
   * only if the node is a replica of the range at exactly that generation.
   *
   * @return the marks recorded; the others are of ranges the node no longer replicates or whose
   *     generation moved on (mark again at the new one once caught up)
   */
  public CompletableFuture<List<Mark>> markAsync(
      TransactionContext db, String nodeId, long incarnation, List<Mark> marks) {
    return db.runAsync(
        tr -> {
          List<CompletableFuture<@Nullable RangeDescriptor>> reads = new ArrayList<>();
          for (Mark m : marks) reads.add(routes.read(tr, m.rangeId()));
          return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
              .thenApply(
                  x -> {
                    List<Mark> recorded = new ArrayList<>();
                    for (int i = 0; i < marks.size(); i++) {
                      Mark m = marks.get(i);
                      RangeDescriptor d = reads.get(i).join();
                      if (d == null
                          || d.generation() != m.generation()
                          || !d.replicas().contains(nodeId)) continue;
                      write(tr, nodeId, incarnation, m);
                      recorded.add(m);
                    }
                    return recorded;
                  });
        });
  }

  private void write(Transaction tr, String nodeId, long incarnation, Mark m) {
    tr.set(
        ks.replicaSyncedKey(m.rangeId(), nodeId),
        Tuple.from(FORMAT, incarnation, m.generation()).pack());
  }

  /**
   * True when every replica of the range on a live node (LIVE or DRAINING, liveness not expired at
   * {@code now}) holds a current mark; also true when the range is gone, so a move of a merged-away
   * range proceeds to its commit and aborts there. Replicas on nodes that are down are not waited
   * for: the failure detector replaces them.
   */
  public CompletableFuture<Boolean> replicasSyncedAsync(
      ReadTransactionContext db, long rangeId, long now) {
    return db.readAsync(
        tr ->
            routes
                .read(tr, rangeId)
                .thenCompose(
                    d -> d == null ? CompletableFuture.completedFuture(true) : check(tr, d, now)));
  }

  public boolean replicasSynced(ReadTransactionContext db, long rangeId, long now) {
    return FdbErrors.join(replicasSyncedAsync(db, rangeId, now));
  }

  private CompletableFuture<Boolean> check(ReadTransaction tr, RangeDescriptor d, long now) {
    List<CompletableFuture<Boolean>> each = new ArrayList<>();
    for (String node : d.replicas()) {
      CompletableFuture<byte @Nullable []> record = tr.get(ks.nodeKey(node));
      CompletableFuture<byte @Nullable []> mark = tr.get(ks.replicaSyncedKey(d.rangeId(), node));
      each.add(record.thenCombine(mark, (r, m) -> vouched(r, m, d.generation(), now)));
    }
    return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
        .thenApply(x -> each.stream().allMatch(CompletableFuture::join));
  }

  /**
   * True if the node is down (not waited for) or its mark is of its process and this generation.
   */
  private boolean vouched(
      byte @Nullable [] record, byte @Nullable [] mark, long generation, long now) {
    if (record == null) return true;
    NodeRecord n = NodeRecord.decode(record);
    if (n.status() == NodeStatus.DEAD || n.livenessExpiresAt() <= now) return true;
    if (mark == null) return false;
    Tuple t = Records.unpack(mark, "replica sync mark", FORMAT);
    return Records.field(t, 1, Long.class, "replica sync mark") == n.incarnation()
        && Records.field(t, 2, Long.class, "replica sync mark") == generation;
  }
}
