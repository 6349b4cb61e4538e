package io.fdbmeta.embedded;

import com.apple.foundationdb.Database;
import io.fdbmeta.wire.ClusterTls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * Opens an in-process FoundationDB: a {@link Database} with FoundationDB's semantics, kept in
 * memory or durably in a directory.
 *
 * <pre>{@code
 * Database db = EmbeddedFdb.open(Path.of("data"));   // durable; one process at a time
 * Database mem = EmbeddedFdb.inMemory();              // gone when closed
 * Database client = EmbeddedFdb.connect("127.0.0.1:4690"); // served by `fdbmeta store serve`
 * Database faulty = EmbeddedFdb.builder()
 *     .clock(fakeClock)
 *     .faults(FaultPlan.seeded(42).notCommitted(0.05).commitUnknownResultApplied(0.02).build())
 *     .build();
 * }</pre>
 *
 * Nothing here loads {@code com.apple.foundationdb.FDB} or the native client.
 */
public final class EmbeddedFdb {
  private EmbeddedFdb() {}

  /**
   * Opens (creating if needed) a durable database in {@code dir}.
   *
   * @throws IllegalStateException if another process, or another open database in this one, holds
   *     the directory
   * @throws java.io.UncheckedIOException if the directory cannot be read or its contents are
   *     corrupt (the message names the file, the offset and what is wrong; nothing is changed, and
   *     {@link #salvage} opens what can be read)
   */
  public static EmbeddedDatabase open(Path dir) {
    return builder().directory(dir).build();
  }

  /**
   * Makes a durable directory that {@link #open} refuses as corrupt open again, keeping every
   * commit before the first damaged or missing log record and dropping the rest. Every file it
   * changes or removes is first copied into {@code salvage-<time>/} inside {@code dir}. Run it only
   * while nothing has the directory open.
   *
   * @throws IllegalStateException if the directory is in use
   * @throws IOException if it cannot be salvaged (its newest snapshot is damaged) or on I/O failure
   */
  public static SalvageReport salvage(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) throw new NoSuchFileException(dir.toString(), null, "no store");
    return FileCommitLog.salvage(dir);
  }

  /**
   * What {@link #salvage} did: one line per file it changed or moved out, saying what was wrong and
   * what was kept and dropped; empty if the directory was fine.
   *
   * @param backup where the original files went, or null if nothing was changed
   */
  public record SalvageReport(@Nullable Path backup, List<String> changes) {}

  /**
   * A client of the store served at {@code hostPort} (by {@link StoreServer}, as {@code fdbmeta
   * store serve} runs it), with FoundationDB's client/server split: read-your-writes, atomics and
   * conflict ranges here, read versions, reads, commits and watches there. It reconnects on its
   * own; a commit whose connection is lost fails with 1021 commit_unknown_result.
   */
  public static EmbeddedDatabase connect(String hostPort) {
    return builder().server(hostPort).build();
  }

  /** A fresh database that lives in memory until closed. */
  public static EmbeddedDatabase inMemory() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Options of an embedded database; every one has a sensible default. */
  public static final class Builder {
    @Nullable Path directory;
    @Nullable String server;
    @Nullable ClusterTls serverTls;
    Clock clock = Clock.systemUTC();
    FaultPlan faults = FaultPlan.none();
    @Nullable Executor executor;
    int maxWatches = 10_000;
    long checkpointBytes = 64L << 20;

    private Builder() {}

    /** Keep data durably in this directory; without it the database is in memory. */
    public Builder directory(Path dir) {
      this.directory = Objects.requireNonNull(dir, "directory");
      return this;
    }

    /**
     * Use the store served at {@code hostPort} instead of one in this process; directory and faults
     * then belong to the server.
     */
    public Builder server(String hostPort) {
      this.server = Objects.requireNonNull(hostPort, "hostPort");
      return this;
    }

    /**
     * Talk to the store server over mutual TLS with this certificate, one its CA signed (the server
     * requires it when started with TLS; see {@link StoreServer#start(EmbeddedDatabase,
     * InetSocketAddress, ClusterTls)}).
     */
    public Builder serverTls(ClusterTls tls) {
      this.serverTls = Objects.requireNonNull(tls, "tls");
      return this;
    }

    /** The clock behind versions, the 5 s transaction lifetime and timeouts. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public Builder faults(FaultPlan faults) {
      this.faults = Objects.requireNonNull(faults, "faults");
      return this;
    }

    /**
     * The default executor for transactions and callbacks; without one the database uses its own
     * cached daemon thread pool, as FoundationDB's client does.
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Outstanding watches allowed before 1032 {@code too_many_watches}; FoundationDB's default is
     * 10,000.
     */
    public Builder maxWatches(int maxWatches) {
      if (maxWatches < 0 || maxWatches > WatchSlots.ABSOLUTE_MAX) {
        throw new IllegalArgumentException("maxWatches must be in [0, 1000000], got " + maxWatches);
      }
      this.maxWatches = maxWatches;
      return this;
    }

    /** Log bytes after which a durable database writes a checkpoint and truncates its log. */
    public Builder checkpointBytes(long bytes) {
      if (bytes < 4096)
        throw new IllegalArgumentException("checkpointBytes must be >= 4096, got " + bytes);
      this.checkpointBytes = bytes;
      return this;
    }

    public EmbeddedDatabase build() {
      if (serverTls != null && server == null)
        throw new IllegalStateException("serverTls is for a served database: name its server");
      if (server != null && (directory != null || faults.isActive())) {
        throw new IllegalStateException(
            "a served database keeps its directory and faults in the server process");
      }
      return new EmbeddedDatabase(this);
    }
  }
}
