package io.fdbmeta.tools.bench;

import com.apple.foundationdb.Database;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.control.Controller;
import io.fdbmeta.layer.control.ControllerConfig;
import io.fdbmeta.layer.control.ControllerEvent;
import io.fdbmeta.router.Router;
import io.fdbmeta.router.RouterConfig;
import io.fdbmeta.storage.LocalCluster;
import io.fdbmeta.storage.StorageNode;
import io.fdbmeta.tools.demo.DemoWorkload;
import io.fdbmeta.wire.RespClient;
import io.fdbmeta.wire.RespValue;
import io.fdbmeta.wire.Transport;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/*
 * How the failover benchmark works.
 *
 * One JVM: fdb-embedded in memory; a LocalCluster of storage nodes over 3 zones x 2 racks,
 * replication 3 in distinct zones, the keyspace pre-split into --ranges ranges, and the layer's
 * Controller ticking beside them (failure detection, lease moves, re-creating replicas through
 * placement, rebalancing); one Router. Leases are short (--lease, default 4 s) so a run takes
 * seconds; liveness lasts as long as a lease, and the max clock offset is 250 ms (1/16 of the
 * default lease, about production's 500 ms against 9 s).
 *
 * Load: DemoWorkload's closed-loop clients through the router, keys uniform over the keyspace, one
 * writer per key, every acknowledged write remembered.
 *
 * Each round waits until every range is served and every replica has its data, then kills (as a
 * crash would: sockets closed, nothing released) the live node that leads the most ranges among
 * those whose zone has another node (so placement can re-create its replicas there). From the
 * kill, one probe per range the node replicated (led or followed: a dead follower blocks writes
 * too, since a write is acknowledged only once every replica stored it) writes a key of its own in
 * that range through the router and reads it back, again and again, until both succeed. The
 * round's failover time is the slowest probe's, divided by the lease: the target is 1.2, the
 * issue's bound being lease + max clock offset + one detector interval + one commit. Controller
 * events of the round say when the node was marked dead and which leases and replicas it moved;
 * leases of led ranges that the controller did not move were taken by a surviving replica itself
 * (storage nodes acquire expired leases on their own too; the first to commit wins). The killed
 * node then restarts empty (a new process) and rejoins.
 *
 * At the end the load stops, and every acknowledged write is checked through the router (MGET)
 * and on every replica of its range (each node's own copy), as are the probes' last writes: a key
 * must hold its last acknowledged value or a later try of its writer (a failed write may have
 * taken effect). Anything else is a lost write; the target is none.
 */
/** Runs {@code fdbmeta bench failover}; see the comment at the top of this file for the method. */
public final class FailoverBenchmark {
  public static final int DEFAULT_KILLS = 3;
  public static final Duration DEFAULT_LEASE = Duration.ofSeconds(4);
  public static final int DEFAULT_NODES = 6;
  public static final int DEFAULT_RANGES = 12;
  public static final int DEFAULT_CLIENTS = 8;
  static final Duration MAX_CLOCK_OFFSET = Duration.ofMillis(250);
  static final Duration CONTROLLER_TICK = Duration.ofMillis(100);
  static final String CLUSTER = "fdbmeta-bench-failover";
  static final int REPLICATION = 3;

  /** How long a probe keeps trying, in leases, before its range counts as not served. */
  static final int PROBE_GIVE_UP_LEASES = 10;

  static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(30);

  /** Load on a healthy cluster before each kill. */
  static final Duration STEADY = Duration.ofSeconds(1);

  /** Options of one run. */
  public record Config(int kills, Duration lease, int nodes, int ranges, int clients, long seed) {
    public Config {
      if (kills < 1 || kills > 100)
        throw new IllegalArgumentException("kills must be in [1, 100], got " + kills);
      if (lease.compareTo(MAX_CLOCK_OFFSET.multipliedBy(4)) < 0
          || lease.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException(
            "lease must be in ["
                + MAX_CLOCK_OFFSET.multipliedBy(4).toMillis()
                + " ms, 60 s] (at least 4 x the max clock offset), got "
                + lease.toMillis()
                + " ms");
      }
      if (nodes < 4 || nodes > 30)
        throw new IllegalArgumentException(
            "nodes must be in [4, 30] (a killed node's replicas need another node in its zone), got "
                + nodes);
      if (ranges < 1 || ranges > 1000)
        throw new IllegalArgumentException("ranges must be in [1, 1000], got " + ranges);
      if (clients < 1 || clients > 256)
        throw new IllegalArgumentException("clients must be in [1, 256], got " + clients);
    }

