package io.fdbmeta.embedded;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.DatabaseOptions;
import com.apple.foundationdb.EventKeeper;
import com.apple.foundationdb.KeyRangeArrayResult;
import com.apple.foundationdb.ReadTransaction;
import com.apple.foundationdb.Tenant;
import com.apple.foundationdb.Transaction;
import com.apple.foundationdb.tuple.Tuple;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A {@link Database} backed by the in-process engine; obtain one from {@link EmbeddedFdb}. Layer
 * code should depend on {@code Database} only; this class adds nothing it may rely on except {@link
 * #describe()} for diagnostics.
 */
public final class EmbeddedDatabase implements Database {
  private final Cluster cluster;
  private final @Nullable Store store; // null when another process holds the data
  private final Executor executor;
  private final @Nullable ExecutorService ownedExecutor;
  private final @Nullable ExecutorService blockingReads;
  private final WatchSlots watchSlots;
  private final Defaults defaults = new Defaults();

  /** Transaction defaults set through {@link #options()}. */
  static final class Defaults {
    volatile long timeoutMillis;
    volatile long retryLimit = -1;
    volatile long maxRetryDelayMillis = 1000;
    volatile long sizeLimit = EmbeddedTransaction.DEFAULT_SIZE_LIMIT;
    volatile boolean snapshotRywDisabled;
  }

  EmbeddedDatabase(EmbeddedFdb.Builder config) {
    if (config.executor == null) {
      this.ownedExecutor = daemonPool("fdb-embedded-");
      this.executor = ownedExecutor;
    } else {
      this.ownedExecutor = null;
      this.executor = config.executor;
    }
    this.watchSlots = new WatchSlots(config.maxWatches);
    if (config.server != null) {
      this.store = null;
      this.cluster = RemoteCluster.connect(config.server, config.clock, config.serverTls);
      this.blockingReads = daemonPool("fdb-embedded-reads-");
      return;
    }
    CommitLog log =
        config.directory == null ? new MemoryCommitLog() : FileCommitLog.open(config.directory);
    String description =
        config.directory == null
            ? "fdb-embedded (memory)"
            : "fdb-embedded (" + config.directory + ")";
    this.store = new Store(log, config.directory != null, config, executor);
    this.cluster = new LocalCluster(store, description);
    this.blockingReads = null; // the store answers on the caller's thread
  }

  private static ExecutorService daemonPool(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return Executors.newCachedThreadPool(
        r -> {
          Thread t = new Thread(r, prefix + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  Store store() {
    if (store == null) throw new IllegalStateException("the store is in another process");
    return store;
  }

  /** What transactions reach outside the client: the store, here or in a server. */
  Cluster cluster() {
    return cluster;
  }

  WatchSlots watchSlots() {
    return watchSlots;
  }

  /**
   * Where reads that wait for several replies in turn (range reads, key selectors) run, or null to
   * run them on the caller's thread because the cluster answers at once.
   */
  @Nullable Executor blockingReads() {
    return blockingReads;
  }

  /** Where the data lives and the engine's counters, for logs and diagnostics. */
  public String describe() {
    return cluster.describe();
  }

  @Override
  public Transaction createTransaction(Executor e) {
    return new EmbeddedTransaction(this, e, defaults);
  }

  @Override
  public Transaction createTransaction(Executor e, EventKeeper eventKeeper) {
    return createTransaction(e);
  }

  @Override
  public DatabaseOptions options() {
    return new DatabaseOptions(this::setOption);
  }

  private void setOption(int code, byte @Nullable [] param) {
    switch (code) {
      case 500:
        defaults.timeoutMillis = EmbeddedTransaction.longParam(param);
        break;
      case 501:
        defaults.retryLimit = EmbeddedTransaction.longParam(param);
        break;
      case 502:
        defaults.maxRetryDelayMillis = EmbeddedTransaction.longParam(param);
        break;
      case 503:
        defaults.sizeLimit = EmbeddedTransaction.longParam(param);
        break;
      case 26:
        defaults.snapshotRywDisabled = false;
        break;
      case 27:
        defaults.snapshotRywDisabled = true;
        break;
      case 20:
        long maxWatches = EmbeddedTransaction.longParam(param);
        if (maxWatches < 0 || maxWatches > WatchSlots.ABSOLUTE_MAX) {
          throw Errors.error(
              Errors.INVALID_OPTION_VALUE,
              "max watches must be in [0, " + WatchSlots.ABSOLUTE_MAX + "], got " + maxWatches);
        }
        watchSlots.setLimit((int) maxWatches);
        break;
      default:
        break; // location cache, machine/datacenter ids, logging: nothing to do in one process
    }
  }

  @Override
  public double getMainThreadBusyness() {
    return 0;
  }

  @Override
  public Executor getExecutor() {
    return executor;
  }

  // ---------------------------------------------------------------- retry loops, as FDBDatabase

  @Override
  public <T> T run(Function<? super Transaction, T> retryable, Executor e) {
    Transaction tr = createTransaction(e);
    try {
      while (true) {
        try {
          T result = retryable.apply(tr);
          tr.commit().join();
          return result;
        } catch (RuntimeException err) {
          tr = tr.onError(err).join();
        }
      }
    } finally {
      tr.close();
    }
  }

  @Override
  public <T> T read(Function<? super ReadTransaction, T> retryable, Executor e) {
    Transaction tr = createTransaction(e);
    try {
      while (true) {
        try {
          return retryable.apply(tr);
        } catch (RuntimeException err) {
          tr = tr.onError(err).join();
        }
      }
    } finally {
      tr.close();
    }
  }

  @Override
  public <T> CompletableFuture<T> runAsync(
      Function<? super Transaction, ? extends CompletableFuture<T>> retryable, Executor e) {
    Transaction tr = createTransaction(e);
    CompletableFuture<T> result = new CompletableFuture<>();
    attempt(
        tr,
        t -> AsyncCalls.call(retryable, t).thenCompose(r -> t.commit().thenApply(v -> r)),
        result);
    return result;
  }

  @Override
  public <T> CompletableFuture<T> readAsync(
      Function<? super ReadTransaction, ? extends CompletableFuture<T>> retryable, Executor e) {
    Transaction tr = createTransaction(e);
    CompletableFuture<T> result = new CompletableFuture<>();
    attempt(tr, t -> AsyncCalls.call(retryable, t), result);
    return result;
  }

  /**
   * One attempt of an async retry loop; on failure asks onError and, if it allows, tries again with
   * the transaction onError hands back. The last attempt's transaction is closed at the end.
   */
  private static <T> void attempt(
      Transaction tr,
      Function<Transaction, CompletableFuture<T>> body,
      CompletableFuture<T> result) {
    body.apply(tr)
        .whenComplete(
            (r, err) -> {
              if (err == null) {
                tr.close();
                result.complete(r);
                return;
              }
              tr.onError(err)
                  .whenComplete(
                      (next, fatal) -> {
                        if (fatal != null) {
                          tr.close();
                          result.completeExceptionally(
                              fatal instanceof CompletionException && fatal.getCause() != null
                                  ? fatal.getCause()
                                  : fatal);
                        } else {
                          attempt(next, body, result);
                        }
                      });
            });
  }

  // ---------------------------------------------------------------- not supported in one process

  private static UnsupportedOperationException unsupported(String what) {
    return new UnsupportedOperationException(what + " is not supported by fdb-embedded");
  }

  @Override
  public Tenant openTenant(Tuple tenantName) {
    throw unsupported("tenants");
  }

  @Override
  public Tenant openTenant(byte[] tenantName, Executor e) {
    throw unsupported("tenants");
  }

  @Override
  public Tenant openTenant(Tuple tenantName, Executor e) {
    throw unsupported("tenants");
  }

  @Override
  public Tenant openTenant(byte[] tenantName, Executor e, EventKeeper eventKeeper) {
    throw unsupported("tenants");
  }

  @Override
  public Tenant openTenant(Tuple tenantName, Executor e, EventKeeper eventKeeper) {
    throw unsupported("tenants");
  }

  @Override
  public CompletableFuture<byte[]> purgeBlobGranules(
      byte[] begin, byte[] end, long purgeVersion, boolean force, Executor e) {
    return Errors.failed(Errors.UNSUPPORTED_OPERATION);
  }

  @Override
  public CompletableFuture<Void> waitPurgeGranulesComplete(byte[] purgeKey, Executor e) {
    return Errors.failed(Errors.UNSUPPORTED_OPERATION);
  }

  @Override
  public CompletableFuture<Boolean> blobbifyRange(byte[] begin, byte[] end, Executor e) {
    return Errors.failed(Errors.UNSUPPORTED_OPERATION);
  }

  @Override
  public CompletableFuture<Boolean> blobbifyRangeBlocking(byte[] begin, byte[] end, Executor e) {
    return Errors.failed(Errors.UNSUPPORTED_OPERATION);
  }

  @Override
  public CompletableFuture<Boolean> unblobbifyRange(byte[] begin, byte[] end, Executor e) {
    return Errors.failed(Errors.UNSUPPORTED_OPERATION);
  }

  @Override
  public CompletableFuture<KeyRangeArrayResult> listBlobbifiedRanges(
      byte[] begin, byte[] end, int rangeLimit, Executor e) {
    return Errors.failed(Errors.UNSUPPORTED_OPERATION);
  }

  @Override
  public CompletableFuture<Long> verifyBlobRange(
      byte[] begin, byte[] end, long version, Executor e) {
    return Errors.failed(Errors.UNSUPPORTED_OPERATION);
  }

  @Override
  public CompletableFuture<Boolean> flushBlobRange(
      byte[] begin, byte[] end, boolean compact, long version, Executor e) {
    return Errors.failed(Errors.UNSUPPORTED_OPERATION);
  }

  @Override
  public CompletableFuture<byte[]> getClientStatus(Executor e) {
    String status =
        "{\"Healthy\":true,\"ClusterID\":\"fdb-embedded\",\"Description\":\""
            + cluster.describe().replace("\"", "'")
            + "\"}";
    return CompletableFuture.completedFuture(status.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    cluster.close();
    if (blockingReads != null) blockingReads.shutdown();
    if (ownedExecutor != null) ownedExecutor.shutdown();
  }
}
