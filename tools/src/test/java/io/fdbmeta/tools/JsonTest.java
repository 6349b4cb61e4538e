package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void writesWhatMiniJsonReadsBack() {
    Json j =
        Json.object()
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
  void nullAndLongsAndNonAscii() {
    Json j =
        Json.object()
            .put("none", null)
            .put("big", 4503599627370495L)
            .put("key", "caf\u00e9 \u221e");
    assertThat(j.toString())
        .isEqualTo("{\"none\":null,\"big\":4503599627370495,\"key\":\"caf\u00e9 \u221e\"}");
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) MiniJson.parse(j.toString());
    assertThat(m).containsEntry("none", null).containsEntry("key", "caf\u00e9 \u221e");
  }
}
