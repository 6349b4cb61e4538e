package io.fdbmeta.tools;

import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.control.Controller;
import io.fdbmeta.layer.control.ControllerConfig;
import io.fdbmeta.layer.control.ControllerEvent;
import io.fdbmeta.layer.control.ControllerStats;
import io.fdbmeta.tools.ServiceAdmin.Readiness;
import io.fdbmeta.tools.ServiceLog.Level;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/*
 * `fdbmeta controller`: one instance of the control loops (layer's Controller) as a service
 * process. Any number may run against one store; the controller lease makes one active. In order:
 *  1. Binds the admin port (ServiceAdmin), so /healthz answers at once and /readyz says what the
 *     process waits for.
 *  2. Opens the store the global options name, and the --cluster's keyspace.
 *  3. Ticks Controller.create(...) on its own thread every ControllerConfig tick. Not
 *     Controller.start: that ticks at once, before a listener can be added, and the first tick is
 *     the one that may take over, so its "became active" would go unlogged.
 *  4. Logs one line per ControllerEvent (ServiceLog), and failed ticks (the first of a run, then a
 *     reminder every FAILED_TICK_REMINDER, then the recovery). Ready once the first tick has run:
 *     the process then knows whether it is active or standby.
 *  5. On SIGTERM or SIGINT (ServiceShutdown): not ready, stop ticking, resign the term so a standby
 *     takes over at its next tick instead of after the lease, close, exit 0.
 *
 * The lease holder is the --id plus a random incarnation ("ctl-1#1f3a9c0e"). The controller lease
 * is granted to a holder name, and a holder asking again extends its own term; so two processes
 * started with the same --id (a restart racing its predecessor, a copy-pasted unit) would both
 * believe they are active at one epoch, and fencing, which checks holder and epoch, could not tell
 * them apart. With the incarnation a restarted ctl-1 is a new candidate and waits for its
 * predecessor's term like any standby.
 */
/** {@code fdbmeta controller}: see the comment at the top. */
@Command(
    name = "controller",
    mixinStandardHelpOptions = true,
    description = {
      "Run one controller (election, failure detection and failover, placement, rebalancing,"
          + " splits and merges) against the store the global options name, until Ctrl-C or"
          + " SIGTERM, which resign the term so a standby takes over at once. Run two or more:"
          + " one is active, the others stand by.",
      "Logs one line per action; serves /healthz, /readyz and /metrics on --admin."
    })
final class ControllerCommand implements Callable<Integer> {

  /** How long a clean stop (the tick in flight, the resignation, closing) may take. */
  static final Duration STOP_DEADLINE = Duration.ofSeconds(10);

  /** Failed ticks in a row between two reminders in the log. */
  static final int FAILED_TICK_REMINDER = 30;

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

  @Spec CommandSpec spec;

  @Option(
      names = "--id",
      required = true,
      paramLabel = "ID",
      description =
          "This controller's name in logs and in the controller lease, e.g. ctl-1: 1-64 letters,"
              + " digits, '.', '_' or '-'.")
  String id = "";

  @Mixin AdminOption admin = new AdminOption();

  @Mixin ConfigFile.ConfigOption configFile = new ConfigFile.ConfigOption();

  private final AtomicLong tickFailures = new AtomicLong();
  private int failedInARow; // only touched on the ticking thread
  private volatile boolean ticked;
  private volatile boolean stopping;
  private volatile boolean active;
  private volatile long epoch;

  @Override
  public Integer call() throws InterruptedException {
    if (!ID.matcher(id).matches()) {
      throw ConfigFile.badValue(
          spec,
          "--id",
          "'" + id + "' is not a controller id: use 1-64 letters, digits, '.', '_' or '-'");
    }
    HostPort where = admin.address(spec);
    ServiceLog log =
        new ServiceLog(spec.commandLine().getOut(), "controller " + id, Clock.systemUTC());
    ServiceAdmin adminPort = ServiceAdmin.start("controller", where, admin.token(spec));
    MetaSession session = adminPort.openStore(spec);
    ControllerConfig config = ControllerConfig.defaults();
    String holder = id + "#" + UUID.randomUUID().toString().substring(0, 8);
    Controller controller =
        Controller.create(session.db(), session.keyspace(), session.config(), config, holder);
    controller.addListener(e -> log(log, e));
    adminPort.readiness(this::readiness);
    adminPort.metrics(text -> metrics(text, controller.stats()));
    InetSocketAddress bound = adminPort.address();
    log.info(
        "started: store "
            + session.storeDescription()
            + ", cluster '"
            + session.cluster()
            + "', admin "
            + bound.getHostString()
            + ":"
            + bound.getPort()
            + ", lease holder "
            + holder
            + " (lease "
            + session.config().leaseMillis()
            + " ms, max clock offset "
            + session.config().maxClockOffsetMillis()
            + " ms, tick "
            + config.tickMillis()
            + " ms)");
    ScheduledExecutorService ticker = ServiceShutdown.daemonScheduler("controller-" + id);
    ticker.scheduleWithFixedDelay(
        () -> tick(controller, log), 0, config.tickMillis(), TimeUnit.MILLISECONDS);
    return ServiceShutdown.runUntilSignalled(
        log,
        STOP_DEADLINE,
        step -> {
          stopping = true;
          step.accept("waiting for the tick in flight");
          ticker.shutdown();
          if (!ticker.awaitTermination(STOP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS))
            throw new IllegalStateException("the tick in flight did not end");
          long held = controller.epoch();
          if (held > 0)
            step.accept(
                "resigning term "
                    + held
                    + ": is the store reachable? if not, a standby takes over when the term"
                    + " expires");
          controller.stop(); // resigns the term, if it still holds one
          log.info(
              held > 0
                  ? "resigned term " + held + " (a standby takes over at its next tick); stopped"
                  : "stopped (was standby)");
          step.accept("closing the admin port and the store");
          adminPort.close();
          session.close();
        });
  }

