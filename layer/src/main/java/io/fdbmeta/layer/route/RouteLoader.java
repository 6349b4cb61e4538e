package io.fdbmeta.layer.route;

import com.apple.foundationdb.ReadTransactionContext;
import com.apple.foundationdb.tuple.Versionstamp;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.MetaException;
import io.fdbmeta.layer.RangeCatalog;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/*
 * Loads the whole route table without one long transaction, and still ends exactly at the catalog's
 * state at some moment.
 *
 * 1. Read the changelog head C0 (the newest entry, or the floor if the log is empty).
 * 2. Read the range index in pages, each page its own transaction at a later read version. The
 *    union is no snapshot: a range split or merged between pages can show up twice (same id, two
 *    versions), overlap a neighbour, or leave a gap. Of two versions of one id the newer is kept.
 * 3. Apply every changelog commit after C0, in order, to that union (RouteSnapshot.apply rules: an
 *    UPSERT never replaces a strictly newer version of its id and displaces another range at the
 *    same end key; a REMOVE deletes its id). The result is published only after this, so nobody
 *    sees the intermediate mix.
 *
 * Step 2 keeps the pages as read, cut into runs that are indexed on first use (UnindexedChunk); ids
 * are read and compared only if step 3 finds at least one commit after C0
 * (RouteSnapshot.withUniqueIds, before applying it). If it finds none, no routing change committed
 * between reading C0 and reading the changelog, a window that holds every page's read version
 * (every change appends to the changelog, RouteWriter), so all pages read one catalog state and no
 * id can appear twice. That is what lets a cold load cost little more than the scan: the id index,
 * which has to read every value and scatter a million random ids, is left to the first byId() or
 * applied change, and each chunk's index over its end keys to the first lookup in it.
 *
 * Why the result equals the catalog at the head H that step 3 reached. Range ids are never reused,
 * every removal of a range is logged as REMOVE(id), and per id (generation, leaseEpoch) never
 * decreases (a split makes new ids, a merge raises the kept id's generation, a replica change raises
 * the generation, a lease grant the epoch).
 *  - A range x present at H whose last change p is after C0: its UPSERT at p is replayed and applied
 *    (nothing newer of x exists). No later event removes or displaces it: a later UPSERT with x's end
 *    key would mean two live ranges with one end at that commit.
 *  - A range x present at H whose last change is at or before C0: it was unchanged during the whole
 *    load, so exactly one page read it, in its final version, and nothing after C0 touches it.
 *  - A range x absent at H that the table held (read by a page at version v > C0, or inserted by a
 *    replayed UPSERT): it was removed after that, so its REMOVE comes later in the replay, and no
 *    UPSERT of x follows its REMOVE.
 * A displaced range is never one present at H (same argument as the first case), so displacing is
 * only a shortcut for a REMOVE that is coming anyway; it keeps end keys unique in the index.
 *
 * Step 3 needs the changelog from C0 on. If the trimmer advanced the floor past C0 meanwhile, the
 * load starts over; after MAX_ATTEMPTS it gives up (retention is far too short for the table size).
 */
final class RouteLoader {
  private static final int MAX_ATTEMPTS = 10;

  private final ReadTransactionContext db;
  private final Keyspace ks;
  private final int pageSize;
  private final ChangelogTail tail;
  private final Executor executor;

  RouteLoader(
      ReadTransactionContext db, Keyspace ks, int pageSize, ChangelogTail tail, Executor executor) {
    this.db = db;
    this.ks = ks;
    this.pageSize = pageSize;
    this.tail = tail;
    this.executor = executor;
  }

  /**
   * The whole table, caught up to the changelog head.
   *
   * @return fails with MetaException CONFLICTING_OPERATION (retryable) if the changelog kept being
   *     trimmed past the load's start, CORRUPT_RECORD for an undecodable record, or the store's
   *     error
   */
  CompletableFuture<RouteSnapshot> loadAsync() {
    return attempt(1);
  }

  private CompletableFuture<RouteSnapshot> attempt(int n) {
    return tail.headAsync()
        .thenCompose(
            head ->
                loadPagesAsync(head)
                    .thenComposeAsync(
                        loaded -> {
                          RouteTable table = new RouteTable();
                          table.replace(loaded);
                          var catchUp =
                              new Object() {
                                boolean changed;
                              };
                          return tail.catchUpAsync(
                                  head,
                                  b -> {
                                    if (!catchUp.changed) {
                                      catchUp.changed =
                                          true; // pages may have read different versions of a range
                                      // (see the header)
                                      table.replace(table.snapshot().withUniqueIds());
                                    }
                                    table.applyBatch(b.position(), b.events());
                                  })
                              .thenCompose(
                                  result -> {
                                    if (result == ChangelogTail.Result.CAUGHT_UP)
                                      return CompletableFuture.completedFuture(table.snapshot());
                                    if (n >= MAX_ATTEMPTS) {
                                      throw MetaException.of(
                                          MetaException.Code.CONFLICTING_OPERATION,
                                          "changelog was trimmed past the load position "
                                              + n
                                              + " times; raise changelog retention",
                                          true,
                                          null);
                                    }
                                    return attempt(n + 1);
                                  });
                        },
                        executor));
  }

  /**
   * Every range, page by page, as read (indexed on first use), positioned at {@code head} for the
   * catch-up.
   */
  private CompletableFuture<RouteSnapshot> loadPagesAsync(Versionstamp head) {
    List<UnindexedChunk> runs = new ArrayList<>();
    RangeRow row = new RangeRow(ks.rangeSubspace().getKey().length);
    return RangeCatalog.scanIndexPagesAsync(
            db,
            ks,
            pageSize,
            db.getExecutor(),
            page -> {
              Collections.addAll(runs, RouteSnapshot.chunksOf(page, row));
              return CompletableFuture.completedFuture(null);
            })
        .thenApply(n -> RouteSnapshot.loaded(runs, head));
  }
}
