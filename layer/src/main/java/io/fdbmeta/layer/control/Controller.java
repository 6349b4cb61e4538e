package io.fdbmeta.layer.control;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.TransactionContext;
import io.fdbmeta.layer.ChangelogTrimmer;
import io.fdbmeta.layer.FdbErrors;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.LeaseManager;
import io.fdbmeta.layer.MetaException;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.OpLog;
import io.fdbmeta.layer.OpRecord;
import io.fdbmeta.layer.Page;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeLoads;
import io.fdbmeta.layer.ReplicaSyncMarks;
import io.fdbmeta.layer.SchemaVersion;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/*
 * The control plane's one active process. Any number of processes may run a Controller; the
 * `controller` lease makes one of them active (ControllerElection) and fences every action it
 * commits by its epoch, so a deposed one cannot change anything even before it learns it lost.
 *
 * A cycle (tick) is, in order: renew or acquire the term; if active, refresh the fleet view when
 * it is older than the rebalance interval; run the failure detector; commit the moves whose target
 * is ready; every rebalance interval, the rebalancer; every minute, one changelog trim batch; every
 * split/merge interval, the split/merge planner. Nothing in a tick reads a wall clock or depends on
 * thread timing: time is LayerConfig's clock, ids come from ControllerConfig's IdSource, and every
 * call completes before the next starts. So a simulation that moves a virtual clock and calls
 * tick() replays exactly; start() only adds a real-time scheduler around the same tick().
 *
 * State kept in memory (fleet view, hysteresis, in-flight moves, dead nodes still to handle) is
 * rebuilt on takeover: in-flight moves of the previous controller are aborted (their op records
 * say so) and re-planned, dead nodes with replicas left are found from liveness/DEAD, and split
 * times from the SPLIT op records.
 */
/**
 * The control loops: controller election, failure detection and failover, placement, rebalancing
 * and load-based splits and merges. Embed it with {@link #start} (real time) or {@link #create}
 * plus {@link #tick} (driven, e.g. by a simulation); see the comment at the top.
 */
public final class Controller implements AutoCloseable {
  /**
   * How often the controller trims the changelog (one batch): finding the cut point walks the
   * retained entries.
   */
  static final long TRIM_INTERVAL_MILLIS = 60_000;

  private final TransactionContext db;
  private final Keyspace ks;
  private final LayerConfig layer;
  private final ControllerConfig config;
  private final RangeCatalog catalog;
  private final NodeRegistry registry;
  private final ControllerElection election;
  private final ControllerActions.Applying actions;
  private final ChangelogTrimmer trimmer;
  private final ControllerConfig.ReplicaReadiness readiness;
  private final List<Consumer<ControllerEvent>> listeners = new CopyOnWriteArrayList<>();
  private final Map<ControllerEvent.Kind, Long> counts = new EnumMap<>(ControllerEvent.Kind.class);
  private @Nullable Loops loops;
  private long ticks;
  private long fencedOff;
  private long detectorCycles;
  private long detectorKeys;
  private long lastDetectorKeys;
  private long maxDetectorKeys;
  private long recreated;
  private long rebalanced;
  private @Nullable ScheduledExecutorService scheduler;

  /** The loops' state for one term; replaced on every takeover. */
  private static final class Loops {
    final FleetView fleet;
    final FailureDetector detector;
    final Rebalancer rebalancer;
    final SplitMergePlanner planner;
    final Moves moves = new Moves();
    long nextRebalance;
    long nextSplitMerge;
    long nextTrim;

    Loops(RangeCatalog catalog, NodeRegistry registry, ControllerConfig config) {
      fleet = new FleetView(config.loadSmoothing(), catalog.config().livenessMillis());
      detector = new FailureDetector(catalog, registry, config);
      rebalancer = new Rebalancer(catalog, config);
      planner = new SplitMergePlanner(catalog, new RangeLoads(catalog.keyspace()), config);
    }

    void commitReadyMoves(
        ControllerActions actions, ControllerConfig.ReplicaReadiness readiness, long now) {
      rebalancer.settling().committed(moves.commitReady(actions, fleet, readiness, now), now);
    }
  }

  private Controller(
      TransactionContext db,
      Keyspace ks,
      LayerConfig layer,
      ControllerConfig config,
      String controllerId) {
    this.db = Objects.requireNonNull(db, "db");
    this.ks = Objects.requireNonNull(ks, "ks");
    this.layer = Objects.requireNonNull(layer, "layer");
    this.config = Objects.requireNonNull(config, "config");
    this.catalog = new RangeCatalog(ks, layer);
    this.registry = new NodeRegistry(ks, layer);
    LeaseManager leases = new LeaseManager(catalog);
    this.election = new ControllerElection(leases, layer, controllerId);
    this.actions =
        new ControllerActions.Applying(db, catalog, registry, leases, config, election, this::emit);
    this.trimmer = new ChangelogTrimmer(ks, layer);
    ReplicaSyncMarks marks = new ReplicaSyncMarks(ks);
    this.readiness =
        config.readiness() == ControllerConfig.ReplicaReadiness.STORED
            ? (rangeId, target, preparedAt, now) -> marks.replicasSynced(db, rangeId, now)
            : config.readiness();
  }

