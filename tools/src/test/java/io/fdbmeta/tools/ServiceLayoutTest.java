package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.router.RouterConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The production layout examples in fdb-config/services (no systemd or Docker here, so they are
 * checked as text): each systemd unit parses as INI with the keys a service needs and a stop
 * timeout longer than the service's own stop deadline, and its ExecStart is a command line the CLI
 * accepts; each docker-compose service runs a command the CLI accepts with config files that exist,
 * the layout has 2 controllers, 2 routers and 6 nodes over 3 racks, and haproxy's ports match the
 * routers' and the published one.
 */
class ServiceLayoutTest {
  private static final Path DIR = ConfigFileTest.EXAMPLES;
  private static final List<String> SERVICES = List.of("controller", "router", "node");

  /** systemd's unit syntax as far as the examples use it: sections, Key=Value, # comments. */
  static Map<String, Map<String, String>> ini(Path file) throws IOException {
    Map<String, Map<String, String>> sections = new LinkedHashMap<>();
    Map<String, String> current = null;
    List<String> lines = Files.readAllLines(file);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      String where = file + ":" + (i + 1) + ": ";
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) continue;
      if (line.startsWith("[")) {
        assertThat(line).as(where + "section header").matches("\\[[A-Za-z]+\\]");
        current = new LinkedHashMap<>();
        assertThat(sections.put(line.substring(1, line.length() - 1), current))
            .as(where + "repeated section")
            .isNull();
        continue;
      }
      assertThat(current).as(where + "key before any section").isNotNull();
      int eq = line.indexOf('=');
      assertThat(eq).as(where + "not Key=Value").isPositive();
      assertThat(current.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip()))
          .as(where + "repeated key (the examples set each once)")
          .isNull();
    }
    return sections;
  }

  static Duration stopDeadline(String service) {
    return switch (service) {
      case "controller" -> ControllerCommand.STOP_DEADLINE;
      case "router" -> RouterCommand.stopDeadline(RouterConfig.builder().build());
      case "node" -> NodeCommand.STOP_DEADLINE;
      default -> throw new AssertionError(service);
    };
  }

  @Test
  void systemdUnitsHaveWhatAServiceNeedsAndRunACommandTheCliAccepts() throws IOException {
    for (String service : SERVICES) {
      Path file = DIR.resolve("fdbmeta-" + service + "@.service");
      Map<String, Map<String, String>> unit = ini(file);
      assertThat(unit).as(file.toString()).containsKeys("Unit", "Service", "Install");
      assertThat(unit.get("Unit")).containsKey("Description");
      assertThat(unit.get("Install")).containsEntry("WantedBy", "multi-user.target");
      Map<String, String> s = unit.get("Service");
      assertThat(s)
          .as(file.toString())
          .containsEntry("Restart", "on-failure")
          .containsEntry("KillSignal", "SIGTERM")
          .containsKeys("ExecStart", "TimeoutStopSec");
      assertThat(s.get("Environment")).startsWith("FDB_CLUSTER_FILE=/");
      assertThat(Duration.ofSeconds(Long.parseLong(s.get("TimeoutStopSec"))))
          .as(file + ": TimeoutStopSec vs the service's stop deadline")
          .isGreaterThan(stopDeadline(service));

      List<String> exec = List.of(s.get("ExecStart").split("\\s+"));
      assertThat(exec.get(0)).as("ExecStart needs an absolute path").startsWith("/");
      int jar = exec.indexOf("-jar");
      assertThat(jar).isPositive();
      assertThat(exec.get(jar + 1)).endsWith("/fdbmeta.jar");
      List<String> args = new ArrayList<>(exec.subList(jar + 2, exec.size()));
      assertThat(args.get(0)).isEqualTo(service);
      int config = args.indexOf("--config");
      assertThat(args.get(config + 1)).isEqualTo("/etc/fdbmeta/%i.conf");
      args.set(config + 1, DIR.resolve(service + ".conf").toString()); // the example instance
      assertThat(ConfigFileTest.parse(args.toArray(String[]::new)).getClass().getSimpleName())
          .isEqualToIgnoringCase(service + "Command");
    }
  }

  @Test
  void composeRunsCommandsTheCliAcceptsWithExistingConfigFilesBehindHaproxy() throws IOException {
    Map<String, Object> compose =
        new Yaml().load(Files.readString(DIR.resolve("docker-compose.yml")));
    for (Object included : list(compose.get("include")))
      assertThat(DIR.resolve(included.toString())).exists();
    Map<String, Object> services = map(compose.get("services"));
    Map<String, RouterCommand> routers = new TreeMap<>();
    Map<String, NodeCommand> nodes = new TreeMap<>();
    List<String> controllers = new ArrayList<>();
    for (var e : services.entrySet()) {
      String name = e.getKey();
      Map<String, Object> service = map(e.getValue());
      Map<String, Path> mounts = new LinkedHashMap<>();
      for (Object v : list(service.get("volumes"))) {
        String[] parts = v.toString().split(":");
        Path source = DIR.resolve(parts[0]);
        assertThat(source).as(name + ": volume source").exists();
        mounts.put(parts[1], source);
      }
      if (service.get("build") != null)
        assertThat(
                DIR.resolve(map(service.get("build")).get("context").toString())
                    .resolve(map(service.get("build")).get("dockerfile").toString()))
            .exists();
      if (!(service.get("command") instanceof List<?> command)) continue;
      List<String> args = new ArrayList<>();
      for (Object a : command) args.add(a.toString());
      int config = args.indexOf("--config");
      if (config >= 0) {
        Path source = mounts.get(args.get(config + 1));
        assertThat(source).as(name + ": " + args.get(config + 1) + " is not mounted").isNotNull();
        args.set(config + 1, source.toString());
      }
      Object parsed = ConfigFileTest.parse(args.toArray(String[]::new));
      if (parsed instanceof RouterCommand r) routers.put(name, r);
      if (parsed instanceof NodeCommand n) {
        nodes.put(name, n);
        assertThat(HostPort.parse(n.listen).host()).as(name + ": registered host").isEqualTo(name);
      }
      if (parsed instanceof ControllerCommand c) controllers.add(c.id);
    }
    assertThat(controllers).hasSize(2).doesNotHaveDuplicates();
    assertThat(routers).hasSize(2);
    assertThat(nodes).hasSize(6);
    Map<String, Integer> perRack = new TreeMap<>();
    for (NodeCommand n : nodes.values()) perRack.merge(n.rack, 1, Integer::sum);
    assertThat(perRack).isEqualTo(Map.of("r1", 2, "r2", 2, "r3", 2));
    assertThat(nodes.values().stream().map(n -> n.id).distinct()).hasSize(6);

    String haproxy = Files.readString(DIR.resolve("haproxy.cfg"));
    Matcher bind = Pattern.compile("(?m)^\\s*bind \\*:(\\d+)$").matcher(haproxy);
    assertThat(bind.find()).isTrue();
    assertThat(list(map(services.get("haproxy")).get("ports")))
        .contains((Object) (bind.group(1) + ":" + bind.group(1)));
    Matcher check = Pattern.compile("check port (\\d+)").matcher(haproxy);
    assertThat(check.find()).isTrue();
    Matcher server = Pattern.compile("(?m)^\\s*server (\\S+) (\\S+):(\\d+)").matcher(haproxy);
    Set<String> backends = new java.util.TreeSet<>();
    while (server.find()) {
      RouterCommand r = routers.get(server.group(2));
      assertThat(r).as("haproxy server " + server.group(2) + " is a router service").isNotNull();
      assertThat(HostPort.parse(r.listen.replace("0.0.0.0", "h")).port())
          .isEqualTo(Integer.parseInt(server.group(3)));
      assertThat(HostPort.parse(r.admin.admin.replace("0.0.0.0", "h")).port())
          .as("haproxy checks /readyz on the router's admin port")
          .isEqualTo(Integer.parseInt(check.group(1)));
      backends.add(server.group(2));
    }
    assertThat(backends).isEqualTo(routers.keySet());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o == null ? Map.of() : (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object o) {
    return o == null ? List.of() : (List<Object>) o;
  }
}
