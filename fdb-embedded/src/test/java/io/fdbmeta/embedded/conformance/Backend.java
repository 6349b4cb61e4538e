package io.fdbmeta.embedded.conformance;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.Transaction;
import io.fdbmeta.embedded.EmbeddedDatabase;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.embedded.FaultPlan;
import io.fdbmeta.embedded.StoreServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * One backend under test, for one test run: hands out the {@link Database} the test uses and
 * controls time.
 *
 * <p>Embedded backends open a fresh database per test whose clock is the system clock plus an
 * offset the test can advance ({@link #elapse}), so "5 seconds later" costs nothing. The served
 * backend runs a store server over a fresh in-memory database in this JVM, on a loopback port, and
 * hands the test a client of it; server and client share the shifted clock. The real backend shares
 * one database per JVM, clears the user keyspace ({@code ""} to {@code \xff}) before each test, and
 * really sleeps in {@link #elapse}.
 */
abstract class Backend implements AutoCloseable {

  enum Kind {
    EMBEDDED_MEMORY("embedded-memory"),
    EMBEDDED_DURABLE("embedded-durable"),
    EMBEDDED_SERVED("embedded-served"),
    FOUNDATIONDB("foundationdb");

    private final String label;

    Kind(String label) {
      this.label = label;
    }

    String label() {
      return label;
    }
  }

  /** What a test may ask of the database it opens; the defaults are FoundationDB's. */
  record Options(FaultPlan faults, int maxWatches) {
    static final int DEFAULT_MAX_WATCHES = 10_000;

    static Options defaults() {
      return new Options(FaultPlan.none(), DEFAULT_MAX_WATCHES);
    }

    Options withFaults(FaultPlan plan) {
      return new Options(plan, maxWatches);
    }

    Options withMaxWatches(int n) {
      return new Options(faults, n);
    }
  }

  private final Kind kind;

  Backend(Kind kind) {
    this.kind = kind;
  }

  static Backend create(Kind kind, String testName) throws IOException {
    return switch (kind) {
      case EMBEDDED_MEMORY -> new Embedded(kind, null);
      case EMBEDDED_DURABLE -> new Embedded(kind, Files.createTempDirectory("conformance-"));
      case EMBEDDED_SERVED -> new Served();
      case FOUNDATIONDB -> new Real(RealCluster.get().database());
    };
  }

  Kind kind() {
    return kind;
  }

  String name() {
    return kind.label();
  }

  boolean isEmbedded() {
    return kind != Kind.FOUNDATIONDB;
  }

  /** The database of this test run, with default options. */
  final Database db() {
    return db(Options.defaults());
  }

  /**
   * The database of this test run, opened with {@code options} on first use. Every later call must
   * ask for the same options.
   */
  abstract Database db(Options options);

  /**
   * Lets {@code d} pass on the database's clock: instant on embedded, a real sleep on a cluster.
   */
  abstract void elapse(Duration d);

  /** {@code db}, opened with {@code opened}; a test must not ask for other options later. */
  static Database sameOptions(Database db, Options opened, Options requested) {
    if (!requested.equals(opened)) {
      throw new IllegalStateException(
          "database already opened with " + opened + ", now asked for " + requested);
    }
    return db;
  }

  /** Skips this run unless the backend is embedded, saying what needs it. */
  void assumeEmbedded(String what) {
    Assumptions.assumeTrue(
        isEmbedded(), () -> what + " exists only in fdb-embedded; skipped on " + name());
  }

  @Override
  public abstract void close() throws IOException;

  @Override
  public String toString() {
    return name();
  }

  /** A clock that follows the system clock plus an offset tests advance. */
  static final class ShiftedClock extends Clock {
    private final AtomicLong offsetNanos = new AtomicLong();

    void advance(Duration d) {
      offsetNanos.addAndGet(d.toNanos());
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException("ShiftedClock is UTC only");
    }

    @Override
    public Instant instant() {
      return Instant.now().plusNanos(offsetNanos.get());
    }
  }

  private static final class Embedded extends Backend {
    private final Path directory; // null: in memory
    private final ShiftedClock clock = new ShiftedClock();
    private Database db;
    private Options options;

    Embedded(Kind kind, Path directory) {
      super(kind);
      this.directory = directory;
    }

    Path directory() {
      return directory;
    }

    @Override
    synchronized Database db(Options requested) {
      if (db != null) return sameOptions(db, options, requested);
      EmbeddedFdb.Builder builder =
          EmbeddedFdb.builder()
              .clock(clock)
              .faults(requested.faults())
              .maxWatches(requested.maxWatches());
      if (directory != null) builder.directory(directory);
      db = builder.build();
      options = requested;
      return db;
    }

    @Override
    void elapse(Duration d) {
      clock.advance(d);
    }

    @Override
    public synchronized void close() throws IOException {
      try {
        if (db != null) db.close();
      } finally {
        db = null;
        if (directory != null) deleteRecursively(directory);
      }
    }
  }

  private static final class Served extends Backend {
    private final ShiftedClock clock = new ShiftedClock();
    private EmbeddedDatabase served;
    private StoreServer server;
    private Database db;
    private Options options;

    Served() {
      super(Kind.EMBEDDED_SERVED);
    }

    @Override
    synchronized Database db(Options requested) {
      if (db != null) return sameOptions(db, options, requested);
      served = EmbeddedFdb.builder().clock(clock).faults(requested.faults()).build();
      server =
          StoreServer.start(served, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      InetSocketAddress at = server.address();
      db =
          EmbeddedFdb.builder()
              .clock(clock)
              .maxWatches(requested.maxWatches())
              .server(at.getHostString() + ":" + at.getPort())
              .build();
      options = requested;
      return db;
    }

    @Override
    void elapse(Duration d) {
      clock.advance(d);
    }

    @Override
    public synchronized void close() {
      try {
        if (db != null) db.close();
      } finally {
        if (server != null) server.close();
        if (served != null) served.close();
        db = null;
      }
    }
  }

  private static final class Real extends Backend {
    private final Database db;
    private boolean maxWatchesChanged;

    Real(Database db) {
      super(Kind.FOUNDATIONDB);
      this.db = db;
      clearUserKeyspace(db);
    }

    @Override
    synchronized Database db(Options requested) {
      Assumptions.assumeFalse(
          requested.faults().isActive(),
          "fault injection exists only in fdb-embedded; skipped on " + name());
      if (requested.maxWatches() != Options.DEFAULT_MAX_WATCHES) {
        db.options().setMaxWatches(requested.maxWatches());
        maxWatchesChanged = true;
      }
      return db;
    }

    @Override
    void elapse(Duration d) {
      try {
        Thread.sleep(d.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while letting time pass", e);
      }
    }

    @Override
    public synchronized void close() {
      if (maxWatchesChanged) db.options().setMaxWatches(Options.DEFAULT_MAX_WATCHES);
      clearUserKeyspace(db);
    }

    private static void clearUserKeyspace(Database db) {
      db.run(
          (Transaction tr) -> {
            tr.clear(new byte[0], new byte[] {(byte) 0xff});
            return null;
          });
    }
  }

  static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root)) return;
    try (Stream<Path> paths = Files.walk(root)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    }
  }
}
