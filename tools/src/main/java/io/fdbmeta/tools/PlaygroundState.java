package io.fdbmeta.tools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The file {@code fdbmeta playground} keeps in its directory ({@value #FILE}) so that {@code
 * playground status}, tests and users in another shell can find its processes: a comment line, the
 * playground's own pid, then one tab-separated line per component: kind, id, pid, endpoint, admin
 * address ("-" for none), log file. Written whole (to a temporary file, then renamed) each time a
 * component starts.
 */
final class PlaygroundState {
  static final String FILE = "playground.state";
  private static final String HEADER = "# kind\tid\tpid\tendpoint\tadmin\tlog";

  /** One process of the playground. */
  record Component(String kind, String id, long pid, String endpoint, String admin, Path log) {
    String line() {
      return String.join(
          "\t", kind, id, Long.toString(pid), endpoint, admin, log.getFileName().toString());
    }

    /** The process is running (this machine's process table). */
    boolean alive() {
      return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /**
     * Its admin port's /healthz answers 200, asked with the playground's admin token if it has one
     * (the store server, which has no admin port: its endpoint accepts a connection).
     */
    boolean healthy(@Nullable String adminToken) {
      return admin.equals("-") ? accepts(endpoint) : ok("http://" + admin + "/healthz", adminToken);
    }

    /** Its admin port's /readyz answers 200 (the store server: as {@link #healthy}). */
    boolean ready(@Nullable String adminToken) {
      return admin.equals("-") ? accepts(endpoint) : ok("http://" + admin + "/readyz", adminToken);
    }
  }

  private PlaygroundState() {}

  static void write(Path dir, long playgroundPid, List<Component> components) {
    StringBuilder b = new StringBuilder(HEADER).append('\n');
    b.append("playground\t").append(playgroundPid).append('\n');
    for (Component c : components) b.append(c.line()).append('\n');
    try {
      Path tmp = dir.resolve(FILE + ".tmp");
      Files.writeString(tmp, b, StandardCharsets.UTF_8);
      Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir.resolve(FILE) + ": " + e, e);
    }
  }

  /** What a state file says. */
  record State(long playgroundPid, List<Component> components) {}

  /**
   * Reads {@code dir}'s state file.
   *
   * @throws CliException exit 1 if there is none or it cannot be read
   */
  static State read(Path dir) {
    Path file = dir.resolve(FILE);
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new CliException(
          1, "no playground in " + dir + " (" + file + " does not exist); start one with --dir");
    } catch (IOException e) {
      throw new CliException(1, "cannot read " + file + ": " + e.getMessage(), e);
    }
    long pid = -1;
    List<Component> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank() || line.startsWith("#")) continue;
      String[] f = line.split("\t");
      try {
        if (f[0].equals("playground") && f.length == 2) {
          pid = Long.parseLong(f[1]);
        } else if (f.length == 6) {
          out.add(new Component(f[0], f[1], Long.parseLong(f[2]), f[3], f[4], dir.resolve(f[5])));
        } else {
          throw new NumberFormatException("6 fields expected");
        }
      } catch (NumberFormatException e) {
        throw new CliException(1, file + ":" + (i + 1) + ": not a playground state line: " + line);
      }
    }
    return new State(pid, out);
  }

  private static boolean ok(String url, @Nullable String adminToken) {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
      if (adminToken != null) c.setRequestProperty("Authorization", "Bearer " + adminToken);
      c.setConnectTimeout(1000);
      c.setReadTimeout(2000);
      try {
        return c.getResponseCode() == 200;
      } finally {
        c.disconnect();
      }
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static boolean accepts(String hostPort) {
    HostPort hp = HostPort.parse(hostPort);
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(hp.host(), hp.port()), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