  /**
   * A controller that acts only when {@link #tick} is called (simulations, tests, custom
   * schedulers).
   */
  public static Controller create(
      TransactionContext db,
      Keyspace ks,
      LayerConfig layer,
      ControllerConfig config,
      String controllerId) {
    return new Controller(db, ks, layer, config, controllerId);
  }

  /**
   * A controller that ticks every {@link ControllerConfig#tickMillis()} on its own daemon thread
   * until {@link #stop}. A failed tick (store error) is reported on stderr and the next one runs.
   */
  public static Controller start(
      Database db, Keyspace ks, LayerConfig layer, ControllerConfig config, String controllerId) {
    return start(db, ks, layer, config, controllerId, List.of());
  }

  /**
   * {@link #start}, with {@code listeners} receiving every event from the first tick on (a listener
   * added after start may miss the first tick's, such as becoming active).
   */
  public static Controller start(
      Database db,
      Keyspace ks,
      LayerConfig layer,
      ControllerConfig config,
      String controllerId,
      List<Consumer<ControllerEvent>> listeners) {
    SchemaVersion.check(db, ks); // a newer metadata format is refused before the first tick
    Controller c = new Controller(db, ks, layer, config, controllerId);
    for (Consumer<ControllerEvent> l : listeners) c.addListener(l);
    c.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "fdbmeta-controller-" + controllerId);
              t.setDaemon(true);
              return t;
            });
    c.scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            c.tick();
          } catch (RuntimeException e) {
            System.err.println("fdbmeta controller " + controllerId + ": tick failed: " + e);
          }
        },
        0,
        config.tickMillis(),
        TimeUnit.MILLISECONDS);
    return c;
  }

  /** Receives every event from now on, on the ticking thread; keep it quick. */
  public void addListener(Consumer<ControllerEvent> listener) {
    listeners.add(Objects.requireNonNull(listener));
  }

  public void removeListener(Consumer<ControllerEvent> listener) {
    listeners.remove(listener);
  }

  /**
   * One cycle (see the comment at the top). Blocks until done.
   *
   * @throws MetaException STORE_ERROR if the store fails; the next tick starts over
   */
  public synchronized void tick() {
    ticks++;
    ControllerElection.Change change = election.tick(db);
    if (change == ControllerElection.Change.DEPOSED) depose("renewal refused");
    try {
      Loops l = loops;
      if (!election.isActive()) return;
      SchemaVersion.check(db, ks); // a migration by a newer binary: act on nothing it may change
      if (change == ControllerElection.Change.TOOK_OVER) takeOver();
      l = loops;
      if (l == null) return;
      long now = layer.now();
      if (l.fleet.isEmpty() || now - l.fleet.readAt() >= config.rebalanceMillis())
        l.fleet.refresh(allNodes(), now);
      l.detector.cycle(db, now, l.fleet, l.moves, actions);
      detectorCycles++;
      lastDetectorKeys = l.detector.keysRead();
      detectorKeys += lastDetectorKeys;
      maxDetectorKeys = Math.max(maxDetectorKeys, lastDetectorKeys);
      l.commitReadyMoves(actions, readiness, now);
      if (now >= l.nextRebalance) {
        l.nextRebalance = now + config.rebalanceMillis();
        l.rebalancer.cycle(db, now, l.fleet, l.moves, actions);
        l.commitReadyMoves(actions, readiness, now);
      }
      if (now >= l.nextTrim) {
        l.nextTrim = now + TRIM_INTERVAL_MILLIS;
        FdbErrors.join(trimmer.trimBatchAsync(db, ChangelogTrimmer.DEFAULT_BATCH));
      }
      if (now >= l.nextSplitMerge) {
        l.nextSplitMerge = now + config.splitMergeMillis();
        l.planner.cycle(db, now, l.moves, actions);
      }
    } catch (MetaException e) {
      if (!ControllerElection.isDeposed(e)) throw e;
      fencedOff++;
      election.forget();
      depose(e.getMessage());
    }
  }

  private void takeOver() {
    long now = layer.now();
    Loops l = new Loops(catalog, registry, config);
    l.nextRebalance = now;
    l.nextSplitMerge = now;
    loops = l;
    emit(
        new ControllerEvent(
            ControllerEvent.Kind.TOOK_OVER,
            now,
            election.epoch(),
            0,
            election.holderId(),
            null,
            "term epoch " + election.epoch()));
    OpLog opLog = catalog.ops();
    List<OpRecord> ops = FdbErrors.join(opLog.listAsync(db));
    l.planner.recover(ops, now);
    l.rebalancer.settling().recover(ops, now);
    l.detector.recover(db);
    for (OpRecord op : ops) {
      if (op.kind() != OpRecord.Kind.MOVE || op.phase() != OpRecord.Phase.PREPARED) continue;
      election.fencedJoin(
          db,
          tr -> {
            opLog.advance(
                tr,
                op,
                OpRecord.Phase.ABORTED,
                List.of(),
                now,
                op.detail()
                    + "; aborted@"
                    + now
                    + ": the controller that prepared it was replaced");
            return CompletableFuture.completedFuture(null);
          });
    }
  }

  private void depose(String why) {
    loops = null;
    emit(
        new ControllerEvent(
            ControllerEvent.Kind.DEPOSED,
            layer.now(),
            election.epoch(),
            0,
            election.holderId(),
            null,
            why));
  }

  private List<NodeRecord> allNodes() {
    return allNodes(db, registry);
  }

  private static List<NodeRecord> allNodes(TransactionContext db, NodeRegistry registry) {
    List<NodeRecord> all = new ArrayList<>();
    byte[] cursor = null;
    do {
      Page<NodeRecord> page = registry.list(db, cursor, 10_000);
      all.addAll(page.items());
      cursor = page.nextCursor();
    } while (cursor != null);
    return all;
  }

  private void emit(ControllerEvent e) {
    synchronized (counts) {
      counts.merge(e.kind(), 1L, Long::sum);
      if (e.kind() == ControllerEvent.Kind.MOVE_COMMITTED) {
        if (e.detail().equals(Move.Reason.RECREATE.name())) recreated++;
        else rebalanced++;
      }
    }
    for (Consumer<ControllerEvent> l : listeners) l.accept(e);
  }

  /** True while this instance believes it is the active controller and its term is valid. */
  public boolean isActive() {
    return election.isActive();
  }

  /** The epoch of this instance's term, 0 if it holds none. */
  public long epoch() {
    return election.epoch();
  }

  public String controllerId() {
    return election.holderId();
  }

  /** Totals since this instance was created. */
  public ControllerStats stats() {
    synchronized (counts) {
      return new ControllerStats(
          ticks,
          n(ControllerEvent.Kind.TOOK_OVER),
          n(ControllerEvent.Kind.DEPOSED),
          n(ControllerEvent.Kind.NODE_DEAD),
          n(ControllerEvent.Kind.LEASE_MOVED),
          recreated,
          rebalanced,
          n(ControllerEvent.Kind.MOVE_ABORTED),
          n(ControllerEvent.Kind.SPLIT),
          n(ControllerEvent.Kind.MERGE),
          n(ControllerEvent.Kind.UNSATISFIABLE),
          n(ControllerEvent.Kind.REFUSED),
          fencedOff,
          detectorCycles,
          detectorKeys,
          lastDetectorKeys,
          maxDetectorKeys);
    }
  }

  private long n(ControllerEvent.Kind k) {
    return counts.getOrDefault(k, 0L);
  }

  /** Stops ticking (if started) and resigns the term, so a standby takes over at once. */
  public void stop() {
    ScheduledExecutorService s = scheduler;
    if (s != null) {
      s.shutdown();
      try {
        s.awaitTermination(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    synchronized (this) {
      loops = null;
      election.resign(db);
    }
  }

  @Override
  public void close() {
    stop();
  }

  /** Test hook: forget the term as a paused controller would, without resigning. */
  void forgetTermForTest() {
    election.forget();
  }

  /**
   * What an active controller would do now, computed by the same loops without applying anything
   * and without taking the controller lease (so it can run beside the active controller). Nodes it
   * would mark dead count as dead for the rest of the plan.
   */
  public static ControllerPlan plan(
      TransactionContext db, Keyspace ks, LayerConfig layer, ControllerConfig config) {
    RangeCatalog catalog = new RangeCatalog(ks, layer);
    NodeRegistry registry = new NodeRegistry(ks, layer);
    Loops l = new Loops(catalog, registry, config);
    ControllerActions.Recording rec = new ControllerActions.Recording();
    long now = layer.now();
    l.fleet.refresh(allNodes(db, registry), now);
    List<OpRecord> ops = FdbErrors.join(catalog.ops().listAsync(db));
    l.planner.recover(ops, now);
    l.rebalancer.settling().recover(ops, now);
    l.detector.recover(db);
    l.detector.cycle(db, now, l.fleet, l.moves, rec);
    l.rebalancer.cycle(db, now, l.fleet, l.moves, rec);
    l.planner.cycle(db, now, l.moves, rec);
    return rec.plan();
  }
}
