package io.fdbmeta.tools.bench;

import io.fdbmeta.tools.Json;
import io.fdbmeta.tools.bench.FailoverBenchmark.Kill;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The figures of one {@code bench failover} run, as an aligned table and as one JSON line. */
public final class FailoverReport implements Report {
  /** Slowest range served again after a kill, over the lease duration. */
  static final double FAILOVER_OVER_LEASE_TARGET = 1.2;

  private final FailoverBenchmark.Config config;
  private final FailoverBenchmark.Results r;
  private final List<Target> targets = new ArrayList<>();

  FailoverReport(FailoverBenchmark.Config config, FailoverBenchmark.Results r) {
    this.config = config;
    this.r = r;
    targets.add(
        Target.atMost(
            "failoverOverLease",
            "slowest kill: time until every range of the killed node served a write and a read again, over the lease",
            FAILOVER_OVER_LEASE_TARGET,
            worstRatio()));
    targets.add(
        Target.atMost(
            "lostWrites",
            "acknowledged writes lost, through the router, on replicas and of the probes",
            0,
            lost()));
  }

  public List<Target> targets() {
    return List.copyOf(targets);
  }

  public boolean allTargetsPass() {
    return Target.allPass(targets);
  }

  /** A kill's failover time over the lease; infinite if a range never served again. */
  double ratio(Kill k) {
    return k.allServed()
        ? k.servedMillis() / (double) config.lease().toMillis()
        : Double.POSITIVE_INFINITY;
  }

  double worstRatio() {
    return r.kills().stream().mapToDouble(this::ratio).max().orElse(Double.NaN);
  }

  long lost() {
    return r.router().lost() + r.replicas().lost() + r.probes().lost();
  }

  private static final String ROW = "%-5s %-5s %-13s %-12s %-14s %-10s %-12s %-13s %-11s %-8s %s%n";

