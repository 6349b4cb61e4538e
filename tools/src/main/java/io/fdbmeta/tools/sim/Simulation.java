package io.fdbmeta.tools.sim;

import com.apple.foundationdb.Database;
import io.fdbmeta.embedded.EmbeddedFdb;
import io.fdbmeta.layer.CatalogImport;
import io.fdbmeta.layer.ChangelogTrimmer;
import io.fdbmeta.layer.Keyspace;
import io.fdbmeta.layer.LayerConfig;
import io.fdbmeta.layer.Lease;
import io.fdbmeta.layer.LeaseManager;
import io.fdbmeta.layer.MetaException;
import io.fdbmeta.layer.NodeRecord;
import io.fdbmeta.layer.NodeRegistry;
import io.fdbmeta.layer.NodeStatus;
import io.fdbmeta.layer.RangeCatalog;
import io.fdbmeta.layer.RangeLoad;
import io.fdbmeta.layer.RangeLoads;
import io.fdbmeta.layer.Versionstamps;
import io.fdbmeta.layer.control.Controller;
import io.fdbmeta.layer.control.ControllerConfig;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import org.jspecify.annotations.Nullable;

/*
 * The deterministic simulation behind `fdbmeta sim`.
 *
 * The controller is the layer's Controller, unchanged, ticked once per simulated second by two
 * controller processes with skewed clocks, on fdb-embedded in memory. Everything else is
 * simulated: a fleet of storage nodes (heartbeats with noisy load, deaths, pauses longer than a
 * lease, a rack failure, additions), hot ranges and their cooling, and two controller failures.
 * True time is a VirtualClock moved only between steps; each node and controller reads it with
 * its own skew (pairwise within maxClockOffset). Ids come from a counter and every random choice
 * from one SplittableRandom seeded by --seed, and every store call completes before the next
 * starts, so a seed replays exactly.
 *
 * A step (one simulated second): scheduled events; resumed nodes rejoin; the nodes due send
 * heartbeats (every 4 s, a transaction per clock skew class); leaseholders write range load reports for
 * ranges that became hot or cold; each running controller ticks; the Observer reads the changelog
 * and checks invariants; stopped nodes are checked for detection and failover.
 *
 * Leases. Range leases ride on the holder's liveness (Lease.onLiveness), so nothing models or
 * skips renewals: every write the system makes is made for real. A running node's leases need no
 * writes at all; its heartbeat (written every HEARTBEAT_STEPS) keeps all of them alive. Each node
 * keeps the liveness expiry of its last committed heartbeat or registration (its NodeLiveness
 * view), and that is what the Observer's double-leader check uses: a node serves a lease granted
 * to its current incarnation while it runs, and once stopped (death, pause) until that expiry -
 * maxClockOffset on its own clock. A node marked DEAD while paused registers again on resume (a
 * new incarnation) and acquires for real, with a new epoch, whatever leases are still recorded for
 * it. Steady-state metadata writes are counted by kind (heartbeats, lease changes, moves, splits)
 * against the bound nodes / heartbeat interval.
 *
 * Phases: see scheduleEvents().
 */
/** Runs one simulation; see the comment at the top of this file. */
public final class Simulation {
  static final long START = 1_700_000_000_000L;
  static final long STEP = 1_000;
  static final int HEARTBEAT_STEPS = 4;
  static final long[] SKEWS = {-250, -200, -150, -100, -50, 0, 50, 100, 150, 200, 250};
  static final int REGIONS = 3;
  static final int ZONES_PER_REGION = 3;
  static final int RACK_SIZE = 20;
  static final String PINNED_REGION = "r1";
  static final long KEY_STRIDE = 1L << 40;
  static final double TYPICAL_RPS = 50;
  static final long TYPICAL_BYTES = 48L << 20;
  static final double SKEW = 1.40;
  static final double NOISE = 0.10;
  static final double HOT_MULTIPLIER = 30;
  static final double COLD_RPS = 1;
  static final double SPLIT_RPS = 1_000;
  static final long SPLIT_BYTES = 512L << 20;
  static final double MERGE_RPS = 10;

  /**
   * A range with this request rate is a large share of its node's load (about 5%): its leaseholder
   * reports it.
   */
  static final double HEAVY_RPS = 10 * TYPICAL_RPS;

  static final long MERGE_BYTES = 64L << 20;
  static final long COPY_BYTES_PER_SECOND = 200L << 20;
  static final NodeRecord.Capacity CAPACITY = new NodeRecord.Capacity(100L << 30, 16);
  static final String CLUSTER = "sim";

