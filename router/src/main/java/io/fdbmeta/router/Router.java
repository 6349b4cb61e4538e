package io.fdbmeta.router;

import com.apple.foundationdb.Database;
import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.SchemaVersion;
import io.fdbmeta.layer.route.ChangeFeed;
import io.fdbmeta.wire.Command;
import io.fdbmeta.wire.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A running router: RESP on {@link #address()}, Prometheus metrics and health on {@link
 * #adminAddress()}, routing by a bounded route cache that follows the catalog's change feed.
 *
 * <pre>{@code
 * try (Router r = Router.start(RouterConfig.builder().port(0).build(), db, keyspace)) {
 *   InetSocketAddress resp = r.address();   // any Redis client
 * }                                          // close() drains commands in flight
 * }</pre>
 */
public final class Router implements AutoCloseable {
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  private final RouterConfig config;
  private final RouterMetrics metrics;
  private final RouteCache cache;
  private final RouteSync sync;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Map<EventLoop, Upstream> upstreams = new IdentityHashMap<>();
  private final ChannelGroup clients =
      new DefaultChannelGroup("router-clients", GlobalEventExecutor.INSTANCE);
  private final ConnectionLimiter limiter;
  private final Channel server;
  private final @Nullable AdminServer admin;
  private volatile boolean serving;
  private volatile boolean closed;
  private final long startedNanos = System.nanoTime();

  private Router(RouterConfig config, Database db, Keyspace ks) {
    this.config = config;
    this.metrics = new RouterMetrics();
    LayerConfig layer = LayerConfig.defaults();
    RangeCatalog catalog = new RangeCatalog(ks, layer);
    NodeRegistry registry = new NodeRegistry(ks, layer);
    this.cache =
        new RouteCache(
            config.routeCacheBytes(),
            key ->
                db.readAsync(
                    tr ->
                        catalog
                            .lookupAsync(tr, key)
                            .thenCombine(tr.getReadVersion(), RouteCache.Loaded::new)));
    this.sync =
        new RouteSync(
            db, catalog, cache, config.feedOptions(), config.loadPageSize(), config.fillFraction());
    boolean ok = false;
    EventLoopGroup b = null;
    EventLoopGroup w = null;
    AdminServer a = null;
    try {
      join(sync.startAsync());
      Transport transport = Transport.preferred();
      NodeDirectory directory =
          new NodeDirectory(
              id -> registry.getAsync(db, id),
              System::nanoTime,
              TimeUnit.MILLISECONDS.toNanos(200));
      b =
          new MultiThreadIoEventLoopGroup(
              1, new DefaultThreadFactory("router-accept", true), transport.ioHandlerFactory());
      w =
          new MultiThreadIoEventLoopGroup(
              config.ioThreads(),
              new DefaultThreadFactory("router-io", true),
              transport.ioHandlerFactory());
      for (EventExecutor e : w)
        upstreams.put(
            (EventLoop) e,
            new Upstream((EventLoop) e, directory, config, metrics, System::nanoTime));
      this.limiter =
          new ConnectionLimiter(
              config.maxConnections(), config.maxConnectionsPerAddress(), metrics);
      Services svc =
          new Services(config, cache, directory, metrics, Services.fixed(upstreams), this::info);
      ServerBootstrap sb =
          new ServerBootstrap()
              .group(b, w)
              .channel(transport.serverSocketChannel())
              .option(ChannelOption.SO_BACKLOG, 1024)
              .childOption(ChannelOption.AUTO_READ, false)
              .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childOption(
                  ChannelOption.WRITE_BUFFER_WATER_MARK,
                  new WriteBufferWaterMark(config.writeLowWaterMark(), config.writeHighWaterMark()))
              .childHandler(
                  new RouterChannelInitializer(
                      svc,
                      limiter,
                      clients,
                      config.tls() == null ? null : RouterTls.serverContext(config.tls())));
      this.server = sb.bind(config.host(), config.port()).syncUninterruptibly().channel();
      a =
          config.adminPort() < 0
              ? null
              : AdminServer.start(
                  config.adminHost(),
                  config.adminPort(),
                  adminRoutes(),
                  AdminServer.Limits.DEFAULT);
      this.admin = a;
      registerGauges();
      ok = true;
    } finally {
      if (!ok) {
        sync.close();
        if (a != null) a.close();
        if (b != null) b.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        if (w != null) w.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      }
    }
    this.boss = b;
    this.workers = w;
    this.serving = true;
  }

  /**
   * Loads the route cache from the catalog of {@code keyspace}, binds the RESP and admin ports and
   * starts serving.
   *
   * @throws io.fdbmeta.layer.MetaException if the catalog cannot be read
   * @throws io.netty.channel.ChannelException or an IOException wrapper if a port cannot be bound
   */
  public static Router start(RouterConfig config, Database db, Keyspace keyspace) {
    SchemaVersion.check(db, keyspace); // a newer metadata format is refused before anything loads
    return new Router(
        Objects.requireNonNull(config, "config"),
        Objects.requireNonNull(db, "db"),
        Objects.requireNonNull(keyspace, "keyspace"));
  }

  /**
   * {@code /metrics}; {@code /healthz} (the process answers); {@code /readyz} and its older name
   * {@code /health} (the route table is loaded and the router accepts clients; 503 before that and
   * while draining).
   */
  private Map<String, Supplier<AdminServer.Reply>> adminRoutes() {
    Supplier<AdminServer.Reply> ready =
        () ->
            serving
                ? AdminServer.Reply.text(200, "ok\n")
                : AdminServer.Reply.text(503, "unavailable\n");
    return Map.of(
        "/metrics",
        () -> new AdminServer.Reply(200, PROMETHEUS_TEXT, metrics.prometheus()),
        "/healthz",
        () -> AdminServer.Reply.text(200, "ok\n"),
        "/readyz",
        ready,
        "/health",
        ready);
  }

  private static void join(java.util.concurrent.CompletableFuture<?> f) {
    try {
      f.join();
    } catch (CompletionException e) {
      throw FdbErrors.translate(e);
    }
  }

  private void registerGauges() {
    metrics.gauge("route_cache_ranges", "Ranges in the route cache.", cache::size);
    metrics.gauge(
        "route_cache_bytes", "Estimated bytes of the route cache's descriptors.", cache::weight);
    metrics.gauge(
        "route_cache_max_bytes", "The route cache's configured weight.", cache::maxWeight);
    metrics.gauge(
        "route_cache_loads_total",
        "Descriptors loaded from the catalog on a miss or a redirect without one.",
        () -> cache.stats().loads());
    metrics.gauge(
        "route_cache_evictions_total",
        "Descriptors evicted to stay within the weight.",
        () -> cache.stats().evictions());
    metrics.gauge(
        "route_lag_versions",
        "How far the route cache is behind meta_version, in database versions.",
        this::lagVersions);
    metrics.gauge(
        "route_staleness_millis",
        "Milliseconds since the last successful catch-up with the change feed began.",
        () -> System.currentTimeMillis() - sync.feed().metrics().lastSyncedAtMillis());
    metrics.gauge("connections", "Open client connections.", limiter::open);
  }

  private long lagVersions() {
    ChangeFeed.Metrics m = sync.feed().metrics();
    return Math.max(0, m.metaVersion() - ChangeFeed.commitVersion(m.position()));
  }

  /** The RESP address (with the actual port if 0 was configured). */
  public InetSocketAddress address() {
    return (InetSocketAddress) server.localAddress();
  }

  /** The admin HTTP address, or null if disabled. */
  public @Nullable InetSocketAddress adminAddress() {
    return admin == null ? null : admin.address();
  }

  public RouterConfig config() {
    return config;
  }

  public RouteCache routeCache() {
    return cache;
  }

  public RouterMetrics metrics() {
    return metrics;
  }

  public ChangeFeed.Metrics feedMetrics() {
    return sync.feed().metrics();
  }

  /** Open client connections. */
  public int connections() {
    return limiter.open();
  }

  /**
   * The text of the INFO command: {@code sections} is INFO's arguments joined by spaces (empty,
   * {@code default}, {@code all} or {@code everything}: every section), section names in any case;
   * Redis's server, clients, stats and keyspace, then the router's own (router, routes). An unknown
   * section adds nothing, as in Redis.
   */
  public String info(String sections) {
    java.util.Set<String> want = new java.util.HashSet<>();
    for (String w : sections.trim().toLowerCase(java.util.Locale.ROOT).split("\\s+"))
      if (!w.isEmpty()) want.add(w);
    boolean all =
        want.isEmpty()
            || want.contains("all")
            || want.contains("default")
            || want.contains("everything");
    StringBuilder sb = new StringBuilder(1024);
    if (all || want.contains("server")) {
      section(sb, "Server");
      line(sb, "redis_version", ConnectionCommands.REDIS_VERSION);
      line(sb, "redis_mode", "standalone");
      line(sb, "fdbmeta_role", "router");
      line(sb, "process_id", ProcessHandle.current().pid());
      line(sb, "tcp_port", address().getPort());
      long up =
          java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startedNanos);
      line(sb, "uptime_in_seconds", up);
      line(sb, "uptime_in_days", up / 86_400);
    }
    if (all || want.contains("clients")) {
      section(sb, "Clients");
      line(sb, "connected_clients", limiter.open());
      line(sb, "rejected_connections", metrics.rejectedConnections());
    }
    if (all || want.contains("stats")) {
      section(sb, "Stats");
      line(sb, "total_commands_processed", metrics.requests());
      line(sb, "total_error_replies", metrics.failures() + metrics.clientErrors());
    }
    if (all || want.contains("keyspace")) {
      // the keys live on the storage nodes; DBSIZE across ranges is a later slice
      section(sb, "Keyspace");
    }
    if (all || want.contains("router")) {
      section(sb, "Router");
      line(sb, "requests", metrics.requests());
      line(sb, "errors", metrics.failures());
      line(sb, "protocol_errors", metrics.protocolErrors());
      line(sb, "client_errors", metrics.clientErrors());
      line(sb, "redirects", metrics.redirects());
      line(sb, "retries", metrics.retries());
      line(sb, "coalesced_gets", metrics.coalescedGets());
      line(sb, "connected_clients", limiter.open());
      line(sb, "rejected_connections", metrics.rejectedConnections());
      line(sb, "get_p50_micros_max", metrics.latency(Command.GET).quantileMicrosUpperBound(0.5));
      line(sb, "get_p99_micros_max", metrics.latency(Command.GET).quantileMicrosUpperBound(0.99));
    }
    if (all || want.contains("routes")) {
      RouteCache.Stats s = cache.stats();
      ChangeFeed.Metrics f = sync.feed().metrics();
      section(sb, "Routes");
      line(sb, "route_cache_ranges", s.size());
      line(sb, "route_cache_bytes", s.weight());
      line(sb, "route_cache_max_bytes", s.maxWeight());
      line(sb, "route_cache_loads", s.loads());
      line(sb, "route_cache_evictions", s.evictions());
      line(sb, "route_cache_redirects_applied", s.offersApplied());
      line(sb, "route_feed_commits", f.commits());
      line(sb, "route_feed_resets", f.resets());
      line(sb, "route_lag_versions", lagVersions());
    }
    return sb.toString();
  }

  /** A section header, after a blank line if one came before (Redis's layout). */
  private static void section(StringBuilder sb, String name) {
    if (sb.length() > 0) sb.append("\r\n");
    sb.append("# ").append(name).append("\r\n");
  }

  private static void line(StringBuilder sb, String name, Object value) {
    sb.append(name).append(':').append(value).append("\r\n");
  }

  /**
   * Stops accepting connections, lets every connection finish the commands it has read (up to the
   * drain timeout), then closes connections, upstreams and the change feed. Idempotent.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) return;
      closed = true;
    }
    serving = false;
    server.close().syncUninterruptibly();
    for (Channel c : clients) c.pipeline().fireUserEventTriggered(ClientHandler.DRAIN);
    long deadline = System.nanoTime() + config.drainTimeout().toNanos();
    while (!clients.isEmpty() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    clients.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
    for (Map.Entry<EventLoop, Upstream> e : upstreams.entrySet())
      e.getKey().submit(e.getValue()::close).awaitUninterruptibly(1, TimeUnit.SECONDS);
    if (admin != null) admin.close();
    sync.close();
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
  }
}
