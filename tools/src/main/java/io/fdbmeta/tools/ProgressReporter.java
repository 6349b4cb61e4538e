package io.fdbmeta.tools;

import io.fdbmeta.layer.Progress;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Shows a long operation's progress on stderr. On a terminal ({@code System.console() != null}) one
 * line redrawn in place at most every 100 ms: a bar, the count, the rate and the ETA. Otherwise (a
 * pipe, a log file, CI) a plain line every {@code interval} with the same numbers, so logs stay
 * readable. Each phase ends with a line giving its count, time and rate.
 *
 * <pre>
 * ranges [##########----------]  52%  520,000/1,000,000  131,000/s  ETA 3.7s
 * ranges: 520000/1000000 (52%) 131000/s ETA 3.7s
 * ranges: 1000000 in 7.6s (131000/s)
 * </pre>
 */
final class ProgressReporter implements Progress {
  private static final int WIDTH = 20;

  private final PrintWriter err;
  private final boolean terminal;
  private final long intervalNanos;
  private final LongSupplier nanos;
  private String phase = "";
  private long total = -1;
  private long startNanos;
  private long lastPrintNanos;
  private long done;
  private boolean open;

  ProgressReporter(PrintWriter err, boolean terminal, long intervalNanos, LongSupplier nanos) {
    this.err = err;
    this.terminal = terminal;
    this.intervalNanos = intervalNanos;
    this.nanos = nanos;
  }

  /** For a command: a bar if stderr is a terminal, else a line every 2 s. */
  static ProgressReporter forConsole(PrintWriter err) {
    return new ProgressReporter(err, System.console() != null, 2_000_000_000L, System::nanoTime);
  }

  /** Reports nothing (--quiet). */
  static Progress quiet() {
    return Progress.NONE;
  }

  @Override
  public synchronized void phase(String name, long total) {
    finish();
    this.phase = name;
    this.total = total;
    this.done = 0;
    this.startNanos = nanos.getAsLong();
    this.lastPrintNanos = startNanos;
    this.open = true;
  }

  @Override
  public synchronized void at(long done) {
    this.done = done;
    long now = nanos.getAsLong();
    long every = terminal ? 100_000_000L : intervalNanos;
    if (now - lastPrintNanos < every) return;
    lastPrintNanos = now;
    if (terminal) {
      err.print("\r" + bar(now) + "\u001b[K");
    } else {
      err.println(phase + ": " + numbers(now));
    }
    err.flush();
  }

  /** Ends the current phase with its summary line. */
  synchronized void finish() {
    if (!open) return;
    open = false;
    long now = nanos.getAsLong();
    double secs = (now - startNanos) / 1e9;
    String line =
        phase
            + ": "
            + done
            + " in "
            + String.format(Locale.ROOT, "%.1fs", secs)
            + (secs > 0 && done > 0 ? " (" + Math.round(done / secs) + "/s)" : "");
    if (terminal) err.print("\r\u001b[K");
    err.println(line);
    err.flush();
  }

  private double rate(long now) {
    double secs = (now - startNanos) / 1e9;
    return secs <= 0 ? 0 : done / secs;
  }

  String numbers(long now) {
    double rate = rate(now);
    StringBuilder sb = new StringBuilder();
    sb.append(done);
    if (total > 0) {
      sb.append('/').append(total).append(" (").append(done * 100 / total).append("%)");
    }
    sb.append(' ').append(Math.round(rate)).append("/s");
    if (total > 0 && rate > 0)
      sb.append(" ETA ").append(String.format(Locale.ROOT, "%.1fs", (total - done) / rate));
    return sb.toString();
  }

  String bar(long now) {
    double rate = rate(now);
    StringBuilder sb = new StringBuilder(phase).append(' ');
    if (total > 0) {
      int filled = (int) Math.min(WIDTH, done * WIDTH / total);
      sb.append('[')
          .append("#".repeat(filled))
          .append("-".repeat(WIDTH - filled))
          .append("] ")
          .append(String.format(Locale.ROOT, "%3d%%  %,d/%,d", done * 100 / total, done, total));
    } else {
      sb.append(String.format(Locale.ROOT, "%,d", done));
    }
    sb.append(String.format(Locale.ROOT, "  %,d/s", Math.round(rate)));
    if (total > 0 && rate > 0)
      sb.append(String.format(Locale.ROOT, "  ETA %.1fs", (total - done) / rate));
    return sb.toString();
  }
}
