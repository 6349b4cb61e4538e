package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.apple.foundationdb.Database;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.Ids;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.tools.bench.ServedStoreProcess;
import io.fdbmeta.wire.RespClient;
import io.fdbmeta.wire.RespValue;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A cluster of fdbmeta service processes on loopback for the process ITs: a store server
 * initialised with {@code fdbmeta --store ... init}, {@code fdbmeta node}, {@code fdbmeta
 * controller} and {@code fdbmeta router} processes started from this class path, each logging to
 * its own file in {@code dir}. The controller does not place the replicas of a fresh cluster's
 * ranges (LocalCluster does that in-process), so {@link #placeRanges} does it (InitialPlacement, as
 * `fdbmeta ranges place` does).
 */
final class ServiceProcesses implements AutoCloseable {
  /**
   * Service JVMs' options: small and quick to start; runs at scale set their own with {@code
   * -Dfdbmeta.it.jvm="-Xmx2g"}.
   */
  static final List<String> JVM =
      List.of(
          System.getProperty("fdbmeta.it.jvm", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1")
              .trim()
              .split("\\s+"));

  static final Duration START_TIMEOUT = Duration.ofSeconds(45);
  private static final Pattern NODE_STARTED =
      Pattern.compile(" INFO node (\\S+): started: .*, listen (\\S+:\\d+), admin (\\S+:\\d+),");
  private static final Pattern ROUTER_STARTED =
      Pattern.compile(" INFO router \\S+: started: .*, listen (\\S+:\\d+), admin (\\S+:\\d+),");
  private static final Pattern CONTROLLER_STARTED =
      Pattern.compile(" INFO controller (\\S+): started: .*, admin (\\S+:\\d+),");
  private static final Pattern CONTROLLER_ACTIVE =
      Pattern.compile(" INFO controller (\\S+): became active");

  /** A started service process and the addresses it printed. */
  record Service(String name, FdbmetaProcess process, String listen, String admin) {
    InetSocketAddress listenAddress() {
      int colon = listen.lastIndexOf(':');
      return new InetSocketAddress(
          listen.substring(0, colon), Integer.parseInt(listen.substring(colon + 1)));
    }
  }

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Path dir;
  private ServedStoreProcess store;
  private final List<FdbmetaProcess> started = new ArrayList<>();
  final EventLoopGroup clientLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

  private ServiceProcesses(Path dir, ServedStoreProcess store) {
    this.dir = dir;
    this.store = store;
  }

  /** A store server on a free port, initialised. */
  static ServiceProcesses start(Path dir) {
    ServedStoreProcess s = ServedStoreProcess.start(dir.resolve("data"), "127.0.0.1:0");
    ServiceProcesses c = new ServiceProcesses(dir, s);
    Cli init = Cli.run("--store", s.address(), "init");
    assertThat(init.exitCode()).as(init.err()).isZero();
    return c;
  }

  String storeAddress() {
    return store.address();
  }

  /**
   * kill -9 of the store server; {@link #restartStore} brings it back on its directory and port.
   */
  void killStore() throws InterruptedException {
    store.kill();
  }

  void restartStore() {
    store = ServedStoreProcess.start(dir.resolve("data"), store.address());
  }

  private FdbmetaProcess start(String name, List<String> args) {
    List<String> all = new ArrayList<>(List.of("--store", store.address()));
    all.addAll(args);
    Path log = dir.resolve(name + ".log");
    for (int run = 2; Files.exists(log); run++) log = dir.resolve(name + "-" + run + ".log");
    FdbmetaProcess p = FdbmetaProcess.start(name, JVM, all, log);
    started.add(p);
    return p;
  }

  /** Starts node {@code id} in zone z{i}, rack r{i}, without waiting. */
  FdbmetaProcess startNode(String id, int i) {
    return start(
        "node-" + id,
        List.of(
            "node", "--id", id, "--listen", "127.0.0.1:0", "--zone", "z" + i, "--rack", "r" + i));
  }

  static Service awaitNode(String id, FdbmetaProcess p) throws InterruptedException {
    FdbmetaProcess.Match m = p.awaitLine(NODE_STARTED, 0, START_TIMEOUT);
    return new Service(id, p, m.group(2), m.group(3));
  }

  FdbmetaProcess startController(String id) {
    return start("controller-" + id, List.of("controller", "--id", id));
  }

  /** Waits until the controller is active; its admin address is the one it printed. */
  static Service awaitActive(FdbmetaProcess controller) throws InterruptedException {
    FdbmetaProcess.Match m = controller.awaitLine(CONTROLLER_STARTED, 0, START_TIMEOUT);
    controller.awaitLine(CONTROLLER_ACTIVE, 0, START_TIMEOUT);
    return new Service(m.group(1), controller, "", m.group(2));
  }

  FdbmetaProcess startRouter(String name) {
    return start(name, List.of("router", "--listen", "127.0.0.1:0"));
  }

  static Service awaitRouter(String name, FdbmetaProcess p) throws InterruptedException {
    FdbmetaProcess.Match m = p.awaitLine(ROUTER_STARTED, 0, START_TIMEOUT);
    return new Service(name, p, m.group(1), m.group(2));
  }

  /**
   * Splits the root range at {@code splitKeys} and gives every range {@code replication} of {@code
   * nodes} as replicas: the i-th range the i-th node (round robin), its leader, and the ones after
   * it, as LocalCluster places a new cluster.
   *
   * @return the ranges, in key order
   */
  List<RangeDescriptor> placeRanges(List<String> splitKeys, List<String> nodes, int replication) {
    try (Database db = EmbeddedFdb.connect(store.address())) {
      LayerConfig layer = LayerConfig.defaults();
      RangeCatalog catalog = new RangeCatalog(Keyspace.open(db, "default"), layer);
      RangeDescriptor root = catalog.listAsync(db, null, 10).join().items().get(0);
      List<byte[]> keys = new ArrayList<>();
      List<Long> ids = new ArrayList<>();
      for (String k : splitKeys) keys.add(k.getBytes(StandardCharsets.UTF_8));
      for (int i = 0; i <= keys.size(); i++) ids.add(Ids.newRangeId());
      List<RangeDescriptor> ranges =
          FdbErrors.join(catalog.splitManyAsync(db, Ids.newOpId(), root.rangeId(), keys, ids));
      List<RangeDescriptor> placed = new ArrayList<>();
      for (int i = 0; i < ranges.size(); i++) {
        List<String> replicas = new ArrayList<>();
        for (int j = 0; j < replication; j++) replicas.add(nodes.get((i + j) % nodes.size()));
        placed.add(InitialPlacement.place(db, catalog, ranges.get(i), replicas));
      }
      return placed;
    }
  }

  /** The status and body /readyz of {@code s} answers, e.g. "200 ready: ..." or "503 ...". */
  static String readyz(Service s) {
    return get(s, "/readyz");
  }

  /** The value of an unlabelled series on {@code s}'s /metrics, or -1 if it has none. */
  static double metric(Service s, String series) {
    for (String line : get(s, "/metrics").split("\n"))
      if (line.startsWith(series + " "))
        return Double.parseDouble(line.substring(series.length() + 1));
    return -1;
  }

  private static String get(Service s, String path) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://" + s.admin() + path))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() + " " + r.body().strip();
    } catch (IOException e) {
      return "unreachable: " + e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /** Waits until {@code s} answers /readyz with 200. */
  static void awaitReady(Service s, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = readyz(s);
    while (!last.startsWith("200 ")) {
      if (System.nanoTime() > deadline)
        throw new AssertionError(s.name() + " not ready within " + timeout + ": " + last);
      Thread.sleep(50);
      last = readyz(s);
    }
  }

  /** The cluster's ranges in key order, read from the store. */
  List<RangeDescriptor> ranges() {
    try (Database db = EmbeddedFdb.connect(store.address())) {
      return new RangeCatalog(Keyspace.open(db, "default"), LayerConfig.defaults())
          .list(db, null, 10_000)
          .items();
    }
  }

  RespClient connect(Service router) throws IOException {
    return RespClient.connect(clientLoop, router.listenAddress());
  }

  /** The reply to one command, or an Error reply standing for a lost connection or a timeout. */
  static RespValue call(@Nullable RespClient c, String... args) {
    if (c == null || !c.isOpen()) return new RespValue.Error("CONNECTION closed");
    try {
      return c.send(args).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      return new RespValue.Error("CONNECTION " + e);
    }
  }

  static boolean ok(RespValue v) {
    return v instanceof RespValue.Simple s && s.text().equals("OK");
  }

  @Override
  public void close() {
    for (FdbmetaProcess p : started) p.terminate(); // all stop at once, then each is waited for
    for (FdbmetaProcess p : started) p.close();
    try {
      store.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    clientLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
