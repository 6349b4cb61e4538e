package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.router.Users;
import io.fdbmeta.wire.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fdbmeta certs create}, {@code fdbmeta users hash} and the router's auth and TLS options.
 */
class SecurityCommandsTest {
  @Test
  void certsCreateWritesACaAndCertificatesForTheHosts(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("certs");
    Cli r = Cli.run("certs", "create", "--dir", dir.toString(), "--hosts", "127.0.0.1,db.local");
    assertThat(r.exitCode()).as(r.err()).isZero();
    for (String f : TestCertificates.FILES) assertThat(dir.resolve(f)).isNotEmptyFile();
    assertThat(r.out()).contains("redis-cli --tls --cacert " + dir.resolve("ca.pem"));
    var cert =
        (java.security.cert.X509Certificate)
            java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(Files.newInputStream(dir.resolve("server.pem")));
    List<Object> names = new java.util.ArrayList<>();
    for (List<?> n : cert.getSubjectAlternativeNames()) names.add(n.get(1));
    assertThat(names).containsExactly("127.0.0.1", "db.local");
    for (String role : List.of("node", "router")) {
      var c =
          (java.security.cert.X509Certificate)
              java.security.cert.CertificateFactory.getInstance("X.509")
                  .generateCertificate(Files.newInputStream(dir.resolve(role + ".pem")));
      assertThat(c.getSubjectX500Principal().getName()).contains("OU=" + role);
    }
    assertThat(r.out()).contains("--cluster-tls-cert " + dir.resolve("node.pem"));
  }

  /** Runs {@code fdbmeta users hash} with {@code input} on standard input (not a terminal). */
  private static Cli hash(String input, String... options) {
    java.util.function.Supplier<java.io.InputStream> before = UsersCommand.stdin;
    UsersCommand.stdin =
        () -> new java.io.ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8));
    try {
      String[] args = new String[options.length + 2];
      args[0] = "users";
      args[1] = "hash";
      System.arraycopy(options, 0, args, 2, options.length);
      return Cli.run(args);
    } finally {
      UsersCommand.stdin = before;
    }
  }

  @Test
  void usersHashReadsStandardInputAndMakesALineTheUsersFileAccepts() {
    Cli r = hash("correct horse battery\n");
    assertThat(r.exitCode()).as(r.err()).isZero();
    String hash = r.out().strip();
    assertThat(hash).matches("sha256\\$[0-9a-f]{32}\\$[0-9a-f]{64}");
    Users u = Users.parse(List.of("app " + hash + " +@all -@write"), "test");
    assertThat(u.names()).containsExactly("app");
    assertThat(hash("correct horse battery\n").out()).isNotEqualTo(r.out()); // fresh salt
  }

  @Test
  void usersHashRefusesAPasswordInTheCommandLineAndSaysWhy() {
    Cli r = hash("", "correct horse battery");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("refusing a password given on the command line", "ps");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void usersHashRefusesAShortPasswordUnlessAllowedWeak() {
    Cli r = hash("s3cret\n");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("the password has 6 characters; use at least 12");
    assertThat(r.out()).isEmpty();
    Cli weak = hash("s3cret\n", "--allow-weak");
    assertThat(weak.exitCode()).as(weak.err()).isZero();
    assertThat(weak.out().strip()).startsWith("sha256$");
    assertThat(hash("").err()).contains("no password on standard input");
    assertThat(hash("\n").err()).contains("the password is empty");
  }

  @Test
  void aBadUsersFileOrAHalfTlsPairIsAUsageErrorNamingIt(@TempDir Path tmp) throws Exception {
    Path users = tmp.resolve("users");
    Files.writeString(users, "app plaintext-password\n");
    Cli r = Cli.run("router", "--embedded", tmp.toString(), "--users", users.toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains(users + ":1: the password must be stored as sha256$SALT$HASH");
    r = Cli.run("router", "--embedded", tmp.toString(), "--tls-cert", users.toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("--tls-cert and --tls-key go together");
    r =
        Cli.run(
            "router",
            "--embedded",
            tmp.toString(),
            "--tls-cert",
            tmp.resolve("missing.pem").toString(),
            "--tls-key",
            users.toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err())
        .contains("TLS certificate file " + tmp.resolve("missing.pem") + " is missing");
  }
}