  private void tick(Controller controller, ServiceLog log) {
    try {
      controller.tick();
      if (failedInARow > 0) log.info("ticks succeed again after " + failedInARow + " failed");
      failedInARow = 0;
    } catch (RuntimeException e) {
      tickFailures.incrementAndGet();
      failedInARow++;
      if (failedInARow == 1 || failedInARow % FAILED_TICK_REMINDER == 0) {
        log.warn(
            "tick failed"
                + (failedInARow > 1 ? " (" + failedInARow + " in a row)" : "")
                + ": "
                + ErrorHandlers.describe(FdbErrors.cause(e)));
      }
    }
    active = controller.isActive();
    epoch = controller.epoch();
    ticked = true;
  }

  private Readiness readiness() {
    if (stopping) return Readiness.notReady("stopping");
    if (!ticked) return Readiness.notReady("first tick not done yet");
    return Readiness.ready(active ? "active (term " + epoch + ")" : "standby");
  }

  private void metrics(PrometheusText t, ControllerStats s) {
    String p = "fdbmeta_controller_";
    t.gauge(
            p + "active",
            "1 while this instance is the active controller, 0 as a standby.",
            active ? 1 : 0)
        .gauge(p + "term_epoch", "Epoch of the term this instance holds, 0 as a standby.", epoch)
        .counter(p + "ticks_total", "Control-loop cycles run.", s.ticks())
        .counter(
            p + "tick_failures_total",
            "Cycles that failed (store errors); the next one starts over.",
            tickFailures.get())
        .counter(p + "takeovers_total", "Times this instance became active.", s.takeovers())
        .counter(
            p + "deposed_total",
            "Times this instance learned it was no longer active.",
            s.deposed())
        .counter(p + "nodes_marked_dead_total", "Nodes marked dead.", s.nodesMarkedDead())
        .counter(p + "leases_moved_total", "Range leases moved off dead nodes.", s.leasesMoved())
        .counter(
            p + "replicas_recreated_total",
            "Replicas of dead nodes re-created elsewhere.",
            s.replicasRecreated())
        .counter(
            p + "rebalance_moves_total", "Replicas moved by the rebalancer.", s.rebalanceMoves())
        .counter(p + "moves_aborted_total", "Replica moves given up.", s.movesAborted())
        .counter(p + "splits_total", "Load-based splits.", s.splits())
        .counter(p + "merges_total", "Merges of cold neighbours.", s.merges())
        .counter(
            p + "unsatisfiable_total",
            "Placements that could not meet a constraint (reported, never violated).",
            s.unsatisfiable())
        .counter(
            p + "refused_total", "Actions the layer refused (a lost race, a rule).", s.refused())
        .counter(
            p + "fenced_off_total",
            "Actions refused because this instance's term had ended.",
            s.fencedOff())
        .counter(p + "detector_cycles_total", "Failure detector cycles.", s.detectorCycles())
        .counter(
            p + "detector_keys_read_total", "Keys the failure detector read.", s.detectorKeysRead())
        .gauge(
            p + "detector_last_cycle_keys",
            "Keys the failure detector read in its last cycle.",
            s.lastDetectorKeys())
        .gauge(
            p + "detector_max_cycle_keys",
            "Most keys the failure detector read in one cycle.",
            s.maxDetectorKeys());
  }

  private static void log(ServiceLog log, ControllerEvent e) {
    log.log(level(e), e.at(), message(e));
  }

  static Level level(ControllerEvent e) {
    return switch (e.kind()) {
      case DEPOSED, NODE_DEAD, MOVE_ABORTED, UNSATISFIABLE, REFUSED -> Level.WARN;
      default -> Level.INFO;
    };
  }

  /** What a log line says about {@code e}. */
  /** "a replica of range R from A to B (why)". */
  private static String replicaMove(ControllerEvent e) {
    return "a replica of range "
        + e.rangeId()
        + " from "
        + e.node()
        + " to "
        + e.target()
        + " ("
        + e.detail()
        + ")";
  }

  static String message(ControllerEvent e) {
    String range = "range " + e.rangeId();
    return switch (e.kind()) {
      case TOOK_OVER -> "became active (term " + e.epoch() + ")";
      case DEPOSED -> "no longer active (term " + e.epoch() + ")" + because(e.detail());
      case NODE_DEAD -> "marked node " + e.node() + " dead" + because(e.detail());
      case LEASE_MOVED -> "moved the lease of " + range + " from " + e.node() + " to " + e.target();
      case MOVE_PREPARED -> "moving " + replicaMove(e) + ": the target copies it";
      case MOVE_COMMITTED -> "moved " + replicaMove(e);
      case MOVE_ABORTED ->
          "gave up moving a replica of "
              + range
              + " from "
              + e.node()
              + " to "
              + e.target()
              + because(e.detail());
      case SPLIT -> "split " + range + because(e.detail());
      case MERGE -> "merge into " + range + because(e.detail());
      case UNSATISFIABLE ->
          "cannot place a replica of " + range + of(e.node()) + because(e.detail());
      case REFUSED ->
          "refused an action on "
              + (e.rangeId() != 0 ? range : "node " + e.node())
              + because(e.detail());
      default -> e.toString();
    };
  }

  private static String because(String detail) {
    return detail.isEmpty() ? "" : ": " + detail;
  }

  private static String of(@Nullable String node) {
    return node == null ? "" : " (from " + node + ")";
  }
}