  /** The human report; its second line is the command that reproduces it. */
  @Override
  public String table(String reproduce) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "fdbmeta bench failover: storage nodes killed under load through the router; time until every range of the killed node serves again\n");
    sb.append("reproduce: ").append(reproduce).append('\n');
    sb.append(
        String.format(
            Locale.ROOT,
            "%d storage nodes over 3 zones x 2 racks (replication %d), %d ranges, the controller and 1 router in one JVM, fdb-embedded in memory; %d clients; %d cpus; Java %s; total %.1f s%n",
            config.nodes(),
            FailoverBenchmark.REPLICATION,
            config.ranges(),
            config.clients(),
            Runtime.getRuntime().availableProcessors(),
            Runtime.version(),
            r.totalSeconds()));
    sb.append(
        String.format(
            Locale.ROOT,
            "lease %d ms (liveness the same), max clock offset %d ms, controller tick %d ms: bound lease + offset + tick + commit = %.2fx lease%n",
            config.lease().toMillis(),
            FailoverBenchmark.MAX_CLOCK_OFFSET.toMillis(),
            FailoverBenchmark.CONTROLLER_TICK.toMillis(),
            (config.lease().toMillis()
                    + FailoverBenchmark.MAX_CLOCK_OFFSET.toMillis()
                    + FailoverBenchmark.CONTROLLER_TICK.toMillis())
                / (double) config.lease().toMillis()));
    sb.append(Target.loadWarning(r.loadAverage()));
    sb.append(
        String.format(
            Locale.ROOT,
            "load average at start: %.2f, at end: %.2f%n",
            r.loadAverage(),
            r.loadAverageAtEnd()));
    sb.append('\n');
    sb.append(
        String.format(
            Locale.ROOT,
            ROW,
            "kill",
            "node",
            "ranges (led)",
            "marked dead",
            "leases moved",
            "re-created",
            "led served",
            "others served",
            "all served",
            "/ lease",
            "target"));
    for (Kill k : r.kills()) {
      int byController = k.leasesMovedByController();
      sb.append(
          String.format(
              Locale.ROOT,
              ROW,
              k.round(),
              k.node(),
              k.ranges() + " (" + k.led() + ")",
              at(k.markedDeadMillis()),
              byController + " ctl, " + (k.led() - byController) + " repl",
              k.replicasRecreated(),
              at(k.ledServedMillis()),
              at(k.followedServedMillis()),
              at(k.servedMillis()),
              k.allServed() ? String.format(Locale.ROOT, "%.2fx", ratio(k)) : "never",
              "<= "
                  + FAILOVER_OVER_LEASE_TARGET
                  + "x  "
                  + (ratio(k) <= FAILOVER_OVER_LEASE_TARGET ? "PASS" : "MISS")));
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "(times from the kill; leases moved by the controller (ctl) or taken by a surviving replica itself (repl) once free (released, or its holder marked DEAD: leases ride on liveness); 're-created': replicas placed on other nodes;%n"
                + " a range serves again when a write and a read of a probe key through the router both succeed; each killed node restarts empty before the next kill)%n"));
    sb.append('\n');
    sb.append(
        String.format(
            Locale.ROOT,
            "load through the router: %,d requests, %,d acknowledged writes, %,d errors %s, %,d stale reads%n",
            r.requests(),
            r.acknowledgedWrites(),
            r.errors(),
            r.errorKinds().isEmpty() ? "" : r.errorKinds().toString(),
            r.staleReads()));
    sb.append(
        String.format(
            Locale.ROOT,
            "controller in all: %d leases moved, %d replicas re-created, %d rebalance moves%n",
            r.leasesMoved(),
            r.replicasRecreated(),
            r.rebalanceMoves()));
    sb.append(
        String.format(
            Locale.ROOT,
            "acknowledged writes checked: %,d keys through the router (%,d lost), %,d copies on replicas (%,d lost), %,d probe keys (%,d lost)   %s%n",
            r.router().checked(),
            r.router().lost(),
            r.replicas().checked(),
            r.replicas().lost(),
            r.probes().checked(),
            r.probes().lost(),
            Target.byId(targets, "lostWrites").verdict("%.0f", "")));
    sb.append(
        String.format(
            Locale.ROOT,
            "slowest kill %.2fx lease; targets: %s%n",
            worstRatio(),
            allTargetsPass() ? "all PASS" : "some MISS"));
    return sb.toString();
  }

  private Json errorKinds() {
    Json kinds = Json.object();
    r.errorKinds().forEach(kinds::put);
    return kinds;
  }

  private static String at(long millis) {
    if (millis == -1) return "-";
    if (millis < -1) return "never";
    return String.format(Locale.ROOT, "+%.2f s", millis / 1000.0);
  }

  /** Every figure in one line of JSON. */
  @Override
  public String json(String reproduce) {
    List<Object> kills = Json.list();
    for (Kill k : r.kills()) {
      kills.add(
          Json.object()
              .put("round", k.round())
              .put("node", k.node())
              .put("ranges", k.ranges())
              .put("led", k.led())
              .put("markedDeadMillis", k.markedDeadMillis())
              .put("leasesMovedByController", k.leasesMovedByController())
              .put("leasesTakenByReplicas", k.led() - k.leasesMovedByController())
              .put("replicasRecreated", k.replicasRecreated())
              .put("ledServedMillis", k.ledServedMillis())
              .put("followedServedMillis", k.followedServedMillis())
              .put("servedMillis", k.servedMillis())
              .put("overLease", ratio(k))
              .put("slowestRange", k.slowestRange())
              .put("errors", k.errors())
              .put("restartMillis", k.restartMillis()));
    }
    return Json.object()
        .put("bench", "failover")
        .put("reproduce", reproduce)
        .put("nodes", config.nodes())
        .put("replication", FailoverBenchmark.REPLICATION)
        .put("ranges", config.ranges())
        .put("clients", config.clients())
        .put("leaseMillis", config.lease().toMillis())
        .put("livenessMillis", config.lease().toMillis())
        .put("maxClockOffsetMillis", FailoverBenchmark.MAX_CLOCK_OFFSET.toMillis())
        .put("controllerTickMillis", FailoverBenchmark.CONTROLLER_TICK.toMillis())
        .put("cpus", Runtime.getRuntime().availableProcessors())
        .put("java", Runtime.version().toString())
        .put("loadAverageAtStart", r.loadAverage())
        .put("loadAverageAtEnd", r.loadAverageAtEnd())
        .put("totalSeconds", r.totalSeconds())
        .put("kills", kills)
        .put("worstOverLease", worstRatio())
        .put("requests", r.requests())
        .put("acknowledgedWrites", r.acknowledgedWrites())
        .put("errors", r.errors())
        .put("errorKinds", errorKinds())
        .put("staleReads", r.staleReads())
        .put("checkedThroughRouter", r.router().checked())
        .put("lostThroughRouter", r.router().lost())
        .put("checkedOnReplicas", r.replicas().checked())
        .put("lostOnReplicas", r.replicas().lost())
        .put("checkedProbes", r.probes().checked())
        .put("lostProbes", r.probes().lost())
        .put("leasesMoved", r.leasesMoved())
        .put("replicasRecreated", r.replicasRecreated())
        .put("rebalanceMoves", r.rebalanceMoves())
        .put("targets", Target.json(targets))
        .put("allTargetsPass", allTargetsPass())
        .toString();
  }
}
