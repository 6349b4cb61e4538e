package io.fdbmeta.tools.demo;

import com.apple.foundationdb.Database;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.router.Router;
import io.fdbmeta.router.RouterConfig;
import io.fdbmeta.storage.LocalCluster;
import io.fdbmeta.storage.StorageNode;
import io.fdbmeta.wire.RespClient;
import io.fdbmeta.wire.Transport;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
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
 *  4. Prints a progress line every 2 s; on the deadline or Ctrl-C stops the workload, reads every
 *     acknowledged write back through a router, and prints the summary.
 */
/** Runs the demo; see the comment at the top of this file. */
public final class Demo {
  /** Options of one run; see DemoCommand for their meaning. */
  public record Options(int nodes, int routers, int port, @Nullable Duration duration, Path dataDir, int clients, Duration splitEvery, int maxRanges, long seed) {
    public Options {
      if (nodes < 3) throw new IllegalArgumentException("--nodes must be at least 3 (3 replicas in distinct zones), got " + nodes);
      if (routers < 1) throw new IllegalArgumentException("--routers must be at least 1, got " + routers);
      if (port < 0 || port + routers - 1 > 65535) throw new IllegalArgumentException("--port must leave room for " + routers + " router port(s) below 65536 (0: any free port), got " + port);
      if (duration != null && duration.isNegative()) throw new IllegalArgumentException("--duration must not be negative");
      if (clients < 1) throw new IllegalArgumentException("--clients must be at least 1, got " + clients);
    }
  }

