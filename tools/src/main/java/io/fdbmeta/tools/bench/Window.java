package io.fdbmeta.tools.bench;

/**
 * The timing of one run: clients work from the start, operations that complete in [{@code
 * measureStart}, {@code end}) count, and clients stop issuing at {@code end}.
 */
record Window(long measureStart, long end) {
  static Window startingNow(double warmupSeconds, double seconds) {
    long now = System.nanoTime();
    long start = now + (long) (warmupSeconds * 1e9);
    return new Window(start, start + (long) (seconds * 1e9));
  }

  boolean counts(long now) {
    return now >= measureStart && now < end;
  }

  boolean over(long now) {
    return now >= end;
  }

  long nanos() {
    return end - measureStart;
  }
}
