package io.fdbmeta.tools.sim;

/**
 * One range as the simulation knows it from the changelog: span (as 64-bit keys), replicas, lease
 * holder, and its load. The lease rides on the holder's liveness: {@code holderIncarnation} is the
 * holder incarnation it was granted to (see SimNode#serveEnd).
 */
final class SimRange {
  final long id;
  long start;
  long end; // Long.MAX_VALUE: no end
  int[] replicas;
  int holder = -1;
  long epoch;
  long holderIncarnation;
  double rps;
  long bytes;

  /** Load multiplier while inside a hotspot (1 otherwise). */
  boolean hot;

  long hotSince;

  SimRange(long id, long start, long end, int[] replicas) {
    this.id = id;
    this.start = start;
    this.end = end;
    this.replicas = replicas;
  }

  long span() {
    return end == Long.MAX_VALUE ? Long.MAX_VALUE - start : end - start;
  }

  long mid() {
    return start + span() / 2;
  }
}
