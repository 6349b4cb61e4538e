package io.fdbmeta.tools.bench;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Runs the {@code redis-benchmark} program (package redis-tools) against a RESP port and parses its
 * {@code --csv} output: one line per test with requests per second and latency percentiles in
 * milliseconds.
 */
final class RedisBenchmarkRun {
  static final String PROGRAM = "redis-benchmark";

  /**
   * One test's figures as redis-benchmark printed them; latencies NaN where its version prints
   * none.
   */
  record Figures(String test, double requestsPerSec, double p50Millis, double p99Millis) {}

  private RedisBenchmarkRun() {}

  /** The program on PATH, if there is one. */
  static Optional<Path> find(@Nullable String path) {
    if (path == null) return Optional.empty();
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) continue;
      Path p = Path.of(dir, PROGRAM);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) return Optional.of(p);
    }
    return Optional.empty();
  }

  /**
   * The arguments of one run: {@code tests} (e.g. "set,get") with keys {@code key:<12 digits>}
   * below {@code keyspace}.
   */
  static List<String> command(
      Path program,
      int port,
      String tests,
      long requests,
      int clients,
      int pipeline,
      int keyspace,
      int valueBytes) {
    List<String> out = target(program, port);
    out.addAll(List.of("-t", tests));
    out.addAll(load(requests, clients, pipeline, keyspace));
    out.addAll(List.of("-d", Integer.toString(valueBytes), "--csv"));
    return List.copyOf(out);
  }

  /**
   * The arguments of one run of a custom command ({@code args}, "__rand_int__" replaced by
   * redis-benchmark with a number below {@code keyspace}).
   */
  static List<String> custom(
      Path program,
      int port,
      long requests,
      int clients,
      int pipeline,
      int keyspace,
      List<String> args) {
    List<String> out = target(program, port);
    out.addAll(load(requests, clients, pipeline, keyspace));
    out.add("--csv");
    out.addAll(args);
    return out;
  }

  /** The program and the server it drives. */
  private static List<String> target(Path program, int port) {
    return new ArrayList<>(
        List.of(program.toString(), "-h", "127.0.0.1", "-p", Integer.toString(port)));
  }

  /** How much load: requests, clients, pipeline depth and the keyspace of __rand_int__. */
  private static List<String> load(long requests, int clients, int pipeline, int keyspace) {
    return List.of(
        "-n",
        Long.toString(requests),
        "-c",
        Integer.toString(clients),
        "-P",
        Integer.toString(pipeline),
        "-r",
        Integer.toString(keyspace));
  }

  /**
   * Runs the command and returns one entry per test, in its order.
   *
   * @throws IllegalStateException if it fails, runs past {@code timeoutSeconds}, or prints no
   *     figures
   */
  static List<Figures> run(List<String> command, long timeoutSeconds) throws InterruptedException {
    Path out = null;
    try {
      out = Files.createTempFile("fdbmeta-redis-benchmark-", ".csv");
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        throw new IllegalStateException(
            PROGRAM
                + " did not finish within "
                + timeoutSeconds
                + " s: "
                + String.join(" ", command));
      }
      String text = Files.readString(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IllegalStateException(
            PROGRAM + " exited with " + p.exitValue() + ": " + firstLines(text));
      }
      List<Figures> figures = parseCsv(text);
      if (figures.isEmpty())
        throw new IllegalStateException(PROGRAM + " printed no figures: " + firstLines(text));
      return figures;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + PROGRAM, e);
    } finally {
      if (out != null) {
        try {
          Files.deleteIfExists(out);
        } catch (IOException ignored) {
          // a temporary file left behind
        }
      }
    }
  }

  /**
   * Parses {@code --csv} output. Version 7 prints a header ({@code "test","rps","avg_latency_ms",
   * ...,"p50_latency_ms",...,"p99_latency_ms",...}) and a line per test; older versions print
   * {@code "SET","12345.67"} lines without a header. Other lines (warnings) are skipped.
   */
  static List<Figures> parseCsv(String text) {
    List<Figures> out = new ArrayList<>();
    Map<String, Integer> columns = new LinkedHashMap<>();
    for (String line : text.split("\\R")) {
      List<String> cells = cells(line.trim());
      if (cells.size() < 2) continue;
      if (cells.get(0).equals("test")) {
        columns.clear();
        for (int i = 0; i < cells.size(); i++) columns.put(cells.get(i), i);
        continue;
      }
      double rps = number(cells, columns.getOrDefault("rps", 1));
      if (Double.isNaN(rps)) continue;
      out.add(
          new Figures(
              cells.get(0),
              rps,
              number(cells, columns.getOrDefault("p50_latency_ms", -1)),
              number(cells, columns.getOrDefault("p99_latency_ms", -1))));
    }
    return out;
  }

  /** The quoted cells of one CSV line, or nothing if it is not such a line. */
  private static List<String> cells(String line) {
    List<String> out = new ArrayList<>();
    if (!line.startsWith("\"")) return out;
    for (String cell : line.split(",")) {
      String c = cell.trim();
      if (c.length() < 2 || !c.startsWith("\"") || !c.endsWith("\"")) return List.of();
      out.add(c.substring(1, c.length() - 1));
    }
    return out;
  }

  private static double number(List<String> cells, int i) {
    if (i < 0 || i >= cells.size()) return Double.NaN;
    try {
      return Double.parseDouble(cells.get(i));
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  private static String firstLines(String text) {
    String t = text.strip();
    String[] lines = t.split("\\R");
    return lines.length <= 3
        ? t
        : String.join(" | ", List.of(lines).subList(0, 3))
            + String.format(Locale.ROOT, " ... (%d lines)", lines.length);
  }
}