  private final SimConfig cfg;
  private final @Nullable PrintWriter progress;
  private final SplittableRandom random;
  private final VirtualClock clock = new VirtualClock(START);
  private final LayerConfig defaults = LayerConfig.defaults();
  private final List<SimNode> nodes = new ArrayList<>();
  private final Map<String, Integer> nodeIndex = new HashMap<>();
  private final Map<Long, SimRange> ranges = new HashMap<>();
  private final TreeMap<Long, SimRange> byStart = new TreeMap<>();
  private final List<SimController> controllers = new ArrayList<>();
  private final TreeSet<Long> dirtyReports = new TreeSet<>();
  private final List<Hotspot> hotspots = new ArrayList<>();
  private final List<StopRecord> stops = new ArrayList<>();
  private final TreeMap<Long, List<Runnable>> schedule = new TreeMap<>();
  private final SimReport.Builder report = new SimReport.Builder();
  private ChurnMeter churn;
  private long pinEnd;
  private final ForkJoinPool pool = new ForkJoinPool(2);
  private long nextRangeId = 10_000_000_000L;
  private long nextOpId;

  private Database db;
  private Keyspace ks;
  private NodeRegistry[] registries;
  private LeaseManager adminLeases;
  private NodeRegistry adminRegistry;
  private RangeLoads loads;
  private Observer observer;

  /** A controller process: the layer's Controller and whether the simulation lets it run. */
  private static final class SimController {
    final String id;
    final long skew;
    final Controller controller;
    boolean running = true;
    long lastActiveTick = -1;

    SimController(String id, long skew, Controller controller) {
      this.id = id;
      this.skew = skew;
      this.controller = controller;
    }
  }

  private record Hotspot(long start, long end, long until) {}

  /**
   * A node that stopped, and when the control plane noticed (detectAt) and moved its leases
   * (failoverAt).
   */
  static final class StopRecord {
    final SimNode node;
    final long at;
    final long incarnation;
    final String kind;
    long detectAt = -1;
    long failoverAt = -1;

    StopRecord(SimNode node, long at, String kind) {
      this.node = node;
      this.at = at;
      this.incarnation = node.incarnation;
      this.kind = kind;
    }
  }

  public Simulation(SimConfig cfg, @Nullable PrintWriter progress) {
    this.cfg = cfg;
    this.progress = progress;
    this.random = new SplittableRandom(cfg.seed());
  }

  public SimReport run() {
    long wallStart = System.nanoTime();
    try (Database database = EmbeddedFdb.builder().clock(clock).executor(pool).build()) {
      db = database;
      ks = Keyspace.open(db, CLUSTER);
      setUp();
      report.setUpSeconds((System.nanoTime() - wallStart) / 1e9);
      say(
          String.format(
              Locale.ROOT,
              "sim: simulating %.2f h (%,d steps)",
              cfg.hours(),
              cfg.durationMillis() / STEP));
      long end = START + cfg.durationMillis();
      long lastSay = System.nanoTime();
      while (clock.millis() < end) {
        step();
        clock.advance(STEP);
        if (System.nanoTime() - lastSay > 30e9) {
          lastSay = System.nanoTime();
          say(
              String.format(
                  Locale.ROOT,
                  "sim: %.0f%% (simulated %s)",
                  100.0 * (clock.millis() - START) / cfg.durationMillis(),
                  Duration.ofMillis(clock.millis() - START)));
        }
      }
      for (SimController c : controllers) report.controllerStats(c.id, c.controller.stats());
      report.observer(observer);
      report.stops(stops);
      report.wallSeconds((System.nanoTime() - wallStart) / 1e9);
      return report.build(cfg);
    } finally {
      pool.shutdown();
    }
  }

  // ---------------------------------------------------------------- set-up

  private void setUp() {
    RangeCatalog adminCatalog = new RangeCatalog(ks, config(0));
    adminCatalog.init(db);
    adminLeases = new LeaseManager(adminCatalog);
    adminRegistry = new NodeRegistry(ks, config(0));
    loads = new RangeLoads(ks);
    registries = new NodeRegistry[SKEWS.length];
    for (int i = 0; i < SKEWS.length; i++) {
      registries[i] = new NodeRegistry(ks, config(SKEWS[i]));
    }
    say(String.format(Locale.ROOT, "sim: registering %,d nodes", cfg.nodes()));
    List<SimNode> fresh = new ArrayList<>();
    for (int i = 0; i < cfg.nodes(); i++) fresh.add(newNode());
    register(fresh);
    pinEnd = (cfg.ranges() / 10) * KEY_STRIDE;
    say(
        String.format(
            Locale.ROOT, "sim: importing %,d ranges with replicas and leases", cfg.ranges()));
    importCatalog();
    new ChangelogTrimmer(ks, defaults).trimAsync(db).join();
    observer = new Observer(this, db, ks, adminLeases);
    observer.skipTo(db.readAsync(tr -> Versionstamps.headAsync(tr, ks)).join());
    ControllerConfig cc =
        ControllerConfig.builder()
            .regionPins(d -> isPinned(keyOf(d.startKey())) ? Set.of(PINNED_REGION) : Set.of())
            .ids(
                new ControllerConfig.IdSource() {
                  @Override
                  public long newRangeId() {
                    return nextRangeId++;
                  }

                  @Override
                  public String newOpId() {
                    return String.format(Locale.ROOT, "op-%09d", nextOpId++);
                  }
                })
            .readiness(
                (rangeId, target, preparedAt, now) -> {
                  SimRange r = ranges.get(rangeId);
                  return r == null || now - preparedAt >= r.bytes * 1000 / COPY_BYTES_PER_SECOND;
                })
            .splitThresholds(SPLIT_RPS, SPLIT_BYTES, Duration.ofSeconds(60))
            .mergeThresholds(MERGE_RPS, MERGE_BYTES, Duration.ofMinutes(10))
            .build();
    report.lowerBound(lowerBound(cc), initialSkew());
    churn = new ChurnMeter(cc.rebalanceCooldownMillis());
    report.churn(churn);
    addController("ctl-a", -150, cc);
    addController("ctl-b", 200, cc);
    scheduleEvents();
  }

