package io.fdbmeta.tools.sim;

import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.control.ControllerStats;
import io.fdbmeta.tools.Json;
import io.fdbmeta.tools.bench.Target;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a simulation run measured, its targets, and the text and JSON forms `fdbmeta sim` prints.
 */
public final class SimReport {
  /**
   * Failover bound: lease + maxClockOffset + one detector interval of 1 s (the target). A
   * standby's takeover has the same bound after the active controller's last renewal.
   */
  static final double FAILOVER_BOUND_SECONDS =
      (LayerConfig.defaults().leaseMillis() + LayerConfig.defaults().maxClockOffsetMillis() + 1_000)
          / 1000.0;

  static final double STEADY_MOVES_PER_HOUR = 150;
  static final double CONVERGENCE_RATIO = 1.2;

  /**
   * Detector reads per cycle, per down node plus each replica it holds: its liveness entry and
   * record, and per replica its range_by_node entry, range_by_id, range and lease, and the record
   * of a replica to take the lease. Proportional to the down nodes' own ranges, never to the
   * catalog.
   */
  static final double DETECTOR_KEYS_PER_DOWN = 6;

  private final SimConfig config;
  private final Map<String, Object> figures;
  private final List<Target> targets;
  private final List<String> notes;

  /** Per stopped node: kind, node, seconds to detect, seconds to fail over (-1: never). */
  private final List<String[]> stops;

  private SimReport(
      SimConfig config,
      Map<String, Object> figures,
      List<Target> targets,
      List<String> notes,
      List<String[]> stops) {
    this.config = config;
    this.figures = figures;
    this.targets = targets;
    this.notes = notes;
    this.stops = stops;
  }

  public SimConfig config() {
    return config;
  }

  public List<Target> targets() {
    return targets;
  }

  public boolean pass() {
    return targets.stream().allMatch(Target::pass);
  }

  public Object figure(String name) {
    return figures.get(name);
  }

  /** Violations and errors worth printing (first few). */
  public List<String> notes() {
    return notes;
  }

