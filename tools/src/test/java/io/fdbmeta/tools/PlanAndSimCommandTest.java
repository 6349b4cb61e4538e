package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanAndSimCommandTest {
  @TempDir Path tmp;

  @Test
  void planOnAHealthyClusterHasNothingToDo() {
    String dir = tmp.resolve("store").toString();
    assertThat(Cli.run("--embedded", dir, "init").exitCode()).isZero();
    assertThat(
            Cli.run(
                    "--embedded",
                    dir,
                    "nodes",
                    "add",
                    "n1",
                    "--addr",
                    "127.0.0.1:7001",
                    "--zone",
                    "z1",
                    "--rack",
                    "r1")
                .exitCode())
        .isZero();
    Cli text = Cli.run("--embedded", dir, "plan");
    assertThat(text.exitCode()).as(text.err()).isZero();
    assertThat(text.out()).startsWith("nothing to do");
    Cli json = Cli.run("--embedded", dir, "plan", "--json");
    assertThat(json.exitCode()).isZero();
    @SuppressWarnings("unchecked")
    Map<String, Object> plan = (Map<String, Object>) MiniJson.parse(json.out());
    assertThat(plan.keySet())
        .containsExactly("markDead", "leaseMoves", "moves", "splits", "merges", "unsatisfiable");
    assertThat(plan.values()).allSatisfy(v -> assertThat((List<?>) v).isEmpty());
  }

  @Test
  void simRejectsSizesOutsideItsRange() {
    Cli r = Cli.run("sim", "--nodes", "3");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("nodes must be in [30, 100000]");
  }
}
