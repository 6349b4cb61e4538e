package io.fdbmeta.embedded;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client's limit on outstanding watches (DatabaseOptions.setMaxWatches, 1032 too_many_watches).
 * FoundationDB counts a watch from its creation until its future completes, whether it fires, fails
 * or is cancelled, and counts it in the client, whatever the servers hold.
 */
final class WatchSlots {
  /** The largest limit FoundationDB accepts (ABSOLUTE_MAX_WATCHES). */
  static final int ABSOLUTE_MAX = 1_000_000;

  private final AtomicInteger outstanding = new AtomicInteger();
  private volatile int limit;

  WatchSlots(int limit) {
    this.limit = limit;
  }

  /** Changes the limit for watches created from now on. */
  void setLimit(int limit) {
    this.limit = limit;
  }

  /**
   * Counts {@code future} against the limit until it completes.
   *
   * @return false if the limit is reached (the caller fails the watch with 1032)
   */
  boolean reserve(CompletableFuture<Void> future) {
    if (outstanding.incrementAndGet() > limit) {
      outstanding.decrementAndGet();
      return false;
    }
    future.whenComplete((v, e) -> outstanding.decrementAndGet());
    return true;
  }

  int outstanding() {
    return outstanding.get();
  }
}
