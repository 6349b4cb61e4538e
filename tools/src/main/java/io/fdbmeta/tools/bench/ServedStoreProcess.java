package io.fdbmeta.tools.bench;

import io.fdbmeta.tools.FdbmetaProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code fdbmeta store serve} in a child JVM with this one's Java and class path, as an operator
 * runs it: for benchmarks and tests that need the store in another process (and to kill it).
 */
public final class ServedStoreProcess implements AutoCloseable {
  private static final Pattern SERVING = Pattern.compile("serving .* on (\\S+:\\d+) ");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private final FdbmetaProcess process;
  private final String address;

  private ServedStoreProcess(FdbmetaProcess process, String address) {
    this.process = process;
    this.address = address;
  }

  /**
   * Starts a server on {@code dir} listening on {@code listen} ("127.0.0.1:0" picks a free port)
   * and waits until it accepts clients.
   */
  public static ServedStoreProcess start(Path dir, String listen) {
    FdbmetaProcess p =
        FdbmetaProcess.start(
            "store server",
            List.of("-Xmx1g"),
            List.of("store", "serve", "--dir", dir.toString(), "--listen", listen),
            null);
    try {
      return new ServedStoreProcess(p, p.awaitLine(SERVING, 0, START_TIMEOUT).group(1));
    } catch (InterruptedException | RuntimeException e) {
      try {
        p.kill();
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
      if (e instanceof InterruptedException) Thread.currentThread().interrupt();
      throw new IllegalStateException("store server did not start: " + e.getMessage(), e);
    }
  }

  /** HOST:PORT the server accepts clients on. */
  public String address() {
    return address;
  }

  public long pid() {
    return process.pid();
  }

  /** kill -9: the process gets no chance to clean up. */
  public void kill() throws InterruptedException {
    process.kill();
  }

  /** What the server printed so far. */
  public List<String> output() {
    return process.output();
  }

  /** SIGTERM, then waits for a clean exit (kill -9 after 30 s). */
  @Override
  public void close() throws InterruptedException {
    process.close();
  }

  /** The exit code, once stopped. */
  public int exitValue() {
    return process.exitValue();
  }
}