  private LayerConfig config(long skew) {
    return LayerConfig.builder().clock(clock.skewed(skew)).build();
  }

  private void addController(String id, long skew, ControllerConfig cc) {
    Controller c = Controller.create(db, ks, config(skew), cc, id);
    String trace = System.getenv("FDBMETA_SIM_TRACE");
    c.addListener(
        e -> {
          if (trace != null
              && (trace.equals(e.node())
                  || trace.equals(e.target())
                  || trace.equals(String.valueOf(e.rangeId()))
                  || ("moves".equals(trace)
                      && (e.kind() == io.fdbmeta.layer.control.ControllerEvent.Kind.SPLIT
                          || e.kind()
                              == io.fdbmeta.layer.control.ControllerEvent.Kind.TOOK_OVER)))) {
            say("trace " + id + ": " + e);
          }
          if (e.kind() == io.fdbmeta.layer.control.ControllerEvent.Kind.UNSATISFIABLE)
            report.unsatisfiable(e.toString());
          if (e.kind() == io.fdbmeta.layer.control.ControllerEvent.Kind.MOVE_PREPARED
              && "REBALANCE".equals(e.detail())) churn.prepared(e.node(), e.target(), e.at());
        });
    controllers.add(new SimController(id, skew, c));
  }

  private SimNode newNode() {
    int i = nodes.size();
    int zone = i % (REGIONS * ZONES_PER_REGION);
    NodeRecord.Locality loc =
        new NodeRecord.Locality(
            "r" + (zone / ZONES_PER_REGION + 1),
            "z" + (zone % ZONES_PER_REGION + 1),
            "k" + (i / (REGIONS * ZONES_PER_REGION)) / RACK_SIZE);
    int skewClass = random.nextInt(SKEWS.length);
    SimNode n =
        new SimNode(i, String.format(Locale.ROOT, "n%05d", i), loc, skewClass, SKEWS[skewClass]);
    nodes.add(n);
    nodeIndex.put(n.id, i);
    return n;
  }

  /** Registers (or re-registers) nodes, 500 per transaction, each on its own clock. */
  private void register(List<SimNode> list) {
    for (int from = 0; from < list.size(); from += 500) {
      List<SimNode> chunk = list.subList(from, Math.min(list.size(), from + 500));
      List<NodeRecord> recs =
          db.run(
              tr -> {
                List<CompletableFuture<NodeRecord>> fs = new ArrayList<>();
                for (SimNode n : chunk) {
                  fs.add(
                      registries[n.skewClass].registerAsync(
                          tr,
                          new NodeRegistry.Registration(n.id, n.id + ":7000", n.locality, CAPACITY),
                          n.id + "-process-" + (n.processStarts + 1)));
                }
                return fs.stream().map(CompletableFuture::join).toList();
              });
      for (int i = 0; i < chunk.size(); i++) {
        chunk.get(i).registered(recs.get(i));
        chunk.get(i).processStarts++;
      }
    }
  }

