package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class ServiceShutdownTest {
  private final StringWriter out = new StringWriter();
  private final ServiceLog log =
      new ServiceLog(
          new PrintWriter(out, true),
          "controller ctl-1",
          Clock.fixed(Instant.parse("2026-12-06T21:30:00.123Z"), ZoneOffset.UTC));

  @Test
  void aCleanStopExitsZeroAndSaysNothingMore() {
    assertThat(ServiceShutdown.stopWithin(log, Duration.ofSeconds(5), step -> step.accept("x")))
        .isZero();
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void aFailedStopExitsOneWithALineSayingWhy() {
    int code =
        ServiceShutdown.stopWithin(
            log,
            Duration.ofSeconds(5),
            step -> {
              throw new IllegalStateException("the tick in flight did not end");
            });
    assertThat(code).isEqualTo(1);
    assertThat(out.toString())
        .isEqualTo(
            "2026-12-06T21:30:00.123Z ERROR controller ctl-1: stop failed: the tick in flight did"
                + " not end (IllegalStateException)\n");
  }

  @Test
  void aStopThatOverrunsExitsOneNamingTheStepItWasIn() {
    int code =
        ServiceShutdown.stopWithin(
            log,
            Duration.ofMillis(100),
            step -> {
              step.accept("resigning term 7");
              Thread.sleep(10_000);
            });
    assertThat(code).isEqualTo(1);
    assertThat(out.toString())
        .isEqualTo(
            "2026-12-06T21:30:00.123Z ERROR controller ctl-1: did not stop within 100 ms (still"
                + " resigning term 7); exiting anyway\n");
  }
}
