package io.fdbmeta.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.config.ClusterFile.Address;
import io.fdbmeta.config.FaultTolerance.ConfigureNew;
import io.fdbmeta.config.FaultTolerance.Redundancy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** single-process/ (development) and triple-5/ (five hosts, survives two failures). */
class SingleRegionConfigsTest {

  @Test
  void developmentClusterIsOneProcessOnLoopbackWithItsOwnCoordinator() {
    MonitorConf conf = ConfigFiles.conf("single-process/foundationdb.conf");
    ClusterFile cluster = ConfigFiles.clusterFile("single-process/fdb.cluster");

    assertThat(conf.servers()).extracting(MonitorConf.Server::port).containsExactly(4500);
    assertThat(conf.clusterFile()).isEqualTo("/etc/foundationdb/fdb.cluster");
    assertThat(cluster.coordinators()).containsExactly(new Address("127.0.0.1", 4500));
    var deployment = new Deployment(Map.of("127.0.0.1", conf), cluster);
    assertThat(deployment.problems()).isEmpty();

    ConfigureNew configure =
        ConfigureNew.parse(ConfigFiles.read("single-process/configure.fdbcli"));
    assertThat(configure.redundancy()).isEqualTo(Redundancy.SINGLE);
    // One process cannot survive losing itself; the file claims nothing more.
    assertThat(deployment.toleratedFailures(configure.redundancy())).isZero();
  }

  @Test
  void fiveHostTripleClusterSurvivesExactlyTwoFailures() {
    ClusterFile cluster = ConfigFiles.clusterFile("triple-5/fdb.cluster");
    ConfigureNew configure = ConfigureNew.parse(ConfigFiles.read("triple-5/configure.fdbcli"));
    Deployment deployment = new Deployment(tripleFiveHosts(), cluster);

    assertThat(deployment.problems()).isEmpty();
    assertThat(configure).isEqualTo(new ConfigureNew(Redundancy.TRIPLE, "ssd-redwood-1"));
    assertThat(cluster.coordinators()).hasSize(5);
    assertThat(deployment.zones()).hasSize(5);
    assertThat(deployment.toleratedFailures(configure.redundancy())).isEqualTo(2);
  }

  @Test
  void tripleClusterWithThreeCoordinatorsWouldSurviveOnlyOneFailure() {
    // The reason triple-5/fdb.cluster lists all five hosts: three coordinators lose quorum at two.
    ClusterFile three =
        ClusterFile.parse(
            "fdbmeta_prod:fdbmetaprod01@10.0.1.11:4500,10.0.1.12:4500,10.0.1.13:4500");
    Deployment deployment = new Deployment(tripleFiveHosts(), three);

    assertThat(deployment.problems()).isEmpty();
    assertThat(deployment.toleratedFailures(Redundancy.TRIPLE)).isEqualTo(1);
  }

  @Test
  void everyConfigStartsServersFromTheStandardPackagePaths() {
    for (String path :
        List.of(
            "single-process/foundationdb.conf",
            "triple-5/foundationdb.conf",
            "multi-region/dc1/foundationdb.conf",
            "multi-region/dc2/foundationdb.conf",
            "multi-region/dc3/foundationdb.conf")) {
      IniFile ini = IniFile.parse(ConfigFiles.read(path));
      assertThat(ini.sections())
          .as(path)
          .containsKeys("fdbmonitor", "general", "fdbserver", "backup_agent");
      assertThat(ini.section("fdbserver").get("command")).as(path).isEqualTo("/usr/sbin/fdbserver");
      assertThat(ini.section("fdbserver").get("datadir")).as(path).contains("$ID");
      assertThat(ini.section("general").get("cluster_file"))
          .as(path)
          .isEqualTo("/etc/foundationdb/fdb.cluster");
    }
  }

  /** The hosts triple-5/README documents, each running the same foundationdb.conf. */
  static Map<String, MonitorConf> tripleFiveHosts() {
    MonitorConf conf = ConfigFiles.conf("triple-5/foundationdb.conf");
    Map<String, MonitorConf> hosts = new LinkedHashMap<>();
    for (int i = 11; i <= 15; i++) {
      hosts.put("10.0.1." + i, conf);
    }
    return hosts;
  }
}
