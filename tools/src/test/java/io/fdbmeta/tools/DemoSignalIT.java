package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Stopping the demo with a signal (what Ctrl-C sends the foreground process) prints the summary and
 * exits 0 when no write was lost, as the README says. It exited 130, the JVM's code for a signal,
 * whatever the summary said.
 */
class DemoSignalIT {
  @Test
  void signalledDemoPrintsItsSummaryAndExitsZero() throws Exception {
    try (FdbmetaProcess demo =
        FdbmetaProcess.start(
            "demo", List.of("-Xmx1g"), List.of("demo", "--steady", "--port", "0"), null)) {
      demo.awaitLine(Pattern.compile("^\\[ *\\d+s\\]"), 0, Duration.ofSeconds(60));
      demo.terminate();
      Integer code = demo.waitFor(Duration.ofSeconds(90));
      String output = String.join("\n", demo.output());
      assertThat(code).as(output).isEqualTo(0);
      assertThat(output).contains("demo summary").contains("acknowledged writes lost 0");
    }
  }

  /**
   * Stopped a second after the demo killed a node, the verification's MGET reached the dead
   * leaseholder ("TRYAGAIN ... Connection refused") and the demo ended with that error and no
   * summary. It now waits for the failover, and copies on the dead node are reported unchecked.
   */
  @Test
  void stoppedDuringAFailoverItStillVerifiesAndPrintsTheSummary() throws Exception {
    try (FdbmetaProcess demo =
        FdbmetaProcess.start(
            "demo", List.of("-Xmx1g"), List.of("demo", "--port", "0", "--duration", "40s"), null)) {
      demo.awaitLine(Pattern.compile("^demo: killing "), 0, Duration.ofSeconds(60));
      Thread.sleep(1000);
      demo.terminate();
      Integer code = demo.waitFor(Duration.ofSeconds(90));
      String output = String.join("\n", demo.output());
      assertThat(code).as(output).isEqualTo(0);
      assertThat(output)
          .contains("demo summary")
          .doesNotContain("MGET during verification")
          .contains("acknowledged writes lost 0");
    }
  }
}
