package io.fdbmeta.tools;

import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.Lease;
import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.storage.StorageNode;
import io.fdbmeta.storage.StorageNodeConfig;
import io.fdbmeta.tools.ServiceAdmin.Readiness;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/*
 * `fdbmeta node`: the reference storage node (storage's StorageNode) as a service process. In
 * order:
 *  1. Binds the admin port (ServiceAdmin), so /healthz answers at once and /readyz says what the
 *     process waits for.
 *  2. Opens the store the global options name, and the --cluster's keyspace.
 *  3. StorageNode.start: binds --listen, registers the node (its bound address, locality), loads
 *     its route table, then heartbeats, follows the catalog and keeps its leases. Ready once it
 *     returns. A taken --listen port is one line naming it, exit 1.
 *  4. Logs a line per lease gained or lost, and one line for the rest beyond WATCH_LINES in one
 *     look (a node taking a hundred thousand leases does not log each). StorageNode has no lease
 *     listener (serving also ends with the node's own liveness), so a watcher compares the ranges
 *     it serves every WATCH_INTERVAL; each look walks every replica, hence not more often.
 *  5. On SIGTERM or SIGINT (ServiceShutdown): not ready, then hands the lease of every range it
 *     leads to another replica (StorageNode.transferLeasesAsync, a batch of ranges per
 *     transaction: writes drain, the target serves at the next epoch), first each to its first
 *     other replica in the descriptor's order, then what is left to the next; then
 *     StorageNode.close, which releases any lease it still holds (one whose hand-over failed:
 *     others may take it at once) and drains requests in flight; exit 0.
 */
/** {@code fdbmeta node}: see the comment at the top. */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    description = {
      "Run the reference storage node against the store the global options name, until Ctrl-C or"
          + " SIGTERM, which hand its leases to other replicas before it exits.",
      "Logs one line per lease gained or lost; serves /healthz, /readyz and /metrics on --admin."
    })
final class NodeCommand implements Callable<Integer> {

  /** How often the watcher compares the ranges the node serves, for the log. */
  static final Duration WATCH_INTERVAL = Duration.ofSeconds(1);

  /** Ranges gained (and lost) logged one per line in one look; the rest are counted in one. */
  static final int WATCH_LINES = 20;

  /** How long a clean stop (every hand-over, closing) may take before the process exits anyway. */
  static final Duration STOP_DEADLINE = Duration.ofSeconds(60);

  /**
   * How long one batch of lease hand-overs may take at SIGTERM before the next replicas are tried.
   */
  static final Duration HANDOVER_TIMEOUT = Duration.ofSeconds(5);

  @Spec CommandSpec spec;

  @Option(
      names = "--id",
      required = true,
      paramLabel = "ID",
      description = "This node's id in the registry, e.g. n1: 1-128 of [A-Za-z0-9._:-].")
  String id = "";

  @Option(
      names = "--listen",
      required = true,
      paramLabel = "HOST:PORT",
      description =
          "The node protocol's address, as registered: routers and peers connect to it (port 0: a"
              + " free port, printed at start).")
  String listen = "";

  @Option(names = "--zone", required = true, paramLabel = "ZONE", description = "Failure zone.")
  String zone = "";

  @Option(names = "--rack", required = true, paramLabel = "RACK", description = "Rack.")
  String rack = "";

  @Option(
      names = "--region",
      paramLabel = "REGION",
      defaultValue = "local",
      description = "Region (default: ${DEFAULT-VALUE}).")
  String region = "local";

  @Mixin AdminOption admin = new AdminOption();

  @Option(
      names = "--max-connections-per-address",
      paramLabel = "N",
      description =
          "Most node protocol connections from one source IP address (default: 256, a quarter of"
              + " the 1024 total; a router opens one per I/O thread).")
  @Nullable Integer maxConnectionsPerAddress;

  @Mixin ClusterTlsOption clusterTls = new ClusterTlsOption();

  @Mixin ConfigFile.ConfigOption configFile = new ConfigFile.ConfigOption();

  private volatile boolean stopping;
  private long[] serving = {}; // sorted; only touched on the watcher thread
  private final AtomicLong gained = new AtomicLong();
  private final AtomicLong lost = new AtomicLong();
  private final AtomicLong handedOver = new AtomicLong();

