package io.fdbmeta.embedded;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.FDBException;
import com.apple.foundationdb.KeyArrayResult;
import com.apple.foundationdb.KeyRangeArrayResult;
import com.apple.foundationdb.KeySelector;
import com.apple.foundationdb.KeyValue;
import com.apple.foundationdb.MappedKeyValue;
import com.apple.foundationdb.MutationType;
import com.apple.foundationdb.Range;
import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.StreamingMode;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.TransactionOptions;
import com.apple.foundationdb.async.AsyncIterable;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/*
 * A FoundationDB transaction over a Cluster: the store in this process or a store server.
 *
 * As in FoundationDB's ReadYourWrites layer, everything but the cluster's work happens here: the
 * read version is taken once (a GRV) and reads go to the cluster at it; read-conflict ranges of
 * non-snapshot reads are collected for the commit check; writes go to an ordered mutation list
 * (sent at commit) and, unless read-your-writes is disabled, to a WriteBuffer that later reads
 * merge with the database. Point reads and commits are asynchronous; range reads and key selectors,
 * which may need several pages in turn, run on the database's blocking-read threads when the
 * cluster is remote. Futures of a remote cluster complete on the transaction's executor, never on
 * the network thread. Public methods synchronize on the transaction, so it may be used from
 * several threads as FoundationDB's can.
 *
 * As fdb-java's, the object is one attempt: onError hands a new EmbeddedTransaction to the next
 * attempt, carrying the options FoundationDB keeps across onError (timeout, retry limit, max retry
 * delay, size limit) and the retry count, and leaves this one unusable (IllegalStateException,
 * as FDBTransaction after transfer()). Once commit() was called, reads, writes, watches and commit
 * fail with 2017 used_during_commit (ReadYourWrites.actor.cpp checkUsedDuringCommit); a write, a
 * void method, does not throw it but poisons the transaction so the next future reports it, as
 * the C client defers a void call's error.
 *
 * Byte arrays never cross the API boundary shared: keys and values are copied in by every call
 * that keeps them (writes, conflict ranges, watches, the conflict range of a read), and every
 * array handed out is a fresh copy, so a caller reusing or changing an array changes nothing here.
 */
final class EmbeddedTransaction extends RangeOverloads implements Transaction {
  static final int KEY_SIZE_LIMIT = 10_000;
  static final int SYSTEM_KEY_SIZE_LIMIT = 30_000;
  static final int VALUE_SIZE_LIMIT = 100_000;
  static final long DEFAULT_SIZE_LIMIT = 10_000_000;

  private static final int EXACT_MODE_WITHOUT_LIMITS = 2210;
  private static final int NO_COMMIT_VERSION = 2021;
  private static final int TRANSACTION_INVALID_VERSION = 2020;
  private static final int VERSION_INVALID = 2011;

  private enum State {
    ACTIVE,
    COMMITTED,
    FAILED,
    CANCELLED,
    TIMED_OUT
  }

  private final EmbeddedDatabase db;
  private final Cluster cluster;
  private final Executor executor;
  private final ReadTransaction snapshotView = new SnapshotView();

  // Kept across onError, as FoundationDB does.
  private long timeoutMillis;
  private long retryLimit;
  private long maxRetryDelayMillis;
  private long sizeLimit;
  private long startMillis;
  private int retries;
  private double backoffSeconds = 0.01;
  private boolean snapshotRywDisabled;

  // Per attempt.
  private State state = State.ACTIVE;
  private boolean closed;
  private boolean handedOn; // onError gave the next attempt a new object
  private boolean commitStarted;
  private boolean usedDuringCommit; // a call after commit poisoned the transaction with 2017
  private long readVersion = -1;
  private Cluster.@Nullable ReadVersion readHold; // keeps readVersion readable until released
  private @Nullable CompletableFuture<Long> pendingReadVersion; // the GRV in flight
  private long readVersionMillis;
  private boolean versionstampWanted;
  private boolean readYourWritesDisabled;
  private boolean nextWriteNoConflict;
  private boolean accessSystemKeys;
  private boolean readSystemKeys;
  private List<KeyRange> reads = new ArrayList<>();
  private List<KeyRange> writes = new ArrayList<>();
  private List<Mutation> mutations = new ArrayList<>();
  private @Nullable WriteBuffer buffer = new WriteBuffer();
  // The buffer as it was when the blocking read now running was issued; set only while it runs.
  private @Nullable WriteBuffer issuedView;
  private long approximateSize;
  private long committedVersion = -1;
  private CompletableFuture<byte[]> versionstamp = new CompletableFuture<>();
  private List<PendingWatch> watches = new ArrayList<>();

  /**
   * A watch made by this transaction, armed in the cluster once it commits. {@code expected} is the
   * value the transaction saw; it completes when {@code database}, the key's value at the read
   * version, arrives (null when the transaction's own writes decided the value alone).
   */
  private record PendingWatch(
      byte[] key,
      CompletableFuture<byte @Nullable []> expected,
      @Nullable CompletableFuture<byte @Nullable []> database,
      CompletableFuture<Void> future) {}

  EmbeddedTransaction(EmbeddedDatabase db, Executor executor, EmbeddedDatabase.Defaults defaults) {
    this.db = db;
    this.cluster = db.cluster();
    this.executor = executor;
    this.timeoutMillis = defaults.timeoutMillis;
    this.retryLimit = defaults.retryLimit;
    this.maxRetryDelayMillis = defaults.maxRetryDelayMillis;
    this.sizeLimit = defaults.sizeLimit;
    this.snapshotRywDisabled = defaults.snapshotRywDisabled;
    this.startMillis = cluster.clock().millis();
  }

