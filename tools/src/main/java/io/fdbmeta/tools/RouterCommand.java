package io.fdbmeta.tools;

import io.fdbmeta.layer.route.ChangeFeed;
import io.fdbmeta.router.Router;
import io.fdbmeta.router.RouterConfig;
import io.fdbmeta.router.UpstreamFailure;
import io.fdbmeta.router.Users;
import io.fdbmeta.tools.ServiceAdmin.Readiness;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/*
 * `fdbmeta router`: the RESP routing proxy (router's Router) as a service process. In order:
 *  1. Binds the admin port (ServiceAdmin), so /healthz answers at once and /readyz says what the
 *     process waits for. The Router's own admin server is off: one admin port per process, the
 *     same three paths as every fdbmeta service.
 *  2. Opens the store the global options name, and the --cluster's keyspace.
 *  3. Router.start: loads the whole route table from the catalog, then binds --listen. Ready once
 *     it returns. A taken --listen port is one line naming it, exit 1.
 *  4. Logs one line per significant event. The router library has no event listener (and this
 *     slice may not change it), so a watcher reads its counters every WATCH_INTERVAL and logs what
 *     changed: the route table reloaded from the catalog (a change feed reset), and storage node
 *     connections lost or refused (how many; the counters do not say which node).
 *  5. On SIGTERM or SIGINT (ServiceShutdown): not ready, Router.close, which stops accepting,
 *     lets every connection finish the commands it has read (up to its drain timeout) and closes;
 *     exit 0.
 */
/** {@code fdbmeta router}: see the comment at the top. */
@Command(
    name = "router",
    mixinStandardHelpOptions = true,
    description = {
      "Run the RESP routing proxy against the store the global options name, until Ctrl-C or"
          + " SIGTERM, which stop accepting clients and finish the commands in flight. Any Redis"
          + " client can connect to --listen; run several behind a TCP load balancer.",
      "Logs one line per event; serves /healthz, /readyz and /metrics on --admin."
    })
final class RouterCommand implements Callable<Integer> {
  static final String DEFAULT_LISTEN = "127.0.0.1:6380";

  /** How often the watcher reads the router's counters for the log. */
  static final Duration WATCH_INTERVAL = Duration.ofMillis(500);

  @Spec CommandSpec spec;

  @Option(
      names = "--listen",
      paramLabel = "HOST:PORT",
      defaultValue = DEFAULT_LISTEN,
      description =
          "Where Redis clients connect (default: ${DEFAULT-VALUE}; port 0: a free port, printed at"
              + " start).")
  String listen = DEFAULT_LISTEN;

  @Mixin AdminOption admin = new AdminOption();

  @Option(
      names = "--users",
      paramLabel = "FILE",
      description =
          "Turn AUTH on with the users of FILE: one 'NAME sha256$SALT$HASH [+@all [-@write]]' a"
              + " line ('fdbmeta users hash' makes the hash; '+@all -@write' is read-only; user"
              + " 'default' is the one 'AUTH password' means). Default: auth off.")
  @Nullable Path users;

