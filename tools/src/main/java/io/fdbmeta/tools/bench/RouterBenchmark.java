package io.fdbmeta.tools.bench;

import com.apple.foundationdb.Database;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.router.Router;
import io.fdbmeta.router.RouterConfig;
import io.fdbmeta.storage.LocalCluster;
import io.fdbmeta.storage.StorageNode;
import io.fdbmeta.wire.RespClient;
import io.fdbmeta.wire.RespValue;
import io.fdbmeta.wire.TestCertificates;
import io.fdbmeta.wire.Transport;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/*
 * How the router benchmark works.
 *
 * Data path. One JVM: fdb-embedded in memory; a LocalCluster of 3 storage nodes, replication 3 (so
 * every SET is replicated to two other nodes before its OK, as in production), each node with its
 * RESP port on; one Router. The keyspace is pre-split at "key:" and "key;", so every benchmark key
 * (key:<12 digits>, the form redis-benchmark's -r uses) lies in one range, and the three ranges are
 * led by different nodes. The node that leads the benchmark range is the direct target: a node's
 * own RESP port serves only keys of ranges it leads (others get -MOVED), and it serves them through
 * the same RequestProcessor as routed requests (same lease check, same replication before OK).
 * The router reaches the same node over the node protocol, so both paths end at the same data.
 * Before the phases, KEYS keys get 100-byte values through the router, and a direct GET checks the
 * node serves them.
 *
 * The same client code drives both paths: RespClient (wire), one connection per client, on a
 * client event loop group of its own; a client's next command is sent from the event loop that
 * completed the previous one (no hand-off to another pool). Five workloads, each against both
 * paths: GET and SET with one command outstanding per client (AsyncLoad, N clients), GET and SET
 * pipelined: each client sends P commands in one write (RespClient.sendAll) and waits for all P
 * replies, as redis-benchmark -P does; and GET with one command outstanding from few clients (L).
 *
 * Throughput and latency are judged at different loads. Throughput is what a path sustains, so it
 * is measured with enough commands in flight to keep the cpus busy on both paths: N = 50 clients
 * by default, redis-benchmark's own default. With few commands in flight a path's rate is bounded
 * by its latency instead (Little's law: rate = commands in flight / latency), so the routed rate
 * over the direct one is only the inverse of their latency ratio (on 2 cpus, 0.65-0.75x at 8
 * clients, with the cpus not yet busy, against 0.8-0.9x at 50). The light-load run (L = 8 clients)
 * therefore judges the latency the router adds, queueing aside, and shows its rate ratio without
 * judging it. Keys are uniform over the KEYS keys; every reply is checked
 * (GET: the 100-byte value, SET: OK) and anything else counts as an error. Before the first round
 * every workload runs on both paths untimed (JIT warm-up: the routed path has more code to compile,
 * and the first measured runs used to pay for it). Each run has a warm-up,
 * then a timed window; only operations completing inside the window count. Direct and routed
 * alternate, in an order that rotates by workload and round, so neither always runs right after
 * the other's garbage; the rounds of one (workload, path) are merged (operations and windows
 * summed, latency samples pooled). Rates are commands per second; pipelined latency is that of a
 * whole batch (first command sent to last reply).
 *
 * TLS. A second router on the same cluster serves its RESP port over TLS (a test CA from
 * TestCertificates, the JDK's provider on both sides, connections made before the runs, so the
 * handshakes are not measured); it is a third path in the same rounds, so "router, TLS" beside
 * "router" is the cost of TLS, reported and not judged. Without openssl the path is left out.
 *
 * Everything shares the machine's cpus: client, router and three nodes. The router's work per
 * command (RESP decode, route lookup, node-protocol request, reply, RESP encode) is therefore paid
 * out of the same cpus as the node's, so on a small machine the routed/direct ratio is close to
 * the ratio of cpu per command, an upper bound on what a router on its own hosts would cost.
 *
 * Lookups. 1,000,000 descriptors (range i is [user:<i*10>, user:<(i+1)*10>), 10-digit numbers) go
 * into a RouteCache through its public API only (replaceAll, then lookup). One thread looks up a
 * stream of keys: uniform (any key of any range) and Zipf (theta 0.99 over ranges, hot ranges
 * scattered over the keyspace, then one of the range's 10 keys at random). The baseline is
 * ConcurrentHashMap.get on the same byte[] keys, as a hash-routed proxy would see them: each
 * lookup wraps the request's bytes in a key object whose hash is computed then (Arrays.hashCode),
 * and the map holds every distinct key of the stream. Several rounds alternate cache and map; the
 * best of each is compared. This phase runs after the cluster is closed.
 *
 * redis-benchmark. If the program is on PATH, it runs against the same node's RESP port and the
 * router, once per workload with its clients and pipeline depth (-t set or -t get, -c N or L,
 * -P 1 or -P P, -r KEYS, -d 100), each run sized from our rate for the same workload to take about
 * --seconds, direct and routed alternating, and its figures are printed beside ours.
 */

