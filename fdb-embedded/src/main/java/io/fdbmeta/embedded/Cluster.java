package io.fdbmeta.embedded;

import com.apple.foundationdb.KeyValue;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * What a transaction reaches outside its own process in FoundationDB: the proxies that hand out
 * read versions, the storage servers that answer reads at a version, the commit proxies and
 * resolvers that order and check commits, and the servers that hold watches. Everything else a
 * transaction does (its write buffer, read-your-writes, atomics, conflict ranges, options, the
 * retry loop, the watch limit) stays in the client, as in FoundationDB's ReadYourWrites layer.
 *
 * <p>Two implementations: {@link LocalCluster}, the {@link Store} in this process, and the store
 * server's client over TCP. Every future completes exceptionally with the {@code FDBException}
 * FoundationDB's client would give (1007, 1009, 1020, 1021, ...); no method throws one.
 *
 * <p>Arrays passed in are not kept beyond the call unless the caller no longer uses them (the
 * transaction hands over copies); arrays returned may be shared with the implementation, so the
 * transaction copies what it gives its caller.
 */
interface Cluster extends AutoCloseable {

  /** The clock behind the 5 s transaction lifetime and timeouts, on the client's side. */
  Clock clock();

  /** A new read version (FoundationDB's GRV), held readable until released. */
  CompletableFuture<ReadVersion> readVersion();

  /**
   * Holds a version the client chose (setReadVersion); it may already be gone, and reads at it then
   * fail with 1007.
   */
  ReadVersion holdVersion(long version);

  /**
   * Keeps {@code version} readable for the transaction lifetime: the client learned it and may pass
   * it to setReadVersion in another transaction.
   */
  void pin(long version);

  /** The value of {@code key} at {@code readVersion}, or null if it has none. */
  CompletableFuture<byte @Nullable []> get(byte[] key, long readVersion);

  /**
   * Up to {@code rowLimit} (at least 1) live rows of [begin, end) at {@code readVersion}, in key
   * order or reversed. An implementation may return fewer rows than asked (a byte budget per
   * reply), saying so with {@link RangePage#more}.
   */
  CompletableFuture<RangePage> range(
      byte[] begin, byte[] end, boolean reverse, int rowLimit, long readVersion);

  /**
   * Commits mutations checked against read conflict ranges at the request's read version. Fails
   * with 1020 on a conflict, 1007 if the read version is too old, 1021 if the outcome is unknown.
   */
  CompletableFuture<CommitResult> commit(CommitRequest request);

  /**
   * Completes once {@code key}'s value differs from {@code expected} (after a commit that left it
   * so, or at once if it already does). It may also complete spuriously, or exceptionally when the
   * cluster cannot keep watching (callers re-read either way). Cancelling the future removes the
   * watch.
   */
  CompletableFuture<Void> watch(byte[] key, byte @Nullable [] expected);

  /** Where the data lives, for {@code EmbeddedDatabase.describe()}. */
  String describe();

  @Override
  void close();

  /** A read version, readable until {@link #release()}; released exactly once. */
  interface ReadVersion {
    long version();

    void release();
  }

  /**
   * One reply of a range read: rows in the order asked for, and whether [begin, end) may hold more
   * rows beyond the last one returned.
   */
  record RangePage(List<KeyValue> rows, boolean more) {}
}
