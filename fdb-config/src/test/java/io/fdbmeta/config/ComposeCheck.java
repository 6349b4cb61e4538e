package io.fdbmeta.config;

import io.fdbmeta.config.ClusterFile.Address;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Consistency of a docker-compose file that runs a FoundationDB cluster from the official image. A
 * server is a service that keeps the image's entrypoint (it starts fdbserver); the configure
 * service overrides the entrypoint and runs {@code fdbcli ... configure new}.
 *
 * <p>The image advertises the container's IP on {@code FDB_PORT} and uses the hostname as zone id,
 * so hostnames are fault domains and {@code ipv4_address:FDB_PORT} must be what the cluster string
 * names.
 */
final class ComposeCheck {

  static final Pattern IMAGE = Pattern.compile("foundationdb/foundationdb:(7\\.3\\.\\d+)");
  private static final Pattern CONFIGURE = Pattern.compile("configure new [\\w-]+ [\\w-]+");

  /** What the file declares; filled while checking. */
  String clusterString;

  final Set<String> zones = new HashSet<>();
  FaultTolerance.ConfigureNew configure;
  final List<String> problems = new ArrayList<>();

  private ComposeCheck() {}

  static ComposeCheck check(Map<String, Object> compose) {
    ComposeCheck c = new ComposeCheck();
    c.run(compose);
    return c;
  }

  private void run(Map<String, Object> compose) {
    Map<String, Object> services = map(compose.get("services"));
    Map<String, Object> networks = map(compose.get("networks"));
    Map<String, Object> volumes =
        compose.get("volumes") == null ? Map.of() : map(compose.get("volumes"));
    Set<String> tags = new HashSet<>();
    Map<String, Map<String, Object>> servers = new LinkedHashMap<>();
    Map<String, Map<String, Object>> configurers = new LinkedHashMap<>();
    Set<String> hostPorts = new HashSet<>();
    Set<String> clusterStrings = new HashSet<>();
    for (var entry : services.entrySet()) {
      String name = entry.getKey();
      Map<String, Object> service = map(entry.getValue());
      Matcher image = IMAGE.matcher(String.valueOf(service.get("image")));
      if (image.matches()) {
        tags.add(image.group(1));
      } else {
        problems.add(
            name
                + ": image "
                + service.get("image")
                + " is not foundationdb/foundationdb:7.3.<patch>");
      }
      for (Object port : list(service.get("ports"))) {
        String hostPort = String.valueOf(port).replaceAll("^(?:[\\d.]+:)?(\\d+):.*", "$1");
        if (!hostPorts.add(hostPort)) {
          problems.add(name + ": host port " + hostPort + " published twice");
        }
      }
      Map<String, Object> env = map(service.get("environment"));
      if (env.get("FDB_CLUSTER_FILE_CONTENTS") != null) {
        clusterStrings.add(String.valueOf(env.get("FDB_CLUSTER_FILE_CONTENTS")));
      }
      (service.containsKey("entrypoint") ? configurers : servers).put(name, service);
    }
    if (tags.size() > 1) {
      problems.add("servers and tools must run one FoundationDB version, found " + tags);
    }
    if (clusterStrings.size() != 1) {
      problems.add(
          "expected one FDB_CLUSTER_FILE_CONTENTS shared by all services, found " + clusterStrings);
      return;
    }
    clusterString = clusterStrings.iterator().next();
    ClusterFile clusterFile = ClusterFile.parse(clusterString);

    Set<Address> serverAddresses = new HashSet<>();
    Set<String> dataVolumes = new HashSet<>();
    for (var entry : servers.entrySet()) {
      String name = entry.getKey();
      Map<String, Object> server = entry.getValue();
      Map<String, Object> env = map(server.get("environment"));
      if (!"container".equals(env.get("FDB_NETWORKING_MODE"))) {
        problems.add(
            name + ": FDB_NETWORKING_MODE must be container so each server advertises its own IP");
      }
      Object hostname = server.get("hostname");
      if (hostname == null || !zones.add(hostname.toString())) {
        problems.add(name + ": needs its own hostname, the image's zone id (got " + hostname + ")");
      }
      Map<String, Object> serverNetworks = map(server.get("networks"));
      if (serverNetworks.size() != 1) {
        problems.add(name + ": expected exactly one network, got " + serverNetworks.keySet());
        continue;
      }
      var net = serverNetworks.entrySet().iterator().next();
      String ip = net.getValue() == null ? null : (String) map(net.getValue()).get("ipv4_address");
      if (ip == null) {
        problems.add(
            name + ": needs a static ipv4_address: the cluster file names coordinators by IP");
        continue;
      }
      checkAddressInNetwork(name, ip, map(map(networks.get(net.getKey())).get("ipam")));
      if (!serverAddresses.add(
          new Address(ip, Integer.parseInt(String.valueOf(env.get("FDB_PORT")))))) {
        problems.add(name + ": address " + ip + ":" + env.get("FDB_PORT") + " used twice");
      }
      boolean hasData = false;
      for (Object volume : list(server.get("volumes"))) {
        String[] parts = String.valueOf(volume).split(":");
        if (parts.length >= 2 && parts[1].equals("/var/fdb/data")) {
          hasData = true;
          if (!dataVolumes.add(parts[0]) || !volumes.containsKey(parts[0])) {
            problems.add(name + ": data volume " + parts[0] + " shared or not declared");
          }
        }
      }
      if (!hasData) {
        problems.add(
            name + ": /var/fdb/data is not on a named volume; data dies with the container");
      }
    }
    for (Address coordinator : clusterFile.coordinators()) {
      if (!serverAddresses.contains(coordinator)) {
        problems.add("coordinator " + coordinator + " is not a server address " + serverAddresses);
      }
    }
    if (clusterFile.coordinators().size() % 2 == 0) {
      problems.add("even number of coordinators: " + clusterFile.coordinators().size());
    }

    if (configurers.size() != 1) {
      problems.add("expected one configure service, found " + configurers.keySet());
      return;
    }
    var configurer = configurers.entrySet().iterator().next();
    Map<String, Object> service = configurer.getValue();
    String script = String.valueOf(service.get("command"));
    Matcher m = CONFIGURE.matcher(script);
    if (!m.find()) {
      problems.add(configurer.getKey() + ": runs no 'configure new <mode> <engine>'");
    } else {
      configure = FaultTolerance.ConfigureNew.parse(m.group());
    }
    if (script.replace("$$", "").contains("$")) {
      problems.add(
          configurer.getKey() + ": single '$' in command: compose interpolates it, write '$$'");
    }
    Object dependsOn = service.get("depends_on");
    Collection<?> deps = dependsOn instanceof Map<?, ?> d ? d.keySet() : list(dependsOn);
    if (!deps.containsAll(servers.keySet())) {
      problems.add(configurer.getKey() + ": must depend on every server, depends on " + deps);
    }
    if (!"no".equals(service.get("restart"))) {
      problems.add(configurer.getKey() + ": one-shot service must have restart: \"no\"");
    }
  }

