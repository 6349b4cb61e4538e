package io.fdbmeta.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void writesWhatMiniJsonReadsBack() {
    Json j = Json.object()
        .put("s", "a \"q\" \\ \n\t\u0001")
        .put("i", 42)
        .put("d", 1.5)
        .put("whole", 3.0)
        .put("nan", Double.NaN)
        .put("b", true)
        .put("list", List.of(Json.object().put("x", 1), Json.object()))
        .put("nested", Json.object().put("y", "z"));
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) MiniJson.parse(j.toString());
    assertThat(m)
        .containsEntry("s", "a \"q\" \\ \n\t\u0001")
        .containsEntry("i", 42.0)
        .containsEntry("d", 1.5)
        .containsEntry("whole", 3.0)
        .containsEntry("nan", null)
        .containsEntry("b", true)
        .containsEntry("list", List.of(Map.of("x", 1.0), Map.of()))
        .containsEntry("nested", Map.of("y", "z"));
    assertThat(j.toString()).doesNotContain("\n");
  }

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
