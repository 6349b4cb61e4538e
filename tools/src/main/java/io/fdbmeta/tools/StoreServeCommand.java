package io.fdbmeta.tools;

import io.fdbmeta.embedded.EmbeddedDatabase;
import io.fdbmeta.embedded.StoreServer;
import io.fdbmeta.wire.ClusterTls;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fdbmeta store serve}: owns a durable fdb-embedded store and serves it to other processes
 * ({@code fdbmeta --store HOST:PORT ...}), as a FoundationDB cluster serves its clients. Runs until
 * Ctrl-C or SIGTERM, then stops accepting, closes its connections and closes the store, so the
 * directory is released with every acknowledged commit on disk (kill -9 loses nothing acknowledged
 * either: the log is written before a commit is acknowledged).
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Serve a durable fdb-embedded store to other processes: run fdbmeta --store HOST:PORT ... (or"
          + " set FDBMETA_STORE) elsewhere to use it. Runs until Ctrl-C or SIGTERM."
    })
final class StoreServeCommand implements Callable<Integer> {
  static final String DEFAULT_LISTEN = "127.0.0.1:4690";

  @Spec CommandSpec spec;

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      description = "The store's directory (default: --embedded DIR, else ~/.fdbmeta/data).")
  @Nullable Path dir;

  @Option(
      names = "--listen",
      paramLabel = "HOST:PORT",
      defaultValue = DEFAULT_LISTEN,
      description =
          "Where to accept clients (default: ${DEFAULT-VALUE}; only this machine). Port 0 picks a free one.")
  String listen = DEFAULT_LISTEN;

  @Option(
      names = "--tls-cert",
      paramLabel = "FILE",
      description =
          "Serve over TLS with this certificate (PEM) and take only clients with a certificate"
              + " that --tls-ca signed (they connect with --store-tls-*); needs --tls-key and"
              + " --tls-ca. Default: plaintext.")
  @Nullable Path tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "FILE",
      description = "The private key of --tls-cert (PEM, PKCS#8, unencrypted).")
  @Nullable Path tlsKey;

  @Option(
      names = "--tls-ca",
      paramLabel = "FILE",
      description = "The CA certificate(s) (PEM) that client certificates must chain to.")
  @Nullable Path tlsCa;

  @Override
  public Integer call() throws InterruptedException {
    InetSocketAddress address = listenAddress();
    ClusterTls tls =
        ClusterTlsOption.load(spec, tlsCert, tlsKey, tlsCa, "--tls-cert, --tls-key and --tls-ca");
    Path directory = dir != null ? dir : embeddedDirOrDefault();
    EmbeddedDatabase db = (EmbeddedDatabase) Stores.openEmbedded(directory);
    StoreServer server;
    try {
      server = tls == null ? StoreServer.start(db, address) : StoreServer.start(db, address, tls);
    } catch (IllegalStateException e) {
      db.close();
      throw new CliException(1, e.getMessage(), e);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              server.close();
              db.close();
              stopped.countDown();
            },
            "store-serve-shutdown");
    Runtime.getRuntime().addShutdownHook(hook); // runs on SIGINT and SIGTERM
    PrintWriter out = spec.commandLine().getOut();
    InetSocketAddress bound = server.address();
    out.println(
        "serving fdb-embedded "
            + directory
            + " on "
            + bound.getHostString()
            + ":"
            + bound.getPort()
            + (tls == null ? "" : " over TLS, client certificates of " + tls.ca() + " required")
            + " (Ctrl-C to stop)");
    out.flush();
    stopped.await();
    return 0;
  }

  private InetSocketAddress listenAddress() {
    HostPort hp = HostPort.parseOption(spec, "--listen", listen);
    return new InetSocketAddress(hp.host(), hp.port());
  }

  private Path embeddedDirOrDefault() {
    Path embedded = Main.storeOptions(spec).embeddedDir();
    return embedded != null ? embedded : Stores.defaultEmbeddedDir();
  }
}
