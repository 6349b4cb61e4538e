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
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/*
 * The routing changelog as a stream, without a table, and the one follower loop of this package:
 * RouteFollower is a ChangeFeed whose sink applies each commit to its RouteTable after the paged
 * load. A consumer that keeps only part of the catalog (a router's bounded route cache) needs the
 * same push-not-poll delivery but decides itself what to keep. This class is that delivery: the
 * watch on meta_version (MetaVersionWatch), the safety-net poll and the reading of the changelog one
 * commit at a time (ChangelogTail), handing each commit to one sink.
 *
 * When the position falls behind the changelog floor (entries were trimmed), the events in between
 * are gone and the sink rebuilds, reporting the position it rebuilt at; the feed continues from
 * there. A public Listener's rebuild is to read the current head and be told to rebuild from the
 * catalog (onReset): a consumer that reads the catalog after onReset and applies the events
 * delivered after it ends up exact, by the argument in RouteLoader's header. RouteFollower's
 * rebuild is RouteLoader's load, which ends at the head it caught up to.
 *
 * A failed catch-up is retried after a short delay. A follower retries only a retryable failure:
 * any other fails its sync() callers, and the next poll or watch fire tries again. A feed has no one
 * to tell, so it retries every failure.
 *
 * Threading: sink calls, the position and the sync waiters live on one thread owned by the feed;
 * catch-up requests from any thread coalesce into at most one running and one queued run.
 */
/**
 * Delivers the routing changelog after a position, one commit at a time, to a listener, following
 * {@code meta_version} with a watch and a periodic poll. Holds no route table: for consumers that
 * keep their own (bounded) view of the catalog; {@link RouteFollower} keeps a whole table.
 *
 * <pre>{@code
 * ChangeFeed feed = new ChangeFeed(db, keyspace, ChangeFeed.Options.defaults());
 * Versionstamp head = feed.headAsync().join();   // read this, then what you need from the catalog
 * feed.start(head, listener);                    // every commit after head, in order
 * }</pre>
 */
