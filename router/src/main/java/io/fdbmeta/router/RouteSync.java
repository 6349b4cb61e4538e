package io.fdbmeta.router;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.tuple.Versionstamp;
import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.Page;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.route.ChangeFeed;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/*
 * Keeps a RouteCache in step with the catalog, pushed rather than polled.
 *
 * Start: read the changelog head H, then read the catalog in pages (one transaction each, all after
 * H) until the cache's weight is filled, replace the cache with what was read, and follow the
 * changelog from H. The pages are no snapshot, but every change after H is replayed onto them, and
 * the cache's "newer wins" rule makes replaying an event the pages already reflect harmless (the
 * layer's RouteLoader header has the full argument for a complete table; a partial one keeps or
 * drops ranges, never bends them).
 *
 * If the changelog was trimmed past the cache's position (a long pause), the feed resets: the cache
 * holds the feed's commits back, the catalog is read again after the new head, and the held
 * commits are applied to the fresh cache.
 */
/** Fills a RouteCache from the catalog and follows the changelog into it. */
final class RouteSync implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(RouteSync.class.getName());

  private final Database db;
  private final RangeCatalog catalog;
  private final RouteCache cache;
  private final ChangeFeed feed;
  private final int pageSize;
  private final long fillBytes;
  private volatile boolean closed;

  RouteSync(
      Database db,
      RangeCatalog catalog,
      RouteCache cache,
      ChangeFeed.Options options,
      int pageSize,
      double fillFraction) {
    this.db = db;
    this.catalog = catalog;
    this.cache = cache;
    this.feed = new ChangeFeed(db, catalog.keyspace(), options);
    this.pageSize = pageSize;
    this.fillBytes = (long) (cache.maxWeight() * fillFraction);
  }

  ChangeFeed feed() {
    return feed;
  }

  /** Fills the cache and starts following; completes once the cache is filled. */
  CompletableFuture<Void> startAsync() {
    return feed.headAsync()
        .thenCompose(
            head ->
                fill()
                    .thenAccept(
                        ranges -> {
                          cache.replaceAll(ranges, ChangeFeed.commitVersion(head));
                          feed.start(
                              head,
                              new ChangeFeed.Listener() {
                                @Override
                                public void onChanges(
                                    Versionstamp position, List<ChangeEvent> events) {
                                  cache.applyChanges(ChangeFeed.commitVersion(position), events);
                                }

                                @Override
                                public void onReset(Versionstamp newHead) {
                                  cache.beginReload();
                                  reload(newHead);
                                }
                              });
                        }));
  }

  private void reload(Versionstamp head) {
    if (closed) return;
    fill()
        .whenComplete(
            (ranges, e) -> {
              if (e == null) {
                cache.replaceAll(ranges, ChangeFeed.commitVersion(head));
                return;
              }
              LOG.log(System.Logger.Level.WARNING, "route cache reload failed, retrying: " + e);
              CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS)
                  .execute(() -> reload(head));
            });
  }

  /** Pages of the catalog in key order until the fill weight is reached or the catalog ends. */
  private CompletableFuture<List<RangeDescriptor>> fill() {
    List<RangeDescriptor> out = new ArrayList<>();
    long[] weight = {0};
    return page(null, out, weight);
  }

  private CompletableFuture<List<RangeDescriptor>> page(
      byte @Nullable [] cursor, List<RangeDescriptor> out, long[] weight) {
    return catalog
        .listAsync(db, cursor, pageSize)
        .thenCompose(
            (Page<RangeDescriptor> p) -> {
              for (RangeDescriptor d : p.items()) {
                long w = CachedRange.weigh(d, d.startKey(), d.endKey());
                if (weight[0] + w > fillBytes) return CompletableFuture.completedFuture(out);
                weight[0] += w;
                out.add(d);
              }
              if (!p.hasMore() || closed) return CompletableFuture.completedFuture(out);
              return page(p.nextCursor(), out, weight);
            });
  }

  @Override
  public void close() {
    closed = true;
    feed.close();
  }
}
