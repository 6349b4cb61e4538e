package io.fdbmeta.tools;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.Transaction;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.wire.ClusterTls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Opens the {@link Database} the global options name. Order: {@code --embedded DIR}, {@code --store
 * HOST:PORT} or {@code --cluster-file FILE} (at most one), then the {@code FDBMETA_STORE} or {@code
 * FDB_CLUSTER_FILE} environment variable (not both), and when none is given the embedded store in
 * {@code ~/.fdbmeta/data}.
 *
 * <p>Only a real cluster needs the native client; that path goes through {@link RealCluster}, the
 * one class that touches {@code com.apple.foundationdb.FDB}, and only after the cluster file was
 * found, so every other path works on machines without libfdb_c.
 */
public final class Stores {
  /** The FoundationDB API version fdbmeta is written against. */
  public static final int FDB_API_VERSION = 730;

  static final String CLUSTER_FILE_ENV = "FDB_CLUSTER_FILE";
  static final String STORE_ENV = "FDBMETA_STORE";

  private Stores() {}

  /** Which store a command line names. */
  sealed interface Choice permits Embedded, Served, Cluster {}

  record Embedded(Path dir, boolean isDefault) implements Choice {}

  record Served(HostPort server, String source) implements Choice {}

  record Cluster(Path clusterFile, String source) implements Choice {}

  /**
   * The store the options and environment name.
   *
   * @throws IllegalArgumentException when the environment is ambiguous or malformed (a usage error)
   */
  static Choice resolve(StoreOptions options, Map<String, String> env) {
    if (options.embeddedDir() != null) return new Embedded(options.embeddedDir(), false);
    if (options.storeServer() != null)
      return new Served(HostPort.parse(options.storeServer()), "--store");
    if (options.clusterFile() != null) return new Cluster(options.clusterFile(), "--cluster-file");
    String server = nonBlank(env.get(STORE_ENV));
    String clusterFile = nonBlank(env.get(CLUSTER_FILE_ENV));
    if (server != null && clusterFile != null) {
      throw new IllegalArgumentException(
          STORE_ENV
              + " and "
              + CLUSTER_FILE_ENV
              + " are both set: unset one, or choose with --store or --cluster-file");
    }
    if (server != null) {
      try {
        return new Served(HostPort.parse(server), STORE_ENV);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(STORE_ENV + ": " + e.getMessage(), e);
      }
    }
    if (clusterFile != null) return new Cluster(Path.of(clusterFile), CLUSTER_FILE_ENV);
    return new Embedded(defaultEmbeddedDir(), true);
  }

  private static @Nullable String nonBlank(@Nullable String s) {
    return s == null || s.isBlank() ? null : s;
  }

  static Path defaultEmbeddedDir() {
    return Path.of(System.getProperty("user.home"), ".fdbmeta", "data");
  }

  /** Opens the store named by the global options of {@code spec}'s command line. */
  static OpenStore open(CommandSpec spec) {
    Choice choice;
    try {
      choice = resolve(Main.storeOptions(spec), Main.env(spec));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    if (choice instanceof Served s) {
      ClusterTls tls = Main.storeOptions(spec).storeTls(spec);
      return new OpenStore(
          connect(s.server(), tls),
          "fdb-embedded served by "
              + s.server()
              + (tls == null ? "" : " over TLS")
              + " (from "
              + s.source()
              + ")");
    }
    if (choice instanceof Cluster c) {
      StoreOptions.checkClusterFile(spec, c.clusterFile(), c.source());
      Database db = RealCluster.open(c.clusterFile());
      return new OpenStore(
          db, "FoundationDB cluster " + c.clusterFile() + " (from " + c.source() + ")");
    }
    Embedded e = (Embedded) choice;
    return new OpenStore(
        openEmbedded(e.dir()), "fdb-embedded " + e.dir() + (e.isDefault() ? " (default)" : ""));
  }

  /**
   * Connects to a store server, failing at once with a clear message when nothing answers there:
   * the client itself would keep reconnecting, right for a service, not for a one-shot command.
   */
  static Database connect(HostPort server, @Nullable ClusterTls tls) {
    try (Socket probe = new Socket()) {
      probe.connect(new InetSocketAddress(server.host(), server.port()), PROBE_TIMEOUT_MILLIS);
    } catch (IOException e) {
      throw new CliException(
          1,
          "no store server answers at "
              + server
              + " ("
              + e.getMessage()
              + "): start one with `fdbmeta store serve`",
          e);
    }
    EmbeddedFdb.Builder b = EmbeddedFdb.builder().server(server.toString());
    Database db = (tls == null ? b : b.serverTls(tls)).build();
    try {
      awaitReadVersion(db);
      return db;
    } catch (RuntimeException e) {
      db.close();
      throw new CliException(
          1,
          "the store server at "
              + server
              + " accepts connections but answered no read version within "
              + PROBE_TIMEOUT_MILLIS / 1000
              + " s ("
              + ErrorHandlers.describe(e)
              + (tls == null
                  ? "): if it serves TLS (store serve --tls-cert), connect with --store-tls-cert,"
                      + " --store-tls-key and --store-tls-ca"
                  : "): check that its CA signed --store-tls-cert and that --store-tls-ca signed"
                      + " its certificate"),
          e);
    }
  }

  /**
   * Asks for a read version until one comes or PROBE_TIMEOUT_MILLIS pass: a server that closes
   * every connection (one that wants TLS, or a certificate this client does not have) would
   * otherwise leave a one-shot command retrying forever.
   */
  private static void awaitReadVersion(Database db) {
    long deadline = System.nanoTime() + PROBE_TIMEOUT_MILLIS * 1_000_000L;
    while (true) {
      try (Transaction tr = db.createTransaction()) {
        tr.getReadVersion().get(PROBE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      } catch (ExecutionException | TimeoutException e) {
        if (System.nanoTime() > deadline)
          throw new IllegalStateException(e instanceof ExecutionException ? e.getCause() : e);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  private static final int PROBE_TIMEOUT_MILLIS = 5_000;

  static Database openEmbedded(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException ex) {
      throw new CliException(
          1, "cannot create the embedded store directory " + dir + ": " + ex, ex);
    }
    try {
      return EmbeddedFdb.open(dir);
    } catch (IllegalStateException | UncheckedIOException ex) {
      throw new CliException(
          1, "cannot open the embedded store in " + dir + ": " + ex.getMessage(), ex);
    }
  }

  /** An open store and a line saying which one it is; closing it closes the database. */
  record OpenStore(Database db, String description) implements AutoCloseable {
    @Override
    public void close() {
      db.close();
    }
  }
}