  @Override
  public Integer call() throws InterruptedException {
    HostPort node = HostPort.parseOption(spec, "--listen", listen);
    HostPort where = admin.address(spec);
    StorageNodeConfig.Builder builder;
    try {
      builder = StorageNodeConfig.builder(id);
    } catch (IllegalArgumentException e) {
      throw ConfigFile.badValue(spec, "--id", e.getMessage());
    }
    StorageNodeConfig config;
    try {
      if (maxConnectionsPerAddress != null)
        builder.maxConnectionsPerAddress(maxConnectionsPerAddress);
      config =
          builder
              .host(node.host())
              .port(node.port())
              .locality(region, zone, rack)
              .tls(clusterTls.load(spec))
              .build();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    ServiceAdmin adminPort = ServiceAdmin.start("node", where, admin.token(spec));
    MetaSession session = adminPort.openStore(spec);
    adminPort.readiness(() -> Readiness.notReady("registering and loading the route table"));
    StorageNode n;
    try {
      n = StorageNode.start(session.db(), session.keyspace(), session.config(), config);
    } catch (Exception e) { // Netty's bind failure is a checked exception, thrown unchecked
      adminPort.close();
      session.close();
      throw BindFailures.listenFailure(e, node, "--listen");
    }
    ServiceLog log = new ServiceLog(spec.commandLine().getOut(), "node " + id, Clock.systemUTC());
    adminPort.readiness(() -> readiness(n));
    adminPort.metrics(text -> metrics(text, n));
    log.info(
        "started: store "
            + session.storeDescription()
            + ", cluster '"
            + session.cluster()
            + "', listen "
            + n.address()
            + (clusterTls.cert == null ? "" : " (mutual TLS)")
            + ", admin "
            + RouterCommand.hostPort(adminPort.address())
            + ", locality "
            + region
            + "/"
            + zone
            + "/"
            + rack
            + ", incarnation "
            + n.incarnation()
            + " (lease "
            + session.config().leaseMillis()
            + " ms)");
    ScheduledExecutorService watcher = ServiceShutdown.daemonScheduler("node-watch-" + id);
    watcher.scheduleWithFixedDelay(
        () -> watch(n, log), 0, WATCH_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    return ServiceShutdown.runUntilSignalled(
        log,
        STOP_DEADLINE,
        step -> {
          stopping = true;
          step.accept("handing over its leases");
          handOver(n, log, step);
          watcher.shutdown();
          watcher.awaitTermination(1, TimeUnit.SECONDS);
          watch(n, log);
          step.accept("closing the node (releasing what it still holds, draining requests)");
          n.close();
          log.info("stopped after handing over " + handedOver.get() + " leases");
          step.accept("closing the admin port and the store");
          adminPort.close();
          session.close();
        });
  }

  /**
   * Ready once every replica it has holds its data: a rolling restart that waits for /readyz before
   * stopping the next node never leaves a range whose only complete copies are being restarted.
   */
  private Readiness readiness(StorageNode n) {
    if (stopping) return Readiness.notReady("handing over its leases");
    List<RangeDescriptor> replicas = n.replicaRanges();
    long copying = replicas.stream().filter(d -> !n.isSynced(d.rangeId())).count();
    if (copying > 0)
      return Readiness.notReady("copying " + copying + " of " + replicas.size() + " replicas");
    return Readiness.ready(
        "serving " + n.servingRanges().size() + " ranges, replica of " + replicas.size());
  }

  /**
   * Hands every lease the node leads to another replica, in rounds: first each to its first other
   * replica in the descriptor's order, then what is left to the next. Whatever is left after the
   * last round is released by close.
   */
  private void handOver(StorageNode n, ServiceLog log, java.util.function.Consumer<String> step) {
    Set<Long> leading = new HashSet<>(n.servingRanges());
    if (leading.isEmpty()) {
      log.info("stopping: leads no range");
      return;
    }
    log.info("stopping: handing over the leases of " + leading.size() + " ranges");
    Map<Long, List<String>> others = new LinkedHashMap<>(); // of each led range, in order
    for (RangeDescriptor d : n.replicaRanges()) {
      if (leading.contains(d.rangeId()))
        others.put(d.rangeId(), d.replicas().stream().filter(r -> !r.equals(id)).toList());
    }
    for (int round = 0; !others.isEmpty(); round++) {
      Map<Long, String> targets = new LinkedHashMap<>();
      for (Map.Entry<Long, List<String>> e : others.entrySet())
        if (round < e.getValue().size()) targets.put(e.getKey(), e.getValue().get(round));
      if (targets.isEmpty()) break;
      step.accept("handing over the leases of " + targets.size() + " ranges");
      long batches = (targets.size() + StorageNode.LEASE_BATCH - 1) / StorageNode.LEASE_BATCH;
      Map<Long, Lease> moved;
      try {
        moved =
            n.transferLeasesAsync(targets)
                .get(HANDOVER_TIMEOUT.toMillis() * batches, TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        log.warn("handing over leases failed: " + ErrorHandlers.describe(FdbErrors.cause(e)));
        break;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      handedOver.addAndGet(moved.size());
      List<String> lines = new ArrayList<>();
      moved.forEach(
          (range, l) -> lines.add(range + " to " + l.holder() + " (epoch " + l.epoch() + ")"));
      logEach(log, lines, "handed the lease of range ", "handed over the leases of ");
      others.keySet().removeAll(moved.keySet());
      others.keySet().retainAll(new HashSet<>(n.servingRanges())); // lost meanwhile: nothing to do
    }
    if (!others.isEmpty())
      log.warn(
          "could not hand over the leases of "
              + others.size()
              + " ranges (e.g. "
              + others.keySet().stream().limit(WATCH_LINES).toList()
              + ": no other replica LIVE, writes not drained, or the store refused); releasing"
              + " them instead");
  }

  private void watch(StorageNode n, ServiceLog log) {
    try {
      long[] now = n.servingRanges().stream().mapToLong(Long::longValue).sorted().toArray();
      if (Arrays.equals(now, serving)) return; // the usual look: nothing else to allocate
      List<Long> newly = notIn(serving, now);
      List<Long> gone = notIn(now, serving);
      gained.addAndGet(newly.size());
      lost.addAndGet(gone.size());
      logEach(log, newly, "lease gained: serving range ", "lease gained: serving ");
      logEach(log, gone, "lease lost: no longer serving range ", "lease lost: no longer serving ");
      serving = now;
    } catch (RuntimeException e) {
      log.warn("could not read the node's ranges: " + ErrorHandlers.describe(e));
    }
  }

  /** The ids of {@code ids} that {@code sorted} lacks. */
  private static List<Long> notIn(long[] sorted, long[] ids) {
    List<Long> out = new ArrayList<>();
    for (long id : ids) if (Arrays.binarySearch(sorted, id) < 0) out.add(id);
    return out;
  }

  private static void logEach(ServiceLog log, List<?> ranges, String each, String rest) {
    for (int i = 0; i < ranges.size(); i++) {
      if (i == WATCH_LINES) {
        log.info(rest + (ranges.size() - i) + " more ranges");
        return;
      }
      log.info(each + ranges.get(i));
    }
  }

  /** {@code fdbmeta_node_port_rejections_total{kind}}: what the node protocol port refused. */
  static void portRejections(PrometheusText t, StorageNode.PortRejections r) {
    String name = "fdbmeta_node_port_rejections_total";
    StringBuilder sb =
        new StringBuilder()
            .append("# HELP ")
            .append(name)
            .append(" Node protocol connections refused or closed, by why.\n")
            .append("# TYPE ")
            .append(name)
            .append(" counter\n");
    long[] n = {r.overCap(), r.overAddressCap(), r.partialFrameBudget(), r.malformedFrames()};
    String[] kinds = {"over_cap", "over_address_cap", "partial_frame_budget", "malformed_frame"};
    for (int i = 0; i < n.length; i++)
      sb.append(name).append("{kind=\"").append(kinds[i]).append("\"} ").append(n[i]).append('\n');
    t.include(sb.toString());
  }

  private void metrics(PrometheusText t, StorageNode n) {
    StorageNode.Stats s = n.stats();
    String p = "fdbmeta_node_";
    t.counter(p + "requests_total", "Requests processed.", s.requests())
        .gauge(p + "data_bytes", "Bytes of keys and values held.", s.bytes())
        .gauge(p + "keys", "Keys held.", s.keys())
        .gauge(p + "replicas", "Ranges this node replicates.", s.replicas())
        .gauge(p + "serving_ranges", "Ranges this node leads and serves now.", s.serving())
        .gauge(p + "requests_in_flight", "Requests being processed.", s.inFlight())
        .counter(p + "leases_gained_total", "Ranges it started serving.", gained.get())
        .counter(p + "leases_lost_total", "Ranges it stopped serving.", lost.get())
        .counter(
            p + "leases_handed_over_total",
            "Leases handed to another replica at a graceful stop.",
            handedOver.get());
    portRejections(t, n.portRejections());
  }
}
