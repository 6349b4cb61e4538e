package io.fdbmeta.tools;

import io.fdbmeta.router.Users;
import io.fdbmeta.wire.TestCertificates;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/*
 * `playground --secure`: every port of the playground authenticated and encrypted, with material
 * made for it in DIR/secure (TestCertificates, so a test CA whose key lies beside it):
 *
 *   store server   TLS with store.pem; its clients (every other process and the one-off commands)
 *                  show client.pem (--store-tls-*)
 *   nodes          mutual TLS on the node protocol with node.pem (--cluster-tls-*)
 *   routers        TLS on the RESP port with server.pem, AUTH with user "play" and a random
 *                  password (users, password), mutual TLS to the nodes with router.pem
 *   admin ports    a random bearer token (admin-token) on every /healthz, /readyz and /metrics
 *
 * Secrets are files of mode 0600; nothing secret goes on a command line, where ps would show it.
 */
/** The certificates, users and admin token of a secure playground, and the options using them. */
record PlaygroundSecurity(@Nullable Path dir) {
  static final String DIR = "secure";
  static final String USER = "play";

  /** A playground without any of it. */
  static final PlaygroundSecurity NONE = new PlaygroundSecurity(null);

  /** Makes the material in {@code home}/secure. */
  static PlaygroundSecurity create(Path home) throws IOException {
    Path d = home.resolve(DIR);
    TestCertificates.create(d, List.of("127.0.0.1", "localhost"));
    String password = random();
    secret(d.resolve("password"), password + "\n");
    secret(d.resolve("users"), USER + " " + Users.hash(password) + " +@all\n");
    secret(d.resolve("admin-token"), random() + "\n");
    return new PlaygroundSecurity(d);
  }

  /**
   * The admin token of the playground in {@code home}, or null if it is not secure.
   *
   * @throws CliException exit 1 if the token file exists but cannot be read
   */
  static @Nullable String adminToken(Path home) {
    Path f = home.resolve(DIR).resolve("admin-token");
    try {
      return Files.readString(f, StandardCharsets.UTF_8).strip();
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new CliException(1, "cannot read " + f + ": " + e.getMessage(), e);
    }
  }

  boolean on() {
    return dir != null;
  }

  /** {@code store serve}'s options. */
  List<String> storeServer() {
    return dir == null
        ? List.of()
        : List.of(
            "--tls-cert", file("store.pem"), "--tls-key", file("store.key"), "--tls-ca", ca());
  }

  /** Global options of every process that uses the store. */
  List<String> storeClient() {
    return dir == null
        ? List.of()
        : List.of(
            "--store-tls-cert",
            file("client.pem"),
            "--store-tls-key",
            file("client.key"),
            "--store-tls-ca",
            ca());
  }

  /** Options of every service with an admin port. */
  List<String> admin() {
    return dir == null ? List.of() : List.of("--admin-token-file", file("admin-token"));
  }

  /** {@code node}'s own options. */
  List<String> node() {
    return dir == null ? List.of() : cluster("node");
  }

  /** {@code router}'s own options. */
  List<String> router() {
    if (dir == null) return List.of();
    List<String> out =
        new ArrayList<>(
            List.of(
                "--tls-cert",
                file("server.pem"),
                "--tls-key",
                file("server.key"),
                "--users",
                file("users")));
    out.addAll(cluster("router"));
    return out;
  }

  /** The redis-cli options that reach a router of this playground. */
  String redisCli() throws IOException {
    if (dir == null) return "";
    String password = Files.readString(dir.resolve("password"), StandardCharsets.UTF_8).strip();
    return "--tls --cacert " + ca() + " --user " + USER + " --pass " + password + " ";
  }

  private List<String> cluster(String role) {
    return List.of(
        "--cluster-tls-cert",
        file(role + ".pem"),
        "--cluster-tls-key",
        file(role + ".key"),
        "--cluster-tls-ca",
        ca());
  }

  private String ca() {
    return file("ca.pem");
  }

  private String file(String name) {
    return Objects.requireNonNull(dir).resolve(name).toString();
  }

  private static String random() {
    byte[] b = new byte[16];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private static void secret(Path f, String content) throws IOException {
    Files.deleteIfExists(f);
    Files.createFile(f);
    try {
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: left as created
    }
    Files.writeString(f, content, StandardCharsets.UTF_8);
  }
}
