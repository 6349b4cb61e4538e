package io.fdbmeta.layer.route;

import com.apple.foundationdb.Database;
import io.fdbmeta.layer.Keyspace;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/*
 * A follower's watch on meta_version (DESIGN.md, "Distribution: push, not poll"). Watches can fire
 * spuriously, can fail, and a change between two reads can slip past the next watch's arming, so
 * arming reads meta_version in the watch's own transaction and hands it to the follower, which
 * catches up at once if it is past its position: nothing committed before the watch's read version
 * is missed, anything after fires the watch. A fire or a failure asks for a catch-up too; the
 * follower's periodic poll covers the rest, so propagation never depends on a watch firing.
 */
/** Keeps one watch on {@code meta_version} armed for a follower, on the follower's thread. */
final class MetaVersionWatch {
  private record Armed(byte @Nullable [] metaVersion, CompletableFuture<Void> watch) {}

  private final Database db;
  private final byte[] key;
  private final FollowerThread thread;
  private final Duration retryDelay;
  private final BooleanSupplier following;
  private final Consumer<byte[]> armedAt;
  private final Runnable changed;
  private final AtomicLong failures;
  private final AtomicLong fires = new AtomicLong();
  private volatile @Nullable CompletableFuture<Void> watch;

  /**
   * Everything is called on {@code thread}.
   *
   * @param failures the follower's failure count, which failed arms and watches add to
   * @param following false once the follower stopped: the watch is then neither armed nor re-armed
   * @param armedAt takes the value of meta_version read while arming
   * @param changed runs when the watch fired or failed: meta_version may have moved
   */
  MetaVersionWatch(
      Database db,
      Keyspace ks,
      FollowerThread thread,
      Duration retryDelay,
      AtomicLong failures,
      BooleanSupplier following,
      Consumer<byte[]> armedAt,
      Runnable changed) {
    this.db = db;
    this.key = ks.metaVersionKey();
    this.thread = thread;
    this.retryDelay = retryDelay;
    this.failures = failures;
    this.following = following;
    this.armedAt = armedAt;
    this.changed = changed;
  }

  /** Arms the watch, and re-arms it after each fire or failure, while the follower follows. */
  void arm() {
    if (!following.getAsBoolean()) return;
    db.runAsync(tr -> tr.get(key).thenApply(v -> new Armed(v, tr.watch(key))), thread)
        .whenCompleteAsync(
            (armed, e) -> {
              if (e != null) {
                failures.incrementAndGet();
                thread.schedule(this::arm, retryDelay);
                return;
              }
              watch = armed.watch();
              if (!following.getAsBoolean()) {
                armed.watch().cancel(false);
                return;
              }
              if (armed.metaVersion() != null) armedAt.accept(armed.metaVersion());
              armed
                  .watch()
                  .whenCompleteAsync(
                      (v, err) -> {
                        if (!following.getAsBoolean()) return;
                        if (err == null) {
                          fires.incrementAndGet();
                          changed.run();
                          arm();
                        } else {
                          failures.incrementAndGet();
                          changed.run();
                          thread.schedule(this::arm, retryDelay);
                        }
                      },
                      thread);
            },
            thread);
  }

  /** Watches that fired. */
  long fires() {
    return fires.get();
  }

  /** Cancels the armed watch, if any; call after the follower stopped following. */
  void cancel() {
    CompletableFuture<Void> w = watch;
    if (w != null) w.cancel(false);
  }
}