  /**
   * Places every range's three replicas in three distinct zones (racks follow), pinned ranges in
   * the pinned region's zones. Zones are weighted so that every zone ends with the same share of
   * replicas despite the pinned ranges, and within a zone the better of two weighted random nodes
   * (fewer replicas for its weight) is taken, so the only imbalance is the intended one: the skewed
   * nodes get 40% more replicas than the others. The leaseholder is one of the three.
   */
  private void importCatalog() {
    int zonesTotal = REGIONS * ZONES_PER_REGION;
    List<List<SimNode>> byZone = new ArrayList<>();
    for (int z = 0; z < zonesTotal; z++) byZone.add(new ArrayList<>());
    for (SimNode n : nodes) byZone.get(n.index % zonesTotal).add(n);
    double[] weight = new double[nodes.size()];
    java.util.Arrays.fill(weight, 1.0);
    for (int k = 0; k < cfg.skewedNodes(); k++) weight[random.nextInt(nodes.size())] = SKEW;
    double[][] cumulative = new double[zonesTotal][];
    for (int z = 0; z < zonesTotal; z++) {
      List<SimNode> zn = byZone.get(z);
      cumulative[z] = new double[zn.size()];
      double sum = 0;
      for (int i = 0; i < zn.size(); i++) cumulative[z][i] = sum += weight[zn.get(i).index];
    }
    long pinnedRanges = pinEnd / KEY_STRIDE;
    double perZone = 3.0 * cfg.ranges() / zonesTotal;
    int pinnedRegion = Integer.parseInt(PINNED_REGION.substring(1)) - 1;
    double[] zoneWeight = new double[zonesTotal];
    for (int z = 0; z < zonesTotal; z++)
      zoneWeight[z] =
          Math.max(0, perZone - (z / ZONES_PER_REGION == pinnedRegion ? pinnedRanges : 0));
    int[] pinnedZones = {
      pinnedRegion * ZONES_PER_REGION,
      pinnedRegion * ZONES_PER_REGION + 1,
      pinnedRegion * ZONES_PER_REGION + 2
    };
    CatalogImport importer = new CatalogImport(new RangeCatalog(ks, config(0)));
    List<CatalogImport.ImportedRange> chunk = new ArrayList<>();
    for (int i = 0; i < cfg.ranges(); i++) {
      long start = i * KEY_STRIDE;
      long end = i == cfg.ranges() - 1 ? Long.MAX_VALUE : (i + 1) * KEY_STRIDE;
      int[] zones = isPinned(start) ? pinnedZones : threeZones(zoneWeight);
      int[] replicas = new int[3];
      for (int j = 0; j < 3; j++) {
        SimNode a = weighted(byZone.get(zones[j]), cumulative[zones[j]]);
        SimNode b = weighted(byZone.get(zones[j]), cumulative[zones[j]]);
        replicas[j] = (a.replicas / weight[a.index] <= b.replicas / weight[b.index] ? a : b).index;
      }
      SimRange r = new SimRange(1001L + i, start, end, replicas);
      r.rps = TYPICAL_RPS * Math.exp(0.5 * random.nextGaussian() - 0.125);
      r.bytes = (long) (TYPICAL_BYTES * Math.exp(0.5 * random.nextGaussian() - 0.125));
      r.holder = replicas[random.nextInt(3)];
      r.epoch = 1;
      SimNode h = nodes.get(r.holder);
      r.holderIncarnation = h.incarnation;
      addRange(r);
      chunk.add(
          new CatalogImport.ImportedRange(
              r.id,
              end == Long.MAX_VALUE ? null : key(end),
              ids(replicas),
              h.id,
              Lease.RIDES_ON_LIVENESS,
              h.incarnation));
      if (chunk.size() == CatalogImport.DEFAULT_CHUNK || i == cfg.ranges() - 1) {
        importer.importChunkAsync(db, chunk).join();
        chunk = new ArrayList<>();
      }
    }
  }

  private SimNode weighted(List<SimNode> zone, double[] cumulative) {
    int pick =
        java.util.Arrays.binarySearch(
            cumulative, random.nextDouble() * cumulative[cumulative.length - 1]);
    return zone.get(Math.min(zone.size() - 1, pick >= 0 ? pick : -pick - 1));
  }

  /** Three distinct zones, drawn one after another in proportion to their weights. */
  private int[] threeZones(double[] zoneWeight) {
    int[] out = new int[3];
    boolean[] taken = new boolean[zoneWeight.length];
    for (int k = 0; k < 3; k++) {
      double total = 0;
      for (int z = 0; z < zoneWeight.length; z++) if (!taken[z]) total += zoneWeight[z];
      double x = random.nextDouble() * total;
      int pick = -1;
      for (int z = 0; z < zoneWeight.length; z++) {
        if (taken[z]) continue;
        pick = z;
        x -= zoneWeight[z];
        if (x < 0) break;
      }
      taken[pick] = true;
      out[k] = pick;
    }
    return out;
  }

  /**
   * The fewest moves any rebalancer needs from the skewed start (MoveLowerBound), from every
   * replica's true load.
   */
  private long lowerBound(ControllerConfig rules) {
    int[] filled = new int[nodes.size()];
    double[][] rps = new double[nodes.size()][];
    double[][] bytes = new double[nodes.size()][];
    for (SimNode n : nodes) {
      rps[n.index] = new double[n.replicas];
      bytes[n.index] = new double[n.replicas];
    }
    for (SimRange r : byStart.values()) {
      for (int i : r.replicas) {
        rps[i][filled[i]] = r.rps;
        bytes[i][filled[i]++] = r.bytes;
      }
    }
    List<MoveLowerBound.NodeLoad> fleet = new ArrayList<>();
    for (SimNode n : nodes)
      if (n.up()) fleet.add(new MoveLowerBound.NodeLoad(rps[n.index], bytes[n.index]));
    return MoveLowerBound.of(fleet, rules.rebalanceStart(), rules.rebalanceStop());
  }

