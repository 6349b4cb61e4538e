package io.fdbmeta.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fdbmeta.config.FaultTolerance.ConfigureNew;
import io.fdbmeta.config.FaultTolerance.Redundancy;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** The checkers reject broken samples: otherwise the config tests would prove nothing. */
class CheckersTest {

  private static final String GOOD_CONF =
      """
      [general]
      cluster_file = /etc/foundationdb/fdb.cluster
      [fdbserver]
      command = /usr/sbin/fdbserver
      public_address = auto:$ID
      datadir = /var/lib/foundationdb/data/$ID
      logdir = /var/log/foundationdb
      [fdbserver.4500]
      [fdbserver.4501]
      class = storage
      """;

  @Test
  void goodSampleParses() {
    assertThat(MonitorConf.parse(GOOD_CONF).servers())
        .extracting(MonitorConf.Server::port, MonitorConf.Server::processClass)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(4500, "unset"),
            org.assertj.core.groups.Tuple.tuple(4501, "storage"));
  }

  @Test
  void iniRejectsRepeatedSectionsAndKeys() {
    assertThatThrownBy(() -> IniFile.parse(GOOD_CONF + "[fdbserver.4500]\n"))
        .hasMessageContaining("duplicate section [fdbserver.4500]");
    // fdbmonitor reads cluster-file and cluster_file as one setting.
    assertThatThrownBy(() -> IniFile.parse("[general]\ncluster_file = a\ncluster-file = b\n"))
        .hasMessageContaining("line 3: duplicate key cluster_file");
    assertThatThrownBy(() -> IniFile.parse("cluster_file = a\n"))
        .hasMessageContaining("outside any section");
  }

  @Test
  void confRejectsTwoProcessesOnOnePortOrDataDirectory() {
    assertThatThrownBy(() -> MonitorConf.parse(GOOD_CONF + "public_address = 10.0.0.1:4500\n"))
        .hasMessageContaining("port 4500 used twice");
    assertThatThrownBy(
            () -> MonitorConf.parse(GOOD_CONF + "datadir = /var/lib/foundationdb/data/4500\n"))
        .hasMessageContaining("datadir /var/lib/foundationdb/data/4500 shared");
    assertThatThrownBy(() -> MonitorConf.parse(GOOD_CONF + "[fdbserver.4502]\nclass = strage\n"))
        .hasMessageContaining("unknown class strage");
    assertThatThrownBy(() -> MonitorConf.parse(GOOD_CONF.replace("cluster_file", "# cluster_file")))
        .hasMessageContaining("no cluster_file");
  }

  @Test
  void clusterFileRejectsMalformedStrings() {
    assertThatThrownBy(() -> ClusterFile.parse("dev@127.0.0.1:4500"))
        .hasMessageContaining("description:id@");
    assertThatThrownBy(() -> ClusterFile.parse("dev-x:abc@127.0.0.1:4500"))
        .hasMessageContaining("description:id@");
    assertThatThrownBy(() -> ClusterFile.parse("dev:abc@127.0.0.1:4500,127.0.0.1:4500"))
        .hasMessageContaining("listed twice");
    assertThatThrownBy(() -> ClusterFile.parse("dev:abc@127.0.0.1"))
        .hasMessageContaining("bad coordinator");
    assertThatThrownBy(() -> ClusterFile.parse("dev:abc@300.0.0.1:4500"))
        .hasMessageContaining("bad IPv4");
  }

  @Test
  void deploymentReportsCoordinatorsThatNoProcessServes() {
    MonitorConf conf = MonitorConf.parse(GOOD_CONF);
    var deployment =
        new Deployment(
            Map.of("10.0.0.1", conf, "10.0.0.2", conf),
            ClusterFile.parse("c:x@10.0.0.1:4500,10.0.0.1:4501,10.0.0.2:4600,10.0.0.3:4500"));

    assertThat(deployment.problems())
        .containsExactlyInAnyOrder(
            "4 coordinators: an even count survives no more failures than one fewer",
            "coordinator 10.0.0.1:4501 shares a zone with another coordinator",
            "coordinator 10.0.0.2:4600 names no fdbserver port on its host",
            "coordinator 10.0.0.3:4500 is not one of the hosts [10.0.0.1, 10.0.0.2]");
  }

  @Test
  void faultToleranceFollowsTheDocumentedTable() {
    // FoundationDB's redundancy table: double needs 3 machines and triple 4 to tolerate a failure.
    assertThat(FaultTolerance.toleratedFailures(Redundancy.DOUBLE, 2, 1)).isZero();
    assertThat(FaultTolerance.toleratedFailures(Redundancy.DOUBLE, 3, 3)).isEqualTo(1);
    assertThat(FaultTolerance.toleratedFailures(Redundancy.TRIPLE, 4, 5)).isEqualTo(1);
    assertThat(FaultTolerance.toleratedFailures(Redundancy.TRIPLE, 5, 5)).isEqualTo(2);
    assertThat(FaultTolerance.toleratedFailures(Redundancy.TRIPLE, 9, 9)).isEqualTo(2);
    assertThat(FaultTolerance.toleratedFailures(Redundancy.TRIPLE, 5, 4)).isEqualTo(1);
    assertThat(FaultTolerance.toleratedFailures(Redundancy.TRIPLE, 2, 1)).isEqualTo(-1);
  }

  @Test
  void configureCommandMustNameAModeAndAKnownEngine() {
    assertThat(ConfigureNew.parse("configure new double ssd-2"))
        .isEqualTo(new ConfigureNew(Redundancy.DOUBLE, "ssd-2"));
    assertThatThrownBy(() -> ConfigureNew.parse("configure new triple"))
        .hasMessageContaining("not 'configure new");
    assertThatThrownBy(() -> ConfigureNew.parse("configure new triple ssd-redwood"))
        .hasMessageContaining("unknown storage engine");
    assertThatThrownBy(() -> ConfigureNew.parse("configure new quadruple ssd"))
        .hasMessageContaining("quadruple");
  }

  @Test
  void regionsRejectBrokenLayouts() {
    assertThatThrownBy(
            () -> regions("[{datacenters: [{id: a, priority: 1}, {id: b, priority: 0}]}]"))
        .hasMessageContaining("one primary datacenter, got a and b");
    assertThatThrownBy(
            () ->
                regions(
                    "[{datacenters: [{id: a, priority: 1}, {id: s, priority: 1, satellite: 1}]}]"))
        .hasMessageContaining("satellite_redundancy_mode goes with satellite datacenters");
    assertThatThrownBy(
            () ->
                regions(
                    "[{datacenters: [{id: a, priority: 1}, {id: s, priority: 1, satellite: 1,"
                        + " satellite_logs: 1}], satellite_redundancy_mode: one_satellite_double}]"))
        .hasMessageContaining("satellite_logs 1 below the 2 copies");
    assertThatThrownBy(() -> regions("[{datacenters: [{id: a, priority: -1}]}]"))
        .hasMessageContaining("no primary datacenter with priority >= 0");
    assertThatThrownBy(
            () ->
                regions(
                    "[{datacenters: [{id: a, priority: 1}]}, {datacenters: [{id: a, priority: 0}]}]"))
        .hasMessageContaining("unique: a");
  }

  private static Regions regions(String regionsYaml) {
    Map<String, Object> doc =
        new Yaml()
            .load(
                "{redundancy_mode: double, storage_engine: ssd-2, usable_regions: 1, regions: "
                    + regionsYaml
                    + "}");
    return Regions.parse(doc);
  }
}