    LayerConfig layer() {
      return LayerConfig.builder()
          .leaseDuration(lease)
          .maxClockOffset(MAX_CLOCK_OFFSET)
          .livenessDuration(lease)
          .build();
    }

    ControllerConfig.Builder controller(ControllerConfig.Builder b) {
      return b.tickInterval(CONTROLLER_TICK).rebalanceInterval(lease);
    }
  }

  /**
   * One kill and what followed it. Times are millis from the kill; -1: nothing to time, -2: never
   * happened.
   */
  record Kill(
      int round,
      String node,
      int ranges,
      int led,
      long markedDeadMillis,
      int leasesMovedByController,
      int replicasRecreated,
      long ledServedMillis,
      long followedServedMillis,
      long servedMillis,
      long slowestRange,
      long errors,
      long restartMillis) {
    boolean allServed() {
      return servedMillis >= 0;
    }
  }

  /** What the final check found: keys (or copies) checked and lost. */
  record Check(long checked, long lost) {
    /** The benchmark settles before it checks: a key it cannot read is a failed run. */
    static Check of(DemoWorkload.Verification v) {
      if (v.unchecked() > 0)
        throw new IllegalStateException(
            "bench failover: " + v.unchecked() + " keys could not be checked: " + v.why());
      return new Check(v.checked(), v.lost());
    }
  }

  /** Everything a run measured; {@link FailoverReport} formats it. */
  record Results(
      double loadAverage,
      double loadAverageAtEnd,
      List<Kill> kills,
      long requests,
      long acknowledgedWrites,
      long errors,
      Map<String, Long> errorKinds,
      long staleReads,
      Check router,
      Check replicas,
      Check probes,
      long rebalanceMoves,
      long replicasRecreated,
      long leasesMoved,
      double totalSeconds) {}

  private final Config config;
  private final @Nullable PrintWriter progress;

  public FailoverBenchmark(Config config, @Nullable PrintWriter progress) {
    this.config = config;
    this.progress = progress;
  }

