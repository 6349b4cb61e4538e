package io.fdbmeta.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fdbserver processes one {@code foundationdb.conf} starts on its host, as fdbmonitor would
 * resolve them: {@code [fdbserver]} defaults overlaid by each {@code [fdbserver.<ID>]}, with {@code
 * $ID} substituted.
 *
 * <p>{@link #parse} rejects what would stop a process or silently break the cluster: missing
 * required settings, unknown process classes, two processes on one port or one data directory.
 */
record MonitorConf(String clusterFile, List<Server> servers) {

  /** One fdbserver process. {@code zoneId} and {@code dcId} are null when not set. */
  record Server(
      String id, int port, String processClass, String datadir, String zoneId, String dcId) {}

  private static final Pattern PUBLIC_ADDRESS =
      Pattern.compile("(auto|\\d{1,3}(?:\\.\\d{1,3}){3}):(\\d{1,5})(:tls)?");
  private static final Set<String> REQUIRED =
      Set.of("command", "public_address", "datadir", "logdir");
  // Process classes an operator sets in foundationdb.conf (fdbserver --class).
  private static final Set<String> CLASSES =
      Set.of(
          "unset",
          "storage",
          "transaction",
          "log",
          "stateless",
          "commit_proxy",
          "grv_proxy",
          "resolution",
          "master",
          "cluster_controller",
          "coordinator",
          "test");

  static MonitorConf parse(String text) {
    IniFile ini = IniFile.parse(text);
    String clusterFile = ini.section("general").get("cluster_file");
    if (clusterFile == null || clusterFile.isEmpty()) {
      throw new IllegalArgumentException("[general] has no cluster_file");
    }
    Map<String, String> defaults = ini.section("fdbserver");
    List<Server> servers = new ArrayList<>();
    Map<Integer, String> byPort = new HashMap<>();
    Map<String, String> byDatadir = new HashMap<>();
    for (String section : ini.sections().keySet()) {
      if (!section.startsWith("fdbserver.")) {
        continue;
      }
      String id = section.substring("fdbserver.".length());
      Map<String, String> settings = new LinkedHashMap<>(defaults);
      settings.putAll(ini.section(section));
      settings.replaceAll((k, v) -> v.replace("$ID", id));
      for (String key : REQUIRED) {
        if (settings.getOrDefault(key, "").isEmpty()) {
          throw new IllegalArgumentException("[" + section + "] has no " + key);
        }
      }
      Matcher address = PUBLIC_ADDRESS.matcher(settings.get("public_address"));
      if (!address.matches()) {
        throw new IllegalArgumentException(
            "["
                + section
                + "] public_address is not auto:PORT or IP:PORT: "
                + settings.get("public_address"));
      }
      int port = Integer.parseInt(address.group(2));
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("[" + section + "] port out of range: " + port);
      }
      String listen = settings.getOrDefault("listen_address", "public");
      if (!listen.equals("public") && !listen.endsWith(":" + port)) {
        throw new IllegalArgumentException(
            "[" + section + "] listens on " + listen + " but advertises port " + port);
      }
      String processClass = settings.getOrDefault("class", "unset");
      if (!CLASSES.contains(processClass)) {
        throw new IllegalArgumentException("[" + section + "] unknown class " + processClass);
      }
      String samePort = byPort.put(port, section);
      if (samePort != null) {
        throw new IllegalArgumentException(
            "port " + port + " used twice: [" + samePort + "] and [" + section + "]");
      }
      String datadir = settings.get("datadir");
      String sameDir = byDatadir.put(datadir, section);
      if (sameDir != null) {
        throw new IllegalArgumentException(
            "datadir " + datadir + " shared by [" + sameDir + "] and [" + section + "]");
      }
      servers.add(
          new Server(
              id,
              port,
              processClass,
              datadir,
              settings.get("locality_zoneid"),
              settings.get("locality_dcid")));
    }
    if (servers.isEmpty()) {
      throw new IllegalArgumentException("no [fdbserver.<ID>] section: nothing would run");
    }
    if (ini.sections().containsKey("backup_agent")
        && ini.section("backup_agent").getOrDefault("command", "").isEmpty()) {
      throw new IllegalArgumentException("[backup_agent] has no command");
    }
    return new MonitorConf(clusterFile, List.copyOf(servers));
  }
}
