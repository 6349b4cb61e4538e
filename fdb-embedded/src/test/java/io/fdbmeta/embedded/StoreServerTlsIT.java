package io.fdbmeta.embedded;

import static io.fdbmeta.embedded.StoreServerFixture.ANY_PORT;
import static io.fdbmeta.embedded.StoreServerFixture.hostPort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.apple.foundationdb.FDBException;
import com.apple.foundationdb.Transaction;
import io.fdbmeta.wire.ClusterTls;
import io.fdbmeta.wire.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store server with TLS (issue 14): a client with a certificate of the server's CA commits and
 * reads; a plaintext client and one whose certificate another CA signed get nothing.
 */
class StoreServerTlsIT {
  @TempDir static Path certs;
  @TempDir static Path otherCerts;

  @BeforeAll
  static void makeCertificates() throws Exception {
    TestCertificates.create(certs, List.of("127.0.0.1"));
    TestCertificates.create(otherCerts, List.of("127.0.0.1"));
  }

  private static ClusterTls tls(Path dir, String name) {
    return TestCertificates.clusterTls(dir, name);
  }

  @Test
  void aClientWithACertificateOfTheCaCommitsAndOthersGetNothing() {
    byte[] key = "k".getBytes(StandardCharsets.UTF_8);
    byte[] value = "over tls".getBytes(StandardCharsets.UTF_8);
    try (EmbeddedDatabase db = EmbeddedFdb.inMemory();
        StoreServer server = StoreServer.start(db, ANY_PORT, tls(certs, "store"))) {
      try (EmbeddedDatabase member =
          EmbeddedFdb.builder().server(hostPort(server)).serverTls(tls(certs, "client")).build()) {
        member.run(
            tr -> {
              tr.set(key, value);
              return null;
            });
        byte[] read = member.read(tr -> tr.get(key).join());
        assertThat(read).isEqualTo(value);
      }
      for (EmbeddedFdb.Builder stranger :
          List.of(
              EmbeddedFdb.builder().server(hostPort(server)),
              EmbeddedFdb.builder()
                  .server(hostPort(server))
                  .serverTls(tls(otherCerts, "client")))) {
        try (EmbeddedDatabase db2 = stranger.build();
            Transaction tr = db2.createTransaction()) {
          assertThatThrownBy(() -> tr.get(key).join())
              .isInstanceOf(CompletionException.class)
              .hasCauseInstanceOf(FDBException.class);
        }
      }
    }
  }
}
