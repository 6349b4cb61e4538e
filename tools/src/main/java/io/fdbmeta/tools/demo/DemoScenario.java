package io.fdbmeta.tools.demo;

import io.fdbmeta.layer.RangeDescriptor;
import io.fdbmeta.layer.control.ControllerConfig;
import io.fdbmeta.layer.control.ControllerEvent;
import io.fdbmeta.storage.LocalCluster;
import io.fdbmeta.storage.StorageNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/*
 * The demo's story of the control plane, told while the workload runs:
 *  1. at killAt, the node that leads the most ranges (among nodes whose zone has another node, so
 *     placement can re-create its replicas there) is killed as a crash would: sockets closed,
 *     nothing released. The controller marks it dead once its liveness expired, moves its leases
 *     to live replicas once they expired, and re-creates its replicas on other nodes; the demo
 *     watches until no range lists the node and every range's leaseholder serves, and reports how
 *     long that took against the lease. Errors the workload sees meanwhile (requests to ranges that
 *     wait for a new leaseholder, or for the dead replica to leave) are counted apart.
 *  2. a lease after the recovery (or after a give-up time, if it never comes), the node restarts: a
 *     new process, empty, which registers again and rejoins.
 *  3. at addAt, one more node joins, empty; the rebalancer moves replicas onto it (and onto the
 *     restarted node), always through placement, never a lease.
 * step() runs on the demo's main thread a few times a second; controller events arrive on the
 * controller's thread and are queued, then printed by step() in a few summarised lines.
 */
/**
 * Kills, restarts and adds nodes on schedule and reports what the controller did; see the comment
 * at the top.
 */
public final class DemoScenario {
  /**
   * After recovery, errors within this long still count as the failover's (replies already on their
   * way).
   */
  private static final long FAILOVER_GRACE_MILLIS = 1_000;

  private final LocalCluster cluster;
  private final DemoWorkload workload;
  private final PrintWriter out;
  private final long leaseMillis;
  private final long killAt;
  private final long addAt;
  private final Queue<ControllerEvent> events;

  private @Nullable String victim;
  private long killedAt = -1;
  private long killedAtClock;
  private long markedDeadAfter = -1;
  private long recoveredAfter = -1;
  private long restartedAt = -1;
  private int leasesMoved;
  private int recreated;
  private int rebalanced;
  private int rebalancedOntoAdded;
  private int rebalancedOffAdded;
  private static final long REBALANCE_COOLDOWN_MILLIS =
      ControllerConfig.defaults().rebalanceCooldownMillis();
  private int movedBack; // a range's replica returning to a node it left within the cool-down
  private int swaps; // replicas exchanged both ways between two nodes in one controller batch
  private final Map<Long, Map<String, Long>> leftAt = new HashMap<>(); // range -> node -> when
  private long errorsAtKill;
  private long failoverErrors;
  private boolean failoverErrorsCounted;
  private @Nullable String added;
  private long addedAt = -1;
  private @Nullable String skipped;

  /**
   * {@code events}: what the controller's listener receives, from its first tick on; {@code
   * killAt}/{@code addAt}: millis from the start of the workload; negative: never.
   */
  DemoScenario(
      LocalCluster cluster,
      Queue<ControllerEvent> events,
      DemoWorkload workload,
      PrintWriter out,
      long leaseMillis,
      long killAt,
      long addAt) {
    this.cluster = cluster;
    this.events = events;
    this.workload = workload;
    this.out = out;
    this.leaseMillis = leaseMillis;
    this.killAt = killAt;
    this.addAt = addAt;
  }

  /** True from the kill until the failover's errors are counted: no splits meanwhile. */
  boolean failingOver() {
    return killedAt >= 0 && !failoverErrorsCounted;
  }

