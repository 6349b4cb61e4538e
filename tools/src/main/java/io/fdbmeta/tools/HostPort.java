package io.fdbmeta.tools;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;

/** A HOST:PORT argument: a host name, IPv4 address or [IPv6] address, and a port 1-65535. */
record HostPort(String host, int port) {
  private static final Pattern FORM =
      Pattern.compile(
          "(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):([0-9]{1,5})");

  /**
   * Parses HOST:PORT.
   *
   * @throws IllegalArgumentException with a message fit for the user
   */
  static HostPort parse(String text) {
    return parse(text, 1);
  }

  /** Parses a HOST:PORT to listen on, where port 0 asks the system for a free one. */
  static HostPort parseListen(String text) {
    return parse(text, 0);
  }

  /**
   * Parses the listen address an option names; a malformed one is a usage error (exit 2) naming the
   * option.
   */
  static HostPort parseOption(CommandSpec spec, String option, String text) {
    try {
      return parseListen(text);
    } catch (IllegalArgumentException e) {
      throw ConfigFile.badValue(spec, option, e.getMessage());
    }
  }

  private static HostPort parse(String text, int lowestPort) {
    Matcher m = FORM.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not HOST:PORT (e.g. 10.0.0.7:7000, node1.example:7000 or [::1]:7000)");
    }
    int port = Integer.parseInt(m.group(3));
    if (port < lowestPort || port > 65535) {
      throw new IllegalArgumentException(
          "'" + text + "': port " + port + " is outside " + lowestPort + "-65535");
    }
    return new HostPort(m.group(1), port);
  }

  @Override
  public String toString() {
    return host + ":" + port;
  }
}
