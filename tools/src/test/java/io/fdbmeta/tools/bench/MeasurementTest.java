package io.fdbmeta.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MeasurementTest {
  @Test
  void percentilesComeFromSortedSamples() {
    long[] samples = new long[100];
    for (int i = 0; i < 100; i++) samples[i] = (100 - i) * 1000L;
    Measurement m = new Measurement(100, 1000, 0, 2_000_000_000L, samples);
    assertThat(m.opsPerSecond()).isEqualTo(50.0);
    assertThat(m.unitsPerSecond()).isEqualTo(500.0);
    assertThat(m.latencyMicros(50)).isEqualTo(50.0);
    assertThat(m.latencyMicros(99)).isEqualTo(99.0);
    assertThat(m.latencyMicros(100)).isEqualTo(100.0);
    assertThat(new Measurement(0, 0, 0, 1, new long[0]).latencyMicros(50)).isNaN();
  }
}
