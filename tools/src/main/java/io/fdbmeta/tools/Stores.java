package io.fdbmeta.tools;

import com.apple.foundationdb.Database;
import io.fdbmeta.embedded.EmbeddedFdb;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Opens the {@link Database} the global options name. Order: {@code --embedded DIR}, then {@code
 * --cluster-file FILE}, then the {@code FDB_CLUSTER_FILE} environment variable, and when none is
 * given the embedded store in {@code ~/.fdbmeta/data}.
 *
 * <p>Only a real cluster needs the native client; that path goes through {@link RealCluster}, the
 * one class that touches {@code com.apple.foundationdb.FDB}, and only after the cluster file was
 * found, so every other path works on machines without libfdb_c.
 */
public final class Stores {
  /** The FoundationDB API version fdbmeta is written against. */
  public static final int FDB_API_VERSION = 730;

  static final String CLUSTER_FILE_ENV = "FDB_CLUSTER_FILE";

  private Stores() {}

  /** Which store a command line names. */
  sealed interface Choice permits Embedded, Cluster {}

  record Embedded(Path dir, boolean isDefault) implements Choice {}

  record Cluster(Path clusterFile, String source) implements Choice {}

  static Choice resolve(StoreOptions options, Map<String, String> env) {
    if (options.embeddedDir() != null) return new Embedded(options.embeddedDir(), false);
    if (options.clusterFile() != null) return new Cluster(options.clusterFile(), "--cluster-file");
    String fromEnv = env.get(CLUSTER_FILE_ENV);
    if (fromEnv != null && !fromEnv.isBlank())
      return new Cluster(Path.of(fromEnv), CLUSTER_FILE_ENV);
    return new Embedded(defaultEmbeddedDir(), true);
  }

  static Path defaultEmbeddedDir() {
    return Path.of(System.getProperty("user.home"), ".fdbmeta", "data");
  }

  /** Opens the store named by the global options of {@code spec}'s command line. */
  static OpenStore open(CommandSpec spec) {
    Choice choice = resolve(Main.storeOptions(spec), Main.env(spec));
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