  private double initialSkew() {
    double mean = meanReplicas();
    int max = 0;
    for (SimNode n : nodes) max = Math.max(max, n.replicas);
    return max / mean - 1;
  }

  private double meanReplicas() {
    long total = 0;
    int live = 0;
    for (SimNode n : nodes) {
      if (!n.up()) continue;
      total += n.replicas;
      live++;
    }
    return (double) total / Math.max(1, live);
  }

  // ---------------------------------------------------------------- the schedule

  private void at(long t, Runnable r) {
    long aligned = START + ((t - START) / STEP) * STEP;
    schedule.computeIfAbsent(aligned, k -> new ArrayList<>()).add(r);
  }

  /**
   * Convergence [0, 30%): the skewed start, noise only. Steady state [30%, 55%): noise, hot ranges,
   * a controller pause and a controller death; moves per hour are measured here. Failures [55%,
   * 80%): node deaths and pauses (a node back from a pause was replaced meanwhile and is refilled,
   * which is counted apart). Events [80%, 100%): a rack failure, then node additions.
   */
  private void scheduleEvents() {
    long d = cfg.durationMillis();
    long steadyFrom = START + Math.round(d * 0.30);
    long failuresFrom = START + Math.round(d * 0.55);
    long eventsFrom = START + Math.round(d * 0.80);
    report.phases(steadyFrom, failuresFrom, eventsFrom);
    double failureHours = (eventsFrom - failuresFrom) / 3_600_000.0;
    int deaths = Math.max(2, (int) Math.round(8 * failureHours));
    int pauses = Math.max(2, (int) Math.round(6 * failureHours));
    for (int i = 0; i < deaths; i++)
      at(uniform(failuresFrom, eventsFrom - 60_000), () -> stopRandomNode(false));
    for (int i = 0; i < pauses; i++)
      at(uniform(failuresFrom, eventsFrom - 60_000), () -> stopRandomNode(true));
    int hot = Math.max(2, (int) Math.round(20 * (eventsFrom - steadyFrom) / 3_600_000.0));
    for (int i = 0; i < hot; i++) {
      long from = uniform(steadyFrom, eventsFrom - 5 * 60_000);
      long minutes = 5 + random.nextInt(11);
      at(from, () -> startHotspot(minutes));
    }
    at(steadyFrom + (failuresFrom - steadyFrom) / 3, () -> pauseActiveController(30_000));
    at(steadyFrom + 2 * (failuresFrom - steadyFrom) / 3, this::killActiveController);
    at(START + Math.round(d * 0.82), this::failRandomRack);
    int added = Math.max(2, cfg.nodes() / 2000);
    at(START + Math.round(d * 0.90), () -> addNodes(added));
  }

  private long uniform(long from, long to) {
    return from + (long) (random.nextDouble() * Math.max(1, to - from));
  }

  // ---------------------------------------------------------------- one step

  private void step() {
    long now = clock.millis();
    List<Runnable> due = schedule.remove(now);
    if (due != null) due.forEach(Runnable::run);
    resumeDueNodes(now);
    reacquire(now);
    heartbeats(now);
    endHotspots(now);
    writeReports(now);
    for (SimController c : controllers) {
      if (!c.running) continue;
      c.controller.tick();
      if (c.controller.isActive()) {
        c.lastActiveTick = now;
        int[] down = nodesDownWithReplicas();
        report.detectorCycle(c.controller.stats().lastDetectorKeys(), down[0], down[1]);
      }
    }
    long active = controllers.stream().filter(c -> c.running && c.controller.isActive()).count();
    if (active > 1) report.twoActiveControllers(now);
    observer.catchUp(now);
    watchController(now);
    watchStops(now);
  }

  /**
   * Nodes the detector still has work for (down, or marked dead, and still holding replicas), and
   * their replicas.
   */
  private int[] nodesDownWithReplicas() {
    Set<SimNode> down = new java.util.HashSet<>();
    for (StopRecord s : stops)
      if (s.node.replicas > 0 && (!s.node.up() || s.detectAt >= 0)) down.add(s.node);
    int replicas = 0;
    for (SimNode n : down) replicas += n.replicas;
    return new int[] {down.size(), replicas};
  }

