package io.fdbmeta.tools.bench;

import java.util.Arrays;

/**
 * A growable array of latencies, capped so a fast loop cannot fill the heap; one writer at a time.
 */
final class LatencySamples {
  private final int cap;
  private long[] values = new long[1024];
  private int size;

  LatencySamples(int cap) {
    this.cap = cap;
  }

  void add(long nanos) {
    if (size == cap) return;
    if (size == values.length) values = Arrays.copyOf(values, Math.min(cap, values.length * 2));
    values[size++] = nanos;
  }

  void clear() {
    size = 0;
  }

  static long[] merge(Iterable<LatencySamples> all) {
    int n = 0;
    for (LatencySamples s : all) n += s.size;
    long[] out = new long[n];
    int at = 0;
    for (LatencySamples s : all) {
      System.arraycopy(s.values, 0, out, at, s.size);
      at += s.size;
    }
    return out;
  }

  /** At most about a million samples per run in all, however many clients. */
  static int capPerClient(int clients) {
    return Math.max(1024, (1 << 20) / clients);
  }
}
