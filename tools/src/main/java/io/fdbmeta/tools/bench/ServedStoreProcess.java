package io.fdbmeta.tools.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code fdbmeta store serve} in a child JVM with this one's Java and class path, as an operator
 * runs it: for benchmarks and tests that need the store in another process (and to kill it).
 */
public final class ServedStoreProcess implements AutoCloseable {
  private static final Pattern SERVING = Pattern.compile("serving .* on (\\S+:\\d+) ");
  private static final long START_TIMEOUT_SECONDS = 30;

  private final Process process;
  private final String address;
  private final List<String> output;

  private ServedStoreProcess(Process process, String address, List<String> output) {
    this.process = process;
    this.address = address;
    this.output = output;
  }

  /**
   * Starts a server on {@code dir} listening on {@code listen} ("127.0.0.1:0" picks a free port)
   * and waits until it accepts clients.
   */
  public static ServedStoreProcess start(Path dir, String listen) {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command =
        List.of(
            java,
            "-Xmx1g",
            "-cp",
            System.getProperty("java.class.path"),
            "io.fdbmeta.tools.Main",
            "store",
            "serve",
            "--dir",
            dir.toString(),
            "--listen",
            listen);
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
    }
    List<String> output = new ArrayList<>();
    CompletableFuture<String> bound = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                  synchronized (output) {
                    output.add(line);
                  }
                  Matcher m = SERVING.matcher(line);
                  if (m.find()) bound.complete(m.group(1));
                }
              } catch (IOException e) {
                // the process ended; what it printed is in output
              }
              bound.completeExceptionally(
                  new IllegalStateException("store server exited: " + String.join("\n", output)));
            },
            "served-store-output");
    reader.setDaemon(true);
    reader.start();
    try {
      return new ServedStoreProcess(p, bound.get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS), output);
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      p.destroyForcibly();
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
    process.destroyForcibly();
    process.waitFor();
  }

  /** What the server printed so far. */
  public List<String> output() {
    synchronized (output) {
      return List.copyOf(output);
    }
  }

  /** SIGTERM, then waits for a clean exit (kill -9 after 30 s). */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) kill();
  }

  /** The exit code, once stopped. */
  public int exitValue() {
    return process.exitValue();
  }
}
