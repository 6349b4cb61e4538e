package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressReporterTest {
  private final AtomicLong nanos = new AtomicLong();
  private final StringWriter text = new StringWriter();

  private ProgressReporter reporter(boolean terminal) {
    return new ProgressReporter(new PrintWriter(text, true), terminal, 2_000_000_000L, nanos::get);
  }

  @Test
  void withoutATerminalPrintsAPlainLineEveryIntervalWithRateAndEtaThenASummary() {
    ProgressReporter p = reporter(false);
    p.phase("ranges", 1000);
    nanos.set(1_000_000_000L);
    p.at(100); // within the interval: nothing
    nanos.set(2_000_000_000L);
    p.at(250); // 125/s, 750 left: 6.0 s
    nanos.set(2_500_000_000L);
    p.at(300); // within the interval again
    nanos.set(4_000_000_000L);
    p.at(1000);
    p.finish();
    assertThat(text.toString().lines())
        .containsExactly(
            "ranges: 250/1000 (25%) 125/s ETA 6.0s",
            "ranges: 1000/1000 (100%) 250/s ETA 0.0s", "ranges: 1000 in 4.0s (250/s)");
  }

  @Test
  void onATerminalRedrawsOneBarInPlace() {
    ProgressReporter p = reporter(true);
    p.phase("leases", 200);
    nanos.set(500_000_000L);
    p.at(50);
    assertThat(text.toString())
        .isEqualTo("\rleases [#####---------------]  25%  50/200  100/s  ETA 1.5s\u001b[K");
    nanos.set(1_000_000_000L);
    p.at(200);
    p.phase("write", -1); // a new phase ends the previous one with its summary
    assertThat(text.toString()).contains("\r\u001b[Kleases: 200 in 1.0s (200/s)");
  }
}
