package io.fdbmeta.embedded;

import com.apple.foundationdb.MutationType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/*
 * The storage engine behind an embedded database: a multi-version key-value map, the commit
 * pipeline and background maintenance.
 *
 * Every key maps to a chain of versions, newest first; a reader at read version rv sees, for each
 * key, the newest entry at or below rv. Commits are serialized by one lock (FoundationDB's
 * resolver and proxies rolled into one): check the transaction's read-conflict ranges against the
 * writes of later commits (ConflictHistory), take a version, apply the mutations, hand the
 * resolved effects to the CommitLog, release the lock. A commit becomes readable only once its
 * log append is durable, so a read version is always a durable, fully applied version.
 *
 * Old versions are kept only while someone may read them (ReadVersions): a read version a
 * transaction holds, or a version the client asked for. Whatever holds them, nothing older than the
 * version readable 5 s ago is kept (the transaction lifetime; so a transaction abandoned without
 * close() cannot pin memory for longer). Every 20 ms maintenance raises `prunedBelow` to the
 * oldest such version, forgets conflict history up to it and trims the version chains the commits
 * lengthened (a key written for the first time has nothing to trim). Under a steady write load
 * this keeps a few milliseconds of old versions instead of 5 s, so little of it is still alive
 * when a young garbage collection copies what survives. Reads
 * check `prunedBelow` after reading, so a read that raced with pruning (only possible at a version
 * nobody held, e.g. an old one given to setReadVersion) reports transaction_too_old instead of
 * returning a truncated view.
 */
final class Store implements AutoCloseable {
  static final long LIFETIME_MILLIS = 5_000;

  /**
   * How often maintenance prunes. Old versions live about this long under a steady load, so it is
   * short: what is still alive at a young collection is what the collection copies.
   */
  private static final long MAINTENANCE_PERIOD_MILLIS = 20;

  /** Keys trimmed per hold of the commit lock, so a long trim does not hold commits up. */
  private static final int TRIM_CHUNK = 1_000;

  /** One version of one key; value null is a tombstone. */
  static final class Node {
    final long version;
    final byte @Nullable [] value;
    volatile @Nullable Node older;

    Node(long version, byte @Nullable [] value, @Nullable Node older) {
      this.version = version;
      this.value = value;
      this.older = older;
    }
  }

  /** The keys one commit wrote, to trim once no reader needs the versions they replaced. */
  private static final class GcEntry {
    final long version;
    final List<byte[]> keys;
    int next;

    GcEntry(long version, List<byte[]> keys) {
      this.version = version;
      this.keys = keys;
    }
  }

  private record Sample(long millis, long version) {}

  private final ConcurrentSkipListMap<byte[], Node> data = new ConcurrentSkipListMap<>(Bytes.ORDER);
  private final ReentrantLock commitLock = new ReentrantLock();
  private final ConflictHistory history = new ConflictHistory();
  private final ArrayDeque<GcEntry> gcQueue = new ArrayDeque<>();
  private final ArrayDeque<Sample> samples = new ArrayDeque<>();
  private final ReadVersions versions = new ReadVersions();
  private final CommitLog log;
  private final Clock clock;
  private final Executor executor;
  private final FaultPlan faults;
  private final SplittableRandom faultRandom;
  private final boolean durable;
  private final long checkpointBytes;
  final Watches watches;
  private final ScheduledExecutorService maintenance;

  private long committedVersion; // guarded by commitLock
  private volatile long readableVersion;
  private volatile long prunedBelow;
  private long lifetimeFloor; // what was readable 5 s ago; maintenance thread only
  private volatile boolean closed;

