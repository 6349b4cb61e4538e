package io.fdbmeta.layer.route;

import com.apple.foundationdb.KeySelector;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.ReadTransactionContext;
import com.apple.foundationdb.async.AsyncUtil;
import com.apple.foundationdb.tuple.Versionstamp;
import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.Page;
import io.fdbmeta.layer.Versionstamps;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Reads the changelog after a position, in pages (each its own read transaction), and hands it on
 * one commit at a time. A commit's entries share the 10-byte commit version of their key, so a
 * batch is handed on only once an entry of a later commit, or the end of the log, was seen: a page
 * boundary inside a commit never splits it.
 */
final class ChangelogTail {
  /** One commit's events, and the position of its last one. */
  record Batch(Versionstamp position, List<ChangeEvent> events) {}

  enum Result {
    /** Every entry committed before the last page's read version was handed on. */
    CAUGHT_UP,
    /** Entries after the start position were trimmed; the caller must reload the table. */
    BEHIND_FLOOR
  }

  private record Page(Versionstamp floor, List<ChangeEvent.At> entries, boolean more) {}

  private final ReadTransactionContext db;
  private final Keyspace ks;
  private final int pageSize;
  private final Executor executor;

  ChangelogTail(ReadTransactionContext db, Keyspace ks, int pageSize, Executor executor) {
    this.db = db;
    this.ks = ks;
    this.pageSize = pageSize;
    this.executor = executor;
  }

  /**
   * Hands every commit after {@code from} to {@code sink}, in order, on the executor.
   *
   * @return the outcome; fails with the store's error if a read fails (batches handed on before
   *     stay handed on, so the caller's cursor is where to resume)
   */
  CompletableFuture<Result> catchUpAsync(Versionstamp from, Consumer<Batch> sink) {
    var state =
        new Object() {
          Versionstamp readPos = from;
          List<ChangeEvent> pending = new ArrayList<>();
          Versionstamp pendingPos = from;
          Result result = Result.CAUGHT_UP;

          void flush() {
            if (pending.isEmpty()) return;
            sink.accept(new Batch(pendingPos, List.copyOf(pending)));
            pending = new ArrayList<>();
          }
        };
    return AsyncUtil.whileTrue(
            () ->
                readPage(state.readPos)
                    .thenApplyAsync(
                        page -> {
                          // Entries after readPos are complete only if none of them was trimmed.
                          if (page.floor().compareTo(state.readPos) > 0) {
                            state.result = Result.BEHIND_FLOOR;
                            return false;
                          }
                          for (ChangeEvent.At at : page.entries()) {
                            if (!state.pending.isEmpty()
                                && !Versionstamps.sameCommit(at.position(), state.pendingPos))
                              state.flush();
                            state.pending.add(at.event());
                            state.pendingPos = at.position();
                            state.readPos = at.position();
                          }
                          if (page.more()) return true;
                          state.flush();
                          return false;
                        },
                        executor),
            executor)
        .thenApply(v -> state.result);
  }

  /** The changelog position every later change comes after (Versionstamps.headAsync). */
  CompletableFuture<Versionstamp> headAsync() {
    return db.readAsync(tr -> Versionstamps.headAsync(tr, ks));
  }

  private CompletableFuture<Page> readPage(Versionstamp after) {
    KeySelector begin =
        KeySelector.firstGreaterThan(Versionstamps.key(ks.changelogSubspace(), after));
    KeySelector end = KeySelector.firstGreaterOrEqual(ks.changelogRange().end);
    return db.readAsync(
        tr ->
            tr.get(ks.changelogFloorKey())
                .thenCombine(
                    tr.getRange(begin, end, pageSize).asList(),
                    (floor, rows) -> {
                      List<ChangeEvent.At> entries = new ArrayList<>(rows.size());
                      for (KeyValue kv : rows) {
                        entries.add(
                            new ChangeEvent.At(
                                Versionstamps.position(ks.changelogSubspace(), kv.getKey()),
                                ChangeEvent.decode(kv.getValue())));
                      }
                      return new Page(
                          Versionstamps.decodePosition(floor), entries, rows.size() == pageSize);
                    }));
  }
}
