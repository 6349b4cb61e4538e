package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code fdbmeta demo} through the CLI entry point, on free ports: storage nodes, a router and the
 * checking workload on loopback sockets, a split while serving, and a summary with nothing lost.
 */
class DemoIT {
  @Test
  void aShortDemoSplitsWhileServingAndReportsNoErrorsAndNoLostWrite() {
    // --split-every 2s: splits at 2 s and 4 s; with the default 5 s, one stall near the end could skip the only split.
    Cli r = Cli.run("demo", "--duration", "6s", "--port", "0", "--nodes", "3", "--split-every", "2s");
    String all = "exit " + r.exitCode() + "\n--- out\n" + r.out() + "--- err\n" + r.err();
    System.out.print(all);
    assertThat(r.exitCode()).as(all).isZero();
    assertThat(r.out()).as(all).contains("demo summary", "demo: router on 127.0.0.1:");
    assertThat(r.out()).as(all).doesNotContain("SHOULD BE 0", "did not happen");

    assertThat(figure(r, "acknowledged writes lost")).as(all).isZero();
    assertThat(figure(r, "errors")).as(all).isZero();
    assertThat(figure(r, "stale reads")).as(all).isZero();
    long acked = figure(r, "acknowledged writes");
    assertThat(acked).as(all).isPositive();
    assertThat(figure(r, "keys read back")).as(all).isPositive().isLessThanOrEqualTo(acked);

    long splits = figure(r, "splits while serving");
    assertThat(splits).as(all).isPositive();
    Matcher ranges = Pattern.compile("splits while serving +[\\d,]+ \\(now (\\d+) ranges\\)").matcher(r.out());
    assertThat(ranges.find()).as(all).isTrue();
    assertThat(Long.parseLong(ranges.group(1))).as("ranges: the 4 the demo starts with, plus one per split").isEqualTo(4 + splits);
    assertThat(r.out().lines().filter(l -> l.startsWith("demo: split range ")).count()).as(all).isEqualTo(splits);
  }

  /** The number on the summary line named {@code name} ("  name   1,234 ..."). */
  private static long figure(Cli r, String name) {
    Matcher m = Pattern.compile("(?m)^  " + Pattern.quote(name) + " +([\\d,]+)").matcher(r.out());
    assertThat(m.find()).as("summary line '%s' in:%n%s", name, r.out()).isTrue();
    return Long.parseLong(m.group(1).replace(",", ""));
  }
}