public final class ChangeFeed implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ChangeFeed.class.getName());

  /** Called on the feed's thread; must not block. */
  public interface Listener {
    /** One commit's events, in commit order; {@code position} is the feed's new position. */
    void onChanges(Versionstamp position, List<ChangeEvent> events);

    /**
     * The changelog after the previous position was trimmed before it was read: whatever the
     * listener derived from the catalog may be stale and must be rebuilt by reading the catalog
     * again. Events after {@code head} follow.
     */
    void onReset(Versionstamp head);
  }

  /** What a follower in this package does with the changelog; called on the feed's thread. */
  interface Sink {
    /** One commit; a throw fails the catch-up, which resumes before this commit. */
    void accept(ChangelogTail.Batch batch);

    /**
     * The changelog after the position was trimmed: rebuild.
     *
     * @return the position to continue after, completed on the feed's thread
     */
    CompletableFuture<Versionstamp> rebuild();
  }

  /**
   * What the feed has done. {@code metaVersion} is the newest {@code meta_version} the feed has
   * read (its 8-byte commit version, 0 before any); {@code position} the last delivered commit, so
   * {@code metaVersion - commitVersion(position)} is how far behind the feed is, in database
   * versions. {@code lastSyncedAtMillis} is when the last successful catch-up began.
   */
  public record Metrics(
      Versionstamp position,
      long metaVersion,
      long commits,
      long events,
      long resets,
      long watchFires,
      long polls,
      long failures,
      long lastSyncedAtMillis) {}

  private final String name;
  private final boolean retriesEveryFailure;
  private final Options options;
  private final FollowerThread thread;
  private final ChangelogTail tail;
  private final MetaVersionWatch watch;

  private final AtomicLong commits = new AtomicLong();
  private final AtomicLong events = new AtomicLong();
  private final AtomicLong resets = new AtomicLong();
  private final AtomicLong polls = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private volatile long lastSyncedAtMillis;
  private volatile long metaVersion;
  private volatile Versionstamp position = Versionstamps.ORIGIN;
  private volatile boolean started;
  private volatile boolean stopped;
  // Confined to the feed's thread.
  private @Nullable Sink sink;
  private boolean running;
  private boolean again;
  private List<CompletableFuture<Void>> waiters = new ArrayList<>();

  public ChangeFeed(Database db, Keyspace ks, Options options) {
    this(db, ks, options, "change feed", true);
  }

  /**
   * @param name names the thread and the log lines
   * @param retriesEveryFailure false to retry only retryable failures (see the top of this file)
   */
  ChangeFeed(Database db, Keyspace ks, Options options, String name, boolean retriesEveryFailure) {
    Objects.requireNonNull(db, "db");
    Objects.requireNonNull(ks, "ks");
    this.options = Objects.requireNonNull(options, "options");
    this.name = name;
    this.retriesEveryFailure = retriesEveryFailure;
    this.thread = new FollowerThread(name.replace(' ', '-') + "-" + ks.cluster());
    this.tail = new ChangelogTail(db, ks, options.logPageSize, thread);
    this.watch =
        new MetaVersionWatch(
            db,
            ks,
            thread,
            options.retryDelay(),
            failures,
            () -> !stopped,
            this::armedAt,
            this::runCatchUp);
  }

  /**
   * The newest changelog position (the floor if the log is empty). Read it before reading the
   * catalog, then {@link #start} from it.
   *
   * @return fails with the store's error
   */
  public CompletableFuture<Versionstamp> headAsync() {
    return tail.headAsync();
  }

  /**
   * Starts delivering every commit after {@code from} to {@code listener}, until {@link #close()}.
   *
   * @throws IllegalStateException if already started
   */
  public synchronized void start(Versionstamp from, Listener l) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(l, "listener");
    if (started) throw new IllegalStateException("change feed already started");
    started = true;
    thread.submit(() -> follow(from, Duration.ZERO, sinkOf(l)));
  }

  /**
   * Starts following after {@code from} into {@code s}, the first poll after {@code firstPoll}; on
   * the feed's thread.
   */
  void follow(Versionstamp from, Duration firstPoll, Sink s) {
    sink = s;
    position = from;
    lastSyncedAtMillis = options.clock.millis();
    if (options.watches) watch.arm();
    thread.every(
        firstPoll,
        options.pollInterval,
        () -> {
          polls.incrementAndGet();
          runCatchUp();
        });
    if (!waiters.isEmpty()) runCatchUp(); // syncAsync() called before
  }

  private Sink sinkOf(Listener l) {
    return new Sink() {
      @Override
      public void accept(ChangelogTail.Batch batch) {
        try {
          l.onChanges(batch.position(), batch.events());
        } catch (RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, "change feed listener failed", e);
        }
      }

      @Override
      public CompletableFuture<Versionstamp> rebuild() {
        return tail.headAsync()
            .thenApplyAsync(
                head -> {
                  try {
                    l.onReset(head);
                  } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "change feed listener failed", e);
                  }
                  return head;
                },
                thread);
      }
    };
  }

  /**
   * Catches up now, bypassing watches and the poll (for tests and for a consumer that knows it is
   * behind).
   */
  public void poke() {
    thread.submit(this::runCatchUp);
  }

  /**
   * Catches up now, bypassing watches and the poll.
   *
   * @return completes once every change committed before this call was handed on; fails with
   *     MetaException if a catch-up fails with a non-retryable error and this feed does not retry
   *     those, CancellationException if the feed stops first
   */
  CompletableFuture<Void> syncAsync() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (!thread.submit(
        () -> {
          waiters.add(done);
          runCatchUp();
        })) {
      done.completeExceptionally(new CancellationException(name + " stopped"));
    }
    return done;
  }

  /** The position of the last delivered commit. */
  public Versionstamp position() {
    return position;
  }

  public Metrics metrics() {
    return new Metrics(
        position,
        metaVersion,
        commits.get(),
        events.get(),
        resets.get(),
        watch.fires(),
        polls.get(),
        failures.get(),
        lastSyncedAtMillis);
  }

  /**
   * The 8-byte commit version of a changelog position, as a number comparable with read versions.
   */
  public static long commitVersion(Versionstamp position) {
    return commitVersion(position.getTransactionVersion());
  }

  private static long commitVersion(byte[] v) {
    long n = 0;
    for (int i = 0; i < 8; i++) n = (n << 8) | (v[i] & 0xff);
    return n;
  }

  FollowerThread thread() {
    return thread;
  }

  ChangelogTail tail() {
    return tail;
  }

  /** Stops delivering; idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (stopped) return;
      stopped = true;
    }
    watch.cancel();
    thread.submit(
        () -> {
          for (CompletableFuture<Void> f : waiters)
            f.completeExceptionally(new CancellationException(name + " stopped"));
          waiters.clear();
        });
    thread.shutdown();
  }

  // ---------------------------------------------------------------- catching up (the feed's
  // thread)

  private void runCatchUp() {
    if (stopped || sink == null) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    List<CompletableFuture<Void>> served = waiters;
    waiters = new ArrayList<>();
    long startedAt = options.clock.millis();
    tail.catchUpAsync(position, this::deliver)
        .thenCompose(
            result ->
                result == ChangelogTail.Result.CAUGHT_UP
                    ? CompletableFuture.<Void>completedFuture(null)
                    : sink.rebuild().thenAcceptAsync(this::reset, thread))
        .whenCompleteAsync(
            (v, e) -> {
              running = false;
              if (e != null) {
                failed(e, served); // a retry, if scheduled, also serves `again`
                return;
              }
              lastSyncedAtMillis = startedAt;
              served.forEach(f -> f.complete(null));
              if (again || !waiters.isEmpty()) runCatchUp();
            },
            thread);
  }

  private void failed(Throwable e, List<CompletableFuture<Void>> served) {
    failures.incrementAndGet();
    RuntimeException error = FdbErrors.translate(e);
    boolean retryable = error instanceof MetaException && ((MetaException) error).retryable();
    boolean retry = retryable || retriesEveryFailure;
    LOG.log(
        System.Logger.Level.WARNING,
        name + " catch-up failed" + (retry ? ", retrying: " : ": ") + error);
    if (retryable) waiters.addAll(served); // the next run serves them
    else served.forEach(f -> f.completeExceptionally(error));
    if (retry) thread.schedule(this::runCatchUp, options.retryDelay());
  }

  private void armedAt(byte[] v) {
    if (v.length >= 8) metaVersion = Math.max(metaVersion, commitVersion(v));
    if (Versionstamps.isAfter(v, position)) runCatchUp();
  }

  private void deliver(ChangelogTail.Batch batch) {
    sink.accept(batch);
    position = batch.position();
    commits.incrementAndGet();
    events.addAndGet(batch.events().size());
  }

  private void reset(Versionstamp rebuiltAt) {
    resets.incrementAndGet();
    position = rebuiltAt;
  }

  /** Tuning of a feed or a {@link RouteFollower}; validated when built. */
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

    int loadPageSize() {
      return loadPageSize;
    }

    Duration pollInterval() {
      return pollInterval;
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

      /**
       * Descriptors per load transaction of a {@link RouteFollower}; each page must read well under
       * FoundationDB's 5 s.
       */
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