  void step(long elapsed) {
    report(elapsed);
    if (killAt >= 0 && killedAt < 0 && skipped == null && elapsed >= killAt) kill(elapsed);
    if (victim != null && recoveredAfter < 0 && recovered()) {
      recoveredAfter = elapsed - killedAt;
      out.printf(
          Locale.ROOT,
          "demo: every range of %s serves again, %.1f s after the kill (lease %.1f s); no range lists it any more%n",
          victim,
          recoveredAfter / 1e3,
          leaseMillis / 1e3);
    }
    if (victim != null
        && !failoverErrorsCounted
        && (recoveredAfter >= 0 && elapsed - killedAt >= recoveredAfter + FAILOVER_GRACE_MILLIS
            || elapsed - killedAt > giveUpMillis())) {
      failoverErrors = workload.errors() - errorsAtKill;
      failoverErrorsCounted = true;
    }
    if (victim != null
        && restartedAt < 0
        && elapsed - killedAt
            >= (recoveredAfter >= 0 ? recoveredAfter + leaseMillis : giveUpMillis()))
      restart(elapsed);
    if (addAt >= 0
        && added == null
        && elapsed >= addAt
        && (victim == null || restartedAt >= 0 || skipped != null)) add(elapsed);
    out.flush();
  }

  private long giveUpMillis() {
    return 10 * leaseMillis;
  }

  private void kill(long elapsed) {
    String v = cluster.busiestReplaceableNode().orElse(null);
    if (v == null) {
      skipped =
          "no node shares its zone with another, so a killed node's replicas could not be re-created (use --nodes 4 or more)";
      out.println("demo: skipping the node failure: " + skipped);
      return;
    }
    List<RangeDescriptor> ranges = cluster.ranges();
    long led = ranges.stream().filter(d -> v.equals(d.leaseholder())).count();
    long replicas = ranges.stream().filter(d -> d.replicas().contains(v)).count();
    out.printf(
        Locale.ROOT,
        "demo: killing %s as a crash would (no goodbye; it leads %d ranges and replicates %d); the controller takes it from here%n",
        v,
        led,
        replicas);
    errorsAtKill = workload.errors();
    killedAtClock = cluster.layerConfig().now();
    cluster.kill(v);
    victim = v;
    killedAt = elapsed;
  }

  /** No range lists the victim, and every range's leaseholder runs and serves it. */
  private boolean recovered() {
    for (RangeDescriptor d : cluster.ranges()) {
      if (d.replicas().contains(victim) || d.leaseholder() == null) return false;
      StorageNode holder =
          cluster.nodes().stream()
              .filter(n -> n.nodeId().equals(d.leaseholder()))
              .findFirst()
              .orElse(null);
      if (holder == null || !holder.isServing(d.rangeId())) return false;
    }
    return true;
  }

  private void restart(long elapsed) {
    StorageNode n = cluster.restart(victim);
    restartedAt = elapsed;
    out.printf(
        Locale.ROOT,
        "demo: restarting %s: a new process (incarnation %d), empty; it registers again and rejoins, and the rebalancer may give it replicas%n",
        victim,
        n.incarnation());
  }

  private void add(long elapsed) {
    StorageNode n = cluster.addNode();
    added = n.nodeId();
    addedAt = elapsed;
    out.printf(
        Locale.ROOT,
        "demo: adding node %s (zone %s, rack %s), empty; the rebalancer moves replicas onto it, through placement%n",
        n.nodeId(),
        n.config().locality().zone(),
        n.config().locality().rack());
  }

