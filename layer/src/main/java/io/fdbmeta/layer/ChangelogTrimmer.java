package io.fdbmeta.layer;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.KeySelector;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.Range;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.TransactionContext;
import com.apple.foundationdb.async.AsyncUtil;
import com.apple.foundationdb.tuple.ByteArrayUtil;
import com.apple.foundationdb.tuple.Versionstamp;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps the changelog to at most {@link LayerConfig#changelogRetention()} entries. Each batch
 * clears the oldest entries and, in the same transaction, advances {@code changelog_floor} to the
 * newest one it cleared, so a follower reading the log and the floor in one transaction always
 * knows whether the entries after its cursor are complete (if not, it reloads).
 *
 * <p>Run by the controller or any background task; concurrent trimmers conflict on the floor and
 * retry, never trimming more than retention allows.
 */
public final class ChangelogTrimmer {
  /** Entries cleared per transaction by {@link #trimAsync(Database)}. */
  public static final int DEFAULT_BATCH = 10_000;

  private final Keyspace ks;
  private final LayerConfig config;

  public ChangelogTrimmer(Keyspace ks, LayerConfig config) {
    this.ks = ks;
    this.config = config;
  }

  /**
   * One bounded batch, in {@code db}'s transaction: clears up to {@code maxEntries} of the oldest
   * entries beyond retention and advances the floor.
   *
   * @return the number of entries cleared (0 if the log is within retention)
   * @throws IllegalArgumentException if {@code maxEntries < 1}
   */
  public CompletableFuture<Integer> trimBatchAsync(TransactionContext db, int maxEntries) {
    if (maxEntries < 1)
      throw new IllegalArgumentException("maxEntries must be >= 1, got " + maxEntries);
    return db.runAsync(tr -> trimBatch(tr, maxEntries));
  }

  private CompletableFuture<Integer> trimBatch(Transaction tr, int maxEntries) {
    Range log = ks.changelogRange();
    int keep = config.changelogRetention();
    // The newest entry to drop: `keep` entries before the last. A snapshot read, because writers
    // keep appending at the end and must not make this transaction conflict.
    KeySelector newestToDrop = KeySelector.lastLessThan(log.end).add(-keep);
    return tr.snapshot()
        .getKey(newestToDrop)
        .thenCompose(
            cutoff -> {
              if (ByteArrayUtil.compareUnsigned(cutoff, log.begin) < 0)
                return CompletableFuture.completedFuture(0);
              byte[] endExclusive = ByteArrayUtil.join(cutoff, new byte[] {0});
              return tr.getRange(log.begin, endExclusive, maxEntries)
                  .asList()
                  .thenCombine(
                      tr.get(ks.changelogFloorKey()),
                      (rows, floorValue) -> {
                        if (rows.isEmpty()) return 0;
                        KeyValue last = rows.get(rows.size() - 1);
                        tr.clear(log.begin, ByteArrayUtil.join(last.getKey(), new byte[] {0}));
                        Versionstamp newFloor =
                            Versionstamps.position(ks.changelogSubspace(), last.getKey());
                        if (newFloor.compareTo(Versionstamps.decodePosition(floorValue)) > 0) {
                          tr.set(ks.changelogFloorKey(), Versionstamps.encodePosition(newFloor));
                        }
                        return rows.size();
                      });
            });
  }

  /**
   * Trims until at most retention entries remain, one batch of {@link #DEFAULT_BATCH} per
   * transaction. Pass a {@link Database} so that each batch commits on its own.
   *
   * @return the number of entries cleared; fails with the store's error if a batch fails (batches
   *     committed before stay committed)
   */
  public CompletableFuture<Long> trimAsync(Database db) {
    return trimAsync(db, DEFAULT_BATCH, db.getExecutor());
  }

  CompletableFuture<Long> trimAsync(Database db, int batch, Executor executor) {
    AtomicLong total = new AtomicLong();
    return AsyncUtil.whileTrue(
            () ->
                trimBatchAsync(db, batch)
                    .thenApply(
                        n -> {
                          total.addAndGet(n);
                          return n == batch;
                        }),
            executor)
        .thenApply(v -> total.get());
  }

  /** Blocking {@link #trimAsync(Database)}. */
  public long trim(Database db) {
    return FdbErrors.join(trimAsync(db));
  }
}