  Store(CommitLog log, boolean durable, EmbeddedFdb.Builder config, Executor executor) {
    this.log = log;
    this.durable = durable;
    this.clock = config.clock;
    this.executor = executor;
    this.faults = config.faults;
    this.faultRandom = faults.newRandom();
    this.checkpointBytes = config.checkpointBytes;
    this.watches = new Watches(executor);
    try {
      long recovered =
          log.recover(
              new CommitLog.RecoverySink() {
                @Override
                public void set(byte[] key, byte[] value) {
                  data.put(key, new Node(0, value, null));
                }

                @Override
                public void clearRange(byte[] begin, byte[] end) {
                  data.subMap(begin, end).clear();
                }
              });
      // FoundationDB's read versions are positive; an empty store starts at version 1.
      this.committedVersion = Math.max(recovered, 1);
      this.readableVersion = committedVersion;
    } catch (IOException e) {
      log.close();
      throw new UncheckedIOException("cannot recover fdb-embedded state: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      log.close(); // releases the directory lock
      throw e;
    }
    if (faults.isActive()) {
      System.err.println(
          "fdb-embedded: fault injection on: " + faults + " (replay with this seed)");
    }
    this.maintenance =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "fdb-embedded-maintenance");
              t.setDaemon(true);
              return t;
            });
    maintenance.scheduleWithFixedDelay(
        this::maintain,
        MAINTENANCE_PERIOD_MILLIS,
        MAINTENANCE_PERIOD_MILLIS,
        TimeUnit.MILLISECONDS);
  }

  Clock clock() {
    return clock;
  }

  Executor executor() {
    return executor;
  }

  /**
   * The newest durable, fully applied version, held for a new transaction until it releases the
   * holder.
   */
  ReadVersions.Holder holdReadVersion() {
    checkOpen();
    return versions.holdNewest(() -> readableVersion);
  }

  /**
   * Holds a version a client chose (setReadVersion); it may already be gone, and reads then fail
   * with 1007.
   */
  ReadVersions.Holder holdReadVersion(long version) {
    return versions.hold(version);
  }

  /**
   * Keeps a version the client asked for readable for the transaction lifetime (see ReadVersions).
   */
  void pin(long version) {
    versions.pin(version);
  }

  // ---------------------------------------------------------------- reads

  /** Throws 1007 or 1009 if {@code rv} cannot be read now. Call before and after a read. */
  void checkReadable(long rv) {
    checkOpen();
    if (rv < prunedBelow) throw Errors.error(Errors.TRANSACTION_TOO_OLD);
    if (rv > readableVersion) throw Errors.error(Errors.FUTURE_VERSION);
  }

  byte @Nullable [] get(byte[] key, long rv) {
    checkReadable(rv);
    byte[] value = valueAt(data.get(key), rv);
    checkReadable(rv);
    return value;
  }

  /**
   * Live keys in [begin, end) at {@code rv}, in order or reversed, read lazily. The caller checks
   * {@link #checkReadable} again once it has consumed what it needs.
   */
  Iterator<Map.Entry<byte[], byte[]>> range(byte[] begin, byte[] end, boolean reverse, long rv) {
    checkReadable(rv);
    if (Bytes.compare(begin, end) >= 0) return java.util.Collections.emptyIterator();
    NavigableMap<byte[], Node> sub = data.subMap(begin, true, end, false);
    Iterator<Map.Entry<byte[], Node>> it =
        (reverse ? sub.descendingMap() : sub).entrySet().iterator();
    return new Iterator<>() {
      private Map.@Nullable Entry<byte[], byte[]> next = advance();

      private Map.@Nullable Entry<byte[], byte[]> advance() {
        while (it.hasNext()) {
          Map.Entry<byte[], Node> e = it.next();
          byte[] v = valueAt(e.getValue(), rv);
          if (v != null) return Map.entry(e.getKey(), v);
        }
        return null;
      }

      @Override
      public boolean hasNext() {
        return next != null;
      }

      @Override
      public Map.Entry<byte[], byte[]> next() {
        Map.Entry<byte[], byte[]> r = next;
        if (r == null) throw new NoSuchElementException();
        next = advance();
        return r;
      }
    };
  }

  private static byte @Nullable [] valueAt(@Nullable Node n, long rv) {
    while (n != null && n.version > rv) n = n.older;
    return n == null ? null : n.value;
  }

  /** The value of {@code key} at the newest readable version, for watches. */
  byte @Nullable [] readLatest(byte[] key) {
    ReadVersions.Holder h = versions.holdNewest(() -> readableVersion);
    try {
      return valueAt(data.get(key), h.version);
    } finally {
      h.release();
    }
  }

  /** The newest value of a key, including commits not yet durable. */
  private byte @Nullable [] latest(byte[] key) {
    Node n = data.get(key);
    return n == null ? null : n.value;
  }

  // ---------------------------------------------------------------- commits

  /**
   * Commits a transaction. The future completes with the commit version once the commit is durable
   * and readable, or exceptionally with 1020, 1007, 1031, 1021 (injected) or an I/O failure of the
   * log.
   */
  CompletableFuture<CommitResult> commit(CommitRequest req) {
    FaultPlan.CommitFault fault;
    long delayNanos;
    commitLock.lock();
    try {
      fault = faults.isActive() ? faults.drawCommitFault(faultRandom) : FaultPlan.CommitFault.NONE;
      delayNanos = faults.isActive() ? faults.drawDelayNanos(faultRandom) : 0;
    } catch (RuntimeException e) {
      commitLock.unlock();
      throw e;
    }
    if (delayNanos == 0) {
      return commitLocked(req, fault);
    }
    commitLock.unlock();
    CompletableFuture<CommitResult> result = new CompletableFuture<>();
    CompletableFuture.delayedExecutor(delayNanos, TimeUnit.NANOSECONDS, executor)
        .execute(
            () -> {
              commitLock.lock();
              commitLocked(req, fault)
                  .whenComplete(
                      (r, e) -> {
                        if (e != null) result.completeExceptionally(e);
                        else result.complete(r);
                      });
            });
    return result;
  }

  /** Runs with commitLock held; releases it. */
  private CompletableFuture<CommitResult> commitLocked(
      CommitRequest req, FaultPlan.CommitFault fault) {
    long version;
    byte[] versionstamp;
    List<byte[]> touched;
    CompletableFuture<Void> durableFuture;
    boolean spurious;
    try {
      if (closed) return Errors.failed(Errors.OPERATION_CANCELLED);
      switch (fault) {
        case NOT_COMMITTED:
          return injected(Errors.NOT_COMMITTED);
        case TOO_OLD:
          return injected(Errors.TRANSACTION_TOO_OLD);
        case TIMED_OUT:
          return injected(Errors.TRANSACTION_TIMED_OUT);
        case UNKNOWN_RESULT_DROPPED:
          return injected(Errors.COMMIT_UNKNOWN_RESULT);
        default:
          break;
      }
      if (req.readVersion() < prunedBelow) return Errors.failed(Errors.TRANSACTION_TOO_OLD);
      if (history.conflicts(req.reads(), req.readVersion()))
        return Errors.failed(Errors.NOT_COMMITTED);

      version = Math.max(committedVersion + 1, clockMicros());
      versionstamp = ByteBuffer.allocate(10).putLong(version).putShort((short) 0).array();
      Application applied = new Application(version, versionstamp, req.mutations().size());
      applied.applyAll(req.mutations());
      touched = applied.touched;
      history.record(req.writes(), version);
      committedVersion = version;
      if (!applied.toTrim.isEmpty()) gcQueue.addLast(new GcEntry(version, applied.toTrim));
      spurious = faults.isActive() && faults.drawSpuriousWatchFire(faultRandom);
      durableFuture = log.append(version, applied.effects != null ? applied.effects : List.of());
    } finally {
      commitLock.unlock();
    }
    CommitResult result = new CommitResult(version, versionstamp);
    boolean spuriousFire = spurious;
    // Published on the thread that made the commit durable (the log's flusher): publishing is
    // cheap, and the caller's own callbacks go to its executor, not to that thread.
    CompletableFuture<CommitResult> visible =
        durableFuture.thenApply(x -> publish(result, touched, spuriousFire));
    if (fault == FaultPlan.CommitFault.UNKNOWN_RESULT_APPLIED) {
      return visible.thenCompose(r -> injected(Errors.COMMIT_UNKNOWN_RESULT));
    }
    return visible;
  }

  private <T> CompletableFuture<T> injected(int code) {
    return CompletableFuture.failedFuture(Errors.error(code, "injected by fdb-embedded " + faults));
  }

  private CommitResult publish(CommitResult r, List<byte[]> touched, boolean spuriousFire) {
    long v = r.version();
    synchronized (this) {
      if (v > readableVersion) readableVersion = v;
    }
    if (!touched.isEmpty() || spuriousFire) {
      watches.onCommitted(touched, this::readLatest, spuriousFire);
    }
    return r;
  }

  /**
   * Applies one commit's mutations at its version, collecting the keys it changed (for watches),
   * those of them that left a version to trim, and, if the log keeps them, its resolved effects.
   * Runs under the commit lock.
   */
  private final class Application {
    final long version;
    final byte[] stamp;
    final List<byte[]> touched;
    final List<byte[]> toTrim = new ArrayList<>();
    final @Nullable List<CommitLog.Effect> effects;

    Application(long version, byte[] stamp, int mutations) {
      this.version = version;
      this.stamp = stamp;
      this.touched = new ArrayList<>(mutations);
      this.effects = log.keepsEffects() ? new ArrayList<>(mutations) : null;
    }

    /**
     * Applies {@code mutations} in order, except that each run of consecutive sets is applied in
     * key order (a stable sort, so two sets of one key keep theirs): sets of different keys
     * commute, and inserting neighbours one after another finds most of each skip-list path already
     * in the cache. A bulk load's commit is one long run of sets at scattered keys.
     */
    void applyAll(List<Mutation> mutations) {
      int n = mutations.size();
      for (int i = 0; i < n; ) {
        int j = i;
        while (j < n && mutations.get(j).kind() == Mutation.Kind.SET) j++;
        if (j - i > 1) {
          List<Mutation> run = new ArrayList<>(mutations.subList(i, j));
          run.sort((a, b) -> Bytes.ORDER.compare(a.key(), b.key()));
          for (Mutation m : run) apply(m);
          i = j;
        } else {
          apply(mutations.get(i++));
        }
      }
    }

    void apply(Mutation m) {
      switch (m.kind()) {
        case SET:
          put(m.key(), m.param());
          break;
        case CLEAR_RANGE:
          clearRange(m.key(), m.param());
          break;
        case ATOMIC:
          MutationType type = m.type();
          if (type == MutationType.SET_VERSIONSTAMPED_KEY) {
            put(Atomics.fillVersionstamp(m.key(), stamp), m.param());
          } else if (type == MutationType.SET_VERSIONSTAMPED_VALUE) {
            put(m.key(), Atomics.fillVersionstamp(m.param(), stamp));
          } else {
            byte[] existing = latest(m.key());
            byte[] updated = Atomics.apply(type, existing, m.param());
            if (updated != null) {
              put(m.key(), updated);
            } else if (existing != null) {
              clearRange(m.key(), Bytes.keyAfter(m.key()));
            }
          }
          break;
        default:
          throw new IllegalStateException("unknown mutation " + m.kind());
      }
    }

    private void put(byte[] key, byte[] value) {
      if (writeVersion(key, value, version)) toTrim.add(key);
      touched.add(key);
      if (effects != null) effects.add(CommitLog.Effect.set(key, value));
    }

    private void clearRange(byte[] begin, byte[] end) {
      if (Bytes.isKeyAfter(begin, end)) { // one key (clear(key)): no sub-map view needed
        Node head = data.get(begin);
        if (head != null && head.value != null) clearKey(begin);
      } else {
        for (Map.Entry<byte[], Node> e : data.subMap(begin, true, end, false).entrySet()) {
          if (e.getValue().value != null) clearKey(e.getKey());
        }
      }
      if (effects != null) effects.add(CommitLog.Effect.clear(begin, end));
    }

    private void clearKey(byte[] key) {
      if (writeVersion(key, null, version)) toTrim.add(key);
      touched.add(key);
    }
  }

  /**
   * Writes {@code value} (null: a tombstone) of {@code key} at {@code version}.
   *
   * @return true if the key now has something for maintenance to trim (an older version, or a
   *     tombstone to drop). A key written for the first time has neither, and costs one skip-list
   *     search instead of two: bulk loads are mostly such keys.
   */
  private boolean writeVersion(byte[] key, byte @Nullable [] value, long version) {
    Node head =
        value == null ? data.get(key) : data.putIfAbsent(key, new Node(version, value, null));
    if (head == null) return false; // inserted, or a clear of a key that has no versions
    Node older = head.version == version ? head.older : head; // written twice by one commit
    data.put(key, new Node(version, value, older));
    return older != null || value == null;
  }

  private long clockMicros() {
    java.time.Instant now = clock.instant();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }

  // ---------------------------------------------------------------- maintenance

  private void maintain() {
    try {
      long now = clock.millis();
      samples.addLast(new Sample(now, readableVersion));
      while (!samples.isEmpty()
          && samples.peekFirst().millis <= now - LIFETIME_MILLIS - MAINTENANCE_PERIOD_MILLIS) {
        lifetimeFloor = samples.pollFirst().version;
      }
      long horizon = versions.horizon(readableVersion, lifetimeFloor);
      if (horizon > prunedBelow) prune(horizon);
      if (durable && log.bytesSinceCheckpoint() > checkpointBytes) checkpoint();
    } catch (RuntimeException | IOException | Error e) {
      if (!closed) {
        System.err.println("fdb-embedded: maintenance failed: " + e);
        e.printStackTrace();
      }
    }
  }

  /**
   * Forgets versions below {@code horizon}; reads and commits older than it get 1007 from now on.
   */
  private void prune(long horizon) {
    prunedBelow = horizon;
    commitLock.lock();
    try {
      history.prune(horizon);
    } finally {
      commitLock.unlock();
    }
    boolean more = true;
    while (more) {
      commitLock.lock();
      try {
        more = trimSome(horizon, TRIM_CHUNK);
      } finally {
        commitLock.unlock();
      }
    }
  }

  /** Trims up to {@code budget} keys written at or below {@code horizon}; true if more are due. */
  private boolean trimSome(long horizon, int budget) {
    for (int n = 0; n < budget; n++) {
      GcEntry e = gcQueue.peekFirst();
      if (e == null || e.version > horizon) return false;
      trim(e.keys.get(e.next++), horizon);
      if (e.next == e.keys.size()) gcQueue.pollFirst();
    }
    return true;
  }

  /** Drops versions of {@code key} no reader at or above {@code horizon} can see. */
  private void trim(byte[] key, long horizon) {
    Node head = data.get(key);
    if (head == null) return;
    Node keep = head;
    while (keep != null && keep.version > horizon) keep = keep.older;
    if (keep == null) return;
    keep.older = null;
    if (keep == head && head.value == null) data.remove(key, head);
  }

  private void checkpoint() throws IOException {
    CommitLog.Checkpoint cp;
    long version;
    commitLock.lock();
    try {
      version = committedVersion;
      cp = log.beginCheckpoint(version);
    } finally {
      commitLock.unlock();
    }
    while (readableVersion < version && !closed) {
      java.util.concurrent.locks.LockSupport.parkNanos(100_000);
    }
    // Maintenance runs on this thread, so nothing prunes below `version` while the scan runs.
    cp.write(
        sink -> {
          for (Map.Entry<byte[], Node> e : data.entrySet()) {
            byte[] v = valueAt(e.getValue(), version);
            if (v != null) sink.accept(e.getKey(), v);
          }
        });
  }

  // ---------------------------------------------------------------- lifecycle

  private void checkOpen() {
    if (closed) throw Errors.error(Errors.OPERATION_CANCELLED, "database is closed");
  }

  boolean isClosed() {
    return closed;
  }

  @Override
  public void close() {
    if (closed) return;
    commitLock.lock();
    try {
      closed = true;
    } finally {
      commitLock.unlock();
    }
    maintenance.shutdown(); // lets a checkpoint in progress finish before the log closes
    try {
      maintenance.awaitTermination(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    log.close();
  }

  // ---------------------------------------------------------------- for tests

  /** Runs one round of maintenance now, on the maintenance thread, and waits for it. */
  void maintainNow() {
    try {
      maintenance.submit(this::maintain).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  long prunedBelow() {
    return prunedBelow;
  }

  /** Versions kept for {@code key}, tombstones included (0 if the key is gone). */
  int versionCount(byte[] key) {
    int n = 0;
    for (Node v = data.get(key); v != null; v = v.older) n++;
    return n;
  }

  /** Counts for diagnostics and tests. */
  String stats() {
    return "keys="
        + data.size()
        + " readable="
        + readableVersion
        + " prunedBelow="
        + prunedBelow
        + " conflictEntries="
        + history.size()
        + " readVersionsInUse="
        + versions.size()
        + " watches="
        + watches.registered();
  }
}