  /** Prints the controller's events since the last step, a line per kind. */
  private void report(long elapsed) {
    List<ControllerEvent> batch = new ArrayList<>();
    for (ControllerEvent e; (e = events.poll()) != null; ) batch.add(e);
    if (batch.isEmpty()) return;
    Map<String, Integer> leases = new TreeMap<>(),
        recreates = new TreeMap<>(),
        rebalances = new TreeMap<>();
    List<String> other = new ArrayList<>();
    for (ControllerEvent e : batch) {
      switch (e.kind()) {
        case TOOK_OVER ->
            other.add("controller " + e.node() + " is active (term " + e.epoch() + ")");
        case NODE_DEAD -> {
          if (e.node() != null && e.node().equals(victim) && markedDeadAfter < 0)
            markedDeadAfter = e.at() - killedAtClock;
          other.add("controller marked " + e.node() + " dead (its liveness expired)");
        }
        case LEASE_MOVED -> {
          leasesMoved++;
          leases.merge(e.node() + " -> " + e.target(), 1, Integer::sum);
        }
        case MOVE_COMMITTED -> {
          if ("RECREATE".equals(e.detail())) {
            recreated++;
            recreates.merge(e.node() + " -> " + e.target(), 1, Integer::sum);
          } else {
            rebalanced++;
            if (e.target() != null && e.target().equals(added)) rebalancedOntoAdded++;
            if (e.node() != null && e.node().equals(added)) rebalancedOffAdded++;
            Map<String, Long> left = leftAt.computeIfAbsent(e.rangeId(), k -> new HashMap<>());
            Long back = left.get(e.target());
            if (back != null && e.at() - back < REBALANCE_COOLDOWN_MILLIS) movedBack++;
            left.put(e.node(), e.at());
            rebalances.merge(e.node() + " -> " + e.target(), 1, Integer::sum);
          }
        }
        case MOVE_ABORTED ->
            other.add("controller gave up a move of range " + e.rangeId() + ": " + e.detail());
        case UNSATISFIABLE ->
            other.add(
                "controller cannot place a replica of range " + e.rangeId() + ": " + e.detail());
        default -> {}
      }
    }
    for (Map.Entry<String, Integer> m : rebalances.entrySet()) {
      String[] ends = m.getKey().split(" -> ");
      Integer reverse = rebalances.get(ends[1] + " -> " + ends[0]);
      if (reverse != null && ends[0].compareTo(ends[1]) < 0)
        swaps += Math.min(m.getValue(), reverse);
    }
    for (String s : other) out.println("demo: " + s);
    if (!leases.isEmpty())
      out.println(
          "demo: controller moved the lease of "
              + count(leases, "range")
              + " from the dead node: "
              + leases);
    if (!recreates.isEmpty())
      out.println(
          "demo: controller re-created "
              + count(recreates, "replica")
              + " of the dead node elsewhere: "
              + recreates);
    if (!rebalances.isEmpty())
      out.println("demo: rebalancer moved " + count(rebalances, "replica") + ": " + rebalances);
  }

  /** "1 replica", "3 replicas": the sum of the counts. */
  private static String count(Map<String, Integer> m, String noun) {
    int n = m.values().stream().mapToInt(Integer::intValue).sum();
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  /** What happened, for the summary. */
  public record Outcome(
      @Nullable String victim,
      double killedAtSeconds,
      double markedDeadAfterSeconds,
      double recoveredAfterSeconds,
      double restartedAtSeconds,
      int leasesMoved,
      int recreated,
      long failoverErrors,
      @Nullable String added,
      double addedAtSeconds,
      int rebalanced,
      int rebalancedOntoAdded,
      int rebalancedOffAdded,
      int movedBack,
      int swaps,
      @Nullable String skipped) {}

  Outcome outcome(long elapsed) {
    report(elapsed);
    if (victim != null && !failoverErrorsCounted)
      failoverErrors = workload.errors() - errorsAtKill; // the run ended during the failover
    return new Outcome(
        victim,
        killedAt / 1e3,
        markedDeadAfter / 1e3,
        recoveredAfter / 1e3,
        restartedAt / 1e3,
        leasesMoved,
        recreated,
        failoverErrors,
        added,
        addedAt / 1e3,
        rebalanced,
        rebalancedOntoAdded,
        rebalancedOffAdded,
        movedBack,
        swaps,
        skipped);
  }
}
