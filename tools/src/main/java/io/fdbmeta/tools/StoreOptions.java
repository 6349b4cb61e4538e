package io.fdbmeta.tools;

import io.fdbmeta.wire.ClusterTls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;

/**
 * Global options naming the store and the fdbmeta cluster inside it; inherited by every command.
 * Which store is used is decided by {@link Stores#resolve}.
 */
public final class StoreOptions {
  private static final Pattern CLUSTER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

  @Option(
      names = "--embedded",
      paramLabel = "DIR",
      scope = ScopeType.INHERIT,
      description =
          "Use fdb-embedded, durable in DIR (default when no cluster file is given: ~/.fdbmeta/data).")
  @Nullable Path embeddedDir;

  @Option(
      names = "--cluster-file",
      paramLabel = "FILE",
      scope = ScopeType.INHERIT,
      description =
          "Use the real FoundationDB cluster of this cluster file (also: FDB_CLUSTER_FILE). Needs libfdb_c.")
  @Nullable Path clusterFile;

  @Option(
      names = "--store",
      paramLabel = "HOST:PORT",
      scope = ScopeType.INHERIT,
      description =
          "Use the fdb-embedded store served by `fdbmeta store serve` at HOST:PORT (also: FDBMETA_STORE).")
  @Nullable String storeServer;

  @Option(
      names = "--store-tls-cert",
      paramLabel = "FILE",
      scope = ScopeType.INHERIT,
      description =
          "Connect to --store over TLS with this client certificate (PEM), for a store server run"
              + " with --tls-cert; needs --store-tls-key and --store-tls-ca.")
  @Nullable Path storeTlsCert;

  @Option(
      names = "--store-tls-key",
      paramLabel = "FILE",
      scope = ScopeType.INHERIT,
      description = "The private key of --store-tls-cert (PEM, PKCS#8, unencrypted).")
  @Nullable Path storeTlsKey;

  @Option(
      names = "--store-tls-ca",
      paramLabel = "FILE",
      scope = ScopeType.INHERIT,
      description = "The CA certificate(s) (PEM) the store server's certificate must chain to.")
  @Nullable Path storeTlsCa;

  @Option(
      names = "--cluster",
      paramLabel = "NAME",
      scope = ScopeType.INHERIT,
      defaultValue = "default",
      description =
          "The fdbmeta cluster: its metadata lives under /fdbmeta/NAME/ (default: ${DEFAULT-VALUE}).")
  String cluster = "default";

  public @Nullable Path embeddedDir() {
    return embeddedDir;
  }

  public @Nullable Path clusterFile() {
    return clusterFile;
  }

  public @Nullable String storeServer() {
    return storeServer;
  }

  public String cluster() {
    return cluster;
  }

  /**
   * The TLS material for the store server, or null: plaintext; an unusable file is a usage error.
   */
  @Nullable ClusterTls storeTls(CommandSpec spec) {
    return ClusterTlsOption.load(spec, storeTlsCert, storeTlsKey, storeTlsCa, STORE_TLS);
  }

  private static final String STORE_TLS = "--store-tls-cert, --store-tls-key and --store-tls-ca";

  /**
   * Checks the options before any command runs, so mistakes surface as one usage line (exit 2)
   * whatever the command. Only checks files named on the command line; FDB_CLUSTER_FILE is checked
   * when a command actually opens the store.
   */
  void validate(CommandSpec spec) {
    int named = (embeddedDir != null ? 1 : 0) + (clusterFile != null ? 1 : 0);
    named += storeServer != null ? 1 : 0;
    if (named > 1) {
      throw new ParameterException(
          spec.commandLine(),
          "--embedded, --store and --cluster-file are mutually exclusive: choose an embedded"
              + " directory, a store server or a real cluster");
    }
    if (storeServer != null) {
      try {
        HostPort.parse(storeServer);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--store " + e.getMessage());
      }
    }
    ClusterTlsOption.requireAllOrNone(spec, storeTlsCert, storeTlsKey, storeTlsCa, STORE_TLS);
    if (!CLUSTER_NAME.matcher(cluster).matches()) {
      throw new ParameterException(
          spec.commandLine(),
          "--cluster '"
              + cluster
              + "' is not a valid name: use 1-64 letters, digits, '.', '_' or '-'");
    }
    if (clusterFile != null) {
      checkClusterFile(spec, clusterFile, "--cluster-file");
    }
  }

  static void checkClusterFile(CommandSpec spec, Path file, String source) {
    if (!Files.isRegularFile(file)) {
      throw new ParameterException(spec.commandLine(), source + " " + file + ": no such file");
    }
    if (!Files.isReadable(file)) {
      throw new ParameterException(spec.commandLine(), source + " " + file + ": not readable");
    }
  }
}
