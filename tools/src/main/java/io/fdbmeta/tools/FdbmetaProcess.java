package io.fdbmeta.tools;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * An {@code fdbmeta} command in a child JVM with this one's Java and class path, as an operator
 * runs it: for tests and benchmarks that need a store server or a service in another process (and
 * to kill it). What it prints (stdout and stderr merged) is kept line by line and, when a log file
 * is given, copied there as it arrives.
 */
public final class FdbmetaProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final List<String> output = new ArrayList<>(); // guarded by itself
  private boolean ended; // guarded by output: the output stream reached its end

  private FdbmetaProcess(String name, Process process) {
    this.name = name;
    this.process = process;
  }

  /**
   * Starts {@code java <jvmOptions> -cp <this class path> io.fdbmeta.tools.Main <args>}.
   *
   * @param name what to call the process in messages, e.g. "store server"
   * @param log a file to copy the output to (its directory must exist), or null
   * @throws UncheckedIOException if it cannot be started, or the log file cannot be created
   */
  public static FdbmetaProcess start(
      String name, List<String> jvmOptions, List<String> args, @Nullable Path log) {
    List<String> command = command(jvmOptions, args);
    Writer logWriter = null;
    Process p;
    try {
      if (log != null) logWriter = Files.newBufferedWriter(log, StandardCharsets.UTF_8);
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      closeQuietly(logWriter);
      throw new UncheckedIOException("cannot start the " + name + ": " + e.getMessage(), e);
    }
    FdbmetaProcess fp = new FdbmetaProcess(name, p);
    Writer w = logWriter;
    Thread reader = new Thread(() -> fp.readOutput(w), name.replace(' ', '-') + "-output");
    reader.setDaemon(true);
    reader.start();
    return fp;
  }

  /**
   * {@code java <jvmOptions> -cp <this class path> io.fdbmeta.tools.Main <args>}: this JVM's java
   * and class path (the jar, when run with {@code java -jar fdbmeta.jar}).
   */
  public static List<String> command(List<String> jvmOptions, List<String> args) {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>();
    command.add(java);
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(args);
    return command;
  }

  private void readOutput(@Nullable Writer log) {
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (log != null) {
          log.write(line);
          log.write('\n');
          log.flush();
        }
        synchronized (output) {
          output.add(line);
          output.notifyAll();
        }
      }
    } catch (IOException e) {
      // the process ended; what it printed is in output
    } finally {
      closeQuietly(log);
      synchronized (output) {
        ended = true;
        output.notifyAll();
      }
    }
  }

  private static void closeQuietly(@Nullable Writer w) {
    if (w == null) return;
    try {
      w.close();
    } catch (IOException e) {
      // nothing to add: the log is a copy
    }
  }

  /**
   * Waits until a line printed from the {@code from}-th on (0: the first) matches {@code pattern}.
   *
   * @return the match; {@link #lineIndex} of it says which line it was
   * @throws IllegalStateException with everything the process printed, if it ended or {@code
   *     timeout} passed first
   */
  public Match awaitLine(Pattern pattern, int from, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (output) {
      for (int i = from; ; ) {
        for (; i < output.size(); i++) {
          Matcher m = pattern.matcher(output.get(i));
          if (m.find()) return new Match(i, output.get(i), m.toMatchResult());
        }
        long left = deadline - System.nanoTime();
        if (ended || left <= 0) {
          throw new IllegalStateException(
              "the "
                  + name
                  + (ended
                      ? " ended without printing"
                      : " printed nothing in " + timeout + " matching")
                  + " /"
                  + pattern
                  + "/; it printed:\n"
                  + String.join("\n", output));
        }
        TimeUnit.NANOSECONDS.timedWait(output, left);
      }
    }
  }

  /** A line that matched, and where. */
  public record Match(int lineIndex, String line, java.util.regex.MatchResult groups) {
    public String group(int i) {
      return groups.group(i);
    }
  }

  /** What the process printed so far. */
  public List<String> output() {
    synchronized (output) {
      return List.copyOf(output);
    }
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  // Signals go through the ProcessHandle: Process.destroy() and destroyForcibly() also close this
  // side of the output pipe at once, losing what the process prints while it stops (its last log
  // lines) and whatever it printed that was not read yet.

  /** kill -9: the process gets no chance to clean up. */
  public void kill() throws InterruptedException {
    process.toHandle().destroyForcibly();
    process.waitFor();
  }

  /** SIGTERM, without waiting. */
  public void terminate() {
    process.toHandle().destroy();
  }

  /**
   * Waits for the process to exit.
   *
   * @return its exit code, or null if it still runs after {@code timeout}
   */
  public @Nullable Integer waitFor(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : null;
  }

  /**
   * SIGTERM, then waits for a clean exit (kill -9 after 30 s, or at once if this thread is
   * interrupted, whose flag stays set).
   */
  @Override
  public void close() {
    if (!process.isAlive()) return;
    terminate();
    try {
      if (waitFor(Duration.ofSeconds(30)) == null) kill();
    } catch (InterruptedException e) {
      process.toHandle().destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** The exit code, once stopped. */
  public int exitValue() {
    return process.exitValue();
  }
}
