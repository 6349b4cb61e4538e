package io.fdbmeta.storage;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Sequence numbers of the writes one node process applies as leaseholder. The high bits hold the
 * process's incarnation (from its registration), the low {@value #COUNTER_BITS} bits a counter, so
 * two processes of the same node never share a number and {@link #sameProcess} tells whether two
 * numbers are comparable at all. Numbers are positive, so they can double as the request id of a
 * REPLICATE while other node-to-node requests use negative ids.
 */
final class WriteSequence {
  static final int COUNTER_BITS = 43;
  private static final long COUNTER_MASK = (1L << COUNTER_BITS) - 1;
  private static final long INCARNATION_MASK = (1L << (63 - COUNTER_BITS)) - 1;

  private final long incarnation;
  private final long base;
  private final AtomicLong counter = new AtomicLong();

  WriteSequence(long incarnation) {
    if (incarnation < 1)
      throw new IllegalArgumentException("incarnation must be >= 1, got " + incarnation);
    this.incarnation = incarnation;
    this.base = (incarnation & INCARNATION_MASK) << COUNTER_BITS;
  }

  long next() {
    long n = counter.incrementAndGet();
    if (n > COUNTER_MASK)
      throw new IllegalStateException("write sequence exhausted; restart the node");
    return base | n;
  }

  /** The incarnation whose high bits this sequence's numbers carry. */
  long incarnation() {
    return incarnation;
  }

  /** True if {@code seq} is a number a sequence of {@code incarnation} could have issued. */
  static boolean ofIncarnation(long seq, long incarnation) {
    return seq > 0 && (seq >>> COUNTER_BITS) == (incarnation & INCARNATION_MASK);
  }

  static boolean sameProcess(long a, long b) {
    return (a >>> COUNTER_BITS) == (b >>> COUNTER_BITS);
  }
}