/** Runs {@code fdbmeta bench router}; see the comment at the top of this file for the method. */
public final class RouterBenchmark {
  public static final int DEFAULT_RANGES = 1_000_000;
  public static final int DEFAULT_CLIENTS = 50;
  public static final int DEFAULT_LIGHT_CLIENTS = 8;
  public static final int DEFAULT_PIPELINE = 16;
  public static final int DEFAULT_KEYS = 10_000;
  public static final int DEFAULT_ROUNDS = 4;
  public static final int DEFAULT_LOOKUPS = 1 << 20;
  static final String CLUSTER = "fdbmeta-bench-router";
  static final int NODES = 3;
  static final int REPLICATION = 3;
  static final int VALUE_BYTES = 100;

  /**
   * redis-benchmark runs of commands the storage node executes: the row's name, then the command
   * (VALUE: a VALUE_BYTES value). Their routed / direct target is {@link #CUSTOM_TARGET}.
   */
  static final String[][] CUSTOM_TESTS = {
    {"INCR", "INCR", "key:c__rand_int__"},
    {"SET EX", "SET", "key:e__rand_int__", "VALUE", "EX", "3600"}
  };

  static final double CUSTOM_TARGET = 0.7;
  static final int LOOKUP_ROUNDS = 5;
  static final int PRELOAD_BATCH = 100;
  static final long REDIS_BENCHMARK_TIMEOUT_SECONDS = 120;
  static final byte[] GET = "GET".getBytes(StandardCharsets.US_ASCII);
  static final byte[] SET = "SET".getBytes(StandardCharsets.US_ASCII);

  /** Options of one run. */
  public record Config(
      double seconds,
      int clients,
      int lightClients,
      int pipeline,
      int keys,
      int ranges,
      int lookups,
      int rounds,
      boolean redisBenchmark) {
    public Config {
      if (!(seconds > 0 && seconds <= 600))
        throw new IllegalArgumentException("seconds must be in (0, 600], got " + seconds);
      if (clients < 1 || clients > 1000)
        throw new IllegalArgumentException("clients must be in [1, 1000], got " + clients);
      if (lightClients < 1 || lightClients > 1000)
        throw new IllegalArgumentException(
            "light-load clients must be in [1, 1000], got " + lightClients);
      if (pipeline < 2 || pipeline > 1000)
        throw new IllegalArgumentException("pipeline must be in [2, 1000], got " + pipeline);
      if (keys < 100 || keys > 10_000_000)
        throw new IllegalArgumentException("keys must be in [100, 10000000], got " + keys);
      if (ranges < 1000 || ranges > 10_000_000)
        throw new IllegalArgumentException("ranges must be in [1000, 10000000], got " + ranges);
      if (lookups < 1000 || lookups > 100_000_000)
        throw new IllegalArgumentException("lookups must be in [1000, 100000000], got " + lookups);
      if (rounds < 1 || rounds > 100)
        throw new IllegalArgumentException("rounds must be in [1, 100], got " + rounds);
    }

    /** Before the first round, each workload runs this long on each path, untimed. */
    double jitWarmupSeconds() {
      return Math.min(1.0, seconds);
    }

    double warmupSeconds() {
      return Math.min(1.0, Math.max(0.1, seconds / 4));
    }

    /** Client connections a workload uses. */
    int clientsOf(Workload w) {
      return w.lightLoad ? lightClients : clients;
    }
  }

  /** Where the benchmark's client sends commands. */
  enum Route {
    DIRECT("direct"),
    ROUTED("router"),
    /** A second router on the same cluster with TLS on its RESP port (TestCertificates). */
    ROUTED_TLS("router, TLS");