  /**
   * The nodes due (every HEARTBEAT_STEPS steps, spread by index) send a heartbeat with their load,
   * request rate with +/-10% noise: one transaction per skew class (each class's registry runs on
   * its clock), as a HeartbeatBatcher would group them. (The batcher itself forms batches only
   * while commits are in flight; on fdb-embedded in memory a commit completes inside the call, so
   * every heartbeat would be its own transaction.) Two classes run at a time on the pool;
   * heartbeats of different nodes touch disjoint keys, so their commit order changes nothing.
   */
  private void heartbeats(long now) {
    long stepIndex = (now - START) / STEP;
    List<List<NodeRegistry.Heartbeat>> byClass = new ArrayList<>();
    for (int i = 0; i < SKEWS.length; i++) byClass.add(new ArrayList<>());
    for (SimNode n : nodes) {
      if (!n.up() || (stepIndex + n.index) % HEARTBEAT_STEPS != 0) continue;
      double noisy = n.rps * (1 + NOISE * (2 * random.nextDouble() - 1));
      NodeRecord.Load load = new NodeRecord.Load(n.replicas, noisy, n.bytes, noisy / 2000);
      byClass.get(n.skewClass).add(new NodeRegistry.Heartbeat(n.id, n.incarnation, load, CAPACITY));
    }
    List<CompletableFuture<List<NodeRecord>>> sent = new ArrayList<>();
    for (int i = 0; i < SKEWS.length; i++) {
      NodeRegistry registry = registries[i];
      List<NodeRegistry.Heartbeat> beats = byClass.get(i);
      if (beats.isEmpty()) continue;
      sent.add(
          CompletableFuture.supplyAsync(
              () ->
                  db.run(
                      tr -> {
                        List<CompletableFuture<NodeRecord>> fs = new ArrayList<>(beats.size());
                        for (NodeRegistry.Heartbeat hb : beats)
                          fs.add(registry.heartbeatAsync(tr, hb));
                        return fs.stream().map(CompletableFuture::join).toList();
                      }),
              pool));
    }
    for (CompletableFuture<List<NodeRecord>> f : sent) {
      try {
        List<NodeRecord> committed = f.join();
        // committed: each node's liveness view moves on (what its guards serve on)
        for (NodeRecord rec : committed) nodes.get(nodeIndex.get(rec.nodeId())).alive(rec);
        report.heartbeats(now, committed.size());
      } catch (RuntimeException e) {
        report.simError("heartbeats of running nodes refused: " + e.getMessage());
      }
    }
  }

  // ---------------------------------------------------------------- nodes stopping and resuming

  private void stopRandomNode(boolean pause) {
    SimNode n = randomUpNode();
    if (n != null)
      stop(n, pause ? "pause" : "death", pause ? 12_000 + random.nextInt(9) * 1000L : -1);
  }

  private @Nullable SimNode randomUpNode() {
    for (int tries = 0; tries < 100; tries++) {
      SimNode n = nodes.get(random.nextInt(nodes.size()));
      if (n.up() && !n.reacquire) return n;
    }
    return null;
  }

  /**
   * Stops a node at this step. Nothing is written: its leases ride on its liveness, which its last
   * committed heartbeat set, and which it serves on until it runs out.
   */
  private void stop(SimNode n, String kind, long pauseMillis) {
    long now = clock.millis();
    n.state = pauseMillis > 0 ? SimNode.State.PAUSED : SimNode.State.DEAD;
    n.stoppedAt = now;
    n.resumeAt = pauseMillis > 0 ? now + pauseMillis : -1;
    stops.add(new StopRecord(n, now, kind));
  }

  private void resumeDueNodes(long now) {
    for (SimNode n : nodes) {
      if (n.state != SimNode.State.PAUSED || n.resumeAt > now) continue;
      n.state = SimNode.State.UP;
      try {
        n.alive(
            registries[n.skewClass].heartbeat(
                db,
                new NodeRegistry.Heartbeat(n.id, n.incarnation, NodeRecord.Load.NONE, CAPACITY)));
      } catch (MetaException e) {
        register(List.of(n)); // marked DEAD while paused: a new process, a new incarnation
      }
      // leases granted to its current incarnation are served again as they are; any granted to an
      // earlier one must be acquired again
      boolean stale = false;
      for (long id : n.leases) {
        SimRange r = ranges.get(id);
        if (r != null && r.holderIncarnation != n.incarnation) stale = true;
      }
      n.reacquire = stale;
    }
  }

  /**
   * A node that registered again acquires the leases still recorded for it under an earlier
   * incarnation, on its own clock, until all are its again (each a lease change, new epoch).
   */
  private void reacquire(long now) {
    for (SimNode n : nodes) {
      if (!n.reacquire || !n.up()) continue;
      LeaseManager asNode = new LeaseManager(new RangeCatalog(ks, config(n.skew)));
      List<Long> ids = new ArrayList<>();
      for (long id : n.leases) {
        SimRange r = ranges.get(id);
        if (r != null && r.holderIncarnation != n.incarnation) ids.add(id);
      }
      List<Lease> got =
          db.run(
              tr ->
                  ids.stream()
                      .map(
                          id ->
                              asNode
                                  .acquireAsync(tr, id, n.id)
                                  .handle((l, e) -> e == null ? l : null))
                      .toList()
                      .stream()
                      .map(CompletableFuture::join)
                      .toList());
      boolean all = true;
      for (int i = 0; i < ids.size(); i++) {
        SimRange r = ranges.get(ids.get(i));
        if (got.get(i) == null || r == null) {
          all &= r == null;
          continue;
        }
        r.holderIncarnation = got.get(i).holderIncarnation();
        report.leaseChange(now);
      }
      n.reacquire = !all;
    }
  }