  @Option(
      names = "--tls-cert",
      paramLabel = "FILE",
      description =
          "Serve --listen over TLS with this certificate chain (PEM); needs --tls-key."
              + " 'fdbmeta certs create' makes test ones.")
  @Nullable Path tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "FILE",
      description = "The private key of --tls-cert (PEM, PKCS#8, unencrypted).")
  @Nullable Path tlsKey;

  @Option(
      names = "--tls-ca",
      paramLabel = "FILE",
      description = "CA certificate(s) (PEM) to check client certificates against.")
  @Nullable Path tlsCa;

  @Option(
      names = "--tls-client-auth",
      description = "Require a client certificate signed by --tls-ca.")
  boolean tlsClientAuth;

  @Option(
      names = "--max-connections-per-address",
      paramLabel = "N",
      description =
          "Most client connections from one source IP address (default: 1000, a tenth of the"
              + " 10000 total). Behind a TCP load balancer every client has its address: set"
              + " 10000 there.")
  @Nullable Integer maxConnectionsPerAddress;

  @Mixin ClusterTlsOption clusterTls = new ClusterTlsOption();

  @Mixin ConfigFile.ConfigOption configFile = new ConfigFile.ConfigOption();

  private volatile boolean stopping;
  private long lastResets; // only touched on the watcher thread
  private long lastLost;
  private long lastRefused;

  @Override
  public Integer call() throws InterruptedException {
    HostPort resp = HostPort.parseOption(spec, "--listen", listen);
    HostPort where = admin.address(spec);
    RouterConfig.Builder security =
        security(spec, users, tlsCert, tlsKey, tlsCa, tlsClientAuth)
            .clusterTls(clusterTls.load(spec));
    try {
      if (maxConnectionsPerAddress != null)
        security.maxConnectionsPerAddress(maxConnectionsPerAddress);
    } catch (IllegalArgumentException e) {
      throw ConfigFile.badValue(spec, "--max-connections-per-address", e.getMessage());
    }
    ServiceAdmin adminPort = ServiceAdmin.start("router", where, admin.token(spec));
    MetaSession session = adminPort.openStore(spec);
    Router router;
    adminPort.readiness(() -> Readiness.notReady("loading the route table"));
    try {
      router =
          Router.start(
              security
                  .host(resp.host())
                  .port(resp.port())
                  .adminPort(-1)
                  .cluster(session.cluster())
                  .build(),
              session.db(),
              session.keyspace());
    } catch (Exception e) { // Netty's bind failure is a checked exception, thrown unchecked
      adminPort.close();
      session.close();
      throw BindFailures.listenFailure(e, resp, "--listen");
    }
    ServiceLog log =
        new ServiceLog(
            spec.commandLine().getOut(), "router " + hostPort(router.address()), Clock.systemUTC());
    adminPort.metrics(text -> text.include(router.metrics().prometheus()));
    adminPort.readiness(
        () ->
            stopping
                ? Readiness.notReady("stopping")
                : Readiness.ready(
                    "serving "
                        + router.routeCache().size()
                        + " ranges, "
                        + router.connections()
                        + " clients"));
    lastResets = router.feedMetrics().resets();
    log.info(
        "started: store "
            + session.storeDescription()
            + ", cluster '"
            + session.cluster()
            + "', listen "
            + hostPort(router.address())
            + (tlsCert == null
                ? ""
                : " (TLS" + (tlsClientAuth ? ", client certificates" : "") + ")")
            + (clusterTls.cert == null ? "" : ", mutual TLS to nodes")
            + (users == null
                ? ""
                : ", auth on (" + router.config().users().names().size() + " users)")
            + ", admin "
            + hostPort(adminPort.address())
            + ", "
            + router.routeCache().size()
            + " ranges loaded");
    ScheduledExecutorService watcher = ServiceShutdown.daemonScheduler("router-watch");
    watcher.scheduleWithFixedDelay(
        () -> watch(router, log),
        WATCH_INTERVAL.toMillis(),
        WATCH_INTERVAL.toMillis(),
        TimeUnit.MILLISECONDS);
    return ServiceShutdown.runUntilSignalled(
        log,
        stopDeadline(router.config()),
        step -> {
          stopping = true;
          watcher.shutdownNow();
          step.accept("finishing the commands in flight");
          log.info(
              "stopping: no new clients; finishing the commands in flight of "
                  + router.connections()
                  + " clients");
          router.close();
          log.info("stopped after " + router.metrics().requests() + " commands");
          step.accept("closing the admin port and the store");
          adminPort.close();
          session.close();
        });
  }

  private void watch(Router router, ServiceLog log) {
    try {
      ChangeFeed.Metrics f = router.feedMetrics();
      if (f.resets() > lastResets) {
        log.warn(
            "route table reloaded from the catalog (change feed reset; "
                + (f.resets() - lastResets)
                + " since the last line), "
                + router.routeCache().size()
                + " ranges");
        lastResets = f.resets();
      }
      long lost = router.metrics().failures(UpstreamFailure.CONNECTION_LOST);
      long refused = router.metrics().failures(UpstreamFailure.CONNECT_FAILED);
      if (lost > lastLost || refused > lastRefused) {
        log.warn(
            "storage node connection lost: "
                + (lost - lastLost)
                + " requests failed on a lost connection, "
                + (refused - lastRefused)
                + " connection attempts failed in the last "
                + WATCH_INTERVAL.toMillis()
                + " ms");
        lastLost = lost;
        lastRefused = refused;
      }
    } catch (RuntimeException e) {
      log.warn("could not read the router's counters: " + ErrorHandlers.describe(e));
    }
  }

  /**
   * A builder with auth and TLS as the options say, checked before anything starts: a bad file or a
   * missing pair is a usage error (exit 2) naming the option.
   */
  static RouterConfig.Builder security(
      CommandSpec spec,
      @Nullable Path users,
      @Nullable Path cert,
      @Nullable Path key,
      @Nullable Path ca,
      boolean clientAuth) {
    RouterConfig.Builder b = RouterConfig.builder();
    try {
      if (users != null) b.users(Users.load(users));
      if ((cert == null) != (key == null))
        throw new IllegalArgumentException("--tls-cert and --tls-key go together");
      if (cert == null && (ca != null || clientAuth))
        throw new IllegalArgumentException("--tls-ca and --tls-client-auth need --tls-cert");
      if (cert != null) b.tls(new RouterConfig.Tls(cert, key, ca, clientAuth));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    return b;
  }

  /** How long a clean stop may take: the drain, then closing the admin port and the store. */
  static Duration stopDeadline(RouterConfig config) {
    return config.drainTimeout().plusSeconds(10);
  }

  static String hostPort(InetSocketAddress a) {
    return a.getHostString() + ":" + a.getPort();
  }
}