  /** What the summary reports; {@code lostWrites} must be 0. */
  public record Summary(double seconds, long requests, long acknowledgedWrites, long errors, long staleReads, long redirects, int splits, int ranges,
      long verifiedKeys, long lostWrites, java.util.Map<String, Long> errorKinds) {}

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
    EventLoopGroup clientLoops = new MultiThreadIoEventLoopGroup(1, Transport.preferred().ioHandlerFactory());
    List<Router> routers = new ArrayList<>();
    List<RespClient> clients = new ArrayList<>();
    try (Database db = EmbeddedFdb.open(options.dataDir());
        LocalCluster cluster0 = startCluster(db, cluster)) {
      LocalCluster c = cluster0;
      for (int i = 0; i < options.routers(); i++) routers.add(startRouter(db, c, cluster, options.port() == 0 ? 0 : options.port() + i));
      banner(c, routers);

      for (int i = 0; i < options.clients(); i++) clients.add(RespClient.connect(clientLoops, routers.get(i % routers.size()).address()));
      DemoWorkload workload = new DemoWorkload(clients);
      Splitter splitter = new Splitter(c, workload);
      long start = System.nanoTime();
      workload.start(options.seed());
      long nextProgress = PROGRESS_EVERY_MILLIS;
      long nextSplit = options.splitEvery().toMillis();
      long lastRequests = 0;
      long lastProgressNanos = start;
      while (!stop.getAsBoolean()) {
        long elapsed = (System.nanoTime() - start) / 1_000_000;
        if (options.duration() != null && elapsed >= options.duration().toMillis()) break;
        if (elapsed >= nextSplit) {
          nextSplit += options.splitEvery().toMillis();
          if (c.ranges().size() < options.maxRanges()) splitter.splitHottest(out);
        }
        if (elapsed >= nextProgress) {
          nextProgress += PROGRESS_EVERY_MILLIS;
          long now = System.nanoTime();
          long r = workload.requests();
          progress(elapsed, (r - lastRequests) * 1e9 / (now - lastProgressNanos), workload, routers, splitter.splits(), c.ranges().size());
          lastRequests = r;
          lastProgressNanos = now;
        }
        sleep(100);
      }

      out.println("demo: stopping the workload and reading every acknowledged write back through the router...");
      out.flush();
      workload.stop();
      double seconds = (System.nanoTime() - start) / 1e9;
      DemoWorkload.Verification v;
      try (RespClient checker = RespClient.connect(clientLoops, routers.get(0).address())) {
        v = workload.verify(checker);
      }
      long redirects = routers.stream().mapToLong(r -> r.metrics().redirects()).sum();
      Summary s = new Summary(seconds, workload.requests(), workload.acknowledgedWrites(), workload.errors(), workload.staleReads(), redirects, splitter.splits(),
          c.ranges().size(), v.checked(), v.lost(), workload.errorKinds());
      summary(s);
      return s;
    } finally {
      for (RespClient client : clients) client.close();
      for (Router r : routers) r.close();
      clientLoops.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  private LocalCluster startCluster(Database db, String cluster) {
    List<byte[]> splitKeys = new ArrayList<>();
    for (int i = 1; i < INITIAL_RANGES; i++) splitKeys.add(DemoWorkload.keyBytes(i * DemoWorkload.KEYS / INITIAL_RANGES));
    out.printf(Locale.ROOT, "demo: starting %d storage nodes over 3 zones x 2 racks (store: fdb-embedded in %s, cluster '%s')%n", options.nodes(), options.dataDir(), cluster);
    out.flush();
    return LocalCluster.start(db, cluster, LayerConfig.defaults(), LocalCluster.Options.builder().nodes(options.nodes()).replication(3).splitKeys(splitKeys).build());
  }

  private static Router startRouter(Database db, LocalCluster c, String cluster, int port) throws IOException {
    try {
      return Router.start(RouterConfig.builder().host("127.0.0.1").port(port).adminPort(0).cluster(cluster).build(), db, c.keyspace());
    } catch (RuntimeException e) {
      if (isBindFailure(e)) throw new IOException("cannot listen on 127.0.0.1:" + port + " (is a Redis server or another demo running there? choose another with --port)", e);
      throw e;
    }
  }

  private static boolean isBindFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.BindException) return true;
    }
    return false;
  }

  private void banner(LocalCluster c, List<Router> routers) {
    out.println("demo: storage nodes");
    for (StorageNode n : c.nodes()) {
      StorageNode.Config cfg = n.config();
      out.printf(Locale.ROOT, "  %-4s zone %-3s rack %-3s %s%n", n.nodeId(), cfg.locality().zone(), cfg.locality().rack(), n.address());
    }
    out.println("demo: ranges");
    for (RangeDescriptor d : c.ranges()) out.println("  " + d);
    for (Router r : routers) {
      out.printf(Locale.ROOT, "demo: router on %s, metrics on http://%s/metrics%n", hostPort(r.address()), hostPort(r.adminAddress()));
    }
    out.printf(Locale.ROOT, "demo: connect with   redis-cli -p %d   then e.g.  set a 1 / get a / range a z / info%n", routers.get(0).address().getPort());
    out.printf(Locale.ROOT, "demo: the built-in workload writes and reads keys %s000000..%s%06d with %d clients%s%n", DemoWorkload.PREFIX, DemoWorkload.PREFIX, DemoWorkload.KEYS - 1,
        options.clients(), options.duration() == null ? "; press Ctrl-C to stop" : " for " + options.duration().toSeconds() + " s");
    out.flush();
  }

  private static String hostPort(java.net.@Nullable InetSocketAddress a) {
    return a == null ? "-" : a.getHostString() + ":" + a.getPort();
  }

  private void progress(long elapsedMillis, double rate, DemoWorkload w, List<Router> routers, int splits, int ranges) {
    long redirects = routers.stream().mapToLong(r -> r.metrics().redirects()).sum();
    out.printf(Locale.ROOT, "[%4ds] %,8.0f req/s  acked writes %,9d  errors %d  stale reads %d  redirects %,d  splits %d  ranges %d%n", elapsedMillis / 1000, rate,
        w.acknowledgedWrites(), w.errors(), w.staleReads(), redirects, splits, ranges);
    out.flush();
  }

  private void summary(Summary s) {
    out.println();
    out.println("demo summary");
    out.printf(Locale.ROOT, "  ran                      %.1f s%n", s.seconds());
    out.printf(Locale.ROOT, "  requests                 %,d (%,.0f/s)%n", s.requests(), s.requests() / s.seconds());
    out.printf(Locale.ROOT, "  acknowledged writes      %,d%n", s.acknowledgedWrites());
    out.printf(Locale.ROOT, "  errors                   %,d%s%n", s.errors(), s.errorKinds().isEmpty() ? "" : " " + s.errorKinds());
    out.printf(Locale.ROOT, "  stale reads              %,d%n", s.staleReads());
    out.printf(Locale.ROOT, "  redirects (healed)       %,d%n", s.redirects());
    out.printf(Locale.ROOT, "  splits while serving     %d (now %d ranges)%n", s.splits(), s.ranges());
    out.printf(Locale.ROOT, "  keys read back           %,d%n", s.verifiedKeys());
    out.printf(Locale.ROOT, "  acknowledged writes lost %,d%s%n", s.lostWrites(), s.lostWrites() == 0 ? "" : "   <-- SHOULD BE 0");
    out.flush();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Splits the range that served the most demo requests since the last split, at its busiest key's median. */
  static final class Splitter {
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
      try {
        cluster.split(splitKey);
        splits++;
        out.printf(Locale.ROOT, "demo: split range %d at %s (%,d requests in the last interval) in %.1f ms, while serving%n", hottest.rangeId(), DemoWorkload.key(at), best,
            (System.nanoTime() - t0) / 1e6);
      } catch (RuntimeException e) {
        out.println("demo: split of range " + hottest.rangeId() + " at " + DemoWorkload.key(at) + " did not happen: " + e.getMessage());
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
