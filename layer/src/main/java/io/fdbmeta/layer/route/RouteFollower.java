package io.fdbmeta.layer.route;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.tuple.Versionstamp;
import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.MetaException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/*
 * Keeps a local RouteTable equal to the catalog, pushed rather than polled (DESIGN.md,
 * "Distribution: push, not poll").
 *
 * A RouteFollower is a ChangeFeed whose sink applies each commit to the table. start() loads the
 * table in pages and catches it up through the changelog (RouteLoader explains why that is exact),
 * then follows the changelog after the table's cursor: the feed's watch on meta_version and its
 * periodic poll trigger catch-ups, applied one commit at a time. If the cursor fell behind the
 * changelog floor (trimmed), the table is reloaded off to the side and swapped in whole.
 *
 * Threading: all table writes and listener calls run on the feed's thread. Readers use table() from
 * any thread without locks.
 */
/**
 * Follows the routing changelog into a local {@link RouteTable}, for routers and storage nodes.
 *
 * <pre>{@code
 * RouteFollower f = new RouteFollower(db, keyspace, ChangeFeed.Options.defaults());
 * f.start();                       // loaded and caught up
 * RangeDescriptor d = f.table().lookup(key);
 * f.close();
 * }</pre>
 */
public final class RouteFollower implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(RouteFollower.class.getName());

  /** Notified on the follower's thread after changes are visible in the table; must not block. */
  public interface Listener {
    /** One commit's events were applied, in commit order; {@code position} is the new cursor. */
    void onChanges(Versionstamp position, List<ChangeEvent> events);

    /**
     * The table was replaced whole: the initial load, or a reload after falling behind the
     * changelog floor.
     */
    default void onReload(RouteSnapshot snapshot) {}
  }

  /**
   * What the follower has done. {@code lastSyncedAtMillis} is the clock time at which the last
   * successful catch-up began: the table reflects every change committed before it (0 before the
   * first), so {@code now - lastSyncedAtMillis} bounds the staleness when watches are quiet.
   */
  public record Metrics(
      Versionstamp cursor,
      int ranges,
      long appliedEvents,
      long appliedCommits,
      long reloads,
      long watchFires,
      long polls,
      long failures,
      long lastSyncedAtMillis) {}

  private enum State {
    NEW,
    RUNNING,
    STOPPED
  }

  private final ChangeFeed.Options options;
  private final RouteTable table = new RouteTable();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final ChangeFeed feed;
  private final RouteLoader loader;
  private volatile State state = State.NEW;

  public RouteFollower(Database db, Keyspace ks) {
    this(db, ks, ChangeFeed.Options.defaults());
  }

  public RouteFollower(Database db, Keyspace ks, ChangeFeed.Options options) {
    this.options = Objects.requireNonNull(options, "options");
    this.feed = new ChangeFeed(db, ks, options, "route follower", false);
    this.loader = new RouteLoader(db, ks, options.loadPageSize(), feed.tail(), feed.thread());
  }

  /** The local table; empty until {@link #startAsync()} completes. */
  public RouteTable table() {
    return table;
  }

  public void addListener(Listener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  public void removeListener(Listener listener) {
    listeners.remove(listener);
  }

  /**
   * Loads the table, then follows the changelog until {@link #stop()}.
   *
   * @return completes once the table is loaded and caught up; fails with MetaException for a store
   *     error or an undecodable record (the follower then stays stopped)
   * @throws IllegalStateException if already started or stopped
   */
  public synchronized CompletableFuture<Void> startAsync() {
    if (state != State.NEW)
      throw new IllegalStateException("route follower already " + state.name().toLowerCase());
    state = State.RUNNING;
    return loader
        .loadAsync()
        .thenAcceptAsync(
            snapshot -> {
              publishReload(snapshot);
              feed.follow(
                  snapshot.cursor(),
                  options.pollInterval(),
                  new ChangeFeed.Sink() {
                    @Override
                    public void accept(ChangelogTail.Batch batch) {
                      publishBatch(batch);
                    }

                    @Override
                    public CompletableFuture<Versionstamp> rebuild() {
                      return loader
                          .loadAsync()
                          .thenApplyAsync(
                              s -> {
                                publishReload(s);
                                return s.cursor();
                              },
                              feed.thread());
                    }
                  });
            },
            feed.thread())
        .whenComplete(
            (v, e) -> {
              if (e != null) stop();
            });
  }

  /**
   * Blocking {@link #startAsync()}.
   *
   * @throws MetaException if loading fails
   */
  public void start() {
    FdbErrors.join(startAsync());
  }

  /**
   * Catches up now, bypassing watches and the poll.
   *
   * @return completes once the table reflects every change committed before this call; fails with
   *     MetaException if a catch-up fails with a non-retryable error, CancellationException if the
   *     follower stops first
   */
  public CompletableFuture<Void> syncAsync() {
    return feed.syncAsync();
  }

  /** Blocking {@link #syncAsync()}. */
  public void sync() {
    FdbErrors.join(syncAsync());
  }

  public Metrics metrics() {
    RouteSnapshot s = table.snapshot();
    ChangeFeed.Metrics m = feed.metrics();
    return new Metrics(
        s.cursor(),
        s.size(),
        m.events(),
        m.commits(),
        m.resets(),
        m.watchFires(),
        m.polls(),
        m.failures(),
        m.lastSyncedAtMillis());
  }

  /**
   * Stops following: cancels the watch and the poll; the table keeps its last state. Idempotent.
   */
  public void stop() {
    synchronized (this) {
      state = State.STOPPED;
    }
    feed.close();
  }

  @Override
  public void close() {
    stop();
  }

  // ---------------------------------------------------------------- the feed's sink (its thread)

  private void publishBatch(ChangelogTail.Batch batch) {
    table.applyBatch(batch.position(), batch.events());
    for (Listener l : listeners) {
      try {
        l.onChanges(batch.position(), batch.events());
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "route listener failed", e);
      }
    }
  }

  private void publishReload(RouteSnapshot snapshot) {
    table.replace(snapshot);
    for (Listener l : listeners) {
      try {
        l.onReload(snapshot);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "route listener failed", e);
      }
    }
  }
}