  private void failRandomRack() {
    SimNode pick = randomUpNode();
    if (pick == null) return;
    int failed = 0;
    for (SimNode n : nodes) {
      if (n.up() && n.rack().equals(pick.rack())) {
        stop(n, "rack " + pick.rack(), -1);
        failed++;
      }
    }
    report.rackFailure(pick.rack(), failed);
  }

  private void addNodes(int count) {
    long replicas = 0;
    int up = count;
    for (SimNode n : nodes) {
      if (!n.up()) continue;
      replicas += n.replicas;
      up++;
    }
    List<SimNode> added = new ArrayList<>();
    for (int i = 0; i < count; i++) added.add(newNode());
    register(added);
    report.nodesAdded(count);
    // Filling them to the fleet's mean takes at least that many moves.
    churn.added(
        added.stream().map(n -> n.id).collect(java.util.stream.Collectors.toSet()),
        Math.round((double) replicas / up * count));
  }

  // ---------------------------------------------------------------- controllers

  private void pauseActiveController(long millis) {
    for (SimController c : controllers) {
      if (c.running && c.controller.isActive()) {
        c.running = false;
        report.controllerFailure(
            "pause " + c.id + " for " + millis / 1000 + " s", clock.millis(), c.lastActiveTick);
        at(clock.millis() + millis, () -> c.running = true);
        return;
      }
    }
  }

  private void killActiveController() {
    for (SimController c : controllers) {
      if (c.running && c.controller.isActive()) {
        c.running = false;
        report.controllerFailure("kill " + c.id, clock.millis(), c.lastActiveTick);
        return;
      }
    }
  }

  private long lastEpoch;

  /**
   * Watches the controller key: a new epoch is a takeover (counted here, not by the controllers).
   */
  private void watchController(long now) {
    Lease term = adminLeases.controller(db).orElse(null);
    if (term == null || term.epoch() == lastEpoch) return;
    lastEpoch = term.epoch();
    report.takeover(term.holder(), term.epoch(), now);
  }

  // ---------------------------------------------------------------- failover measurement

  private void watchStops(long now) {
    for (StopRecord s : stops) {
      if (s.detectAt < 0) {
        NodeRecord rec = adminRegistry.get(db, s.node.id).orElseThrow();
        if (rec.incarnation() != s.incarnation || rec.status() == NodeStatus.DEAD) s.detectAt = now;
      }
      if (s.failoverAt < 0 && (s.node.leases.isEmpty() || (s.node.up() && !s.node.reacquire)))
        s.failoverAt = now;
    }
  }

  // ---------------------------------------------------------------- hot and cold ranges

  private void startHotspot(long minutes) {
    SimRange r =
        byStart.floorEntry((long) (random.nextDouble() * (cfg.ranges() * KEY_STRIDE))).getValue();
    long now = clock.millis();
    hotspots.add(new Hotspot(r.start, r.end, now + minutes * 60_000));
    setLoad(r, r.rps * HOT_MULTIPLIER, r.bytes);
    r.hot = true;
    r.hotSince = now;
    dirtyReports.add(r.id);
    report.hotspot();
  }

  private void endHotspots(long now) {
    for (Hotspot h : new ArrayList<>(hotspots)) {
      if (h.until > now) continue;
      hotspots.remove(h);
      for (SimRange r : new ArrayList<>(byStart.subMap(h.start, true, h.end, false).values())) {
        r.hot = false;
        setLoad(r, COLD_RPS, r.bytes);
        dirtyReports.add(r.id);
      }
    }
  }

  /**
   * Each leaseholder reports its ranges that changed band: hot (with a split key), heavy, small and
   * cold, or back to normal.
   */
  private void writeReports(long now) {
    if (dirtyReports.isEmpty()) return;
    List<Long> done = new ArrayList<>();
    db.run(
        tr -> {
          done.clear();
          for (long id : dirtyReports) {
            SimRange r = ranges.get(id);
            if (r == null) {
              done.add(id);
              continue;
            }
            if (r.holder < 0 || !nodes.get(r.holder).up()) continue;
            long holderNow = now + nodes.get(r.holder).skew;
            if (r.hot && r.rps >= SPLIT_RPS) {
              loads
                  .reportAsync(
                      tr,
                      new RangeLoad(
                          r.id,
                          r.rps,
                          r.bytes,
                          r.hotSince + nodes.get(r.holder).skew,
                          key(r.mid()),
                          holderNow))
                  .join();
            } else if ((r.rps < MERGE_RPS && r.bytes < MERGE_BYTES) || r.rps >= HEAVY_RPS) {
              loads.reportAsync(tr, new RangeLoad(r.id, r.rps, r.bytes, 0, null, holderNow)).join();
            } else {
              loads.clearAsync(tr, r.id).join();
            }
            done.add(id);
          }
          return null;
        });
    done.forEach(dirtyReports::remove);
  }

  // ---------------------------------------------------------------- the model, for the Observer

