package io.fdbmeta.tools;

import java.io.PrintWriter;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The log of a service process: one line per significant event, {@code <UTC time, ms> <LEVEL>
 * <service> <id>: <message>}, e.g. {@code 2026-12-06T21:30:00.123Z INFO controller ctl-1: became
 * active (term 7)}, flushed at once so a supervisor sees it as it happens. Safe from any thread.
 */
final class ServiceLog {
  enum Level {
    INFO,
    WARN,
    ERROR
  }

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private final PrintWriter out;
  private final String source;
  private final Clock clock;

  /** {@code source} is the service and its id, e.g. "controller ctl-1". */
  ServiceLog(PrintWriter out, String source, Clock clock) {
    this.out = out;
    this.source = source;
    this.clock = clock;
  }

  void info(String message) {
    log(Level.INFO, clock.millis(), message);
  }

  void warn(String message) {
    log(Level.WARN, clock.millis(), message);
  }

  void error(String message) {
    log(Level.ERROR, clock.millis(), message);
  }

  /** A line for something that happened at {@code atMillis} (epoch millis). */
  void log(Level level, long atMillis, String message) {
    String line = line(level, atMillis, source, message);
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }

  static String line(Level level, long atMillis, String source, String message) {
    return TIME.format(Instant.ofEpochMilli(atMillis))
        + " "
        + level
        + " "
        + source
        + ": "
        + message.replace('\n', ' ');
  }

  /** The time of a line this class wrote. */
  static Instant timeOf(String line) {
    return Instant.parse(line.substring(0, line.indexOf(' ')));
  }
}
