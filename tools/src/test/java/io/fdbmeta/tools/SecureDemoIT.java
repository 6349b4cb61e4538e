package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@code fdbmeta demo --secure}: the routers serve TLS and AUTH, routers and nodes speak mutual TLS
 * (every write replicates over it), the banner names the redis-cli line, and the workload,
 * connected with both, loses nothing and sees no error.
 */
class SecureDemoIT {
  @Test
  void aSecureDemoServesItsWorkloadOverTlsWithAuth() {
    Cli r = Cli.run("demo", "--secure", "--steady", "--duration", "8s", "--port", "0");
    String all = "exit " + r.exitCode() + "\n--- out\n" + r.out() + "--- err\n" + r.err();
    assertThat(r.exitCode()).as(all).isZero();
    assertThat(r.out())
        .as(all)
        .containsPattern(
            "demo: TLS and AUTH on: connect with   redis-cli --tls --cacert \\S+/tls/ca.pem -p \\d+"
                + " --user demo --pass [0-9a-f]{24} ")
        .contains("demo: routers and nodes speak the node protocol over mutual TLS")
        .containsPattern("acknowledged writes +[1-9][\\d,]*\n")
        .containsPattern("\n  errors +0\n")
        .containsPattern("acknowledged writes lost 0");
  }
}