    final String label;

    Route(String label) {
      this.label = label;
    }
  }

  /** The data-path workloads. */
  enum Workload {
    GET("GET", false, false, "get"),
    SET("SET", false, false, "set"),
    GET_PIPELINED("GET", true, false, "getPipelined"),
    SET_PIPELINED("SET", true, false, "setPipelined"),
    GET_LIGHT_LOAD("GET", false, true, "getLightLoad");

    final String command;
    final boolean pipelined;

    /** Run with the few light-load clients: judges latency, not throughput. */
    final boolean lightLoad;

    final String id;

    Workload(String command, boolean pipelined, boolean lightLoad, String id) {
      this.command = command;
      this.pipelined = pipelined;
      this.lightLoad = lightLoad;
      this.id = id;
    }

    boolean isGet() {
      return command.equals("GET");
    }
  }

  /**
   * One (workload, path)'s rounds pooled, and the process's cpu time in their windows (-1:
   * unknown).
   */
  record Figures(Measurement measurement, long cpuNanos) {
    /** Process cpu microseconds per command completed in the windows; NaN if unknown. */
    double cpuMicrosPerCommand() {
      return cpuNanos < 0 || measurement.units() == 0
          ? Double.NaN
          : cpuNanos / 1e3 / measurement.units();
    }
  }

  /**
   * One redis-benchmark invocation: where, how many clients, which pipeline depth, what it printed.
   */
  record RedisRun(
      Route route,
      int clients,
      int pipeline,
      long requests,
      List<RedisBenchmarkRun.Figures> figures,
      String command) {}

  /** Everything a run measured; {@link RouterReport} formats it. */
  record Results(
      double loadAverage,
      double loadAverageAtEnd,
      int clientThreads,
      int routerIoThreads,
      String targetNode,
      String benchRange,
      double preloadSeconds,
      Map<Workload, Map<Route, Figures>> data,
      RouteLookups.Results lookups,
      List<RedisRun> redis,
      String redisNote,
      LayerBenchmark.Gc dataPathGc,
      LayerBenchmark.Gc totalGc,
      double totalSeconds) {
    Measurement get(Workload w, Route r) {
      return data.get(w).get(r).measurement();
    }

    Figures figures(Workload w, Route r) {
      return data.get(w).get(r);
    }
  }

  private final Config config;
  private final @Nullable PrintWriter progress;
  private final @Nullable String path;
  private final byte[][] keys;
  private final byte[] value;

  /** {@code path} is the PATH searched for redis-benchmark (null: none). */
  public RouterBenchmark(Config config, @Nullable PrintWriter progress, @Nullable String path) {
    this.config = config;
    this.progress = progress;
    this.path = path;
    this.keys = new byte[config.keys()][];
    for (int i = 0; i < keys.length; i++) keys[i] = key(i);
    this.value = new byte[VALUE_BYTES];
    SplittableRandom random = new SplittableRandom(42);
    for (int i = 0; i < value.length; i++) value[i] = (byte) ('a' + random.nextInt(26));
  }

  /** The form redis-benchmark gives "key:__rand_int__" with -r: key: and 12 digits. */
  static byte[] key(long n) {
    return String.format(Locale.ROOT, "key:%012d", n).getBytes(StandardCharsets.US_ASCII);
  }

