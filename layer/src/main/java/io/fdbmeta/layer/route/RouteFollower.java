package io.fdbmeta.layer.route;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.tuple.Versionstamp;
import io.fdbmeta.layer.ChangeEvent;
import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.MetaException;
import io.fdbmeta.layer.Versionstamps;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/*
 * Keeps a local RouteTable equal to the catalog, pushed rather than polled (DESIGN.md,
 * "Distribution: push, not poll").
 *
 * start() loads the table in pages and catches it up through the changelog (RouteLoader explains
 * why that is exact). Afterwards a watch on meta_version triggers a catch-up: read the changelog
 * after the table's cursor, apply it one commit at a time. MetaVersionWatch says why a watch alone
 * is not trusted: arming also reads meta_version, and a periodic poll catches up anyway.
 * If the cursor fell behind the changelog floor (trimmed), the table is reloaded off to the side
 * and swapped in whole.
 *
 * Threading: all table writes, listener calls and catch-up state live on one thread owned by the
 * follower; catch-up requests from any thread coalesce into at most one running and one queued
 * run. Readers use table() from any thread without locks.
 */
/**
 * Follows the routing changelog into a local {@link RouteTable}, for routers and storage nodes.
 *
 * <pre>{@code
 * RouteFollower f = new RouteFollower(db, keyspace, RouteFollower.Options.defaults());
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

  private final Database db;
  private final Keyspace ks;
  private final Options options;
  private final RouteTable table = new RouteTable();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final FollowerThread thread;
  private final ChangelogTail tail;
  private final RouteLoader loader;
  private final MetaVersionWatch watch;

  private final AtomicLong appliedEvents = new AtomicLong();
  private final AtomicLong appliedCommits = new AtomicLong();
  private final AtomicLong reloads = new AtomicLong();
  private final AtomicLong polls = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private volatile long lastSyncedAtMillis;

  private volatile State state = State.NEW;
  // Confined to the follower's thread.
  private boolean running;
  private boolean again;
  private List<CompletableFuture<Void>> waiters = new ArrayList<>();

  public RouteFollower(Database db, Keyspace ks) {
    this(db, ks, Options.defaults());
  }

  public RouteFollower(Database db, Keyspace ks, Options options) {
    this.db = Objects.requireNonNull(db, "db");
    this.ks = Objects.requireNonNull(ks, "ks");
    this.options = Objects.requireNonNull(options, "options");
    this.thread = new FollowerThread("route-follower-" + ks.cluster());
    this.tail = new ChangelogTail(db, ks, options.logPageSize, thread);
    this.loader = new RouteLoader(db, ks, options.loadPageSize, tail, thread);
    this.watch =
        new MetaVersionWatch(
            db,
            ks,
            thread,
            options.retryDelay(),
            failures,
            () -> state == State.RUNNING,
            v -> {
              if (Versionstamps.isAfter(v, table.cursor())) runCatchUp();
            },
            this::runCatchUp);
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
              publishReload(snapshot, false);
              lastSyncedAtMillis = options.clock.millis();
              if (options.watches) watch.arm();
              thread.every(
                  options.pollInterval,
                  options.pollInterval,
                  () -> {
                    polls.incrementAndGet();
                    runCatchUp();
                  });
              if (!waiters.isEmpty()) runCatchUp(); // sync() called during the load
            },
            thread)
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
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (!thread.submit(
        () -> {
          waiters.add(done);
          runCatchUp();
        })) {
      done.completeExceptionally(new CancellationException("route follower stopped"));
    }
    return done;
  }

  /** Blocking {@link #syncAsync()}. */
  public void sync() {
    FdbErrors.join(syncAsync());
  }

  public Metrics metrics() {
    RouteSnapshot s = table.snapshot();
    return new Metrics(
        s.cursor(),
        s.size(),
        appliedEvents.get(),
        appliedCommits.get(),
        reloads.get(),
        watch.fires(),
        polls.get(),
        failures.get(),
        lastSyncedAtMillis);
  }

  /**
   * Stops following: cancels the watch and the poll; the table keeps its last state. Idempotent.
   */
  public void stop() {
    synchronized (this) {
      if (state == State.STOPPED) return;
      state = State.STOPPED;
    }
    watch.cancel();
    thread.submit(
        () -> {
          for (CompletableFuture<Void> f : waiters)
            f.completeExceptionally(new CancellationException("route follower stopped"));
          waiters.clear();
        });
    thread.shutdown();
  }

  @Override
  public void close() {
    stop();
  }

  // ---------------------------------------------------------------- catching up (the follower's
  // thread)

  private void runCatchUp() {
    if (state != State.RUNNING) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    List<CompletableFuture<Void>> served = waiters;
    waiters = new ArrayList<>();
    long startedAt = options.clock.millis();
    tail.catchUpAsync(table.cursor(), this::publishBatch)
        .thenCompose(
            result ->
                result == ChangelogTail.Result.CAUGHT_UP
                    ? CompletableFuture.<Void>completedFuture(null)
                    : loader.loadAsync().thenAcceptAsync(s -> publishReload(s, true), thread))
        .whenCompleteAsync(
            (v, e) -> {
              running = false;
              if (e != null) {
                failed("catch-up", e, served); // a retry is scheduled, which also serves `again`
                return;
              }
              lastSyncedAtMillis = startedAt;
              served.forEach(f -> f.complete(null));
              if (again || !waiters.isEmpty()) runCatchUp();
            },
            thread);
  }

  private void failed(String what, Throwable e, List<CompletableFuture<Void>> served) {
    failures.incrementAndGet();
    RuntimeException error = FdbErrors.translate(e);
    boolean retryable = error instanceof MetaException && ((MetaException) error).retryable();
    LOG.log(
        System.Logger.Level.WARNING,
        "route follower " + what + " failed" + (retryable ? ", retrying: " : ": ") + error);
    if (retryable) {
      waiters.addAll(served); // the next run serves them
      thread.schedule(this::runCatchUp, options.retryDelay());
    } else {
      served.forEach(f -> f.completeExceptionally(error));
    }
  }

  private void publishBatch(ChangelogTail.Batch batch) {
    table.applyBatch(batch.position(), batch.events());
    appliedCommits.incrementAndGet();
    appliedEvents.addAndGet(batch.events().size());
    for (Listener l : listeners) {
      try {
        l.onChanges(batch.position(), batch.events());
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "route listener failed", e);
      }
    }
  }

  private void publishReload(RouteSnapshot snapshot, boolean isReload) {
    table.replace(snapshot);
    if (isReload) reloads.incrementAndGet();
    for (Listener l : listeners) {
      try {
        l.onReload(snapshot);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "route listener failed", e);
      }
    }
  }

  /** Tuning of a follower; validated when built. */
  public static final class Options {
    private final int loadPageSize;
    private final int logPageSize;
    private final Duration pollInterval;
    private final boolean watches;
    private final Clock clock;

    private Options(Builder b) {
      this.loadPageSize = b.loadPageSize;
      this.logPageSize = b.logPageSize;
      this.pollInterval = b.pollInterval;
      this.watches = b.watches;
      this.clock = b.clock;
    }

    public static Options defaults() {
      return builder().build();
    }

    public static Builder builder() {
      return new Builder();
    }

    Duration retryDelay() {
      return pollInterval.compareTo(Duration.ofMillis(100)) < 0
          ? pollInterval
          : Duration.ofMillis(100);
    }

    public static final class Builder {
      private int loadPageSize = 10_000;
      private int logPageSize = 1_000;
      private Duration pollInterval = Duration.ofSeconds(1);
      private boolean watches = true;
      private Clock clock = Clock.systemUTC();

      private Builder() {}

      /** Descriptors per load transaction; each page must read well under FoundationDB's 5 s. */
      public Builder loadPageSize(int n) {
        if (n < 1 || n > 100_000)
          throw new IllegalArgumentException("loadPageSize must be in [1, 100000], got " + n);
        this.loadPageSize = n;
        return this;
      }

      /** Changelog entries per catch-up transaction. */
      public Builder logPageSize(int n) {
        if (n < 1 || n > 100_000)
          throw new IllegalArgumentException("logPageSize must be in [1, 100000], got " + n);
        this.logPageSize = n;
        return this;
      }

      /** Safety-net catch-up period, independent of watches. */
      public Builder pollInterval(Duration d) {
        Objects.requireNonNull(d, "pollInterval");
        if (d.toMillis() < 1)
          throw new IllegalArgumentException("pollInterval must be >= 1 ms, got " + d);
        this.pollInterval = d;
        return this;
      }

      /** Whether to watch meta_version; without watches changes arrive by the poll only. */
      public Builder watches(boolean on) {
        this.watches = on;
        return this;
      }

      /** The clock behind {@link Metrics#lastSyncedAtMillis()}. */
      public Builder clock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return this;
      }

      public Options build() {
        return new Options(this);
      }
    }
  }
}
