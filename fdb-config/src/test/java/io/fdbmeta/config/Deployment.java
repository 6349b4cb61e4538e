package io.fdbmeta.config;

import io.fdbmeta.config.ClusterFile.Address;
import io.fdbmeta.config.MonitorConf.Server;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A cluster as deployed: which {@code foundationdb.conf} runs on which host, plus the cluster file
 * they share. The host list is the claim a README makes ("install this on 10.0.1.11 .. 15"); the
 * checks tie it to the files.
 */
record Deployment(Map<String, MonitorConf> hosts, ClusterFile clusterFile) {

  /** Inconsistencies between hosts, processes and coordinators; empty when consistent. */
  List<String> problems() {
    List<String> problems = new ArrayList<>();
    List<Address> coordinators = clusterFile.coordinators();
    if (coordinators.size() % 2 == 0) {
      problems.add(
          coordinators.size()
              + " coordinators: an even count survives no more failures than one fewer");
    }
    Set<String> coordinatorZones = new HashSet<>();
    for (Address coordinator : coordinators) {
      MonitorConf conf = hosts.get(coordinator.ip());
      if (conf == null) {
        problems.add(
            "coordinator "
                + coordinator
                + " is not one of the hosts "
                + new TreeSet<>(hosts.keySet()));
        continue;
      }
      Server server =
          conf.servers().stream()
              .filter(s -> s.port() == coordinator.port())
              .findFirst()
              .orElse(null);
      if (server == null) {
        problems.add("coordinator " + coordinator + " names no fdbserver port on its host");
      } else if (!coordinatorZones.add(zone(coordinator.ip(), server))) {
        problems.add("coordinator " + coordinator + " shares a zone with another coordinator");
      }
    }
    return problems;
  }

  /** Distinct fault domains: the zone id if set, else the host (zone defaults to machine id). */
  Set<String> zones() {
    Set<String> zones = new HashSet<>();
    hosts.forEach((ip, conf) -> conf.servers().forEach(s -> zones.add(zone(ip, s))));
    return zones;
  }

  int toleratedFailures(FaultTolerance.Redundancy redundancy) {
    return FaultTolerance.toleratedFailures(
        redundancy, zones().size(), clusterFile.coordinators().size());
  }

  private static String zone(String ip, Server server) {
    return server.zoneId() != null ? "zone:" + server.zoneId() : "host:" + ip;
  }
}
