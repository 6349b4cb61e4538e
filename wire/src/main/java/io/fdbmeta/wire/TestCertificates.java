package io.fdbmeta.wire;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/*
 * A test CA and certificates for a playground, a demo or a test, made with the openssl command
 * (Debian's openssl package; no Java dependency): P-256 EC keys, PKCS#8 PEM without a passphrase
 * (what RouterTls and redis-cli read), SHA-256 signatures.
 *
 *   ca.pem      CA certificate (basicConstraints CA:TRUE, keyCertSign), 10 years: clients trust it
 *   ca.key      its key: whoever holds it can make certificates this CA vouches for (mode 0600)
 *   server.pem  server certificate, subjectAltName = the hosts (IP or DNS), serverAuth, 825 days
 *   server.key
 *   client.pem  client certificate (CN=fdbmeta client), clientAuth, for --tls-client-auth
 *   client.key
 *   node.pem    storage nodes' certificate (OU=node): serves their node protocol port and opens
 *   node.key    their connections to peers, so serverAuth and clientAuth (ClusterTls)
 *   router.pem  routers' certificate toward nodes (OU=router), clientAuth (ClusterTls)
 *   router.key
 *   store.pem   the store server's certificate (OU=store), serverAuth; its clients show any of the
 *   store.key   certificates above (ClusterTls.serveAnyCertificate)
 *
 * Not for production: the CA key lies beside the certificates, and nothing rotates them.
 */
/** Makes a test CA and the certificates of a secure playground with openssl; see the top. */
public final class TestCertificates {
  /** The files {@link #create} writes, by name. */
  public static final List<String> FILES =
      List.of(
          "ca.pem",
          "ca.key",
          "server.pem",
          "server.key",
          "client.pem",
          "client.key",
          "node.pem",
          "node.key",
          "router.pem",
          "router.key",
          "store.pem",
          "store.key");

  private TestCertificates() {}

  /**
   * Writes the files of {@link #FILES} into {@code dir} (created if missing; existing files are
   * replaced), the server certificate valid for {@code hosts} (IP addresses or DNS names).
   *
   * @throws IllegalStateException openssl is missing or fails (its output is in the message)
   */
  public static void create(Path dir, List<String> hosts) throws IOException {
    if (hosts.isEmpty()) throw new IllegalArgumentException("at least one host is needed");
    Files.createDirectories(dir);
    openssl(
        dir,
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-sha256",
        "-days",
        "3650",
        "-subj",
        "/CN=fdbmeta test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem");
    List<String> san = new ArrayList<>();
    for (String h : hosts)
      san.add((h.matches("[0-9.]+") || h.contains(":") ? "IP:" : "DNS:") + h.strip());
    leaf(
        dir,
        "server",
        "/CN=fdbmeta router",
        "serverAuth",
        "subjectAltName=" + String.join(",", san));
    leaf(dir, "client", "/CN=fdbmeta client", "clientAuth", null);
    leaf(
        dir,
        "node",
        "/O=fdbmeta/OU=" + ClusterTls.NODE_UNIT + "/CN=fdbmeta node",
        "serverAuth,clientAuth",
        "subjectAltName=" + String.join(",", san));
    leaf(
        dir,
        "router",
        "/O=fdbmeta/OU=" + ClusterTls.ROUTER_UNIT + "/CN=fdbmeta router",
        "clientAuth",
        null);
    leaf(
        dir,
        "store",
        "/O=fdbmeta/OU=store/CN=fdbmeta store",
        "serverAuth",
        "subjectAltName=" + String.join(",", san));
    for (String key :
        List.of("ca.key", "server.key", "client.key", "node.key", "router.key", "store.key")) {
      try {
        Files.setPosixFilePermissions(
            dir.resolve(key), PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system: left as created
      }
    }
  }

  /**
   * The cluster TLS material of certificate {@code name} ("node", "router", "client", "store") in a
   * directory {@link #create} wrote, with its CA.
   */
  public static ClusterTls clusterTls(Path dir, String name) {
    return ClusterTls.load(
        dir.resolve(name + ".pem"), dir.resolve(name + ".key"), dir.resolve("ca.pem"));
  }

  private static void leaf(
      Path dir,
      String name,
      String subject,
      String usage,
      @org.jspecify.annotations.Nullable String extra)
      throws IOException {
    Path ext = dir.resolve(name + ".ext");
    Files.writeString(
        ext,
        "basicConstraints=critical,CA:FALSE\n"
            + "keyUsage=critical,digitalSignature,keyEncipherment\n"
            + "extendedKeyUsage="
            + usage
            + "\n"
            + (extra == null ? "" : extra + "\n"),
        StandardCharsets.UTF_8);
    try {
      openssl(
          dir,
          "req",
          "-new",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:prime256v1",
          "-nodes",
          "-subj",
          subject,
          "-keyout",
          name + ".key",
          "-out",
          name + ".csr");
      byte[] serial = new byte[16];
      new SecureRandom().nextBytes(serial);
      serial[0] &= 0x7f;
      openssl(
          dir,
          "x509",
          "-req",
          "-sha256",
          "-days",
          "825",
          "-in",
          name + ".csr",
          "-CA",
          "ca.pem",
          "-CAkey",
          "ca.key",
          "-set_serial",
          "0x" + HexFormat.of().formatHex(serial),
          "-extfile",
          ext.getFileName().toString(),
          "-out",
          name + ".pem");
    } finally {
      Files.deleteIfExists(ext);
      Files.deleteIfExists(dir.resolve(name + ".csr"));
    }
  }

  private static void openssl(Path dir, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add("openssl");
    cmd.addAll(List.of(args));
    Process p;
    try {
      p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IllegalStateException(
          "the openssl command is needed to make certificates and was not found (on Debian:"
              + " apt-get install openssl): "
              + e.getMessage(),
          e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("openssl " + args[0] + " did not finish in 60 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IllegalStateException("interrupted while openssl ran", e);
    }
    if (p.exitValue() != 0)
      throw new IllegalStateException(
          "openssl "
              + String.join(" ", args)
              + " failed (exit "
              + p.exitValue()
              + "): "
              + out.strip());
  }
}
