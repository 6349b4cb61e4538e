package io.fdbmeta.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.config.ClusterFile.Address;
import io.fdbmeta.config.Regions.Datacenter;
import io.fdbmeta.config.Regions.Region;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** multi-region/: primary dc1 with satellite dc2, remote dc3, one cluster file for all. */
class MultiRegionConfigTest {

  private static final List<String> DCS = List.of("dc1", "dc2", "dc3");

  private final Regions regions = Regions.parse(ConfigFiles.yaml("multi-region/regions.json"));
  private final ClusterFile cluster = ConfigFiles.clusterFile("multi-region/fdb.cluster");

  @Test
  void regionsArePrimaryWithSatelliteAndRemoteBothAbleToBecomeActive() {
    assertThat(regions.usableRegions()).isEqualTo(2);
    Region primary = regions.regions().get(0);
    Region remote = regions.regions().get(1);
    assertThat(primary.primary()).isEqualTo(new Datacenter("dc1", 1, false));
    assertThat(primary.satellites()).extracting(Datacenter::id).containsExactly("dc2");
    assertThat(primary.satelliteMode()).isEqualTo("one_satellite_double");
    assertThat(remote.primary().id()).isEqualTo("dc3");
    assertThat(remote.satellites()).isEmpty();
    // Non-negative on both sides means automatic failover; higher priority keeps dc1 preferred.
    assertThat(remote.primary().priority())
        .isNotNegative()
        .isLessThan(primary.primary().priority());
  }

  @Test
  void everyProcessIsInADatacenterOfTheRegionLayout() {
    for (String dc : DCS) {
      assertThat(conf(dc).servers()).as(dc).allSatisfy(s -> assertThat(s.dcId()).isEqualTo(dc));
    }
    Set<String> regionDcs =
        regions.regions().stream()
            .flatMap(r -> Stream.concat(Stream.of(r.primary()), r.satellites().stream()))
            .map(Datacenter::id)
            .collect(Collectors.toSet());
    assertThat(regionDcs).containsExactlyInAnyOrderElementsOf(DCS);
  }

  @Test
  void eachDatacenterHasSpareZonesForItsRole() {
    int replicas = regions.redundancy().replicas;
    // Primary and remote hold `replicas` copies each; one zone more survives a host failure.
    for (String dc : List.of("dc1", "dc3")) {
      assertThat(zonesWithClass(dc, "storage"))
          .as(dc + " storage zones")
          .isGreaterThanOrEqualTo(replicas + 1);
      assertThat(zonesWithClass(dc, "transaction"))
          .as(dc + " log zones")
          .isGreaterThanOrEqualTo(replicas + 1);
    }
    int copies = regions.regions().get(0).copiesPerSatellite();
    assertThat(zonesWithClass("dc2", "transaction"))
        .as("dc2 log zones")
        .isGreaterThanOrEqualTo(copies + 1);
  }

  @Test
  void coordinatorsServeFromDeclaredProcessesAndSurviveADatacenterPlusOneHost() {
    Deployment deployment = new Deployment(hosts(), cluster);
    assertThat(deployment.problems()).isEmpty();

    assertThat(cluster.coordinators()).hasSize(9);
    assertThat(datacentersWhoseLossPlusOneHostBreaksQuorum(cluster)).isEmpty();
  }

  @Test
  void losingADatacenterCheckCatchesLopsidedCoordinators() {
    // Same check on a sample with five of nine coordinators in dc1: losing dc1 loses the quorum.
    ClusterFile lopsided =
        ClusterFile.parse(
            "x:y@10.1.0.11:4500,10.1.0.12:4500,10.1.0.13:4500,10.1.0.11:4501,10.1.0.12:4501,"
                + "10.2.0.11:4500,10.2.0.12:4500,10.3.0.11:4500,10.3.0.12:4500");
    assertThat(datacentersWhoseLossPlusOneHostBreaksQuorum(lopsided)).containsExactly("dc1");
    assertThat(new Deployment(hosts(), lopsided).problems())
        .contains("coordinator 10.1.0.11:4501 shares a zone with another coordinator");
  }

  /** A majority of coordinators must outlive any one datacenter plus one more host. */
  private static List<String> datacentersWhoseLossPlusOneHostBreaksQuorum(ClusterFile clusterFile) {
    int n = clusterFile.coordinators().size();
    return DCS.stream()
        .filter(
            dc ->
                n - clusterFile.coordinators().stream().filter(c -> dcOf(c).equals(dc)).count() - 1
                    <= n / 2)
        .toList();
  }

  private long zonesWithClass(String dc, String processClass) {
    long perHost =
        conf(dc).servers().stream().anyMatch(s -> s.processClass().equals(processClass)) ? 1 : 0;
    return perHost * hostsOf(dc).size(); // one zone per host: no locality_zoneid is set
  }

  private static MonitorConf conf(String dc) {
    return ConfigFiles.conf("multi-region/" + dc + "/foundationdb.conf");
  }

  /** The hosts the conf headers and README name: 10.<n>.0.11 .. 13 in dc<n>. */
  private static List<String> hostsOf(String dc) {
    String n = dc.substring(2);
    return List.of("10." + n + ".0.11", "10." + n + ".0.12", "10." + n + ".0.13");
  }

  private static Map<String, MonitorConf> hosts() {
    Map<String, MonitorConf> hosts = new LinkedHashMap<>();
    for (String dc : DCS) {
      hostsOf(dc).forEach(ip -> hosts.put(ip, conf(dc)));
    }
    return hosts;
  }

  private static String dcOf(Address address) {
    return DCS.stream().filter(dc -> hostsOf(dc).contains(address.ip())).findFirst().orElseThrow();
  }
}
