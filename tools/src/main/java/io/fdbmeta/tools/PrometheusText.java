package io.fdbmeta.tools;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One scrape of a service's {@code /metrics}, written in the Prometheus text exposition format
 * 0.0.4: a {@code # HELP} and a {@code # TYPE} line, then the sample, per metric. Services write
 * their values here from one consistent snapshot at each scrape (see {@link ServiceAdmin#metrics}).
 *
 * @throws IllegalArgumentException (from every method) for a malformed or repeated metric name, or
 *     a counter not named {@code *_total}
 */
final class PrometheusText {
  /** The Content-Type of this format. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

  private final StringBuilder sb = new StringBuilder();
  private final Set<String> names = new HashSet<>();

  /** A total that only grows while the process runs. */
  PrometheusText counter(String name, String help, long value) {
    if (!name.endsWith("_total"))
      throw new IllegalArgumentException("counter " + name + " must be named *_total");
    if (value < 0) throw new IllegalArgumentException("counter " + name + " is negative: " + value);
    return sample(name, "counter", help, Long.toString(value));
  }

  /** A value that can go up and down. */
  PrometheusText gauge(String name, String help, double value) {
    return sample(name, "gauge", help, number(value));
  }

  /**
   * Appends text another component already wrote in this format (e.g. the router library's own
   * metrics), checking only that it names no metric written here before.
   */
  PrometheusText include(String exposition) {
    for (String line : exposition.split("\n")) {
      if (!line.startsWith("# TYPE ")) continue;
      String name = line.substring("# TYPE ".length()).split(" ", 2)[0];
      if (!names.add(name)) throw new IllegalArgumentException("metric " + name + " written twice");
    }
    sb.append(exposition);
    if (!exposition.isEmpty() && !exposition.endsWith("\n")) sb.append('\n');
    return this;
  }

  private PrometheusText sample(String name, String type, String help, String value) {
    if (!NAME.matcher(name).matches())
      throw new IllegalArgumentException("'" + name + "' is not a Prometheus metric name");
    if (!names.add(name)) throw new IllegalArgumentException("metric " + name + " written twice");
    sb.append("# HELP ").append(name).append(' ').append(escapeHelp(help)).append('\n');
    sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    sb.append(name).append(' ').append(value).append('\n');
    return this;
  }

  /** Integral values without a fraction; the format's spellings of NaN and the infinities. */
  static String number(double v) {
    if (Double.isNaN(v)) return "NaN";
    if (Double.isInfinite(v)) return v > 0 ? "+Inf" : "-Inf";
    if (v == Math.rint(v) && Math.abs(v) < 0x1p53) return Long.toString((long) v);
    return Double.toString(v);
  }

  private static String escapeHelp(String help) {
    return help.replace("\\", "\\\\").replace("\n", "\\n");
  }

  @Override
  public String toString() {
    return sb.toString();
  }
}
