package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code fdbmeta demo} through the CLI entry point, on free ports: storage nodes, the controller, a
 * router and the checking workload on loopback sockets; splits while serving, a node killed (its
 * ranges fail over, it restarts), a node added and filled by the rebalancer, and a summary with
 * nothing lost and no error outside the failover.
 */
class DemoIT {
  @Test
  void aShortDemoSplitsFailsOverAndRebalancesWithoutLosingAWrite() {
    // 2 s leases: the kill at 3.2 s is over by about 6 s, the node added at 8 s has 8 s to be
    // filled;
    // --split-every 2s: several splits, so one stall cannot skip them all.
    Cli r =
        Cli.run("demo", "--duration", "16s", "--port", "0", "--lease", "2s", "--split-every", "2s");
    String all = "exit " + r.exitCode() + "\n--- out\n" + r.out() + "--- err\n" + r.err();
    System.out.print(all);
    assertThat(r.exitCode()).as(all).isZero();
    assertThat(r.out()).as(all).contains("demo summary", "demo: router on 127.0.0.1:");
    assertThat(r.out()).as(all).doesNotContain("SHOULD BE 0", "did not happen");

    assertThat(figure(r, "acknowledged writes lost")).as(all).isZero();
    assertThat(figure(r, "stale reads")).as(all).isZero();
    long acked = figure(r, "acknowledged writes");
    assertThat(acked).as(all).isPositive();
    assertThat(figure(r, "keys read back")).as(all).isPositive().isLessThanOrEqualTo(acked);
    assertThat(figure(r, "copies on replicas"))
        .as(all)
        .isGreaterThanOrEqualTo(3 * figure(r, "keys read back"));

    long splits = figure(r, "splits while serving");
    assertThat(splits).as(all).isPositive();
    Matcher ranges =
        Pattern.compile("splits while serving +[\\d,]+ \\(now (\\d+) ranges\\)").matcher(r.out());
    assertThat(ranges.find()).as(all).isTrue();
    assertThat(Long.parseLong(ranges.group(1)))
        .as("ranges: the 4 the demo starts with, plus one per split")
        .isEqualTo(4 + splits);
    assertThat(r.out().lines().filter(l -> l.startsWith("demo: split range ")).count())
        .as(all)
        .isEqualTo(splits);

    assertThat(r.out())
        .as(all)
        .containsPattern("demo: killing n\\d+ as a crash would")
        .containsPattern("demo: controller marked n\\d+ dead")
        .containsPattern("demo: every range of n\\d+ serves again")
        .containsPattern("demo: restarting n\\d+");
    assertThat(figure(r, "errors"))
        .as("no request fails outside the failover\n" + all)
        .isEqualTo(figure(r, "errors during failover"));
    Matcher added =
        Pattern.compile(
                "(?m)^  node added +n7 at [\\d.]+ s; the rebalancer moved (\\d+) replicas onto it")
            .matcher(r.out());
    assertThat(added.find()).as(all).isTrue();
    assertThat(Long.parseLong(added.group(1)))
        .as("replicas moved onto the added node\n" + all)
        .isPositive();
  }

  /** The number on the summary line named {@code name} (" name 1,234 ..."). */
  private static long figure(Cli r, String name) {
    Matcher m = Pattern.compile("(?m)^  " + Pattern.quote(name) + " +([\\d,]+)").matcher(r.out());
    assertThat(m.find()).as("summary line '%s' in:%n%s", name, r.out()).isTrue();
    return Long.parseLong(m.group(1).replace(",", ""));
  }
}
