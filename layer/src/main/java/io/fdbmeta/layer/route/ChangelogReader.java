package io.fdbmeta.layer.route;

import com.apple.foundationdb.KeySelector;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.ReadTransactionContext;
import com.apple.foundationdb.tuple.Versionstamp;
import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.Page;
import io.fdbmeta.layer.Versionstamps;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * Reads raw changelog entries after a position, one page per call, for tools that audit every
 * routing change (the simulation's invariant checks) rather than keep a route table. Routers use
 * {@link RouteFollower}.
 */
public final class ChangelogReader {
  private final Keyspace ks;

  public ChangelogReader(Keyspace ks) {
    this.ks = ks;
  }

  /**
   * One page read in one transaction; whether entries after {@code after} were trimmed is the
   * caller's floor check.
   */
  public record Page(List<ChangeEvent.At> entries, Versionstamp floor) {}

  /** Up to {@code limit} entries after {@code after} (null: from the start), and the trim floor. */
  public CompletableFuture<Page> readAfterAsync(
      ReadTransactionContext db, @Nullable Versionstamp after, int limit) {
    KeySelector begin =
        after == null
            ? KeySelector.firstGreaterOrEqual(ks.changelogRange().begin)
            : KeySelector.firstGreaterThan(Versionstamps.key(ks.changelogSubspace(), after));
    KeySelector end = KeySelector.firstGreaterOrEqual(ks.changelogRange().end);
    return db.readAsync(
        tr ->
            tr.get(ks.changelogFloorKey())
                .thenCombine(
                    tr.getRange(begin, end, limit).asList(),
                    (floor, rows) -> {
                      List<ChangeEvent.At> out = new ArrayList<>(rows.size());
                      for (KeyValue kv : rows)
                        out.add(
                            new ChangeEvent.At(
                                Versionstamps.position(ks.changelogSubspace(), kv.getKey()),
                                ChangeEvent.decode(kv.getValue())));
                      return new Page(out, Versionstamps.decodePosition(floor));
                    }));
  }
}
