package io.fdbmeta.tools.demo;

import com.apple.foundationdb.Database;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.control.ControllerConfig;
import io.fdbmeta.layer.control.ControllerEvent;
import io.fdbmeta.layer.control.ControllerStats;
import io.fdbmeta.router.Router;
import io.fdbmeta.router.RouterConfig;
import io.fdbmeta.router.Users;
import io.fdbmeta.storage.LocalCluster;
import io.fdbmeta.storage.StorageNode;
import io.fdbmeta.storage.StorageNodeConfig;
import io.fdbmeta.tools.BindFailures;
import io.fdbmeta.wire.ClusterTls;
import io.fdbmeta.wire.RespClient;
import io.fdbmeta.wire.RespValue;
import io.fdbmeta.wire.TestCertificates;
import io.fdbmeta.wire.Transport;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/*
 * What `fdbmeta demo` does, in order:
 *  1. Opens fdb-embedded durable in the data directory and starts a LocalCluster under a new
 *     cluster name: storage nodes over 3 zones x 2 racks, the keyspace pre-split into 4 ranges,
 *     3 replicas each in distinct zones, one leaseholder each.
 *  2. Starts the routers on 127.0.0.1, consecutive ports from --port, each with an admin port for
 *     Prometheus metrics.
 *  3. Runs DemoWorkload through the routers and, every few seconds, splits the range that served
 *     the most requests since the last split (two-phase, by its leaseholder, while serving).
 *  4. Runs the layer's Controller beside the cluster (short leases, so things happen within
 *     seconds) and DemoScenario: a node killed mid-run fails over and restarts, then a node is
 *     added and the rebalancer moves replicas onto it; the controller's actions are printed as
 *     they happen. Times are fractions of --duration, or fixed without it.
 *  5. Prints a progress line every 2 s; on the deadline or Ctrl-C stops the workload, reads every
 *     acknowledged write back through a router and checks it on every replica, and prints the
 *     summary.
 */
/** Runs the demo; see the comment at the top of this file. */
public final class Demo {
  /** Options of one run; see DemoCommand for their meaning. */
  public record Options(
      int nodes,
      int routers,
      int port,
      @Nullable Duration duration,
      Path dataDir,
      int clients,
      Duration splitEvery,
      int maxRanges,
      long seed,
      Duration lease,
      boolean steady,
      boolean secure) {
    public Options {
      if (nodes < 3)
        throw new IllegalArgumentException(
            "--nodes must be at least 3 (3 replicas in distinct zones), got " + nodes);
      if (routers < 1)
        throw new IllegalArgumentException("--routers must be at least 1, got " + routers);
      if (port < 0 || port + routers - 1 > 65535)
        throw new IllegalArgumentException(
            "--port must leave room for "
                + routers
                + " router port(s) below 65536 (0: any free port), got "
                + port);
      if (duration != null && duration.isNegative())
        throw new IllegalArgumentException("--duration must not be negative");
      if (clients < 1)
        throw new IllegalArgumentException("--clients must be at least 1, got " + clients);
      if (lease.compareTo(MAX_CLOCK_OFFSET.multipliedBy(4)) < 0
          || lease.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException(
            "--lease must be in [1s, 60s], got " + lease.toMillis() + " ms");
      }
    }

    /** Leases, and liveness as long; the max clock offset is fixed. */
    LayerConfig layer() {
      return LayerConfig.builder()
          .leaseDuration(lease)
          .livenessDuration(lease)
          .maxClockOffset(MAX_CLOCK_OFFSET)
          .build();
    }

    /**
     * A quick controller: a tick of 1/20 lease (at most 1 s), rebalancing every half lease (at
     * least 1 s).
     */
    ControllerConfig.Builder controller(ControllerConfig.Builder b) {
      return b.tickInterval(tickInterval()).rebalanceInterval(rebalanceInterval());
    }

    Duration tickInterval() {
      return Duration.ofMillis(Math.max(50, Math.min(1000, lease.toMillis() / 20)));
    }

    Duration rebalanceInterval() {
      return Duration.ofMillis(Math.max(1000, lease.toMillis() / 2));
    }

    /**
     * When the node failure starts: a fifth into the run, or at 20 s without --duration; -1 with
     * --steady.
     */
    long killAtMillis() {
      return steady ? -1 : duration == null ? 20_000 : duration.toMillis() / 5;
    }

    /**
     * When the node is added: half-way, or at 45 s without --duration (and never before the
     * failure's restart); -1 with --steady.
     */
    long addAtMillis() {
      return steady ? -1 : duration == null ? 45_000 : duration.toMillis() / 2;
    }
  }

