package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A tiny whole run of the failover benchmark in-process (one kill on 1 s leases), and its option
 * checks.
 */
class BenchFailoverCommandTest {
  @Test
  @SuppressWarnings("unchecked")
  void tinyRunKillsANodeLosesNoAcknowledgedWriteAndEndsWithOneJsonLine() {
    Cli r =
        Cli.run(
            "bench",
            "failover",
            "--json",
            "--kills",
            "1",
            "--lease",
            "1s",
            "--ranges",
            "4",
            "--clients",
            "2");
    assertThat(r.exitCode()).as(r.err()).isZero();
    List<String> lines = r.outLines();
    assertThat(lines.get(1))
        .isEqualTo(
            "reproduce: java -jar tools/target/fdbmeta.jar bench failover --json --kills 1 --lease 1000ms --ranges 4 --clients 2");
    assertThat(r.out())
        .contains("kill  node", "acknowledged writes checked")
        .containsPattern("(PASS|MISS)");
    Map<String, Object> json = (Map<String, Object>) MiniJson.parse(lines.get(lines.size() - 1));
    assertThat(json)
        .containsEntry("bench", "failover")
        .containsEntry("leaseMillis", 1000.0)
        .containsKeys("targets", "allTargetsPass", "worstOverLease");
    List<Object> kills = (List<Object>) json.get("kills");
    assertThat(kills).hasSize(1);
    Map<String, Object> kill = (Map<String, Object>) kills.get(0);
    assertThat((Double) kill.get("servedMillis"))
        .as("every range of the killed node served again")
        .isPositive();
    assertThat((Double) kill.get("replicasRecreated"))
        .as("its replicas re-created elsewhere")
        .isEqualTo((Double) kill.get("ranges"));
    assertThat((Double) json.get("checkedThroughRouter")).isPositive();
    assertThat((Double) json.get("checkedOnReplicas"))
        .isGreaterThanOrEqualTo(3 * (Double) json.get("checkedThroughRouter"));
    assertThat(json)
        .containsEntry("lostThroughRouter", 0.0)
        .containsEntry("lostOnReplicas", 0.0)
        .containsEntry("lostProbes", 0.0);
  }

  @Test
  void rejectsOptionsOutOfRange() {
    Cli r = Cli.run("bench", "failover", "--nodes", "3");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("nodes must be in [4, 30]");
    Cli lease = Cli.run("bench", "failover", "--lease", "500ms");
    assertThat(lease.exitCode()).isEqualTo(2);
    assertThat(lease.err()).contains("lease must be in [1000 ms, 60 s]");
  }
}
