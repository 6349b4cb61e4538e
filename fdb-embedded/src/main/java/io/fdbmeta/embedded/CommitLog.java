package io.fdbmeta.embedded;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where the resolved effects of each commit go to become durable.
 *
 * <p>The engine resolves every mutation before logging it (atomic operations are evaluated,
 * versionstamps substituted), so a log only ever replays plain sets and range clears. Two
 * implementations exist: {@link MemoryCommitLog}, which keeps nothing, and {@link FileCommitLog}, a
 * write-ahead log with group commit and periodic checkpoints in a directory.
 */
interface CommitLog extends AutoCloseable {

  /**
   * Replays the durable state into {@code sink}, oldest first, and returns the version of the last
   * durable commit (0 for an empty store). Called once, before any {@link #append}.
   */
  long recover(RecoverySink sink) throws IOException;

  /**
   * Appends one commit's effects. Called in increasing version order while the engine holds its
   * commit lock, so it must not wait for I/O; the returned future completes once the effects (and
   * every earlier append) are durable, or completes exceptionally if they can never be.
   */
  CompletableFuture<Void> append(long version, List<Effect> effects);

  /** False if {@link #append} ignores the effects, so the engine need not collect them. */
  default boolean keepsEffects() {
    return true;
  }

  /**
   * Bytes appended since the last completed checkpoint; the engine uses it to decide when to
   * checkpoint.
   */
  long bytesSinceCheckpoint();

  /**
   * Starts a checkpoint at {@code version}, the last version appended. Called under the commit
   * lock, so every later append has a higher version. The returned checkpoint is written outside
   * the lock, from a consistent view of the store at that version.
   */
  Checkpoint beginCheckpoint(long version);

  @Override
  void close();

  /** A checkpoint begun by {@link #beginCheckpoint}: the state at one version. */
  interface Checkpoint {
    /**
     * Writes {@code state} (every live key at the checkpoint's version, in key order) durably, then
     * drops the log records it covers. Until this returns, recovery still uses the older state.
     */
    void write(StateScanner state) throws IOException;
  }

  /** Streams a consistent view of the store in key order. */
  interface StateScanner {
    void scan(KeyValueSink sink) throws IOException;
  }

  interface KeyValueSink {
    void accept(byte[] key, byte[] value) throws IOException;
  }

  /** Receives the state during {@link #recover}. */
  interface RecoverySink {
    void set(byte[] key, byte[] value);

    void clearRange(byte[] begin, byte[] end);
  }

  /** One resolved effect of a commit: a set, or a clear of [key, end). */
  record Effect(boolean isSet, byte[] key, byte[] valueOrEnd) {
    static Effect set(byte[] key, byte[] value) {
      return new Effect(true, key, value);
    }

    static Effect clear(byte[] begin, byte[] end) {
      return new Effect(false, begin, end);
    }
  }
}
