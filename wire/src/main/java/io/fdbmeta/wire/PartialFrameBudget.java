package io.fdbmeta.wire;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Bytes that incomplete node protocol frames may hold, summed over every connection that shares
 * this budget (a node's port). A connection reserves a frame's announced length as soon as the
 * length is known and the frame is not complete yet, and gives it back when the frame is complete
 * or the connection closes. Thread-safe.
 */
public final class PartialFrameBudget {
  private final long limit;
  private final AtomicLong held = new AtomicLong();
  private final LongAdder refusals = new LongAdder();

  /**
   * @throws IllegalArgumentException if {@code limitBytes} is not positive
   */
  public PartialFrameBudget(long limitBytes) {
    if (limitBytes <= 0)
      throw new IllegalArgumentException("partial frame budget must be > 0, got " + limitBytes);
    this.limit = limitBytes;
  }

  /** Takes {@code bytes} from the budget if they fit; false (nothing taken) if they do not. */
  boolean tryReserve(long bytes) {
    long now;
    do {
      now = held.get();
      if (now + bytes > limit) {
        refusals.increment();
        return false;
      }
    } while (!held.compareAndSet(now, now + bytes));
    return true;
  }

  void release(long bytes) {
    held.addAndGet(-bytes);
  }

  /** Bytes reserved now. */
  public long held() {
    return held.get();
  }

  /** Frames refused so far because the budget could not take them. */
  public long refusals() {
    return refusals.sum();
  }

  public long limit() {
    return limit;
  }
}