  public String text(String reproduce) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "fdbmeta sim: %,d nodes, %,d ranges, %.2f simulated hours, seed %d%n",
            config.nodes(),
            config.ranges(),
            config.hours(),
            config.seed()));
    for (Map.Entry<String, Object> e : figures.entrySet()) {
      Object v = e.getValue();
      String s =
          v instanceof Double d
              ? String.format(Locale.ROOT, "%,.2f", d)
              : v instanceof Long l ? String.format(Locale.ROOT, "%,d", l) : String.valueOf(v);
      sb.append(String.format(Locale.ROOT, "  %-44s %s%n", e.getKey(), s));
    }
    StringBuilder perNode = new StringBuilder();
    for (String[] st : stops)
      perNode
          .append(perNode.length() == 0 ? "" : ", ")
          .append(st[1])
          .append(' ')
          .append(st[2])
          .append('/')
          .append(st[3]);
    sb.append("  detect/fail over (s) per stopped node: ").append(perNode).append('\n');
    sb.append("targets:\n");
    for (Target t : targets) {
      sb.append(
          String.format(
              Locale.ROOT,
              "  %-44s %,12.2f  %s %,.2f  %s%n",
              t.description(),
              t.actual(),
              t.atMost() ? "<=" : ">=",
              t.target(),
              t.pass() ? "PASS" : "MISS"));
    }
    for (String n : notes) sb.append("  ! ").append(n).append('\n');
    if (!pass())
      sb.append("FAILED with seed ")
          .append(config.seed())
          .append(": replay with the command below\n");
    sb.append("reproduce: ").append(reproduce).append('\n');
    return sb.toString();
  }

  public String json(String reproduce) {
    Json f = Json.object();
    figures.forEach(f::put);
    List<Object> ts = Json.list();
    for (Target t : targets) {
      ts.add(
          Json.object()
              .put("id", t.id())
              .put("limit", t.target())
              .put("actual", t.actual())
              .put("atMost", t.atMost())
              .put("pass", t.pass()));
    }
    return Json.object()
        .put("nodes", config.nodes())
        .put("ranges", config.ranges())
        .put("hours", config.hours())
        .put("seed", config.seed())
        .put("figures", f)
        .put("stops", stopsJson())
        .put("targets", ts)
        .put("pass", pass())
        .put("notes", new ArrayList<Object>(notes))
        .put("reproduce", reproduce)
        .toString();
  }

  private List<Object> stopsJson() {
    List<Object> out = Json.list();
    for (String[] st : stops) {
      out.add(
          Json.object()
              .put("kind", st[0])
              .put("node", st[1])
              .put("detectSeconds", Long.parseLong(st[2]))
              .put("failoverSeconds", Long.parseLong(st[3])));
    }
    return out;
  }

  /** Collects figures during a run. */
  /** Steady-state lease upkeep target: heartbeats + lease changes per second, over the bound. */
  static final double UPKEEP_RATIO = 1.2;

  /** The kinds of metadata write the steady state is measured by. */
  static final List<String> WRITE_KINDS =
      List.of("heartbeats", "lease changes", "moves", "splits and merges");

  static final class Builder {
    private double setUpSeconds;
    private double wallSeconds;
    private long lowerBound;
    private double initialSkew;
    private long steadyFrom;
    private long steadyTo;
    private long eventsFrom;
    private final List<Long> rebalanceMoveTimes = new ArrayList<>();
    private long detectorCycles;
    private long detectorKeys;
    private long detectorMax;
    private long detectorQuietMax;
    private double detectorMaxPerNode;
    private double detectorMaxPerReplica;
    private long twoActive;
    private final List<String> takeovers = new ArrayList<>();
    private long pendingFailureAt = -1;
    private long pendingFailureLastTick = -1;
    private double maxTakeoverDelay;
    private final List<String> errors = new ArrayList<>();
    private long simErrors;
    private String rack = "none";
    private int rackNodes;
    private int added;
    private int hotspots;
    private final Map<String, ControllerStats> stats = new LinkedHashMap<>();
    private Observer observer;
    private ChurnMeter churn;
    private List<Simulation.StopRecord> stops = List.of();

    /** Steady-state metadata writes by kind (heartbeats, lease changes, moves, splits). */
    private final Map<String, Long> steadyWrites = new LinkedHashMap<>();

    {
      for (String k : WRITE_KINDS) steadyWrites.put(k, 0L);
    }

    private final double loadAverage =
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();

    void setUpSeconds(double s) {
      setUpSeconds = s;
    }

    void wallSeconds(double s) {
      wallSeconds = s;
    }

    void lowerBound(long lb, double skew) {
      lowerBound = lb;
      initialSkew = skew;
    }

    void phases(long steady, long failures, long events) {
      steadyFrom = steady;
      steadyTo = failures;
      eventsFrom = events;
    }

    void rebalanceMove(long at) {
      rebalanceMoveTimes.add(at);
    }

    void detectorCycle(long keys, int pendingStops, int theirReplicas) {
      detectorCycles++;
      detectorKeys += keys;
      detectorMax = Math.max(detectorMax, keys);
      if (pendingStops == 0) {
        detectorQuietMax = Math.max(detectorQuietMax, keys);
      } else {
        detectorMaxPerNode = Math.max(detectorMaxPerNode, (double) keys / pendingStops);
        detectorMaxPerReplica =
            Math.max(detectorMaxPerReplica, (double) keys / (pendingStops + theirReplicas));
      }
    }

    void twoActiveControllers(long at) {
      twoActive++;
      simError("two controllers active at " + at);
    }

    void controllerFailure(String what, long at, long lastActiveTick) {
      pendingFailureAt = at;
      pendingFailureLastTick = lastActiveTick;
      takeovers.add(what + " at +" + (at - Simulation.START) / 1000 + " s");
    }

    void takeover(String holder, long epoch, long at) {
      String delay = "";
      if (pendingFailureAt >= 0) {
        double d = (at - pendingFailureLastTick) / 1000.0;
        maxTakeoverDelay = Math.max(maxTakeoverDelay, d);
        delay =
            String.format(Locale.ROOT, ", %.0f s after the previous controller's last renewal", d);
        pendingFailureAt = -1;
      }
      takeovers.add(
          holder
              + " took over at epoch "
              + epoch
              + " at +"
              + (at - Simulation.START) / 1000
              + " s"
              + delay);
    }

    private final List<String> unsatisfiableEvents = new ArrayList<>();

    void unsatisfiable(String event) {
      if (unsatisfiableEvents.size() < 3) unsatisfiableEvents.add(event);
    }

    void simError(String what) {
      simErrors++;
      if (errors.size() < 10) errors.add(what);
    }

    void rackFailure(String rack, int nodes) {
      this.rack = rack;
      this.rackNodes = nodes;
    }

    void nodesAdded(int n) {
      added += n;
    }

    void hotspot() {
      hotspots++;
    }

    void controllerStats(String id, ControllerStats s) {
      stats.put(id, s);
    }

    /** {@code n} metadata writes of {@code kind} at {@code at}; counted in the steady state. */
    void write(String kind, long at, long n) {
      if (at >= steadyFrom && at < steadyTo) steadyWrites.merge(kind, n, Long::sum);
    }

    void heartbeats(long at, long n) {
      write("heartbeats", at, n);
    }

    void leaseChange(long at) {
      write("lease changes", at, 1);
    }

    void observer(Observer o) {
      observer = o;
    }

    void churn(ChurnMeter c) {
      churn = c;
    }

    void stops(List<Simulation.StopRecord> s) {
      stops = s;
    }

    SimReport build(SimConfig cfg) {
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("wall seconds (set-up included)", wallSeconds);
      f.put("load average when the run started", loadAverage);
      f.put("set-up seconds (fleet, catalog import)", setUpSeconds);
      long convergenceMoves = rebalanceMoveTimes.stream().filter(t -> t < steadyFrom).count();
      long lastConvergenceMove =
          rebalanceMoveTimes.stream()
              .filter(t -> t < steadyFrom)
              .mapToLong(Long::longValue)
              .max()
              .orElse(Simulation.START);
      double steadyHours = (steadyTo - steadyFrom) / 3_600_000.0;
      long steadyMoves =
          rebalanceMoveTimes.stream().filter(t -> t >= steadyFrom && t < steadyTo).count();
      long failureMoves =
          rebalanceMoveTimes.stream().filter(t -> t >= steadyTo && t < eventsFrom).count();
      long lateMoves = rebalanceMoveTimes.stream().filter(t -> t >= eventsFrom).count();
      // converged: no move for the last 2 minutes (5% of a short run) before the steady state began
      boolean converged =
          steadyFrom - lastConvergenceMove >= Math.min(120_000, cfg.durationMillis() / 20);
      f.put("initial skew (max node / mean - 1)", initialSkew);
      f.put("convergence: lower bound of moves", lowerBound);
      f.put("convergence: moves", convergenceMoves);
      f.put("convergence: moves / lower bound", ratio(convergenceMoves, lowerBound));
      f.put(
          "convergence: minutes to converge",
          converged ? (lastConvergenceMove - Simulation.START) / 60_000.0 : Double.NaN);
      f.put("steady state: rebalance moves per hour", steadyMoves / steadyHours);
      f.put("failures phase: rebalance moves (refilling resumed nodes)", failureMoves);
      f.put("rack failure and additions phase: rebalance moves", lateMoves);
      double steadySeconds = (steadyTo - steadyFrom) / 1000.0;
      double bound = cfg.nodes() / (Simulation.HEARTBEAT_STEPS * Simulation.STEP / 1000.0);
      for (Map.Entry<String, Long> e : steadyWrites.entrySet())
        f.put("steady state: metadata writes/s, " + e.getKey(), e.getValue() / steadySeconds);
      double upkeep =
          (steadyWrites.get("heartbeats") + steadyWrites.get("lease changes")) / steadySeconds;
      f.put("steady state: metadata writes/s, heartbeats + lease changes", upkeep);
      f.put("steady state: bound nodes / heartbeat interval (writes/s)", bound);
      f.put("steady state: (heartbeats + lease changes) / bound", upkeep / bound);
      List<Double> detect = new ArrayList<>();
      List<Double> failover = new ArrayList<>();
      int undetected = 0;
      int notFailedOver = 0;
      List<String> slow = new ArrayList<>();
      List<String[]> perStop = new ArrayList<>();
      for (Simulation.StopRecord s : stops) {
        if (s.detectAt >= 0) detect.add((s.detectAt - s.at) / 1000.0);
        else undetected++;
        if (s.failoverAt >= 0) failover.add((s.failoverAt - s.at) / 1000.0);
        else notFailedOver++;
        perStop.add(
            new String[] {
              s.kind,
              s.node.id,
              String.valueOf(s.detectAt < 0 ? -1 : (s.detectAt - s.at) / 1000),
              String.valueOf(s.failoverAt < 0 ? -1 : (s.failoverAt - s.at) / 1000)
            });
        if (s.failoverAt < 0 || s.failoverAt - s.at > FAILOVER_BOUND_SECONDS * 1000) {
          slow.add(
              s.kind
                  + " of "
                  + s.node.id
                  + " at +"
                  + (s.at - Simulation.START) / 1000
                  + " s: detected after "
                  + (s.detectAt < 0 ? "never" : (s.detectAt - s.at) / 1000 + " s")
                  + ", failed over after "
                  + (s.failoverAt < 0 ? "never" : (s.failoverAt - s.at) / 1000 + " s"));
        }
      }
      f.put(
          "nodes stopped (deaths, pauses, rack " + rack + ": " + rackNodes + ")",
          (long) stops.size());
      f.put("nodes added", (long) added);
      f.put("rebalance: swaps (both ways between two nodes in one cycle)", churn.swaps);
      f.put("rebalance: moves back to a node within the cool-down", churn.movesBack);
      f.put(
          "rebalance: moves off a node within the cool-down of arriving",
          churn.movesOffBeforeSettled);
      f.put("rebalance: moves onto added nodes", churn.ontoAdded);
      f.put("rebalance: lower bound of moves onto added nodes", churn.addedLowerBound);
      f.put("hot ranges", (long) hotspots);
      f.put("time to detect: mean s", mean(detect));
      f.put("time to detect: max s", max(detect));
      f.put("time to fail over: mean s", mean(failover));
      f.put("time to fail over: max s", max(failover));
      f.put("stopped nodes not failed over by the end", (long) notFailedOver);
      f.put(
          "detector keys read per cycle: mean",
          detectorCycles == 0 ? 0.0 : (double) detectorKeys / detectorCycles);
      f.put("detector keys read per cycle: max", detectorMax);
      f.put("detector keys read per cycle: max with no node down", detectorQuietMax);
      f.put("detector keys read per cycle: max per down node", detectorMaxPerNode);
      f.put(
          "detector keys read per cycle: max per (down node + its replica)", detectorMaxPerReplica);
      f.put("placement violations", observer.placementViolations);
      f.put("double-leader intervals", observer.doubleLeaders);
      f.put("double-leader milliseconds", observer.doubleLeaderMillis);
      f.put(
          "controller takeovers",
          (long) takeovers.stream().filter(s -> s.contains("took over")).count());
      f.put("takeover: max s after last renewal", maxTakeoverDelay);
      f.put("replicas re-created", observer.recreations);
      f.put("splits", observer.splits);
      f.put("merges", observer.merges);
      long leasesMoved = 0;
      long unsatisfiable = 0;
      long fenced = 0;
      for (ControllerStats s : stats.values()) {
        leasesMoved += s.leasesMoved();
        unsatisfiable += s.unsatisfiable();
        fenced += s.fencedOff();
      }
      f.put("leases moved", leasesMoved);
      f.put("placement unsatisfiable (reported, not violated)", unsatisfiable);
      f.put("deposed-controller cycles fenced off", fenced);
      f.put("simulation errors", simErrors);
      List<Target> t = new ArrayList<>();
      t.add(
          new Target(
              "placement_violations",
              "placement violations",
              0,
              observer.placementViolations,
              true));
      t.add(
          new Target("double_leaders", "double-leader intervals", 0, observer.doubleLeaders, true));
      t.add(
          new Target(
              "steady_upkeep_ratio",
              "steady (heartbeats + lease changes)/s / (nodes / heartbeat interval)",
              UPKEEP_RATIO,
              upkeep / bound,
              true));
      t.add(
          new Target(
              "two_controllers", "instants with two active controllers", 0, twoActive, true));
      t.add(
          new Target(
              "steady_moves_per_hour",
              "steady-state moves per hour",
              STEADY_MOVES_PER_HOUR,
              steadyMoves / steadyHours,
              true));
      t.add(
          new Target(
              "convergence_ratio",
              "convergence moves / lower bound",
              CONVERGENCE_RATIO,
              converged ? ratio(convergenceMoves, lowerBound) : Double.NaN,
              true));
      t.add(
          new Target(
              "failover_seconds",
              "max time to fail over (s)",
              FAILOVER_BOUND_SECONDS,
              notFailedOver > 0 ? Double.NaN : max(failover),
              true));
      // a controller failure that no takeover followed is a miss, not a delay of 0
      t.add(
          new Target(
              "takeover_seconds",
              "max takeover s after last renewal",
              FAILOVER_BOUND_SECONDS,
              pendingFailureAt >= 0 ? Double.NaN : maxTakeoverDelay,
              true));
      t.add(
          new Target(
              "detector_quiet_keys",
              "detector keys per cycle with no node down",
              0,
              detectorQuietMax,
              true));
      t.add(
          new Target(
              "detector_keys_per_down",
              "detector keys per (down node + its replica)",
              DETECTOR_KEYS_PER_DOWN,
              detectorMaxPerReplica,
              true));
      t.add(new Target("swaps", "rebalance swaps in one cycle", 0, churn.swaps, true));
      t.add(
          new Target(
              "moves_back",
              "moves back or off within the cool-down",
              0,
              churn.movesBack + churn.movesOffBeforeSettled,
              true));
      t.add(
          new Target(
              "added_fill_ratio",
              "moves onto added nodes / lower bound",
              CONVERGENCE_RATIO,
              churn.addedLowerBound == 0 ? 0 : ratio(churn.ontoAdded, churn.addedLowerBound),
              true));
      t.add(new Target("simulation_errors", "simulation errors", 0, simErrors, true));
      List<String> notes = new ArrayList<>(observer.examples);
      notes.addAll(errors);
      notes.addAll(slow.subList(0, Math.min(5, slow.size())));
      notes.addAll(unsatisfiableEvents);
      notes.addAll(takeovers);
      for (Map.Entry<String, ControllerStats> e : stats.entrySet())
        notes.add(e.getKey() + ": " + e.getValue());
      return new SimReport(cfg, f, t, notes, perStop);
    }

    private static double ratio(long a, long b) {
      return b == 0 ? (a == 0 ? 1.0 : Double.MAX_VALUE) : (double) a / b;
    }

    private static double mean(List<Double> xs) {
      return xs.isEmpty() ? 0 : xs.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    }

    private static double max(List<Double> xs) {
      return xs.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }
  }
}
