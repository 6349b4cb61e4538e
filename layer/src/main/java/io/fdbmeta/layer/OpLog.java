package io.fdbmeta.layer;

import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.ReadTransactionContext;
import com.apple.foundationdb.Transaction;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The one reader and writer of op records ({@code ops/<opId>}): splits, merges and replica moves
 * record their phases here, in the transaction that makes each phase's change, so a retried or
 * resumed operation finds what it already did. Records are kept after they end, for operators and
 * for recovery after a controller takeover.
 */
public final class OpLog {
  private final Keyspace ks;

  public OpLog(Keyspace ks) {
    this.ks = ks;
  }

  /** Records {@code op} as it is: a new operation, or one in a new phase. */
  public void put(Transaction tr, OpRecord op) {
    tr.set(ks.opKey(op.opId()), op.encode());
  }

  /**
   * Records {@code op} moved to {@code phase} in {@code tr}; see {@link OpRecord} for the fields.
   *
   * @return the record as written
   */
  public OpRecord advance(
      Transaction tr,
      OpRecord op,
      OpRecord.Phase phase,
      List<Long> resultIds,
      long now,
      String detail) {
    OpRecord next = op.advance(phase, resultIds, now, detail);
    put(tr, next);
    return next;
  }

  /**
   * The record of {@code opId} in {@code tr}, or null if there is none.
   *
   * @return a future that fails with {@link MetaException} CORRUPT_RECORD if the record does not
   *     decode
   */
  public CompletableFuture<@Nullable OpRecord> getAsync(ReadTransaction tr, String opId) {
    return tr.get(ks.opKey(opId)).thenApply(v -> v == null ? null : OpRecord.decode(v));
  }

  /** Every op record, in op id order, in one read. */
  public CompletableFuture<List<OpRecord>> listAsync(ReadTransactionContext db) {
    return db.readAsync(
        tr ->
            tr.getRange(ks.opsRange())
                .asList()
                .thenApply(
                    rows -> rows.stream().map(kv -> OpRecord.decode(kv.getValue())).toList()));
  }
}
