package io.fdbmeta.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.config.FaultTolerance.ConfigureNew;
import io.fdbmeta.config.FaultTolerance.Redundancy;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** docker/docker-compose.yml: five servers from the official image plus a one-shot configure. */
class DockerComposeTest {

  private static final String COMPOSE = "docker/docker-compose.yml";

  @Test
  void composeFileIsConsistentAndSurvivesTwoFailedServers() {
    ComposeCheck check = ComposeCheck.check(ConfigFiles.yaml(COMPOSE));

    assertThat(check.problems).isEmpty();
    assertThat(check.zones).containsExactlyInAnyOrder("fdb1", "fdb2", "fdb3", "fdb4", "fdb5");
    assertThat(check.configure).isEqualTo(new ConfigureNew(Redundancy.TRIPLE, "ssd-redwood-1"));
    assertThat(ClusterFile.parse(check.clusterString).coordinators()).hasSize(5);
    assertThat(check.toleratedFailures()).isEqualTo(2);
  }

  @Test
  void hostClusterFileMatchesTheComposeClusterString() {
    ComposeCheck check = ComposeCheck.check(ConfigFiles.yaml(COMPOSE));
    assertThat(ConfigFiles.read("docker/fdb.cluster").strip()).isEqualTo(check.clusterString);
  }

  @Test
  void imageIsPinnedToTheFdbJavaPatchRelease() {
    // Server and client library of one patch release; the parent pom pins fdb-java.
    String pom = ConfigFiles.read("../pom.xml");
    String fdbJava = pom.replaceAll("(?s).*<fdb-java.version>([^<]+)</fdb-java.version>.*", "$1");
    assertThat(ConfigFiles.read(COMPOSE)).contains("foundationdb/foundationdb:" + fdbJava);
  }

  @Test
  void checkRejectsInconsistentSamples() {
    Map<String, Object> compose = ConfigFiles.yaml(COMPOSE);
    service(compose, "fdb2").put("image", "foundationdb/foundationdb:latest");
    service(compose, "fdb3").put("hostname", "fdb1");
    @SuppressWarnings("unchecked")
    var fdb4Net =
        (Map<String, Object>)
            ((Map<String, Object>) service(compose, "fdb4").get("networks")).get("fdb");
    fdb4Net.put("ipv4_address", "172.29.45.200");
    service(compose, "fdb-configure")
        .put("command", "fdbcli --exec 'configure new triple ssd' -C $FILE");

    var problems = ComposeCheck.check(compose).problems;
    assertThat(problems)
        .contains(
            "fdb2: image foundationdb/foundationdb:latest is not foundationdb/foundationdb:7.3.<patch>",
            "fdb3: needs its own hostname, the image's zone id (got fdb1)",
            "fdb4: 172.29.45.200 inside the dynamic ip_range 172.29.45.128/25",
            "fdb-configure: single '$' in command: compose interpolates it, write '$$'");
    assertThat(problems)
        .anyMatch(p -> p.startsWith("coordinator 172.29.45.14:4500 is not a server address"));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> service(Map<String, Object> compose, String name) {
    return (Map<String, Object>) ((Map<String, Object>) compose.get("services")).get(name);
  }
}
