package io.fdbmeta.tools;

import io.fdbmeta.wire.ClusterTls;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code --cluster-tls-cert/-key/-ca}: mutual TLS on the node protocol, for {@code fdbmeta node}
 * (its certificate says OU=node) and {@code fdbmeta router} (OU=router). See wire's ClusterTls.
 */
final class ClusterTlsOption {
  @Option(
      names = "--cluster-tls-cert",
      paramLabel = "FILE",
      description =
          "Mutual TLS between routers and nodes and between nodes, with this certificate (PEM,"
              + " OU=node for a node, OU=router for a router; 'fdbmeta certs create' makes test"
              + " ones). Needs --cluster-tls-key and --cluster-tls-ca. Default: plaintext.")
  @Nullable Path cert;

  @Option(
      names = "--cluster-tls-key",
      paramLabel = "FILE",
      description = "The private key of --cluster-tls-cert (PEM, PKCS#8, unencrypted).")
  @Nullable Path key;

  @Option(
      names = "--cluster-tls-ca",
      paramLabel = "FILE",
      description = "The cluster's CA certificate(s) (PEM): only certificates it signed connect.")
  @Nullable Path ca;

  /**
   * The loaded material, or null if none of the three is given; a partial set or an unusable file
   * is a usage error (exit 2) naming the options.
   */
  @Nullable ClusterTls load(CommandSpec spec) {
    return load(spec, cert, key, ca, "--cluster-tls-cert, --cluster-tls-key and --cluster-tls-ca");
  }

  /** Three TLS file options named {@code names} are all given or none: else a usage error. */
  static void requireAllOrNone(
      CommandSpec spec, @Nullable Path cert, @Nullable Path key, @Nullable Path ca, String names) {
    int given = (cert != null ? 1 : 0) + (key != null ? 1 : 0) + (ca != null ? 1 : 0);
    if (given != 0 && given != 3)
      throw new ParameterException(spec.commandLine(), names + " go together");
  }

  /**
   * The material of three options named {@code names}, or null if none is given; a partial set or
   * an unusable file is a usage error (exit 2).
   */
  static @Nullable ClusterTls load(
      CommandSpec spec, @Nullable Path cert, @Nullable Path key, @Nullable Path ca, String names) {
    requireAllOrNone(spec, cert, key, ca, names);
    if (cert == null || key == null || ca == null) return null;
    try {
      return ClusterTls.load(cert, key, ca);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }
}
