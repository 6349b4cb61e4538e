package io.fdbmeta.tools.sim;

/**
 * One range as the simulation knows it from the changelog: span (as 64-bit keys), replicas, lease
 * holder, and its load. The lease fields model what the holder believes: {@code renewingSince} is
 * when the holder started renewing this lease continuously (-1: it is not renewing), and {@code
 * holderExpiry} the expiry (on the holder's clock) of the last lease record it was given.
 */
final class SimRange {
  final long id;
  long start;
  long end; // Long.MAX_VALUE: no end
  int[] replicas;
  int holder = -1;
  long epoch;
  long holderExpiry;
  long renewingSince = -1;
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