  public FailoverReport run() throws InterruptedException {
    long runStart = System.nanoTime();
    double loadAverage = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    EventLoopGroup clientLoops =
        new MultiThreadIoEventLoopGroup(
            1,
            new DefaultThreadFactory("bench-failover-client", true),
            Transport.preferred().ioHandlerFactory());
    ExecutorService probeThreads =
        Executors.newCachedThreadPool(new DefaultThreadFactory("bench-failover-probe", true));
    List<RespClient> clients = new ArrayList<>();
    List<Kill> kills = new ArrayList<>();
    ProbeLog probes = new ProbeLog();
    try (Database db = EmbeddedFdb.inMemory()) {
      say(
          String.format(
              Locale.ROOT,
              "bench failover: starting %d storage nodes (replication %d, %d ranges), the controller and a router; lease %d ms",
              config.nodes(),
              REPLICATION,
              config.ranges(),
              config.lease().toMillis()));
      LocalCluster.Options options =
          LocalCluster.Options.builder()
              .nodes(config.nodes())
              .replication(REPLICATION)
              .splitKeys(splitKeys())
              .controller(config::controller)
              .build();
      try (LocalCluster cluster = LocalCluster.start(db, CLUSTER, config.layer(), options);
          Router router =
              Router.start(
                  RouterConfig.builder()
                      .host("127.0.0.1")
                      .port(0)
                      .adminPort(-1)
                      .cluster(CLUSTER)
                      .build(),
                  db,
                  cluster.keyspace())) {
        Controller controller = cluster.controller().orElseThrow();
        List<ControllerEvent> events = new CopyOnWriteArrayList<>();
        controller.addListener(events::add);
        for (int i = 0; i < config.clients(); i++)
          clients.add(RespClient.connect(clientLoops, router.address()));
        DemoWorkload load = new DemoWorkload(clients, false);
        load.start(config.seed());
        for (int round = 1; round <= config.kills(); round++) {
          settle(cluster);
          Thread.sleep(STEADY.toMillis()); // the load runs on a healthy cluster between kills
          kills.add(
              killOne(round, cluster, router, clientLoops, probeThreads, load, events, probes));
        }
        settle(cluster);
        say(
            "bench failover: stopping the load; checking every acknowledged write through the router and on every replica");
        load.stop();
        settle(cluster);
        Check viaRouter;
        Check probed;
        try (RespClient checker = RespClient.connect(clientLoops, router.address())) {
          viaRouter = Check.of(load.verify(checker, Duration.ZERO));
          probed = probes.verify(checker);
        } catch (java.util.concurrent.ExecutionException
            | java.util.concurrent.TimeoutException e) {
          throw new IllegalStateException(
              "bench failover: reading the probe keys back failed: " + e, e);
        }
        Check onReplicas = Check.of(load.verifyOnReplicas(cluster));
        var stats = controller.stats();
        double loadAverageAtEnd =
            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        Results r =
            new Results(
                loadAverage,
                loadAverageAtEnd,
                kills,
                load.requests(),
                load.acknowledgedWrites(),
                load.errors(),
                load.errorKinds(),
                load.staleReads(),
                viaRouter,
                onReplicas,
                probed,
                stats.rebalanceMoves(),
                stats.replicasRecreated(),
                stats.leasesMoved(),
                (System.nanoTime() - runStart) / 1e9);
        say("bench failover: stopping the cluster");
        return new FailoverReport(config, r);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        for (RespClient c : clients) c.close();
      }
    } finally {
      probeThreads.shutdownNow();
      clientLoops
          .shutdownGracefully(0, 1, TimeUnit.SECONDS)
          .awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
  }

  private List<byte[]> splitKeys() {
    List<byte[]> keys = new ArrayList<>();
    for (int i = 1; i < config.ranges(); i++)
      keys.add(DemoWorkload.keyBytes((int) ((long) i * DemoWorkload.KEYS / config.ranges())));
    return keys;
  }

  private Kill killOne(
      int round,
      LocalCluster cluster,
      Router router,
      EventLoopGroup loops,
      ExecutorService threads,
      DemoWorkload load,
      List<ControllerEvent> events,
      ProbeLog probes)
      throws InterruptedException {
    String victim =
        cluster
            .busiestReplaceableNode()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "no node shares its zone with another; cannot re-create a killed node's replicas"));
    List<RangeDescriptor> affected =
        cluster.ranges().stream().filter(d -> d.replicas().contains(victim)).toList();
    long led = affected.stream().filter(d -> victim.equals(d.leaseholder())).count();
    say(
        String.format(
            Locale.ROOT,
            "bench failover: kill %d of %d: %s (replica of %d ranges, leads %d)",
            round,
            config.kills(),
            victim,
            affected.size(),
            led));
    long errors0 = load.errors();
    events.clear();
    long killedAt = System.currentTimeMillis();
    long killed = System.nanoTime();
    cluster.kill(victim);
    long giveUp = killed + config.lease().toNanos() * PROBE_GIVE_UP_LEASES;
    List<CompletableFuture<Long>> served = new ArrayList<>();
    for (RangeDescriptor d : affected)
      served.add(
          CompletableFuture.supplyAsync(
              () -> probe(router, loops, d, killed, giveUp, probes), threads));
    long ledMax = -1, followedMax = -1, all = 0, slowest = 0;
    for (int i = 0; i < affected.size(); i++) {
      long ms = served.get(i).join();
      RangeDescriptor d = affected.get(i);
      if (ms < 0) all = -2;
      else if (all >= 0 && ms > all) {
        all = ms;
        slowest = d.rangeId();
      }
      if (victim.equals(d.leaseholder())) ledMax = worst(ledMax, ms);
      else followedMax = worst(followedMax, ms);
    }
    long errors = load.errors() - errors0;
    long dead = -2; // never, unless an event says when
    int leasesMoved = 0, recreated = 0;
    for (ControllerEvent e : events) {
      if (!victim.equals(e.node())) continue;
      switch (e.kind()) {
        case NODE_DEAD -> dead = e.at() - killedAt;
        case LEASE_MOVED -> leasesMoved++;
        case MOVE_COMMITTED -> recreated += "RECREATE".equals(e.detail()) ? 1 : 0;
        default -> {}
      }
    }
    long t0 = System.nanoTime();
    StorageNode back = cluster.restart(victim);
    long restart = (System.nanoTime() - t0) / 1_000_000;
    say(
        String.format(
            Locale.ROOT,
            "bench failover: kill %d: every range served again after %s; %s restarted as incarnation %d in %d ms",
            round,
            all < 0
                ? "MORE THAN "
                    + config.lease().multipliedBy(PROBE_GIVE_UP_LEASES).toSeconds()
                    + " s"
                : all + " ms",
            victim,
            back.incarnation(),
            restart));
    return new Kill(
        round,
        victim,
        affected.size(),
        (int) led,
        dead,
        leasesMoved,
        recreated,
        ledMax,
        followedMax,
        all,
        slowest,
        errors,
        restart);
  }

  private static long worst(long sofar, long ms) {
    if (sofar == -2 || ms < 0) return -2; // some range never served
    return Math.max(sofar, ms);
  }

  /**
   * Writes a probe key of {@code d} through the router and reads it back until both succeed; millis
   * from the kill, or -1 if it gave up.
   */
  private long probe(
      Router router,
      EventLoopGroup loops,
      RangeDescriptor d,
      long killed,
      long giveUp,
      ProbeLog log) {
    byte[] key = probeKey(d);
    try (RespClient c = RespClient.connect(loops, router.address())) {
      while (System.nanoTime() - giveUp < 0) {
        String value = log.next(key);
        RespValue set =
            c.send(SET, key, value.getBytes(StandardCharsets.US_ASCII)).get(30, TimeUnit.SECONDS);
        if (set instanceof RespValue.Simple s && s.text().equals("OK")) {
          log.acked(key, value);
          RespValue get = c.send(GET, key).get(30, TimeUnit.SECONDS);
          if (get instanceof RespValue.Bulk b
              && Arrays.equals(b.bytes(), value.getBytes(StandardCharsets.US_ASCII)))
            return (System.nanoTime() - killed) / 1_000_000;
        }
        Thread.sleep(5);
      }
      return -1;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (Exception e) {
      throw new IllegalStateException(
          "bench failover: probing range " + d.rangeId() + " failed: " + e, e);
    }
  }

  /** A key inside {@code d} that the load never writes: its start key and "\0probe". */
  static byte[] probeKey(RangeDescriptor d) {
    byte[] suffix = "\0probe".getBytes(StandardCharsets.US_ASCII);
    byte[] key = Arrays.copyOf(d.startKey(), d.startKey().length + suffix.length);
    System.arraycopy(suffix, 0, key, d.startKey().length, suffix.length);
    if (!d.contains(key)) throw new IllegalStateException("probe key outside range " + d);
    return key;
  }

  /** Waits until every range is served and every replica of every range has its data. */
  private void settle(LocalCluster cluster) throws InterruptedException {
    cluster.awaitServing(SETTLE_TIMEOUT);
    await("every replica has its range's data", cluster::allReplicasSynced);
  }

  private static void await(String what, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0)
        throw new IllegalStateException(
            "bench failover: not within " + SETTLE_TIMEOUT.toSeconds() + " s: " + what);
      Thread.sleep(20);
    }
  }

  static final byte[] SET = "SET".getBytes(StandardCharsets.US_ASCII);
  static final byte[] GET = "GET".getBytes(StandardCharsets.US_ASCII);

  /**
   * The probes' writes: per probe key the last acknowledged value and how many were tried since.
   */
  static final class ProbeLog {
    private final Map<String, long[]> seqs = new java.util.concurrent.ConcurrentHashMap<>();

    private static String id(byte[] key) {
      return new String(key, StandardCharsets.ISO_8859_1);
    }

    /** The next value to write (p-<seq>), recorded as tried. */
    String next(byte[] key) {
      long[] s = seqs.computeIfAbsent(id(key), k -> new long[2]);
      synchronized (s) {
        return "p-" + ++s[1];
      }
    }

    void acked(byte[] key, String value) {
      long[] s = seqs.get(id(key));
      synchronized (s) {
        s[0] = Math.max(s[0], Long.parseLong(value.substring(2)));
      }
    }

    private static long seqOf(String value) {
      try {
        return value.startsWith("p-") ? Long.parseLong(value.substring(2)) : -1;
      } catch (NumberFormatException e) {
        return -1;
      }
    }

    /** Reads every probe key back: it must hold its last acknowledged value or a later try. */
    Check verify(RespClient client)
        throws InterruptedException,
            java.util.concurrent.ExecutionException,
            java.util.concurrent.TimeoutException {
      long checked = 0, lost = 0;
      for (Map.Entry<String, long[]> e : seqs.entrySet()) {
        long[] s = e.getValue();
        if (s[0] == 0) continue;
        checked++;
        RespValue v =
            client
                .send(GET, e.getKey().getBytes(StandardCharsets.ISO_8859_1))
                .get(30, TimeUnit.SECONDS);
        long seq = v instanceof RespValue.Bulk b && b.bytes() != null ? seqOf(b.utf8()) : -1;
        if (seq < s[0] || seq > s[1]) lost++;
      }
      return new Check(checked, lost);
    }
  }

  private void say(String line) {
    if (progress != null) {
      progress.println(line);
      progress.flush();
    }
  }
}