  @Nullable SimRange range(long id) {
    return ranges.get(id);
  }

  void addRange(SimRange r) {
    ranges.put(r.id, r);
    byStart.put(r.start, r);
    for (int i : r.replicas) adjust(nodes.get(i), 1, r.rps, r.bytes);
    if (r.holder >= 0) nodes.get(r.holder).leases.add(r.id);
    if (r.hot || r.rps < MERGE_RPS || r.rps >= HEAVY_RPS) dirtyReports.add(r.id);
  }

  @Nullable SimRange removeRange(long id) {
    SimRange r = ranges.remove(id);
    if (r == null) return null;
    byStart.remove(r.start, r);
    for (int i : r.replicas) adjust(nodes.get(i), -1, -r.rps, -r.bytes);
    if (r.holder >= 0) nodes.get(r.holder).leases.remove(r.id);
    return r;
  }

  void mergeLoad(SimRange into, SimRange gone) {
    setLoad(into, into.rps + gone.rps, into.bytes + gone.bytes);
    into.hot |= gone.hot;
    dirtyReports.add(into.id);
  }

  void setEnd(SimRange r, long end) {
    r.end = end;
  }

  void setReplicas(SimRange r, int[] replicas) {
    for (int i : r.replicas) adjust(nodes.get(i), -1, -r.rps, -r.bytes);
    r.replicas = replicas;
    for (int i : r.replicas) adjust(nodes.get(i), 1, r.rps, r.bytes);
  }

  void setHolder(SimRange r, int holder) {
    if (r.holder >= 0) nodes.get(r.holder).leases.remove(r.id);
    r.holder = holder;
    if (holder >= 0) nodes.get(holder).leases.add(r.id);
  }

  private void setLoad(SimRange r, double rps, long bytes) {
    for (int i : r.replicas) adjust(nodes.get(i), 0, rps - r.rps, bytes - r.bytes);
    r.rps = rps;
    r.bytes = bytes;
  }

  private static void adjust(SimNode n, int replicas, double rps, long bytes) {
    n.replicas += replicas;
    n.rps += rps;
    n.bytes += bytes;
  }

  /** A lease record changed (a new holder or epoch), as the changelog shows. */
  void leaseChanged(long at) {
    report.leaseChange(at);
  }

  /** A move (rebalance or re-creation), split or merge committed, as the changelog shows. */
  void metaWrite(String kind, long at) {
    report.write(kind, at, 1);
  }

  void onRebalanceMove(SimRange r, SimNode from, SimNode to) {
    report.rebalanceMove(clock.millis());
    churn.moved(r.id, from.id, to.id, clock.millis());
    if ("moves".equals(System.getenv("FDBMETA_SIM_TRACE"))) {
      say(
          String.format(
              Locale.ROOT,
              "move at +%d s: range %d (%.0f req/s%s) %s -> %s",
              (clock.millis() - START) / 1000,
              r.id,
              r.rps,
              r.hot ? ", hot" : "",
              describe(from),
              describe(to)));
    }
  }

  private String describe(SimNode n) {
    double[] mean = new double[3];
    int live = 0;
    for (SimNode m : nodes) {
      if (!m.up()) continue;
      live++;
      mean[0] += m.replicas;
      mean[1] += m.rps;
      mean[2] += m.bytes;
    }
    boolean hot = false;
    for (long id : n.leases) hot |= ranges.get(id) != null && ranges.get(id).hot;
    return String.format(
        Locale.ROOT,
        "%s(count %+.0f%% rps %+.0f%% bytes %+.0f%%%s)",
        n.id,
        100 * (n.replicas * live / mean[0] - 1),
        100 * (n.rps * live / mean[1] - 1),
        100 * (n.bytes * live / mean[2] - 1),
        hot ? " leads a hot range" : "");
  }

  SimNode node(int i) {
    return nodes.get(i);
  }

  int index(String nodeId) {
    Integer i = nodeIndex.get(nodeId);
    if (i == null) throw new IllegalStateException("unknown node " + nodeId);
    return i;
  }

  int[] indexes(List<String> ids) {
    int[] out = new int[ids.size()];
    for (int i = 0; i < out.length; i++) out[i] = index(ids.get(i));
    return out;
  }

  List<String> ids(int[] idx) {
    List<String> out = new ArrayList<>(idx.length);
    for (int i : idx) out.add(nodes.get(i).id);
    return out;
  }

  boolean isPinned(long start) {
    return start < pinEnd;
  }

  long maxClockOffset() {
    return defaults.maxClockOffsetMillis();
  }

  long leaseMillis() {
    return defaults.leaseMillis();
  }

  static byte[] key(long k) {
    return ByteBuffer.allocate(8).putLong(k).array();
  }

  static long keyOf(byte[] key) {
    return key.length == 0 ? 0 : ByteBuffer.wrap(key).getLong();
  }

  private void say(String line) {
    if (progress != null) {
      progress.println(line);
      progress.flush();
    }
  }
}