  public RouterReport run() throws InterruptedException {
    long runStart = System.nanoTime();
    double loadAverage = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    int cpus = Runtime.getRuntime().availableProcessors();
    int clientThreads = Math.max(1, cpus);
    ForkJoinPool pool =
        new ForkJoinPool(
            Math.max(2, cpus), ForkJoinPool.defaultForkJoinWorkerThreadFactory, null, true);
    EventLoopGroup clientLoops =
        new MultiThreadIoEventLoopGroup(
            clientThreads,
            new DefaultThreadFactory("bench-client", true),
            Transport.preferred().ioHandlerFactory());
    Map<Workload, Map<Route, Figures>> data = new EnumMap<>(Workload.class);
    List<RedisRun> redis = new ArrayList<>();
    String redisNote;
    String targetNode;
    String benchRange;
    double preloadSeconds;
    int routerIoThreads;
    LayerBenchmark.Gc dataGc;
    try (Database db = EmbeddedFdb.builder().executor(pool).build()) {
      say(
          String.format(
              Locale.ROOT,
              "bench router: starting %d storage nodes (replication %d, RESP ports on) and a router",
              NODES,
              REPLICATION));
      LocalCluster.Options options =
          LocalCluster.Options.builder()
              .nodes(NODES)
              .replication(REPLICATION)
              .respPorts(true)
              .splitKeys(List.of(bytes("key:"), bytes("key;")))
              .build();
      Path certs = tlsCertificates();
      try (LocalCluster cluster = LocalCluster.start(db, CLUSTER, LayerConfig.defaults(), options);
          Router router = Router.start(routerConfig(), db, cluster.keyspace());
          Router tlsRouter =
              certs == null
                  ? null
                  : Router.start(
                      RouterConfig.builder()
                          .host("127.0.0.1")
                          .port(0)
                          .adminPort(-1)
                          .cluster(CLUSTER)
                          .tls(
                              new RouterConfig.Tls(
                                  certs.resolve("server.pem"),
                                  certs.resolve("server.key"),
                                  null,
                                  false))
                          .build(),
                      db,
                      cluster.keyspace())) {
        List<Route> routes =
            tlsRouter == null ? List.of(Route.DIRECT, Route.ROUTED) : List.of(Route.values());
        routerIoThreads = router.config().ioThreads();
        RangeDescriptor range = cluster.rangeFor(keys[0]);
        check(
            range.contains(key(0)) && range.contains(key(999_999_999_999L)),
            "the benchmark range " + range + " does not hold every benchmark key");
        StorageNode target = cluster.leaseholderOf(range.rangeId());
        targetNode = target.nodeId();
        benchRange = range.toString();
        InetSocketAddress direct =
            target
                .respSocketAddress()
                .orElseThrow(
                    () ->
                        new IllegalStateException("node " + target.nodeId() + " has no RESP port"));
        List<RespClient> directClients = new ArrayList<>();
        List<RespClient> routedClients = new ArrayList<>();
        List<RespClient> tlsClients = new ArrayList<>();
        Map<Route, List<RespClient>> byRoute =
            Map.of(
                Route.DIRECT,
                directClients,
                Route.ROUTED,
                routedClients,
                Route.ROUTED_TLS,
                tlsClients);
        try {
          SslContext tls =
              certs == null
                  ? null
                  : SslContextBuilder.forClient()
                      .trustManager(certs.resolve("ca.pem").toFile())
                      .build();
          for (int i = 0; i < Math.max(config.clients(), config.lightClients()); i++) {
            directClients.add(RespClient.connect(clientLoops, direct));
            routedClients.add(RespClient.connect(clientLoops, router.address()));
            if (tls != null) {
              RespClient c =
                  RespClient.connect(
                      clientLoops,
                      tlsRouter.address(),
                      ch -> tls.newHandler(ch.alloc(), "127.0.0.1", tlsRouter.address().getPort()));
              c.send("PING").get(10, TimeUnit.SECONDS); // the handshake, before any timing
              tlsClients.add(c);
            }
          }
          say(
              String.format(
                  Locale.ROOT,
                  "bench router: writing %,d keys of %d bytes through the router; direct target %s (leads %s)",
                  keys.length,
                  VALUE_BYTES,
                  targetNode,
                  range));
          long t0 = System.nanoTime();
          preload(routedClients);
          preloadSeconds = seconds(t0);
          RespValue probe =
              directClients.get(0).send(GET, keys[keys.length - 1]).get(10, TimeUnit.SECONDS);
          check(
              valid(Workload.GET, probe),
              "a direct GET to " + targetNode + " answered " + describe(probe));

          // Untimed: until the JIT has compiled both paths, whichever ran first would pay for it.
          for (Workload w : Workload.values()) {
            for (Route r : routes) {
              say(
                  String.format(
                      Locale.ROOT,
                      "bench router: JIT warm-up, %s %s, %d clients, %s",
                      w.command,
                      w.pipelined ? "pipelined" : "1 outstanding",
                      config.clientsOf(w),
                      r.label));
              warmUp(w, clientsOf(w, byRoute.get(r)));
            }
          }
          LayerBenchmark.Gc gc0 = LayerBenchmark.Gc.now();
          Map<Workload, Map<Route, List<Run>>> runs = new EnumMap<>(Workload.class);
          for (int round = 0; round < config.rounds(); round++) {
            for (Workload w : Workload.values()) {
              for (int k = 0; k < routes.size(); k++) {
                Route r = routes.get((k + round + w.ordinal()) % routes.size());
                say(
                    String.format(
                        Locale.ROOT,
                        "bench router: round %d of %d, %s %s, %d clients, %s",
                        round + 1,
                        config.rounds(),
                        w.command,
                        w.pipelined ? "pipelined x" + config.pipeline() : "1 outstanding",
                        config.clientsOf(w),
                        r.label));
                Run run = measure(w, clientsOf(w, byRoute.get(r)));
                runs.computeIfAbsent(w, x -> new EnumMap<>(Route.class))
                    .computeIfAbsent(r, x -> new ArrayList<>())
                    .add(run);
              }
            }
          }
          dataGc = LayerBenchmark.Gc.now().minus(gc0);
          for (Workload w : Workload.values()) {
            Map<Route, Figures> figures = new EnumMap<>(Route.class);
            for (Route r : routes) figures.put(r, pool(runs.get(w).get(r)));
            data.put(w, figures);
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        } catch (java.util.concurrent.ExecutionException
            | java.util.concurrent.TimeoutException e) {
          throw new IllegalStateException("bench router: a direct GET did not answer: " + e, e);
        } finally {
          for (RespClient c : directClients) c.close();
          for (RespClient c : routedClients) c.close();
          for (RespClient c : tlsClients) c.close();
        }

        redisNote = redisBenchmark(direct.getPort(), router.address().getPort(), data, redis);
        say("bench router: stopping the cluster");
      }
    } finally {
      clientLoops
          .shutdownGracefully(0, 1, TimeUnit.SECONDS)
          .awaitUninterruptibly(2, TimeUnit.SECONDS);
      pool.shutdown();
    }

    RouteLookups.Results lookups =
        RouteLookups.run(config.ranges(), config.lookups(), LOOKUP_ROUNDS, this::say);
    double loadAverageAtEnd = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    Results r =
        new Results(
            loadAverage,
            loadAverageAtEnd,
            clientThreads,
            routerIoThreads,
            targetNode,
            benchRange,
            preloadSeconds,
            data,
            lookups,
            redis,
            redisNote,
            dataGc,
            LayerBenchmark.Gc.now(),
            seconds(runStart));
    return new RouterReport(config, r);
  }

  /**
   * A test CA and server certificate in a temporary directory (deleted at exit), or null, with a
   * note, if openssl cannot make them: the TLS path is then left out.
   */
  private @Nullable Path tlsCertificates() {
    try {
      Path dir = Files.createTempDirectory("fdbmeta-bench-tls-");
      dir.toFile().deleteOnExit();
      TestCertificates.create(dir, List.of("127.0.0.1"));
      for (String f : TestCertificates.FILES) dir.resolve(f).toFile().deleteOnExit();
      return dir;
    } catch (IOException | IllegalStateException e) {
      say("bench router: no TLS path (" + e.getMessage() + ")");
      return null;
    }
  }

  /**
   * The router as the demo runs it: default settings (one io thread per cpu), on a free port, no
   * admin port.
   */
  private static RouterConfig routerConfig() {
    return RouterConfig.builder().host("127.0.0.1").port(0).adminPort(-1).cluster(CLUSTER).build();
  }

  private List<RespClient> clientsOf(Workload w, List<RespClient> connected) {
    return connected.subList(0, config.clientsOf(w));
  }

  /** Writes every key through the router, a batch per client at a time. */
  private void preload(List<RespClient> clients) throws InterruptedException {
    List<CompletableFuture<Void>> inFlight = new ArrayList<>();
    for (int from = 0; from < keys.length; from += PRELOAD_BATCH) {
      List<byte[][]> batch = new ArrayList<>();
      for (int i = from; i < Math.min(keys.length, from + PRELOAD_BATCH); i++)
        batch.add(new byte[][] {SET, keys[i], value});
      List<CompletableFuture<RespValue>> replies = clients.get(inFlight.size()).sendAll(batch);
      inFlight.add(
          CompletableFuture.allOf(replies.toArray(new CompletableFuture<?>[0]))
              .thenRun(
                  () -> {
                    for (CompletableFuture<RespValue> f : replies) {
                      RespValue v = f.join();
                      if (!valid(Workload.SET, v))
                        throw new IllegalStateException(
                            "bench router: writing the keys, SET answered " + describe(v));
                    }
                  }));
      if (inFlight.size() == clients.size()) {
        joinAll(inFlight);
        inFlight.clear();
      }
    }
    joinAll(inFlight);
  }

  private static void joinAll(List<CompletableFuture<Void>> all) throws InterruptedException {
    try {
      CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(
          "bench router: writing the keys failed: " + e.getCause(), e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("bench router: writing the keys took more than 60 s", e);
    }
  }

  /** A run's figures and the process's cpu time during its timed window. */
  record Run(Measurement measurement, long cpuNanos) {}

  /** A workload on the given clients for Config.jitWarmupSeconds(), measuring nothing. */
  private void warmUp(Workload w, List<RespClient> clients) throws InterruptedException {
    AsyncLoad.run(
        w.id,
        clients.size(),
        Window.startingNow(0, config.jitWarmupSeconds()),
        Runnable::run,
        (int c) -> w.pipelined ? batch(clients.get(c), w) : single(clients.get(c), w));
  }

  /** One run of a workload on the given clients: warm-up, then the timed window. */
  private Run measure(Workload w, List<RespClient> clients) throws InterruptedException {
    Window window = Window.startingNow(config.warmupSeconds(), config.seconds());
    CpuClock cpu = CpuClock.during(window);
    // Runnable::run: the next command leaves from the client's event loop that completed the last
    // one; a reply never completes inside send, so this cannot recurse.
    Measurement m =
        AsyncLoad.run(
            w.id,
            clients.size(),
            window,
            Runnable::run,
            (int c) -> w.pipelined ? batch(clients.get(c), w) : single(clients.get(c), w));
    return new Run(m, cpu.nanos());
  }

  private byte[][] command(Workload w) {
    byte[] k = keys[ThreadLocalRandom.current().nextInt(keys.length)];
    return w.isGet() ? new byte[][] {GET, k} : new byte[][] {SET, k, value};
  }

  private CompletableFuture<Integer> single(RespClient client, Workload w) {
    return client
        .send(command(w))
        .thenApply(
            v -> {
              if (!valid(w, v))
                throw new IllegalStateException(w.command + " answered " + describe(v));
              return 1;
            });
  }

  private CompletableFuture<Integer> batch(RespClient client, Workload w) {
    List<byte[][]> commands = new ArrayList<>(config.pipeline());
    for (int i = 0; i < config.pipeline(); i++) commands.add(command(w));
    List<CompletableFuture<RespValue>> replies = client.sendAll(commands);
    return CompletableFuture.allOf(replies.toArray(new CompletableFuture<?>[0]))
        .thenApply(
            x -> {
              for (CompletableFuture<RespValue> f : replies) {
                RespValue v = f.join();
                if (!valid(w, v))
                  throw new IllegalStateException(w.command + " answered " + describe(v));
              }
              return replies.size();
            });
  }

  static boolean valid(Workload w, RespValue v) {
    if (w.isGet())
      return v instanceof RespValue.Bulk b && b.bytes() != null && b.bytes().length == VALUE_BYTES;
    return v instanceof RespValue.Simple s && s.text().equals("OK");
  }

  static String describe(RespValue v) {
    if (v instanceof RespValue.Error e) return "-" + e.text();
    if (v instanceof RespValue.Bulk b)
      return b.bytes() == null ? "(nil)" : "a " + b.bytes().length + "-byte value";
    return v.toString();
  }

  /**
   * Pools the runs of one (workload, path): operations, windows and cpu time summed, latency
   * samples merged.
   */
  static Figures pool(List<Run> runs) {
    long cpu = 0;
    List<Measurement> ms = new ArrayList<>();
    for (Run r : runs) {
      ms.add(r.measurement());
      cpu = cpu < 0 || r.cpuNanos() < 0 ? -1 : cpu + r.cpuNanos();
    }
    return new Figures(merge(ms), cpu);
  }

  static Measurement merge(List<Measurement> runs) {
    long ops = 0, units = 0, errors = 0, nanos = 0;
    int n = 0;
    for (Measurement m : runs) {
      ops += m.ops();
      units += m.units();
      errors += m.errors();
      nanos += m.windowNanos();
      n += m.latencyNanos().length;
    }
    long[] all = new long[n];
    int at = 0;
    for (Measurement m : runs) {
      long[] l = m.latencyNanos();
      System.arraycopy(l, 0, all, at, l.length);
      at += l.length;
    }
    return new Measurement(ops, units, errors, nanos, all);
  }

  /**
   * Runs redis-benchmark against both ports (if enabled and installed), pipeline 1 and P, direct
   * and routed alternating; returns the note the report prints.
   */
  private String redisBenchmark(
      int directPort, int routerPort, Map<Workload, Map<Route, Figures>> data, List<RedisRun> out)
      throws InterruptedException {
    if (!config.redisBenchmark()) return "redis-benchmark: skipped (--no-redis-benchmark)";
    Optional<Path> program = RedisBenchmarkRun.find(path);
    if (program.isEmpty())
      return "redis-benchmark: not on PATH, skipped (Debian/Ubuntu: apt-get install redis-tools)";
    int turn = 0;
    for (Workload w : Workload.values()) {
      int pipeline = w.pipelined ? config.pipeline() : 1;
      int clients = config.clientsOf(w);
      // sized from our rates for the same workload, so that each run takes about --seconds
      double rate =
          Math.sqrt(
              data.get(w).get(Route.DIRECT).measurement().unitsPerSecond()
                  * data.get(w).get(Route.ROUTED).measurement().unitsPerSecond());
      long requests = Math.max(1000, Math.round(rate * config.seconds() / 1000) * 1000);
      for (int k = 0; k < 2; k++) {
        Route r = Route.values()[(k + turn) % 2];
        List<String> command =
            RedisBenchmarkRun.command(
                program.get(),
                r == Route.DIRECT ? directPort : routerPort,
                w.command.toLowerCase(Locale.ROOT),
                requests,
                clients,
                pipeline,
                config.keys(),
                VALUE_BYTES);
        say("bench router: " + String.join(" ", command));
        out.add(
            new RedisRun(
                r,
                clients,
                pipeline,
                requests,
                RedisBenchmarkRun.run(command, REDIS_BENCHMARK_TIMEOUT_SECONDS),
                String.join(" ", command.subList(1, command.size()))));
      }
      turn++;
    }
    // INCR and SET EX, executed by the storage node (the router passes them on as they are), on
    // keys of the benchmark range that no other run writes: sized from our SET rates
    for (String[] custom : CUSTOM_TESTS) {
      for (boolean pipelined : new boolean[] {false, true}) {
        Workload w = pipelined ? Workload.SET_PIPELINED : Workload.SET;
        double rate =
            Math.sqrt(
                data.get(w).get(Route.DIRECT).measurement().unitsPerSecond()
                    * data.get(w).get(Route.ROUTED).measurement().unitsPerSecond());
        long requests = Math.max(1000, Math.round(rate * config.seconds() / 1000) * 1000);
        int pipeline = pipelined ? config.pipeline() : 1;
        for (int k = 0; k < 2; k++) {
          Route r = Route.values()[(k + turn) % 2];
          List<String> args = new ArrayList<>(List.of(custom).subList(1, custom.length));
          args.replaceAll(a -> a.equals("VALUE") ? "x".repeat(VALUE_BYTES) : a);
          List<String> command =
              RedisBenchmarkRun.custom(
                  program.get(),
                  r == Route.DIRECT ? directPort : routerPort,
                  requests,
                  config.clients(),
                  pipeline,
                  config.keys(),
                  args);
          say("bench router: " + String.join(" ", command));
          List<RedisBenchmarkRun.Figures> figures = new ArrayList<>();
          for (RedisBenchmarkRun.Figures f :
              RedisBenchmarkRun.run(command, REDIS_BENCHMARK_TIMEOUT_SECONDS))
            figures.add(
                new RedisBenchmarkRun.Figures(
                    custom[0], f.requestsPerSec(), f.p50Millis(), f.p99Millis()));
          out.add(
              new RedisRun(
                  r,
                  config.clients(),
                  pipeline,
                  requests,
                  figures,
                  String.join(" ", command.subList(1, command.size()))));
        }
        turn++;
      }
    }
    return "redis-benchmark: " + program.get();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  private static void check(boolean ok, String what) {
    if (!ok) throw new IllegalStateException("bench router: " + what);
  }

  private void say(String line) {
    if (progress != null) {
      progress.println(line);
      progress.flush();
    }
  }
}
