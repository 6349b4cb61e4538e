package io.fdbmeta.embedded.conformance;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.FDB;
import com.apple.foundationdb.KeyValue;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;

/**
 * The real FoundationDB cluster the suite runs against, if any: the one named by {@code
 * -Dfdb.cluster.file} / {@code FDB_CLUSTER_FILE}, else a {@code foundationdb/foundationdb:7.3.68}
 * container when Docker is available. Decided once per JVM; {@link Availability#reason()} says why
 * there is none.
 *
 * <p>This is the only class of the suite that touches {@link FDB}, and only after a child JVM has
 * shown that the native client loads: the class cannot be initialised without {@code libfdb_c}.
 *
 * <p>A cluster named by a cluster file must start empty: each test clears the whole user keyspace,
 * so the suite refuses to run against one holding data.
 */
final class RealCluster {
  static final String IMAGE = "foundationdb/foundationdb:7.3.68";
  static final int API_VERSION = 730;

  private static Availability availability;

  private RealCluster() {}

  /** Either a database or the reason there is none. */
  record Availability(Database database, String reason) {
    boolean isAvailable() {
      return database != null;
    }
  }

  static synchronized Availability get() {
    if (availability == null) {
      try {
        availability = discover();
      } catch (Exception | LinkageError e) {
        availability = new Availability(null, "could not reach a cluster: " + e);
      }
      if (!availability.isAvailable()) {
        System.err.println(
            "[conformance] real FoundationDB runs skipped: " + availability.reason());
      }
    }
    return availability;
  }

  private static Availability discover() throws Exception {
    String clusterFile = configuredClusterFile();
    if (clusterFile != null) {
      if (!Files.isReadable(Path.of(clusterFile))) {
        return new Availability(null, "cluster file " + clusterFile + " is not readable");
      }
      String native_ = nativeClientProblem();
      if (native_ != null) return new Availability(null, native_);
      Database db = FDB.selectAPIVersion(API_VERSION).open(clusterFile);
      db.options().setTransactionTimeout(30_000);
      List<KeyValue> existing =
          db.read(
              (com.apple.foundationdb.ReadTransaction tr) ->
                  tr.getRange(new byte[0], new byte[] {(byte) 0xff}, 1).asList().join());
      if (!existing.isEmpty()) {
        db.close();
        return new Availability(
            null,
            "cluster "
                + clusterFile
                + " holds data (the suite clears the whole user keyspace);"
                + " point FDB_CLUSTER_FILE at an empty test cluster");
      }
      return new Availability(db, null);
    }
    if (!DockerClientFactory.instance().isDockerAvailable()) {
      return new Availability(
          null,
          "neither FDB_CLUSTER_FILE (or -Dfdb.cluster.file) is set nor is Docker available for "
              + IMAGE);
    }
    String native_ = nativeClientProblem();
    if (native_ != null) return new Availability(null, native_);
    return new Availability(startContainer(), null);
  }

  private static String configuredClusterFile() {
    String fromProperty = System.getProperty("fdb.cluster.file", "").trim();
    // Maven leaves "${env.FDB_CLUSTER_FILE}" uninterpolated when the variable is unset.
    if (!fromProperty.isEmpty() && !fromProperty.startsWith("${")) return fromProperty;
    String fromEnv = System.getenv("FDB_CLUSTER_FILE");
    return fromEnv == null || fromEnv.isBlank() ? null : fromEnv.trim();
  }

  /** Null if the native client loads in a child JVM, else why not. */
  private static String nativeClientProblem() throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                NativeProbe.class.getName())
            .redirectErrorStream(true)
            .start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return "probing the native FoundationDB client timed out";
    }
    if (p.exitValue() == 0) return null;
    String text = new String(out, StandardCharsets.UTF_8).strip();
    String firstLine = text.lines().findFirst().orElse("exit " + p.exitValue());
    return "the native FoundationDB client (libfdb_c) does not load in this JVM: " + firstLine;
  }

  @SuppressWarnings("resource") // lives as long as the JVM; Testcontainers' reaper removes it
  private static Database startContainer() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    GenericContainer<?> fdb =
        new GenericContainer<>(IMAGE)
            .withEnv("FDB_NETWORKING_MODE", "host")
            .withEnv("FDB_PORT", Integer.toString(port))
            .withStartupTimeout(Duration.ofMinutes(2));
    // The server advertises 127.0.0.1:port, so the host port must equal the container port.
    fdb.setPortBindings(List.of(port + ":" + port));
    fdb.start();
    fdb.execInContainer("fdbcli", "--exec", "configure new single memory");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (true) {
      Container.ExecResult status =
          fdb.execInContainer("fdbcli", "--timeout", "5", "--exec", "status minimal");
      if (status.getStdout().contains("The database is available")) break;
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("container cluster not available: " + status.getStdout());
      }
      Thread.sleep(500);
    }
    Path clusterFile = Files.createTempFile("conformance-", ".cluster");
    Files.writeString(clusterFile, "docker:docker@127.0.0.1:" + port + "\n");
    clusterFile.toFile().deleteOnExit();
    Database db = FDB.selectAPIVersion(API_VERSION).open(clusterFile.toString());
    db.options().setTransactionTimeout(30_000);
    return db;
  }

  /** Child-JVM entry point: exits 0 if the FoundationDB native client loads. */
  static final class NativeProbe {
    public static void main(String[] args) {
      try {
        FDB.selectAPIVersion(API_VERSION);
        System.exit(0);
      } catch (Throwable t) {
        System.out.println(t);
        System.exit(1);
      }
    }
  }
}