  /** The next attempt after {@code previous}, with the state FoundationDB keeps across onError. */
  private EmbeddedTransaction(EmbeddedTransaction previous) {
    this.db = previous.db;
    this.cluster = previous.cluster;
    this.executor = previous.executor;
    this.timeoutMillis = previous.timeoutMillis;
    this.retryLimit = previous.retryLimit;
    this.maxRetryDelayMillis = previous.maxRetryDelayMillis;
    this.sizeLimit = previous.sizeLimit;
    this.startMillis = previous.startMillis;
    this.retries = previous.retries;
    this.backoffSeconds = previous.backoffSeconds;
    this.snapshotRywDisabled = previous.snapshotRywDisabled;
  }

  // ---------------------------------------------------------------- state checks

  /**
   * Throws, synchronously as fdb-java does, once this object is closed or onError handed the
   * transaction on.
   */
  private void checkOpen() {
    if (handedOn) throw new IllegalStateException("Transaction has been invalidated by reset");
    if (closed) throw new IllegalStateException("Cannot access closed object");
  }

  /** Checks a read, watch or commit: 2017 once commit was called. */
  private void checkUsable() {
    checkOpen();
    if (commitStarted) {
      usedDuringCommit = true;
      throw Errors.error(Errors.USED_DURING_COMMIT);
    }
    checkActive();
  }

  /** Fails with the error that ended this attempt (cancelled, timed out, used during commit). */
  private void checkActive() {
    if (usedDuringCommit) throw Errors.error(Errors.USED_DURING_COMMIT);
    if (state == State.CANCELLED) throw Errors.error(Errors.TRANSACTION_CANCELLED);
    if (state == State.TIMED_OUT) throw Errors.error(Errors.TRANSACTION_TIMED_OUT);
    if (timeoutMillis > 0 && cluster.clock().millis() - startMillis >= timeoutMillis) {
      state = State.TIMED_OUT;
      failWatches(Errors.error(Errors.TRANSACTION_TIMED_OUT));
      throw Errors.error(Errors.TRANSACTION_TIMED_OUT);
    }
  }

  /**
   * Checks a write, a void call: false (and the transaction poisoned, so the next future fails with
   * 2017) once commit was called.
   */
  private boolean checkWritable() {
    checkOpen();
    if (commitStarted) {
      usedDuringCommit = true;
      return false;
    }
    checkActive();
    return true;
  }

  /**
   * The read version, taken from the cluster on first use (one GRV shared by the reads that wait
   * for it); fails with 1007 once the transaction outlived 5 s.
   */
  private CompletableFuture<Long> readVersionAsync() {
    if (readVersion >= 0) {
      if (cluster.clock().millis() - readVersionMillis > Store.LIFETIME_MILLIS) {
        return Errors.failed(Errors.TRANSACTION_TOO_OLD);
      }
      return CompletableFuture.completedFuture(readVersion);
    }
    if (pendingReadVersion == null) {
      // Adopted on the executor: the network thread must never wait for this transaction's lock.
      pendingReadVersion = onExecutor(cluster.readVersion()).thenApply(this::adoptReadVersion);
    }
    return pendingReadVersion;
  }

  private synchronized long adoptReadVersion(Cluster.ReadVersion taken) {
    pendingReadVersion = null;
    if (readVersion >= 0 || handedOn || closed) {
      taken.release(); // setReadVersion came first, or nobody is left to release it
      return readVersion >= 0 ? readVersion : taken.version();
    }
    readHold = taken;
    readVersion = taken.version();
    readVersionMillis = cluster.clock().millis();
    return readVersion;
  }

  /**
   * The read version, waited for: only in reads that run on blocking-read threads. It waits for the
   * cluster's reply itself, not for {@link #adoptReadVersion} in another thread (which needs the
   * lock this thread holds); a GRV of a concurrent point read that loses the race is released.
   */
  private long readVersionForRead() {
    if (readVersion >= 0) return AsyncCalls.await(readVersionAsync()); // 1007 if too old
    return adoptReadVersion(AsyncCalls.await(cluster.readVersion()));
  }

  private byte[] maxReadKey() {
    return readSystemKeys || accessSystemKeys ? Bytes.ALL_KEYS_END : Bytes.SYSTEM_PREFIX;
  }

  private byte[] maxWriteKey() {
    return accessSystemKeys ? Bytes.ALL_KEYS_END : Bytes.SYSTEM_PREFIX;
  }

