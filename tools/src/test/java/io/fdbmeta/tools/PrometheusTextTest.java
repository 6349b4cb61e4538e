package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PrometheusTextTest {
  @Test
  void writesHelpTypeAndSamplePerMetric() {
    String text =
        new PrometheusText()
            .gauge("fdbmeta_x_active", "1 while active.", 1)
            .counter("fdbmeta_x_ticks_total", "Cycles run.", 42)
            .toString();
    assertThat(text)
        .isEqualTo(
            "# HELP fdbmeta_x_active 1 while active.\n"
                + "# TYPE fdbmeta_x_active gauge\n"
                + "fdbmeta_x_active 1\n"
                + "# HELP fdbmeta_x_ticks_total Cycles run.\n"
                + "# TYPE fdbmeta_x_ticks_total counter\n"
                + "fdbmeta_x_ticks_total 42\n");
  }

  @Test
  void escapesHelpAndSpellsNumbersAsTheFormatDoes() {
    assertThat(new PrometheusText().gauge("g", "a\\b\nc", 0.25).toString())
        .startsWith("# HELP g a\\\\b\\nc\n")
        .endsWith("g 0.25\n");
    assertThat(PrometheusText.number(Double.NaN)).isEqualTo("NaN");
    assertThat(PrometheusText.number(Double.POSITIVE_INFINITY)).isEqualTo("+Inf");
    assertThat(PrometheusText.number(Double.NEGATIVE_INFINITY)).isEqualTo("-Inf");
    assertThat(PrometheusText.number(-3)).isEqualTo("-3");
    assertThat(PrometheusText.number(1e20)).isEqualTo("1.0E20");
  }

  @Test
  void refusesBadNamesRepeatsAndCountersThatAreNotTotals() {
    assertThatThrownBy(() -> new PrometheusText().gauge("bad-name", "h", 1))
        .hasMessageContaining("'bad-name' is not a Prometheus metric name");
    assertThatThrownBy(() -> new PrometheusText().gauge("g", "h", 1).gauge("g", "h", 2))
        .hasMessageContaining("metric g written twice");
    assertThatThrownBy(() -> new PrometheusText().counter("ticks", "h", 1))
        .hasMessageContaining("must be named *_total");
    assertThatThrownBy(() -> new PrometheusText().counter("t_total", "h", -1))
        .hasMessageContaining("negative");
  }

  @Test
  void includesTextWrittenElsewhereButNoMetricTwice() {
    String router = "# HELP r_total R.\n# TYPE r_total counter\nr_total{k=\"a\"} 1\n";
    assertThat(new PrometheusText().gauge("g", "h", 1).include(router).toString())
        .endsWith("g 1\n" + router);
    assertThatThrownBy(() -> new PrometheusText().counter("r_total", "h", 1).include(router))
        .hasMessageContaining("metric r_total written twice");
  }

  @Test
  void aNodeCountsWhatItsPortRefusedByKind() {
    PrometheusText t = new PrometheusText();
    NodeCommand.portRejections(t, new io.fdbmeta.storage.StorageNode.PortRejections(1, 2, 3, 4));
    assertThat(t.toString())
        .contains(
            "# TYPE fdbmeta_node_port_rejections_total counter\n",
            "fdbmeta_node_port_rejections_total{kind=\"over_cap\"} 1\n",
            "fdbmeta_node_port_rejections_total{kind=\"over_address_cap\"} 2\n",
            "fdbmeta_node_port_rejections_total{kind=\"partial_frame_budget\"} 3\n",
            "fdbmeta_node_port_rejections_total{kind=\"malformed_frame\"} 4\n");
  }
}
