package io.fdbmeta.tools.bench;

import java.util.Arrays;

/**
 * What one load run measured inside its timed window: completed operations, the units they did
 * (keys read or written), failed operations, and a sample of operation latencies.
 */
public record Measurement(
    long ops, long units, long errors, long windowNanos, long[] latencyNanos) {
  public Measurement {
    latencyNanos = latencyNanos.clone();
    Arrays.sort(latencyNanos);
  }

  public double opsPerSecond() {
    return ops * 1e9 / windowNanos;
  }

  public double unitsPerSecond() {
    return units * 1e9 / windowNanos;
  }

  /** The {@code p}-th percentile (0-100) latency in microseconds, NaN without samples. */
  public double latencyMicros(double p) {
    if (latencyNanos.length == 0) return Double.NaN;
    int i = (int) Math.ceil(p / 100.0 * latencyNanos.length) - 1;
    return latencyNanos[Math.max(0, Math.min(latencyNanos.length - 1, i))] / 1e3;
  }

  @Override
  public long[] latencyNanos() {
    return latencyNanos.clone();
  }
}