  /**
   * Runs a synchronous read and returns its result, or its FoundationDB error, as a completed
   * future. A closed or handed-on transaction throws instead (checkOpen).
   */
  private static <T> CompletableFuture<T> completedOrFailed(Supplier<T> body) {
    try {
      return CompletableFuture.completedFuture(body.get());
    } catch (FDBException | IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Runs a read that may wait for the cluster several times in turn (range pages, key selectors):
   * on the caller's thread when the cluster answers at once, else on a blocking-read thread, so no
   * caller (an event loop, say) is ever blocked. A closed or handed-on transaction throws at once.
   */
  private <T> CompletableFuture<T> blockingRead(Supplier<T> body) {
    checkOpen();
    Executor pool = db.blockingReads();
    if (pool == null) {
      synchronized (this) {
        return completedOrFailed(body);
      }
    }
    // The read sees the writes made before it was issued, not those made before it runs.
    WriteBuffer asIssued;
    synchronized (this) {
      asIssued = buffer == null ? null : buffer.copy();
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    pool.execute(
        () -> {
          try {
            synchronized (this) {
              issuedView = asIssued;
              try {
                result.complete(body.get());
              } finally {
                issuedView = null;
              }
            }
          } catch (RuntimeException e) {
            result.completeExceptionally(e);
          }
        });
    return result;
  }

  /** Hands a pending future's completion to the executor (see the class comment). */
  private <T> CompletableFuture<T> onExecutor(CompletableFuture<T> future) {
    return AsyncCalls.onExecutor(future, executor);
  }

  private static byte @Nullable [] copy(byte @Nullable [] bytes) {
    return bytes == null ? null : bytes.clone();
  }

  // ---------------------------------------------------------------- reads

  @Override
  public boolean isSnapshot() {
    return false;
  }

  @Override
  public ReadTransaction snapshot() {
    return snapshotView;
  }

  @Override
  public synchronized CompletableFuture<Long> getReadVersion() {
    checkOpen(); // not checkUsable: FoundationDB gives the read version after commit too
    try {
      checkActive();
    } catch (FDBException e) {
      return CompletableFuture.failedFuture(e);
    }
    return onExecutor(
        readVersionAsync()
            .thenApply(
                rv -> {
                  // The client may pass it to setReadVersion after this transaction is gone.
                  cluster.pin(rv);
                  return rv;
                }));
  }

  @Override
  public synchronized void setReadVersion(long version) {
    if (!checkWritable()) return;
    if (version <= 0)
      throw Errors.error(VERSION_INVALID, "read version must be positive, got " + version);
    releaseReadVersion();
    readHold = cluster.holdVersion(version);
    readVersion = version;
    readVersionMillis = cluster.clock().millis();
  }

  private void releaseReadVersion() {
    if (readHold != null) {
      readHold.release();
      readHold = null;
    }
  }

  /**
   * Keeps the version just before this transaction's commit readable for the transaction lifetime,
   * once the client can learn the commit version: a client may read at it, or at one below it to
   * see the database just before its commit. Called while the transaction still holds its read
   * version (at most the commit version - 1), so pruning cannot have passed it yet.
   */
  private void pinCommitVersion() {
    if (committedVersion > 0) cluster.pin(committedVersion - 1);
  }

  @Override
  public synchronized boolean addReadConflictRangeIfNotSnapshot(byte[] begin, byte[] end) {
    addReadConflictRange(begin, end);
    return true;
  }

  @Override
  public synchronized boolean addReadConflictKeyIfNotSnapshot(byte[] key) {
    addReadConflictKey(key);
    return true;
  }

  @Override
  public CompletableFuture<byte[]> get(byte[] key) {
    return get(key, false);
  }

  synchronized CompletableFuture<byte[]> get(byte[] key, boolean snapshot) {
    try {
      checkUsable();
      if (Bytes.compare(key, maxReadKey()) >= 0) throw Errors.error(Errors.KEY_OUTSIDE_LEGAL_RANGE);
    } catch (FDBException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (key.length > keyLimit(key)) return CompletableFuture.completedFuture(null); // cannot exist
    WriteBuffer buf = ownWrites(snapshot);
    // Answered from the transaction's own writes: no storage read, so no read version.
    if (buf != null && buf.lookup(key) == WriteBuffer.Lookup.KNOWN)
      return CompletableFuture.completedFuture(copy(buf.value(key, null)));
    byte[] k = key.clone();
    if (!snapshot) reads.add(KeyRange.single(k)); // when issued: never fewer conflicts than read
    // The read sees the writes made before it was issued, not those made while it is in flight.
    UnaryOperator<byte @Nullable []> asIssued = buf == null ? v -> v : buf.overDatabase(k);
    return onExecutor(readVersionAsync().thenCompose(rv -> cluster.get(k, rv)))
        .thenApply(dbValue -> copy(asIssued.apply(dbValue)));
  }

  private @Nullable WriteBuffer ownWrites(boolean snapshot) {
    if (snapshot && snapshotRywDisabled) return null;
    return issuedView != null ? issuedView : buffer;
  }

  @Override
  public CompletableFuture<byte[]> getKey(KeySelector selector) {
    return getKey(selector, false);
  }

  CompletableFuture<byte[]> getKey(KeySelector selector, boolean snapshot) {
    return blockingRead(
        () -> {
          checkUsable();
          return resolve(selector, snapshot).clone();
        });
  }

  /**
   * Resolves a key selector: the key {@code offset} positions after the last key below (or, with
   * orEqual, at or below) the selector's key; "" before the first key, the end of the readable
   * keyspace past the last.
   */
  private byte[] resolve(KeySelector sel, boolean snapshot) {
    byte[] key = sel.getKey();
    byte[] max = maxReadKey();
    if (Bytes.compare(key, max) > 0) throw Errors.error(Errors.KEY_OUTSIDE_LEGAL_RANGE);
    long rv = readVersionForRead();
    int offset = sel.getOffset();
    byte[] result;
    if (offset >= 1) {
      byte[] start = sel.orEqual() ? Bytes.keyAfter(key) : key;
      Iterator<KeyValue> it = visible(Bytes.min(start, max), max, false, rv, snapshot, offset);
      result = nth(it, offset);
      if (!snapshot)
        reads.add(new KeyRange(key.clone(), result == null ? max : Bytes.keyAfter(result)));
      if (result == null) result = max;
    } else {
      byte[] end = Bytes.min(sel.orEqual() ? Bytes.keyAfter(key) : key, max);
      Iterator<KeyValue> it = visible(Bytes.EMPTY, end, true, rv, snapshot, 1 - offset);
      result = nth(it, 1 - offset);
      if (!snapshot)
        reads.add(
            new KeyRange(
                result == null ? Bytes.EMPTY : result,
                sel.orEqual() ? Bytes.keyAfter(key) : key.clone()));
      if (result == null) result = Bytes.EMPTY;
    }
    return result;
  }

  private static byte @Nullable [] nth(Iterator<KeyValue> it, int n) {
    KeyValue kv = null;
    for (int i = 0; i < n; i++) {
      if (!it.hasNext()) return null;
      kv = it.next();
    }
    return kv == null ? null : kv.getKey();
  }

  /**
   * What this transaction sees in [begin, end): the database at rv merged with its own writes.
   * {@code expectedRows} sizes the first page asked of the cluster.
   */
  private Iterator<KeyValue> visible(
      byte[] begin, byte[] end, boolean reverse, long rv, boolean snapshot, int expectedRows) {
    Iterator<KeyValue> database = new ClusterRange(cluster, begin, end, reverse, rv, expectedRows);
    WriteBuffer buf = ownWrites(snapshot);
    if (buf == null) return database;
    return buf.merge(database, begin, end, reverse);
  }

  @Override
  public AsyncIterable<KeyValue> getRange(
      KeySelector begin, KeySelector end, int limit, boolean reverse, StreamingMode mode) {
    return new RangeQuery(this, begin, end, limit, reverse, mode, false);
  }

  /**
   * Runs a range read and returns its rows, up to {@code limit} (0 = all). Called by {@link
   * RangeQuery} when iteration starts, so each iteration of an AsyncIterable reads anew.
   */
  CompletableFuture<List<KeyValue>> readRangeAsync(
      KeySelector beginSel,
      KeySelector endSel,
      int limit,
      boolean reverse,
      StreamingMode mode,
      boolean snapshot) {
    return blockingRead(() -> readRange(beginSel, endSel, limit, reverse, mode, snapshot));
  }

  private List<KeyValue> readRange(
      KeySelector beginSel,
      KeySelector endSel,
      int limit,
      boolean reverse,
      StreamingMode mode,
      boolean snapshot) {
    checkUsable();
    if (limit < 0) throw Errors.error(Errors.INVALID_OPTION_VALUE, "negative row limit " + limit);
    if (mode == StreamingMode.EXACT && limit == 0) {
      throw Errors.error(EXACT_MODE_WITHOUT_LIMITS, "EXACT streaming mode requires a row limit");
    }
    byte[] max = maxReadKey();
    if (Bytes.compare(beginSel.getKey(), max) > 0 || Bytes.compare(endSel.getKey(), max) > 0) {
      throw Errors.error(Errors.KEY_OUTSIDE_LEGAL_RANGE);
    }
    WriteBuffer own = ownWrites(snapshot);
    if (own != null
        && isFirstGreaterOrEqual(beginSel)
        && isFirstGreaterOrEqual(endSel)
        && own.clearedThroughout(beginSel.getKey(), endSel.getKey())) {
      // Decided by the transaction's own clear: no storage read, so no read version (no 1007)
      // and, as in FoundationDB, no read conflict.
      Iterator<KeyValue> it =
          own.merge(
              java.util.Collections.emptyIterator(), beginSel.getKey(), endSel.getKey(), reverse);
      List<KeyValue> rows = new ArrayList<>();
      while (it.hasNext() && (limit == 0 || rows.size() < limit)) rows.add(copy(it.next()));
      return rows;
    }
    long rv = readVersionForRead();
    byte[] begin =
        isFirstGreaterOrEqual(beginSel) ? beginSel.getKey().clone() : resolve(beginSel, snapshot);
    byte[] end =
        isFirstGreaterOrEqual(endSel) ? endSel.getKey().clone() : resolve(endSel, snapshot);
    List<KeyValue> rows = new ArrayList<>();
    if (Bytes.compare(begin, end) >= 0) return rows;
    Iterator<KeyValue> it = visible(begin, end, reverse, rv, snapshot, limit > 0 ? limit : 256);
    byte[] last = null; // the last row's key, as stored (the caller gets a copy)
    while (it.hasNext() && (limit == 0 || rows.size() < limit)) {
      KeyValue kv = it.next();
      last = kv.getKey();
      rows.add(copy(kv));
    }
    if (!snapshot) {
      boolean truncated = limit > 0 && rows.size() == limit && it.hasNext();
      if (!truncated) {
        reads.add(new KeyRange(begin, end));
      } else if (reverse) {
        reads.add(new KeyRange(last, end));
      } else {
        reads.add(new KeyRange(begin, Bytes.keyAfter(last)));
      }
    }
    return rows;
  }

  private static KeyValue copy(KeyValue kv) {
    return new KeyValue(kv.getKey().clone(), kv.getValue().clone());
  }

  private static boolean isFirstGreaterOrEqual(KeySelector s) {
    return !s.orEqual() && s.getOffset() == 1;
  }

  @Override
  public AsyncIterable<MappedKeyValue> getMappedRange(
      KeySelector begin,
      KeySelector end,
      byte[] mapper,
      int limit,
      boolean reverse,
      StreamingMode mode) {
    throw Errors.error(
        Errors.UNSUPPORTED_OPERATION, "getMappedRange is not supported by fdb-embedded");
  }

  @Override
  public CompletableFuture<Long> getEstimatedRangeSizeBytes(byte[] begin, byte[] end) {
    return blockingRead(
        () -> {
          checkUsable();
          long size = 0;
          for (Iterator<KeyValue> it = databaseRange(begin, end); it.hasNext(); ) {
            KeyValue kv = it.next();
            size += kv.getKey().length + kv.getValue().length;
          }
          return size;
        });
  }

  /** The database's rows of [begin, end) at the read version, without this transaction's writes. */
  private Iterator<KeyValue> databaseRange(byte[] begin, byte[] end) {
    long rv = readVersionForRead();
    return new ClusterRange(
        cluster, begin, Bytes.min(end, maxReadKey()), false, rv, ClusterRange.MAX_PAGE_ROWS);
  }

  @Override
  public CompletableFuture<KeyArrayResult> getRangeSplitPoints(
      byte[] begin, byte[] end, long chunkSize) {
    return blockingRead(
        () -> {
          checkUsable();
          if (chunkSize <= 0)
            throw Errors.error(Errors.INVALID_OPTION_VALUE, "chunk size must be positive");
          ByteArrayOutputStream keys = new ByteArrayOutputStream();
          List<Integer> lengths = new ArrayList<>();
          keys.writeBytes(begin);
          lengths.add(begin.length);
          long acc = 0;
          for (Iterator<KeyValue> it = databaseRange(begin, end); it.hasNext(); ) {
            KeyValue e = it.next();
            if (acc >= chunkSize) {
              keys.writeBytes(e.getKey());
              lengths.add(e.getKey().length);
              acc = 0;
            }
            acc += e.getKey().length + e.getValue().length;
          }
          keys.writeBytes(end);
          lengths.add(end.length);
          return new KeyArrayResult(
              keys.toByteArray(), lengths.stream().mapToInt(Integer::intValue).toArray());
        });
  }

  @Override
  public CompletableFuture<KeyRangeArrayResult> getBlobGranuleRanges(
      byte[] begin, byte[] end, int rowLimit) {
    return Errors.failed(Errors.UNSUPPORTED_OPERATION);
  }

  // ---------------------------------------------------------------- conflict ranges

  @Override
  public synchronized void addReadConflictRange(byte[] begin, byte[] end) {
    if (!checkWritable()) return;
    checkRange(begin, end, maxReadKey());
    reads.add(new KeyRange(begin.clone(), end.clone()));
    approximateSize += begin.length + end.length;
  }

  @Override
  public synchronized void addReadConflictKey(byte[] key) {
    addReadConflictRange(key, Bytes.keyAfter(key));
  }

  @Override
  public synchronized void addWriteConflictRange(byte[] begin, byte[] end) {
    if (!checkWritable()) return;
    checkRange(begin, end, maxWriteKey());
    writes.add(new KeyRange(begin.clone(), end.clone()));
    approximateSize += begin.length + end.length;
  }

  @Override
  public synchronized void addWriteConflictKey(byte[] key) {
    addWriteConflictRange(key, Bytes.keyAfter(key));
  }

  private static void checkRange(byte[] begin, byte[] end, byte[] max) {
    if (Bytes.compare(begin, end) > 0) throw Errors.error(Errors.INVERTED_RANGE);
    if (Bytes.compare(begin, max) > 0 || Bytes.compare(end, max) > 0) {
      throw Errors.error(Errors.KEY_OUTSIDE_LEGAL_RANGE);
    }
  }

  // ---------------------------------------------------------------- writes

  private int keyLimit(byte[] key) {
    return key.length > 0 && key[0] == (byte) 0xff ? SYSTEM_KEY_SIZE_LIMIT : KEY_SIZE_LIMIT;
  }

  private void checkKey(byte[] key) {
    if (Bytes.compare(key, maxWriteKey()) >= 0) throw Errors.error(Errors.KEY_OUTSIDE_LEGAL_RANGE);
    if (key.length > keyLimit(key)) throw Errors.error(Errors.KEY_TOO_LARGE);
  }

  private static void checkValue(byte[] value) {
    if (value.length > VALUE_SIZE_LIMIT) throw Errors.error(Errors.VALUE_TOO_LARGE);
  }

  private void addWrite(Mutation m, KeyRange conflict) {
    mutations.add(m);
    approximateSize += m.byteSize();
    if (nextWriteNoConflict) {
      nextWriteNoConflict = false;
    } else {
      writes.add(conflict);
      approximateSize += conflict.byteSize();
    }
  }

  @Override
  public synchronized void set(byte[] key, byte[] value) {
    if (!checkWritable()) return;
    checkKey(key);
    checkValue(value);
    key = key.clone();
    value = value.clone();
    addWrite(Mutation.set(key, value), KeyRange.single(key));
    if (buffer != null) buffer.set(key, value);
    triggerOwnWatches();
  }

  @Override
  public synchronized void clear(byte[] key) {
    if (!checkWritable()) return;
    checkKey(key);
    key = key.clone();
    byte[] end = Bytes.keyAfter(key);
    addWrite(Mutation.clearRange(key, end), new KeyRange(key, end));
    if (buffer != null) buffer.clear(key);
    triggerOwnWatches();
  }

  @Override
  public synchronized void clear(byte[] begin, byte[] end) {
    if (!checkWritable()) return;
    checkRange(begin, end, maxWriteKey());
    if (Bytes.compare(begin, end) == 0) return;
    begin = begin.clone();
    end = end.clone();
    addWrite(Mutation.clearRange(begin, end), new KeyRange(begin, end));
    if (buffer != null) buffer.clearRange(begin, end);
    triggerOwnWatches();
  }

  @Override
  public void clear(Range range) {
    clear(range.begin, range.end);
  }

  @Override
  @Deprecated
  public void clearRangeStartsWith(byte[] prefix) {
    clear(Range.startsWith(prefix));
  }

  @Override
  public synchronized void mutate(MutationType type, byte[] key, byte[] param) {
    if (!checkWritable()) return;
    checkValue(param);
    key = key.clone();
    param = param.clone();
    if (type == MutationType.SET_VERSIONSTAMPED_KEY) {
      int offset = Atomics.versionstampOffset(key);
      byte[] target = Arrays.copyOf(key, key.length - 4);
      checkKey(target);
      KeyRange possible = possibleVersionstampKeys(target, offset);
      addWrite(Mutation.atomic(type, key, param), possible);
      if (buffer != null) buffer.versionstampedKeyRange(possible);
      return;
    }
    checkKey(key);
    if (type == MutationType.SET_VERSIONSTAMPED_VALUE) {
      Atomics.versionstampOffset(param);
      addWrite(Mutation.atomic(type, key, param), KeyRange.single(key));
      if (buffer != null) buffer.versionstampedValue(key);
      return;
    }
    addWrite(Mutation.atomic(type, key, param), KeyRange.single(key));
    if (buffer != null) buffer.atomic(type, key, param);
    triggerOwnWatches();
  }

  /** Every key a versionstamped key can become: placeholder filled from this read version up. */
  private KeyRange possibleVersionstampKeys(byte[] key, int offset) {
    long floor = readVersion >= 0 ? readVersion : 0;
    byte[] low = key.clone();
    ByteBuffer.wrap(low, offset, 10).putLong(floor).putShort((short) 0);
    byte[] high = key.clone();
    Arrays.fill(high, offset, offset + 10, (byte) 0xff);
    return new KeyRange(low, Bytes.keyAfter(high));
  }

  // ---------------------------------------------------------------- commit

  @Override
  public synchronized CompletableFuture<Void> commit() {
    try {
      checkUsable();
    } catch (FDBException e) {
      return CompletableFuture.failedFuture(e);
    }
    commitStarted = true;
    if (mutations.isEmpty() && writes.isEmpty()) {
      state = State.COMMITTED;
      versionstamp.completeExceptionally(Errors.error(NO_COMMIT_VERSION));
      // Complete once every watch has read its value, so no later transaction of the caller can
      // commit a change the watch then reads as its starting value and never reports.
      CompletableFuture<?>[] reads =
          watches.stream()
              .map(w -> w.expected.handle((v, e) -> null))
              .toArray(CompletableFuture[]::new);
      armWatches();
      return onExecutor(CompletableFuture.allOf(reads));
    }
    if (approximateSize > sizeLimit) return fail(Errors.error(Errors.TRANSACTION_TOO_LARGE));
    // Nothing changes the lists once commit started. A transaction that has read nothing, has no
    // read version and wants no versionstamp checks no conflicts, so it commits at no particular
    // read version and skips the GRV (a round trip to a store server). FoundationDB's client takes
    // one anyway; nothing the transaction can observe differs.
    CompletableFuture<CommitResult> committed =
        readVersion < 0 && pendingReadVersion == null && reads.isEmpty() && !versionstampWanted
            ? cluster.commit(
                new CommitRequest(CommitRequest.READS_NOTHING, reads, writes, mutations))
            : readVersionAsync()
                .thenCompose(rv -> cluster.commit(new CommitRequest(rv, reads, writes, mutations)));
    return onExecutor(committed)
        .handle(
            (r, err) -> {
              synchronized (this) {
                if (err != null) {
                  FDBException e = Errors.unwrap(err);
                  fail(e != null ? e : Errors.error(Errors.OPERATION_FAILED, String.valueOf(err)));
                  throw new java.util.concurrent.CompletionException(e != null ? e : err);
                }
                state = State.COMMITTED;
                committedVersion = r.version();
                if (versionstampWanted) pinCommitVersion(); // before the client sees the stamp
                versionstamp.complete(r.versionstamp());
                armWatches();
                return (Void) null;
              }
            });
  }

  private CompletableFuture<Void> fail(FDBException e) {
    if (state != State.CANCELLED && state != State.TIMED_OUT) state = State.FAILED;
    versionstamp.completeExceptionally(
        Errors.error(TRANSACTION_INVALID_VERSION, "the commit failed: " + e.getMessage()));
    failWatches(e);
    return CompletableFuture.failedFuture(e);
  }

  @Override
  public synchronized Long getCommittedVersion() {
    pinCommitVersion();
    return committedVersion;
  }

  @Override
  public synchronized CompletableFuture<byte[]> getVersionstamp() {
    try {
      checkUsable(); // FoundationDB: 2017 once commit was called, so ask before committing
    } catch (FDBException e) {
      return CompletableFuture.failedFuture(e);
    }
    versionstampWanted = true;
    return versionstamp.thenApply(byte[]::clone);
  }

  @Override
  public synchronized CompletableFuture<Long> getApproximateSize() {
    return completedOrFailed(
        () -> {
          checkOpen();
          checkActive();
          return approximateSize;
        });
  }

  // ---------------------------------------------------------------- watches

  @Override
  public synchronized CompletableFuture<Void> watch(byte[] key) {
    try {
      checkUsable();
    } catch (FDBException e) {
      return CompletableFuture.failedFuture(e);
    }
    WriteBuffer buf = buffer;
    if (buf == null) return Errors.failed(Errors.WATCHES_DISABLED);
    if (Bytes.compare(key, maxReadKey()) >= 0) return Errors.failed(Errors.KEY_OUTSIDE_LEGAL_RANGE);
    if (key.length > keyLimit(key)) return Errors.failed(Errors.KEY_TOO_LARGE);
    CompletableFuture<Void> future = new CompletableFuture<>();
    if (!db.watchSlots().reserve(future)) return Errors.failed(Errors.TOO_MANY_WATCHES);
    byte[] k = key.clone();
    PendingWatch w;
    if (buf.lookup(k) == WriteBuffer.Lookup.KNOWN) {
      w = new PendingWatch(k, CompletableFuture.completedFuture(buf.value(k, null)), null, future);
    } else {
      CompletableFuture<byte @Nullable []> database =
          onExecutor(readVersionAsync().thenCompose(rv -> cluster.get(k, rv)));
      w = new PendingWatch(k, database.thenApply(buf.overDatabase(k)), database, future);
    }
    PendingWatch watch = w;
    watch.expected.whenComplete(
        (v, e) -> {
          // A failed read fails the watch through its future, which gives the slot back.
          if (e != null) future.completeExceptionally(unwrapped(e));
          else ownChangeDuringRead(watch);
        });
    watches.add(w);
    return future;
  }

  /** Fires a watch whose key this transaction changed while the watch's read was in flight. */
  private synchronized void ownChangeDuringRead(PendingWatch w) {
    if (watches.contains(w) && changedByOwnWrites(w)) {
      watches.remove(w);
      executor.execute(() -> w.future.complete(null));
    }
  }

  private static Throwable unwrapped(Throwable e) {
    FDBException fdb = Errors.unwrap(e);
    return fdb != null ? fdb : e;
  }

  /**
   * Fires pending watches whose key this transaction has changed: FoundationDB's watches report the
   * creating transaction's own changes at once, before it commits.
   */
  private void triggerOwnWatches() {
    if (watches.isEmpty() || buffer == null) return;
    List<PendingWatch> still = new ArrayList<>(watches.size());
    for (PendingWatch w : watches) {
      if (changedByOwnWrites(w)) {
        executor.execute(() -> w.future.complete(null));
      } else {
        still.add(w);
      }
    }
    watches = still;
  }

  /**
   * Whether the transaction's writes now give {@code w}'s key a value other than the one the watch
   * saw. False while that cannot be told yet: the watch's read is in flight (checked again when it
   * arrives), or the value is versionstamped (unknown until commit).
   */
  private boolean changedByOwnWrites(PendingWatch w) {
    if (buffer == null || !w.expected.isDone() || w.expected.isCompletedExceptionally()) {
      return false;
    }
    try {
      byte[] now =
          buffer.lookup(w.key) == WriteBuffer.Lookup.KNOWN
              ? buffer.value(w.key, null)
              : buffer.value(w.key, w.database == null ? null : w.database.join());
      return !Arrays.equals(now, w.expected.join());
    } catch (FDBException unreadable) {
      return false;
    }
  }

  private void armWatches() {
    if (watches.isEmpty()) return;
    for (PendingWatch w : watches) {
      w.expected.thenAccept(expected -> arm(w.key, expected, w.future));
    }
    watches = new ArrayList<>();
  }

  /** Registers a committed transaction's watch in the cluster; cancelling it removes it there. */
  private void arm(byte[] key, byte @Nullable [] expected, CompletableFuture<Void> future) {
    if (future.isDone()) return;
    CompletableFuture<Void> armed = cluster.watch(key, expected);
    onExecutor(armed)
        .whenComplete(
            (v, e) -> {
              if (e == null) future.complete(null);
              else future.completeExceptionally(unwrapped(e));
            });
    future.whenComplete((v, e) -> armed.cancel(false));
  }

  private void failWatches(FDBException e) {
    if (watches.isEmpty()) return;
    for (PendingWatch w : watches) w.future.completeExceptionally(e);
    watches = new ArrayList<>();
  }

  // ---------------------------------------------------------------- retry

  /**
   * As fdb-java's: an error that is not an FDBException (after unwrapping one CompletionException
   * or ExecutionException) fails the returned future and leaves this transaction as it was. An
   * FDBException ends this object whatever the outcome (later calls throw IllegalStateException);
   * if FoundationDB would retry it, the future completes, after the backoff, with a new transaction
   * for the next attempt.
   */
  @Override
  public synchronized CompletableFuture<Transaction> onError(Throwable error) {
    Throwable t = error;
    if ((t instanceof java.util.concurrent.CompletionException
            || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (!(t instanceof FDBException e)) return CompletableFuture.failedFuture(t);
    checkOpen();
    int code = e.getCode();
    boolean retry =
        Errors.isRetryable(code)
            && (retryLimit < 0 || retries < retryLimit)
            && state != State.CANCELLED;
    handOn();
    if (!retry) return CompletableFuture.failedFuture(e);
    EmbeddedTransaction next = new EmbeddedTransaction(this);
    next.retries++;
    double maxDelay = maxRetryDelayMillis / 1000.0;
    double delaySeconds;
    if (Errors.isVersionError(code)) {
      delaySeconds = Math.min(0.01, maxDelay);
    } else {
      delaySeconds = Math.min(backoffSeconds, maxDelay) * ThreadLocalRandom.current().nextDouble();
      next.backoffSeconds = Math.min(backoffSeconds * 2, maxDelay);
    }
    long delayMicros = (long) (delaySeconds * 1e6);
    CompletableFuture<Transaction> result = new CompletableFuture<>();
    CompletableFuture.delayedExecutor(delayMicros, TimeUnit.MICROSECONDS, executor)
        .execute(() -> result.complete(next));
    return result;
  }

  /** Ends this attempt's object: its watches and versionstamp fail, its read version is freed. */
  private void handOn() {
    FDBException cancelled = Errors.error(Errors.TRANSACTION_CANCELLED);
    failWatches(cancelled);
    if (!versionstamp.isDone()) versionstamp.completeExceptionally(cancelled);
    releaseReadVersion();
    handedOn = true;
  }

  @Override
  public synchronized void cancel() {
    checkOpen();
    if (state == State.COMMITTED) return;
    state = State.CANCELLED;
    FDBException e = Errors.error(Errors.TRANSACTION_CANCELLED);
    failWatches(e);
    if (!versionstamp.isDone()) versionstamp.completeExceptionally(e);
  }

  @Override
  public synchronized void close() {
    if (closed || handedOn) return;
    if (state != State.COMMITTED) failWatches(Errors.error(Errors.TRANSACTION_CANCELLED));
    releaseReadVersion();
    closed = true;
  }

  // ---------------------------------------------------------------- options

  @Override
  public TransactionOptions options() {
    return new TransactionOptions(this::setOption);
  }

  private synchronized void setOption(int code, byte @Nullable [] param) {
    checkOpen();
    checkActive();
    switch (code) {
      case 30:
        nextWriteNoConflict = true;
        break;
      case 51:
        if (!mutations.isEmpty() || !reads.isEmpty() || readVersion >= 0) {
          throw Errors.error(
              Errors.CLIENT_INVALID_OPERATION,
              "READ_YOUR_WRITES_DISABLE must be set before any read or write");
        }
        readYourWritesDisabled = true;
        buffer = null;
        break;
      case 301:
        accessSystemKeys = true;
        break;
      case 302:
        readSystemKeys = true;
        break;
      case 500:
        timeoutMillis = nonNegative(param, "timeout");
        startMillis = cluster.clock().millis();
        break;
      case 501:
        retryLimit = longParam(param);
        break;
      case 502:
        maxRetryDelayMillis = nonNegative(param, "max retry delay");
        break;
      case 503:
        long limit = longParam(param);
        if (limit < 32 || limit > DEFAULT_SIZE_LIMIT)
          throw Errors.error(Errors.INVALID_OPTION_VALUE, "size limit must be in [32, 10000000]");
        sizeLimit = limit;
        break;
      case 600:
        snapshotRywDisabled = false;
        break;
      case 601:
        snapshotRywDisabled = true;
        break;
      default:
        break; // priorities, tags, tracing, lock awareness, causal risk: no effect in one process
    }
  }

  static long longParam(byte @Nullable [] param) {
    if (param == null || param.length != 8) throw Errors.error(Errors.INVALID_OPTION_VALUE);
    return ByteBuffer.wrap(param).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  private static long nonNegative(byte @Nullable [] param, String what) {
    long v = longParam(param);
    if (v < 0) throw Errors.error(Errors.INVALID_OPTION_VALUE, what + " must be >= 0, got " + v);
    return v;
  }

  // ---------------------------------------------------------------- contexts

  @Override
  public Database getDatabase() {
    return db;
  }

  @Override
  public Executor getExecutor() {
    return executor;
  }

  @Override
  public <T> T run(Function<? super Transaction, T> retryable) {
    return retryable.apply(this);
  }

  @Override
  public <T> CompletableFuture<T> runAsync(
      Function<? super Transaction, ? extends CompletableFuture<T>> retryable) {
    return AsyncCalls.call(retryable, this);
  }

  @Override
  public <T> T read(Function<? super ReadTransaction, T> retryable) {
    return retryable.apply(this);
  }

  @Override
  public <T> CompletableFuture<T> readAsync(
      Function<? super ReadTransaction, ? extends CompletableFuture<T>> retryable) {
    return AsyncCalls.call(retryable, this);
  }

  /** The snapshot view: the same transaction, reading without conflict ranges. */
  private final class SnapshotView extends RangeOverloads {
    @Override
    public boolean isSnapshot() {
      return true;
    }

    @Override
    public ReadTransaction snapshot() {
      return this;
    }

    @Override
    public CompletableFuture<Long> getReadVersion() {
      return EmbeddedTransaction.this.getReadVersion();
    }

    @Override
    public void setReadVersion(long version) {
      EmbeddedTransaction.this.setReadVersion(version);
    }

    @Override
    public boolean addReadConflictRangeIfNotSnapshot(byte[] begin, byte[] end) {
      return false;
    }

    @Override
    public boolean addReadConflictKeyIfNotSnapshot(byte[] key) {
      return false;
    }

    @Override
    public CompletableFuture<byte[]> get(byte[] key) {
      return EmbeddedTransaction.this.get(key, true);
    }

    @Override
    public CompletableFuture<byte[]> getKey(KeySelector selector) {
      return EmbeddedTransaction.this.getKey(selector, true);
    }

    @Override
    public AsyncIterable<KeyValue> getRange(
        KeySelector begin, KeySelector end, int limit, boolean reverse, StreamingMode mode) {
      return new RangeQuery(EmbeddedTransaction.this, begin, end, limit, reverse, mode, true);
    }

    @Override
    public AsyncIterable<MappedKeyValue> getMappedRange(
        KeySelector begin,
        KeySelector end,
        byte[] mapper,
        int limit,
        boolean reverse,
        StreamingMode mode) {
      return EmbeddedTransaction.this.getMappedRange(begin, end, mapper, limit, reverse, mode);
    }

    @Override
    public CompletableFuture<Long> getEstimatedRangeSizeBytes(byte[] begin, byte[] end) {
      return EmbeddedTransaction.this.getEstimatedRangeSizeBytes(begin, end);
    }

    @Override
    public CompletableFuture<KeyArrayResult> getRangeSplitPoints(
        byte[] begin, byte[] end, long chunkSize) {
      return EmbeddedTransaction.this.getRangeSplitPoints(begin, end, chunkSize);
    }

    @Override
    public CompletableFuture<KeyRangeArrayResult> getBlobGranuleRanges(
        byte[] begin, byte[] end, int rowLimit) {
      return EmbeddedTransaction.this.getBlobGranuleRanges(begin, end, rowLimit);
    }

    @Override
    public TransactionOptions options() {
      return EmbeddedTransaction.this.options();
    }

    @Override
    public <T> T read(Function<? super ReadTransaction, T> retryable) {
      return retryable.apply(this);
    }

    @Override
    public <T> CompletableFuture<T> readAsync(
        Function<? super ReadTransaction, ? extends CompletableFuture<T>> retryable) {
      return AsyncCalls.call(retryable, this);
    }

    @Override
    public Executor getExecutor() {
      return executor;
    }
  }
}