  /**
   * Fixed: the demo's nodes share one clock, and 250 ms keeps it near production's share of the
   * lease (500 ms of 9 s).
   */
  static final Duration MAX_CLOCK_OFFSET = Duration.ofMillis(250);

  /** What the summary reports; {@link #lostWrites} must be 0. */
  public record Summary(
      double seconds,
      long requests,
      long acknowledgedWrites,
      long errors,
      long staleReads,
      long redirects,
      int splits,
      int ranges,
      DemoWorkload.Verification viaRouter,
      java.util.Map<String, Long> errorKinds,
      DemoWorkload.Verification onReplicas,
      DemoScenario.Outcome scenario,
      long rebalanceMoves,
      java.util.Map<String, Integer> replicasPerNode) {
    /** Acknowledged writes found lost, through the router or on a replica. */
    public long lostWrites() {
      return viaRouter.lost() + onReplicas.lost();
    }
  }

  private static final long PROGRESS_EVERY_MILLIS = 2_000;
  private static final int INITIAL_RANGES = 4;

  private final Options options;
  private final PrintWriter out;

  public Demo(Options options, PrintWriter out) {
    this.options = options;
    this.out = out;
  }

  /**
   * Runs until the duration has passed or {@code stop} says so (polled a few times a second).
   *
   * @throws IOException if a router port is taken or a client cannot connect
   */
  public Summary run(BooleanSupplier stop) throws IOException {
    String cluster = "demo-" + Long.toString(System.currentTimeMillis(), 36);
    EventLoopGroup clientLoops =
        new MultiThreadIoEventLoopGroup(1, Transport.preferred().ioHandlerFactory());
    List<Router> routers = new ArrayList<>();
    List<RespClient> clients = new ArrayList<>();
    Queue<ControllerEvent> events = new ConcurrentLinkedQueue<>();
    Secure secure = options.secure() ? Secure.create(options.dataDir().resolve("tls")) : null;
    try (Database db = EmbeddedFdb.open(options.dataDir());
        LocalCluster cluster0 = startCluster(db, cluster, events, secure)) {
      LocalCluster c = cluster0;
      for (int i = 0; i < options.routers(); i++)
        routers.add(
            startRouter(db, c, cluster, options.port() == 0 ? 0 : options.port() + i, secure));
      banner(c, routers, secure);

      for (int i = 0; i < options.clients(); i++)
        clients.add(connect(clientLoops, routers.get(i % routers.size()).address(), secure));
      DemoWorkload workload = new DemoWorkload(clients, true);
      Splitter splitter = new Splitter(c, workload);
      DemoScenario scenario =
          new DemoScenario(
              c,
              events,
              workload,
              out,
              options.lease().toMillis(),
              options.killAtMillis(),
              options.addAtMillis());
      long start = System.nanoTime();
      workload.start(options.seed());
      long nextProgress = PROGRESS_EVERY_MILLIS;
      long nextSplit = options.splitEvery().toMillis();
      long lastRequests = 0;
      long lastProgressNanos = start;
      while (!stop.getAsBoolean()) {
        long elapsed = (System.nanoTime() - start) / 1_000_000;
        if (options.duration() != null && elapsed >= options.duration().toMillis()) break;
        scenario.step(elapsed);
        if (elapsed >= nextSplit) {
          nextSplit += options.splitEvery().toMillis();
          if (c.ranges().size() < options.maxRanges() && !scenario.failingOver())
            splitter.splitHottest(out);
        }
        if (elapsed >= nextProgress) {
          nextProgress += PROGRESS_EVERY_MILLIS;
          long now = System.nanoTime();
          long r = workload.requests();
          progress(
              elapsed,
              (r - lastRequests) * 1e9 / (now - lastProgressNanos),
              workload,
              routers,
              splitter.splits(),
              c.ranges().size(),
              c.nodes().size());
          lastRequests = r;
          lastProgressNanos = now;
        }
        sleep(100);
      }

      workload.stop();
      long elapsed = (System.nanoTime() - start) / 1_000_000;
      double seconds = elapsed / 1e3;
      // the controller runs on while the router is read, so a failover under way finishes
      out.println(
          "demo: stopped the workload; reading every acknowledged write back through the router...");
      out.flush();
      DemoWorkload.Verification v;
      try (RespClient checker = connect(clientLoops, routers.get(0).address(), secure)) {
        v = workload.verify(checker, options.lease().multipliedBy(3).plusSeconds(2));
      }
      ControllerStats stats =
          c.controller()
              .map(
                  ctl -> {
                    ctl.stop(); // no more moves while the replicas are checked
                    return ctl.stats();
                  })
              .orElseThrow();
      DemoScenario.Outcome outcome = scenario.outcome(elapsed); // prints its last actions
      out.println(
          "demo: stopped the controller; checking every acknowledged write on every replica...");
      out.flush();
      awaitReplicasSynced(c);
      DemoWorkload.Verification onReplicas = workload.verifyOnReplicas(c);
      long redirects = routers.stream().mapToLong(r -> r.metrics().redirects()).sum();
      Summary s =
          new Summary(
              seconds,
              workload.requests(),
              workload.acknowledgedWrites(),
              workload.errors(),
              workload.staleReads(),
              redirects,
              splitter.splits(),
              c.ranges().size(),
              v,
              workload.errorKinds(),
              onReplicas,
              outcome,
              stats.rebalanceMoves(),
              replicasPerNode(c));
      summary(s);
      return s;
    } finally {
      for (RespClient client : clients) client.close();
      for (Router r : routers) r.close();
      clientLoops
          .shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS)
          .syncUninterruptibly();
    }
  }

  /**
   * Waits (up to 30 s) until every replica on a running node finished copying its range's data, so
   * each can be checked.
   */
  private static void awaitReplicasSynced(LocalCluster c) {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (System.nanoTime() - deadline < 0) {
      if (c.runningReplicasSynced()) return;
      sleep(20);
    }
    throw new IllegalStateException("replicas still copying their data after 30 s");
  }

  private static Map<String, Integer> replicasPerNode(LocalCluster c) {
    Map<String, Integer> out =
        new TreeMap<>(Comparator.comparingInt((String n) -> n.length()).thenComparing(n -> n));
    for (StorageNode n : c.nodes()) out.put(n.nodeId(), 0);
    for (RangeDescriptor d : c.ranges())
      for (String n : d.replicas()) out.merge(n, 1, Integer::sum);
    return out;
  }

  private LocalCluster startCluster(
      Database db, String cluster, Queue<ControllerEvent> events, @Nullable Secure secure) {
    List<byte[]> splitKeys = new ArrayList<>();
    for (int i = 1; i < INITIAL_RANGES; i++)
      splitKeys.add(DemoWorkload.keyBytes(i * DemoWorkload.KEYS / INITIAL_RANGES));
    out.printf(
        Locale.ROOT,
        "demo: starting %d storage nodes over 3 zones x 2 racks (store: fdb-embedded in %s, cluster '%s')%n",
        options.nodes(),
        options.dataDir(),
        cluster);
    out.flush();
    return LocalCluster.start(
        db,
        cluster,
        options.layer(),
        LocalCluster.Options.builder()
            .nodes(options.nodes())
            .replication(3)
            .splitKeys(splitKeys)
            .controller(options::controller)
            .controllerListener(events::add)
            .nodeConfig(n -> secure == null ? n : n.tls(secure.cluster("node")))
            .build());
  }

  /**
   * --secure: a test CA and certificates in the data directory's tls/ (TestCertificates), and one
   * user "demo" with a random password; the routers serve TLS and AUTH, the workload uses both, and
   * routers and nodes speak the node protocol over mutual TLS (ClusterTls).
   */
  record Secure(Path dir, String password, Users users, SslContext client) {
    static Secure create(Path dir) throws IOException {
      TestCertificates.create(dir, List.of("127.0.0.1", "localhost"));
      byte[] b = new byte[12];
      new SecureRandom().nextBytes(b);
      String password = HexFormat.of().formatHex(b);
      Users users = Users.parse(List.of("demo " + Users.hash(password) + " +@all"), "demo");
      SslContext client =
          SslContextBuilder.forClient().trustManager(dir.resolve("ca.pem").toFile()).build();
      return new Secure(dir, password, users, client);
    }

    /** The cluster TLS material of {@code role}'s certificate ("node" or "router"). */
    ClusterTls cluster(String role) {
      return TestCertificates.clusterTls(dir, role);
    }

    RouterConfig.Builder apply(RouterConfig.Builder b) {
      return b.users(users)
          .clusterTls(cluster("router"))
          .tls(
              new RouterConfig.Tls(
                  dir.resolve("server.pem"), dir.resolve("server.key"), null, false));
    }
  }

  /** A workload connection: with --secure over TLS and authenticated as the demo user. */
  private static RespClient connect(
      EventLoopGroup loops, InetSocketAddress address, @Nullable Secure secure) throws IOException {
    if (secure == null) return RespClient.connect(loops, address);
    RespClient client =
        RespClient.connect(
            loops,
            address,
            ch -> secure.client().newHandler(ch.alloc(), "127.0.0.1", address.getPort()));
    RespValue ok;
    try {
      ok = client.send("AUTH", "demo", secure.password()).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      client.close();
      throw new IOException("cannot authenticate to the router at " + address + ": " + e, e);
    }
    if (!(ok instanceof RespValue.Simple s && s.text().equals("OK"))) {
      client.close();
      throw new IOException("the router at " + address + " refused the demo user: " + ok);
    }
    return client;
  }

  private static Router startRouter(
      Database db, LocalCluster c, String cluster, int port, @Nullable Secure secure)
      throws IOException {
    try {
      RouterConfig.Builder b =
          RouterConfig.builder().host("127.0.0.1").port(port).adminPort(0).cluster(cluster);
      return Router.start((secure == null ? b : secure.apply(b)).build(), db, c.keyspace());
    } catch (Exception e) { // Netty's bind failure is a checked exception, thrown unchecked
      if (BindFailures.isBindFailure(e))
        throw new IOException(
            "cannot listen on 127.0.0.1:"
                + port
                + " (--port): "
                + BindFailures.describe(e)
                + "; is a Redis server or another demo running there? choose another with --port",
            e);
      if (e instanceof RuntimeException re) throw re;
      throw new IOException(e);
    }
  }

  private void banner(LocalCluster c, List<Router> routers, @Nullable Secure secure) {
    out.println("demo: storage nodes");
    for (StorageNode n : c.nodes()) {
      StorageNodeConfig cfg = n.config();
      out.printf(
          Locale.ROOT,
          "  %-4s zone %-3s rack %-3s %s%n",
          n.nodeId(),
          cfg.locality().zone(),
          cfg.locality().rack(),
          n.address());
    }
    out.println("demo: ranges");
    for (RangeDescriptor d : c.ranges()) out.println("  " + d);
    for (Router r : routers) {
      out.printf(
          Locale.ROOT,
          "demo: router on %s, metrics on http://%s/metrics%n",
          hostPort(r.address()),
          hostPort(r.adminAddress()));
    }
    if (secure == null)
      out.printf(
          Locale.ROOT,
          "demo: connect with   redis-cli -p %d   then e.g.  set a 1 / get a / range a z / info%n",
          routers.get(0).address().getPort());
    else
      out.printf(
          Locale.ROOT,
          "demo: TLS and AUTH on: connect with   redis-cli --tls --cacert %s -p %d --user demo"
              + " --pass %s   then e.g.  set a 1 / get a / range a z / info%n",
          secure.dir().resolve("ca.pem"),
          routers.get(0).address().getPort(),
          secure.password());
    if (secure != null)
      out.printf(
          Locale.ROOT,
          "demo: routers and nodes speak the node protocol over mutual TLS (node.pem, router.pem in"
              + " %s)%n",
          secure.dir());
    out.printf(
        Locale.ROOT,
        "demo: the built-in workload writes and reads keys %s000000..%s%06d with %d clients%s%n",
        DemoWorkload.PREFIX,
        DemoWorkload.PREFIX,
        DemoWorkload.KEYS - 1,
        options.clients(),
        options.duration() == null
            ? "; press Ctrl-C to stop"
            : " for " + options.duration().toSeconds() + " s");
    out.printf(
        Locale.ROOT,
        "demo: the controller runs beside them: leases and liveness %.1f s (production: 9 s), max clock offset %d ms, tick %d ms, rebalancing every %.1f s%n",
        options.lease().toMillis() / 1e3,
        MAX_CLOCK_OFFSET.toMillis(),
        options.tickInterval().toMillis(),
        options.rebalanceInterval().toMillis() / 1e3);
    if (!options.steady()) {
      out.printf(
          Locale.ROOT,
          "demo: at %d s a node is killed (its ranges fail over, then it restarts); at %d s a node is added (the rebalancer fills it)%n",
          options.killAtMillis() / 1000,
          options.addAtMillis() / 1000);
    }
    out.flush();
  }

  private static String hostPort(java.net.@Nullable InetSocketAddress a) {
    return a == null ? "-" : a.getHostString() + ":" + a.getPort();
  }

  private void progress(
      long elapsedMillis,
      double rate,
      DemoWorkload w,
      List<Router> routers,
      int splits,
      int ranges,
      int nodes) {
    long redirects = routers.stream().mapToLong(r -> r.metrics().redirects()).sum();
    out.printf(
        Locale.ROOT,
        "[%4ds] %,8.0f req/s  acked writes %,9d  errors %d  stale reads %d  redirects %,d  splits %d  ranges %d  nodes %d%n",
        elapsedMillis / 1000,
        rate,
        w.acknowledgedWrites(),
        w.errors(),
        w.staleReads(),
        redirects,
        splits,
        ranges,
        nodes);
    out.flush();
  }

  private void summary(Summary s) {
    out.println();
    out.println("demo summary");
    out.printf(Locale.ROOT, "  ran                      %.1f s%n", s.seconds());
    out.printf(
        Locale.ROOT,
        "  requests                 %,d (%,.0f/s)%n",
        s.requests(),
        s.requests() / s.seconds());
    out.printf(Locale.ROOT, "  acknowledged writes      %,d%n", s.acknowledgedWrites());
    out.printf(
        Locale.ROOT,
        "  errors                   %,d%s%n",
        s.errors(),
        s.errorKinds().isEmpty() ? "" : " " + s.errorKinds());
    out.printf(Locale.ROOT, "  stale reads              %,d%n", s.staleReads());
    out.printf(Locale.ROOT, "  redirects (healed)       %,d%n", s.redirects());
    out.printf(
        Locale.ROOT, "  splits while serving     %d (now %d ranges)%n", s.splits(), s.ranges());
    DemoScenario.Outcome o = s.scenario();
    if (o.skipped() != null) {
      out.printf(Locale.ROOT, "  node failure             skipped: %s%n", o.skipped());
    } else if (o.victim() != null) {
      out.printf(
          Locale.ROOT,
          "  node failure             %s killed at %.1f s; %s, %d leases moved by the controller, %d replicas re-created%n",
          o.victim(),
          o.killedAtSeconds(),
          o.markedDeadAfterSeconds() < 0
              ? "not marked dead yet"
              : "marked dead after " + seconds(o.markedDeadAfterSeconds()),
          o.leasesMoved(),
          o.recreated());
      out.printf(
          Locale.ROOT,
          "  failed over              %s (lease %.1f s)%s%n",
          o.recoveredAfterSeconds() < 0
              ? "not measured: the workload stopped before every range of "
                  + o.victim()
                  + " served again"
              : "every range of "
                  + o.victim()
                  + " served again after "
                  + seconds(o.recoveredAfterSeconds()),
          options.lease().toMillis() / 1e3,
          o.restartedAtSeconds() < 0
              ? ""
              : String.format(
                  Locale.ROOT,
                  "; %s restarted at %.1f s and rejoined",
                  o.victim(),
                  o.restartedAtSeconds()));
      out.printf(
          Locale.ROOT,
          "  errors during failover   %,d (requests to its ranges before they served again; the clients went on)%n",
          o.failoverErrors());
    }
    if (o.added() != null) {
      int replicas = s.replicasPerNode().values().stream().mapToInt(Integer::intValue).sum();
      int nodes = s.replicasPerNode().size();
      int lowerBound = replicas / nodes; // what it must receive to reach the mean, rounded down
      out.printf(
          Locale.ROOT,
          "  node added               %s at %.1f s; the rebalancer moved %d replicas onto it"
              + " (lower bound %d, the mean of %d replicas over %d nodes: %s), %d off it%n",
          o.added(),
          o.addedAtSeconds(),
          o.rebalancedOntoAdded(),
          lowerBound,
          replicas,
          nodes,
          lowerBound == 0
              ? "-"
              : String.format(Locale.ROOT, "%.2fx", o.rebalancedOntoAdded() / (double) lowerBound),
          o.rebalancedOffAdded());
    }
    out.printf(
        Locale.ROOT,
        "  rebalance moves          %d: %d swaps (two nodes exchanging replicas in one round), %d"
            + " back to a node the range left within the cool-down; replicas per node now %s%n",
        s.rebalanceMoves(),
        o.swaps(),
        o.movedBack(),
        s.replicasPerNode());
    out.printf(
        Locale.ROOT,
        "  keys read back           %,d%s%n",
        s.viaRouter().checked(),
        unchecked(s.viaRouter(), "keys"));
    out.printf(
        Locale.ROOT,
        "  copies on replicas       %,d checked, %,d lost%s%n",
        s.onReplicas().checked(),
        s.onReplicas().lost(),
        unchecked(s.onReplicas(), "copies"));
    long lost = s.lostWrites();
    out.printf(
        Locale.ROOT,
        "  acknowledged writes lost %,d%s%n",
        lost,
        lost == 0 ? "" : "   <-- SHOULD BE 0");
    out.flush();
  }

  /** ", N <what> not checked: why", or nothing. */
  private static String unchecked(DemoWorkload.Verification v, String what) {
    return v.unchecked() == 0
        ? ""
        : String.format(Locale.ROOT, "; %,d %s not checked: %s", v.unchecked(), what, v.why());
  }

  private static String seconds(double s) {
    return s < 0 ? "-" : String.format(Locale.ROOT, "%.1f s", s);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Splits the range that served the most demo requests since the last split, at its busiest key's
   * median.
   */
  static final class Splitter {
    private static final int SPLIT_ATTEMPTS = 3;
    private final LocalCluster cluster;
    private final DemoWorkload workload;
    private long[] last = new long[DemoWorkload.KEYS];
    private int splits;

    Splitter(LocalCluster cluster, DemoWorkload workload) {
      this.cluster = cluster;
      this.workload = workload;
    }

    int splits() {
      return splits;
    }

    void splitHottest(PrintWriter out) {
      long[] now = workload.hitCounts();
      long[] delta = new long[now.length];
      for (int i = 0; i < now.length; i++) delta[i] = now[i] - last[i];
      last = now;
      RangeDescriptor hottest = null;
      long best = 0;
      int bestFrom = 0, bestTo = 0;
      for (RangeDescriptor d : cluster.ranges()) {
        int from = firstIndexAtOrAfter(d.startKey());
        int to = d.endKey() == null ? DemoWorkload.KEYS : firstIndexAtOrAfter(d.endKey());
        long sum = 0;
        for (int i = from; i < to; i++) sum += delta[i];
        if (sum > best && to - from >= 2) {
          best = sum;
          hottest = d;
          bestFrom = from;
          bestTo = to;
        }
      }
      if (hottest == null) return;
      // the key at which half of the range's requests lie below: both halves get about equal load
      long half = best / 2, seen = 0;
      int at = bestFrom + 1;
      for (int i = bestFrom; i < bestTo; i++) {
        seen += delta[i];
        if (seen >= half) {
          at = Math.max(bestFrom + 1, i);
          break;
        }
      }
      byte[] splitKey = DemoWorkload.keyBytes(at);
      if (!hottest.isInterior(splitKey)) return;
      long t0 = System.nanoTime();
      // a replica move of the controller can change the range between the split's two phases: try
      // again on the new range
      for (int attempt = 1; ; attempt++) {
        try {
          cluster.split(splitKey);
          splits++;
          out.printf(
              Locale.ROOT,
              "demo: split range %d at %s (%,d requests in the last interval) in %.1f ms, while serving%n",
              hottest.rangeId(),
              DemoWorkload.key(at),
              best,
              (System.nanoTime() - t0) / 1e6);
          break;
        } catch (RuntimeException e) {
          if (attempt < SPLIT_ATTEMPTS) {
            sleep(50);
            continue;
          }
          out.println(
              "demo: split of range "
                  + hottest.rangeId()
                  + " at "
                  + DemoWorkload.key(at)
                  + " did not happen: "
                  + e.getMessage());
          break;
        }
      }
      out.flush();
    }

    private static int firstIndexAtOrAfter(byte[] key) {
      int lo = 0, hi = DemoWorkload.KEYS;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (Arrays.compareUnsigned(DemoWorkload.keyBytes(mid), key) < 0) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    }
  }
}