  int toleratedFailures() {
    return FaultTolerance.toleratedFailures(
        configure.redundancy(),
        zones.size(),
        ClusterFile.parse(clusterString).coordinators().size());
  }

  /** Inside the subnet, outside the dynamic ip_range (so no other container can take it). */
  private void checkAddressInNetwork(String name, String ip, Map<String, Object> ipam) {
    for (Object c : list(ipam.get("config"))) {
      Map<String, Object> config = map(c);
      if (!inCidr(ip, String.valueOf(config.get("subnet")))) {
        problems.add(name + ": " + ip + " outside subnet " + config.get("subnet"));
      }
      if (config.get("ip_range") == null) {
        problems.add(name + ": network has no ip_range; dynamic addresses may collide with " + ip);
      } else if (inCidr(ip, String.valueOf(config.get("ip_range")))) {
        problems.add(name + ": " + ip + " inside the dynamic ip_range " + config.get("ip_range"));
      }
    }
  }

  static boolean inCidr(String ip, String cidr) {
    String[] parts = cidr.split("/");
    int bits = Integer.parseInt(parts[1]);
    long mask = bits == 0 ? 0 : (0xFFFFFFFFL << (32 - bits)) & 0xFFFFFFFFL;
    return (ipv4(ip) & mask) == (ipv4(parts[0]) & mask);
  }

  private static long ipv4(String ip) {
    long value = 0;
    for (String octet : ip.split("\\.")) {
      value = (value << 8) | Integer.parseInt(octet);
    }
    return value;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o instanceof Map ? (Map<String, Object>) o : Map.of();
  }

  private static List<?> list(Object o) {
    return o instanceof List<?> l ? l : List.of();
  }
}
