package io.fdbmeta.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An {@code fdb.cluster} connection string, {@code description:id@ip:port,ip:port,...}.
 *
 * <p>FoundationDB allows letters, digits and underscores in the description and letters and digits
 * in the id. Only IPv4 coordinators are accepted: every file here uses them.
 */
record ClusterFile(String description, String id, List<Address> coordinators) {

  record Address(String ip, int port) {
    @Override
    public String toString() {
      return ip + ":" + port;
    }
  }

  private static final Pattern FORMAT = Pattern.compile("([A-Za-z0-9_]+):([A-Za-z0-9]+)@(.+)");
  private static final Pattern ADDRESS =
      Pattern.compile("(\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}):(\\d{1,5})(:tls)?");

  static ClusterFile parse(String text) {
    String line = text.strip();
    if (line.contains("\n")) {
      throw new IllegalArgumentException("cluster file must be one line: " + text);
    }
    Matcher m = FORMAT.matcher(line);
    if (!m.matches()) {
      throw new IllegalArgumentException("not description:id@addresses: " + line);
    }
    List<Address> coordinators = new ArrayList<>();
    for (String part : m.group(3).split(",", -1)) {
      Matcher a = ADDRESS.matcher(part.strip());
      if (!a.matches()) {
        throw new IllegalArgumentException("bad coordinator address '" + part + "' in " + line);
      }
      for (String octet : a.group(1).split("\\.")) {
        if (Integer.parseInt(octet) > 255) {
          throw new IllegalArgumentException("bad IPv4 address " + a.group(1));
        }
      }
      int port = Integer.parseInt(a.group(2));
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("bad port " + port + " in " + line);
      }
      coordinators.add(new Address(a.group(1), port));
    }
    if (new HashSet<>(coordinators).size() != coordinators.size()) {
      throw new IllegalArgumentException("coordinator listed twice in " + line);
    }
    return new ClusterFile(m.group(1), m.group(2), List.copyOf(coordinators));
  }
}
