package io.fdbmeta.router;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import javax.net.ssl.SSLException;

/**
 * The RESP port's TLS context from {@link RouterConfig.Tls}: PEM files read once at start (a new
 * certificate takes a restart), the JDK's provider, TLS 1.2 and 1.3 as the JDK enables them.
 */
final class RouterTls {
  private RouterTls() {}

  /** The server context; a file that cannot be used is an {@link IllegalArgumentException}. */
  static SslContext serverContext(RouterConfig.Tls t) {
    try {
      SslContextBuilder b =
          SslContextBuilder.forServer(t.cert().toFile(), t.key().toFile())
              .sslProvider(SslProvider.JDK);
      if (t.clientCa() != null)
        b.trustManager(t.clientCa().toFile())
            .clientAuth(t.requireClientCert() ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
      return b.build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "cannot use TLS certificate "
              + t.cert()
              + " with key "
              + t.key()
              + (t.clientCa() == null ? "" : " and client CA " + t.clientCa())
              + " (PEM files; the key PKCS#8, unencrypted): "
              + e.getMessage(),
          e);
    }
  }
}
